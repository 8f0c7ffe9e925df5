// A small chat client over any OpenAI-compatible `/v1/chat/completions` endpoint.
//
// - Concurrency is bounded by one p-limit queue per client.
// - Retries are the `openai` package's own (`maxRetries`): 408/409/429/5xx and connection errors
//   and timeouts, exponential backoff, honouring `retry-after-ms` / `retry-after`. The package
//   obeys any wait a server asks for, so a fetch wrapper caps those headers at `maxRetryDelayMs`.
// - Aborting is ours as well as the package's: its sleep between retries does not listen to the
//   signal, so the caller's promise rejects at once while the slot frees after the sleep.
// - Token usage (`usage.prompt_tokens` / `completion_tokens`) is summed per client.
// - The API key never appears in an error message (a server that echoes the Authorization header
//   gets it replaced), and no error carries the package's raw error as its cause.

import { setTimeout as delay } from 'node:timers/promises';
import OpenAI from 'openai';
import pLimit from 'p-limit';
import { messageOf } from '../errors.js';
import { raceAbort } from '../util/abort.js';
import { positiveInt, describe } from '../util/options.js';
import { describeOpenAIError, isRetryableStatus } from '../util/http.js';

export interface ChatClientOptions {
  /** e.g. http://127.0.0.1:8080/v1. Default: the package's (OPENAI_BASE_URL, else api.openai.com). */
  baseURL?: string;
  /** Sent as a bearer token. Default: the package's (OPENAI_API_KEY). */
  apiKey?: string;
  model: string;
  /** Per attempt (default 60 000 ms); a timed-out attempt is retried. */
  timeoutMs?: number;
  /** Retries after the first attempt (default 3, at most 10). */
  maxRetries?: number;
  /** Longest wait between retries that a server's retry-after may ask for (default 30 000 ms). */
  maxRetryDelayMs?: number;
  /** Requests in flight at once (default 4). */
  concurrency?: number;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  messages: readonly ChatMessage[];
  temperature?: number;
  /** Sent as `max_tokens`. */
  maxTokens?: number;
  /** Ask for `response_format: {type: 'json_object'}` (not every compatible server supports it). */
  json?: boolean;
  /** Refuse (a 'response' ChatRequestError) an answer longer than this; a stream stops there. */
  maxChars?: number;
  signal?: AbortSignal;
  /**
   * Streams the answer (server-sent events) and calls this with each piece of text as it arrives;
   * the result is the same as without it. Usage comes from the final chunk (`stream_options`).
   */
  onDelta?: (text: string) => void;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface ChatResult {
  /** The first choice's text ('' when the server sent none). */
  content: string;
  finishReason: string | null;
  /** This call's usage (zeros when the server reported none). */
  usage: TokenUsage;
}

export interface ChatClientStats extends TokenUsage {
  /** complete() calls that returned a result. */
  calls: number;
  /** complete() calls that failed (aborts included). */
  failedCalls: number;
  /** HTTP attempts, retries included. */
  httpAttempts: number;
}

export interface ChatClient {
  readonly model: string;
  /** host[:port] of the endpoint, for messages (never the key, never URL credentials). */
  readonly host: string;
  readonly concurrency: number;
  complete(request: ChatRequest): Promise<ChatResult>;
  /** Totals since the client was created. */
  stats(): ChatClientStats;
  readonly activeCount: number;
  readonly pendingCount: number;
}

export type ChatErrorKind = 'timeout' | 'connection' | 'http' | 'response';

/** A failed chat request. `status` is the last HTTP status, when there was one. */
export class ChatRequestError extends Error {
  override readonly name = 'ChatRequestError';
  constructor(
    message: string,
    readonly kind: ChatErrorKind,
    readonly status?: number,
  ) {
    super(message);
  }

  /** Failures no retry or next snippet will fix: bad key, no access, wrong URL or model. */
  get fatal(): boolean {
    return this.kind === 'http' && (this.status === 401 || this.status === 403 || this.status === 404);
  }
}

const WHERE = 'createChatClient';

function nonNegativeInt(name: string, value: unknown, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new TypeError(`${WHERE}: option \`${name}\` must be an integer from 0 to ${max}, got ${describe(value)}`);
  }
  return value;
}

/**
 * A fetch that caps the server's retry-after-ms / retry-after on retryable responses at `capMs`,
 * so the package's backoff (which obeys any wait) stays bounded, and counts attempts.
 */
function cappedRetryFetch(capMs: number, onAttempt: () => void): typeof fetch {
  return async (input, init) => {
    onAttempt();
    const response = await fetch(input, init);
    if (!isRetryableStatus(response.status)) return response;
    const askedMs = retryAfterMs(response.headers);
    if (askedMs === undefined || askedMs <= capMs) return response;
    const headers = new Headers(response.headers);
    headers.delete('retry-after');
    headers.set('retry-after-ms', String(capMs));
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };
}

/** The wait a response asks for, as the package reads it (retry-after-ms first, then retry-after). */
function retryAfterMs(headers: Headers): number | undefined {
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (!Number.isNaN(ms) && ms !== 0) return ms;
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number.parseFloat(value);
  if (!Number.isNaN(seconds)) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : date - Date.now();
}

/** The options, checked and defaulted. */
function checkOptions(options: ChatClientOptions): { model: string; timeoutMs: number; maxRetries: number; maxRetryDelayMs: number; concurrency: number } {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${WHERE}: options must be an object`);
  if (typeof options.model !== 'string' || options.model.trim() === '') {
    throw new TypeError(`${WHERE}: option \`model\` must be a non-empty string, got ${describe(options.model)}`);
  }
  const model = options.model;
  if (options.baseURL !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(options.baseURL);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new TypeError(`${WHERE}: option \`baseURL\` must be an absolute http(s) URL, got ${describe(options.baseURL)}`);
    }
  }
  if (options.apiKey !== undefined && (typeof options.apiKey !== 'string' || options.apiKey === '')) {
    throw new TypeError(`${WHERE}: option \`apiKey\` must be a non-empty string when given`);
  }
  const timeoutMs = options.timeoutMs === undefined ? 60_000 : positiveInt(WHERE, 'timeoutMs', options.timeoutMs);
  const maxRetries = options.maxRetries === undefined ? 3 : nonNegativeInt('maxRetries', options.maxRetries, 10);
  const maxRetryDelayMs = options.maxRetryDelayMs === undefined ? 30_000 : nonNegativeInt('maxRetryDelayMs', options.maxRetryDelayMs, 600_000);
  const concurrency = options.concurrency === undefined ? 4 : positiveInt(WHERE, 'concurrency', options.concurrency);
  return { model, timeoutMs, maxRetries, maxRetryDelayMs, concurrency };
}

/** The package's client; without a key (option or OPENAI_API_KEY) a TypeError that says how to give one. */
function openAIClient(options: ChatClientOptions, { timeoutMs, maxRetries, maxRetryDelayMs }: { timeoutMs: number; maxRetries: number; maxRetryDelayMs: number }, onAttempt: () => void): OpenAI {
  try {
    return new OpenAI({
      ...(options.baseURL !== undefined ? { baseURL: options.baseURL } : {}),
      ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
      timeout: timeoutMs,
      maxRetries,
      fetch: cappedRetryFetch(maxRetryDelayMs, onAttempt),
    });
  } catch (err) {
    // The package's message names OPENAI_API_KEY; it holds no key (there is none).
    throw new TypeError(`${WHERE}: no API key: pass \`apiKey\` or set OPENAI_API_KEY (${messageOf(err)})`);
  }
}

/** Replaces the keys as the package resolved them (option or environment) in a message. */
function keyScrubber(openai: OpenAI): (message: string) => string {
  const secrets = [openai.apiKey, openai.adminAPIKey].filter((k): k is string => typeof k === 'string' && k.length >= 4);
  return (message) => secrets.reduce((m, key) => m.replaceAll(key, '[api key]'), message);
}

/** Where requests go: the package's client, the endpoint's host[:port] and the model (for messages). */
interface Endpoint {
  openai: OpenAI;
  host: string;
  model: string;
}

type Params = Omit<OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming, 'stream'>;

/** The request body: the messages and whichever options the request sets. */
function chatParams(model: string, request: ChatRequest): Params {
  return {
    model,
    messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
    ...(request.json === true ? { response_format: { type: 'json_object' as const } } : {}),
  };
}

/**
 * One request, streamed when it has onDelta. A failure becomes a ChatRequestError through
 * `describeFailure`, unless the caller aborted (then the abort reason is thrown).
 */
async function sendRequest(endpoint: Endpoint, request: ChatRequest, describeFailure: (err: unknown) => ChatRequestError): Promise<ChatResult> {
  const signal = request.signal;
  signal?.throwIfAborted();
  // The package adds an abort listener to the signal it gets on every attempt and never removes
  // it; give it a per-call signal so a long run's signal does not collect thousands of them.
  const local = new AbortController();
  const forward = (): void => local.abort(signal?.reason);
  signal?.addEventListener('abort', forward, { once: true });
  const params = chatParams(endpoint.model, request);
  const limit = answerLimit(endpoint, request.maxChars);
  try {
    return request.onDelta ? await streamed(endpoint, params, local.signal, request.onDelta, limit) : await whole(endpoint, params, local.signal, limit);
  } catch (err) {
    if (signal?.aborted) throw signal.reason ?? err;
    if (err instanceof ChatRequestError) throw err;
    if (closedMidAnswer(err)) throw new AnswerCut(err);
    throw describeFailure(err);
  } finally {
    signal?.removeEventListener('abort', forward);
  }
}

/** The connection closed while the answer was being read: `send` tries again. */
class AnswerCut extends Error {
  constructor(override readonly cause: unknown) {
    super('the connection closed mid-answer');
  }
}

/**
 * Whether `err` is the socket closing under a response being read: undici's "terminated" (over
 * "other side closed") for a body or a stream, or a reset. An abort or a timeout is not.
 */
function closedMidAnswer(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (e.message === 'terminated' || code === 'UND_ERR_SOCKET' || code === 'ECONNRESET') return true;
  }
  return false;
}

/** The package's backoff for retry `n` (0-based): 0.5 s doubling, at most 8 s, with jitter. */
function retryDelayMs(n: number): number {
  return Math.min(500 * 2 ** n, 8000) * (1 - Math.random() * 0.25);
}

/** Throws when an answer (or the part of it streamed so far) is longer than `maxChars`. */
function answerLimit({ host, model }: Endpoint, maxChars: number | undefined): (content: string) => void {
  return (content) => {
    if (maxChars !== undefined && content.length > maxChars) {
      throw new ChatRequestError(`Chat answer from ${host} (model ${model}) is longer than ${maxChars} characters: refused`, 'response');
    }
  };
}

async function whole({ openai, host, model }: Endpoint, params: Params, signal: AbortSignal, limit: (content: string) => void): Promise<ChatResult> {
  const completion = await openai.chat.completions.create(params, { signal });
  if (typeof completion !== 'object' || completion === null || !Array.isArray(completion.choices)) {
    throw new ChatRequestError(`Chat response from ${host} (model ${model}) is not a chat completion`, 'response');
  }
  const choice = completion.choices[0];
  const content = typeof choice?.message?.content === 'string' ? choice.message.content : '';
  limit(content);
  return { content, finishReason: choice?.finish_reason ?? null, usage: usageOf(completion.usage) };
}

// Plain create({stream: true}): the .stream() helper rejects servers whose first chunk has no role.
async function streamed({ openai }: Endpoint, params: Params, signal: AbortSignal, onDelta: (text: string) => void, limit: (content: string) => void): Promise<ChatResult> {
  const stream = await openai.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } }, { signal });
  let content = '';
  let finishReason: string | null = null;
  let usage: TokenUsage = { promptTokens: 0, completionTokens: 0 };
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    const delta = choice?.delta?.content;
    if (typeof delta === 'string' && delta !== '') {
      content += delta;
      limit(content);
      onDelta(delta);
    }
    finishReason = choice?.finish_reason ?? finishReason;
    if (chunk.usage) usage = usageOf(chunk.usage);
  }
  return { content, finishReason, usage };
}

export function createChatClient(options: ChatClientOptions): ChatClient {
  const settings = checkOptions(options);
  const { model, timeoutMs, maxRetries, concurrency } = settings;
  const totals: ChatClientStats = { calls: 0, failedCalls: 0, httpAttempts: 0, promptTokens: 0, completionTokens: 0 };
  const openai = openAIClient(options, settings, () => void totals.httpAttempts++);
  const scrub = keyScrubber(openai);
  const host = new URL(openai.baseURL).host;
  const endpoint: Endpoint = { openai, host, model };
  const limit = pLimit(concurrency);
  const where = `Chat request to ${host} (model ${model})`;

  // Timeouts, connection and HTTP failures in the shared wording; anything else is a bad response.
  const describeFailure = (err: unknown): ChatRequestError => {
    const failure = describeOpenAIError(err, where, { timeoutMs, maxRetries });
    if (failure) return new ChatRequestError(scrub(failure.message), failure.kind, failure.status);
    return new ChatRequestError(scrub(`${where} failed: ${messageOf(err)}`), 'response');
  };

  // The package retries until a response's headers arrive; a connection that closes while the
  // answer is coming (a proxy timing out, a server restarting) is retried here, as often. A
  // streamed answer starts again from its first piece, so onDelta sees those pieces twice.
  async function send(request: ChatRequest): Promise<ChatResult> {
    for (let retry = 0; ; retry++) {
      try {
        const result = await sendRequest(endpoint, request, describeFailure);
        totals.promptTokens += result.usage.promptTokens;
        totals.completionTokens += result.usage.completionTokens;
        return result;
      } catch (err) {
        if (!(err instanceof AnswerCut)) throw err;
        if (retry >= maxRetries) throw new ChatRequestError(scrub(`${where}: the connection closed mid-answer (${retry + 1} attempts): ${messageOf(err.cause)}`), 'connection');
        await delay(retryDelayMs(retry), undefined, request.signal ? { signal: request.signal } : {});
      }
    }
  }

  async function complete(request: ChatRequest): Promise<ChatResult> {
    if (typeof request !== 'object' || request === null || !Array.isArray(request.messages) || request.messages.length === 0) {
      throw new TypeError('complete: `messages` must be a non-empty array');
    }
    const signal = request.signal;
    signal?.throwIfAborted();
    try {
      const result = await raceAbort(limit(send, request), signal);
      totals.calls++;
      return result;
    } catch (err) {
      totals.failedCalls++;
      throw err;
    }
  }

  return {
    model,
    host,
    concurrency,
    complete,
    stats: () => ({ ...totals }),
    get activeCount() {
      return limit.activeCount;
    },
    get pendingCount() {
      return limit.pendingCount;
    },
  };
}

function usageOf(usage: { prompt_tokens?: number; completion_tokens?: number } | null | undefined): TokenUsage {
  return { promptTokens: count(usage?.prompt_tokens), completionTokens: count(usage?.completion_tokens) };
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.round(value) : 0;
}

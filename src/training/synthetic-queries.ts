// Synthetic "intent" queries for code snippets: the way a developer asks for code without knowing
// its names ("where do we retry failed webhooks"), written by an LLM behind any OpenAI-compatible
// chat endpoint. They complement the docstring queries of the training pairs.
//
// - The prompt is versioned (INTENT_PROMPTS); the version, the model, the number of queries and
//   a hash of what is sent make the cache key, so changing any of them asks again.
// - Secrets are masked before anything is sent (mask-secrets.ts); the hash is of the masked text.
// - Answers must be `{"queries": [...]}`; queries that are empty, too short or long, repeated, or
//   that use a compound identifier of the code verbatim (`retryFailedWebhooks`) are dropped. An
//   answer with no usable query is asked for once more, with the error; then it is a failure.
// - Each success is written to its own cache file (atomically) as soon as it arrives, so a crash
//   loses nothing and a re-run of the same snippets makes no calls. Failures are not cached.
// - A failure is recorded and the run goes on, except for 401/403/404 (key, access, URL or model),
//   which no later snippet would survive: the run stops and rejects.

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { ChatRequestError } from '../core/llm/client.js';
import type { ChatClient, ChatMessage, TokenUsage } from '../core/llm/client.js';
import { maskSecrets } from '../core/llm/mask-secrets.js';
import { splitIdentifier } from '../core/tokens.js';
import { sha256Hex } from '../core/util/hash.js';

export interface IntentSnippet {
  id: string;
  code: string;
  /** The defined name, e.g. `retryFailedWebhooks` or `Queue.drain`. */
  symbol?: string;
  /** function, class, method, … */
  kind?: string;
  language?: string;
}

export interface IntentQueryOptions {
  client: ChatClient;
  /** A key of INTENT_PROMPTS (default CURRENT_INTENT_PROMPT). */
  promptVersion?: string;
  /** Folder of the answer cache (one JSON file per answer). */
  cacheDir: string;
  /** Queries asked for per snippet (default 2, at most 10). */
  perSnippet?: number;
  /** Code longer than this is cut before sending (default 6 000 characters). */
  maxCodeChars?: number;
  /** Default 0.7. */
  temperature?: number;
  /** `max_tokens` per answer (default 96 + 48 per query). */
  maxTokens?: number;
  /** Ask for `response_format: json_object` (only for servers that support it). */
  json?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: IntentQueryProgress) => void;
}

export interface IntentQueryProgress {
  done: number;
  total: number;
  cached: number;
  requested: number;
  failed: number;
}

export interface RejectedQuery {
  query: string;
  reason: string;
}

export type IntentQueryResult =
  | { id: string; status: 'ok'; queries: string[]; source: 'cache' | 'model'; rejected: RejectedQuery[] }
  | { id: string; status: 'failed'; error: string };

export interface IntentQueryReport {
  snippets: number;
  /** Answered from the cache (or by an identical snippet earlier in the same run): no call. */
  cached: number;
  /** Sent to the model. */
  requested: number;
  succeeded: number;
  failed: number;
  /** Queries produced, cached ones included. */
  queries: number;
  /** Chat calls made (a repair call after a malformed answer counts; transport retries do not). */
  calls: number;
  /** HTTP attempts the client counted during the run (transport retries included). */
  httpAttempts: number;
  /** Snippets that had at least one secret masked. */
  masked: number;
  promptTokens: number;
  completionTokens: number;
  /** What the cached answers cost when they were made. */
  promptTokensSaved: number;
  completionTokensSaved: number;
}

export interface IntentQueryRun {
  /** In the order of the snippets. */
  results: IntentQueryResult[];
  report: IntentQueryReport;
}

// ---- prompts ----

export interface IntentPrompt {
  system(perSnippet: number): string;
  user(snippet: PromptSnippet, perSnippet: number): string;
  /** Follows a malformed answer. */
  repair(error: string, perSnippet: number): string;
}

export interface PromptSnippet {
  code: string;
  symbol: string;
  kind: string;
  language: string;
}

const INTENT_V1: IntentPrompt = {
  system: (n) =>
    [
      'You write the search queries developers type into a code search tool when they are looking for code but do not know what it is called.',
      `For the code in the user's message, write ${n} different queries that this code is the best answer to.`,
      'Rules:',
      '- Describe what the code does or which problem it solves, in plain English, the way a developer would ask a colleague. Examples of the style: "where do we retry failed webhooks", "check if a user may edit a document", "parse durations like 5m or 2h".',
      '- 3 to 12 words each. No code, no backticks, no quotes, no trailing period.',
      '- Do not use identifiers from the code: no function, class, method, variable, parameter, type or file names, not even with their casing changed. Say it in your own words.',
      '- Make the queries differ: for example one about the purpose and one about the behaviour or a situation where it is needed.',
      `- Reply with JSON only, exactly in this format and nothing else: {"queries": [${Array.from({ length: n }, (_, i) => `"query ${i + 1}"`).join(', ')}]}`,
    ].join('\n'),
  user: (s, n) =>
    [
      `Language: ${s.language}`,
      s.symbol !== '' ? `Defines: ${s.symbol}${s.kind !== '' ? ` (${s.kind})` : ''}` : '',
      '',
      '```' + s.language,
      s.code,
      '```',
      '',
      `Write ${n} queries as JSON: {"queries": [...]}`,
    ]
      .filter((line, i) => i !== 1 || line !== '')
      .join('\n'),
  repair: (error, n) =>
    `That reply could not be used: ${error}\nReply again with JSON only, exactly {"queries": [...]} holding ${n} queries that follow the rules.`,
};

/** Prompt versions. Add a new key for any change to the wording; never edit a released one. */
export const INTENT_PROMPTS: Readonly<Record<string, IntentPrompt>> = Object.freeze({ 'intent-v1': INTENT_V1 });
export const CURRENT_INTENT_PROMPT = 'intent-v1';

/** The messages of the first request for a snippet (already masked and cut). */
export function intentMessages(prompt: IntentPrompt, snippet: PromptSnippet, perSnippet: number): ChatMessage[] {
  return [
    { role: 'system', content: prompt.system(perSnippet) },
    { role: 'user', content: prompt.user(snippet, perSnippet) },
  ];
}

// ---- answers ----

export const MAX_QUERY_CHARS = 120;
export const MAX_QUERY_WORDS = 16;
const MIN_QUERY_WORDS = 2;

/** Compound identifiers (two or more parts: `retryFailedWebhooks`, `MAX_SIZE`), lower-cased. */
export function compoundIdentifiers(...texts: string[]): Set<string> {
  const out = new Set<string>();
  for (const text of texts) {
    for (const match of text.matchAll(/[A-Za-z_$][\w$]*/g)) {
      const word = match[0];
      if (word.length >= 4 && splitIdentifier(word).length >= 2) out.add(word.toLowerCase());
    }
  }
  return out;
}

function normalizeQuery(raw: string): string {
  let q = raw.replace(/\s+/g, ' ').trim();
  q = q.replace(/^(?:\d{1,2}[.)]|[-*•])\s+/, '');
  q = q.replace(/^["'“”‘’]+|["'“”‘’]+$/g, '').trim();
  return q.replace(/\.+$/, '').trim();
}

export type ParsedQueries = { ok: true; queries: string[]; rejected: RejectedQuery[] } | { ok: false; error: string; rejected: RejectedQuery[] };

/**
 * Reads a model's answer: `{"queries": [...]}`, also inside a ``` fence, after a <think> block, or
 * after a sentence of preamble. Returns at most `perSnippet` valid queries, or why there are none.
 * `identifiers` (see compoundIdentifiers) are names a query must not contain.
 */
export function parseIntentQueries(content: string, perSnippet: number, identifiers: ReadonlySet<string>): ParsedQueries {
  const rejected: RejectedQuery[] = [];
  let text = content.replace(/<think>[\s\S]*?<\/think>/g, '').trim();
  const fence = /^```[\w-]*\s*\n?([\s\S]*?)\n?```$/.exec(text);
  if (fence?.[1] !== undefined) text = fence[1].trim();
  if (text === '') return { ok: false, error: 'the reply was empty', rejected };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const start = text.indexOf('{');
    const end = text.lastIndexOf('}');
    try {
      value = start !== -1 && end > start ? JSON.parse(text.slice(start, end + 1)) : undefined;
    } catch {
      value = undefined;
    }
    if (value === undefined) return { ok: false, error: `the reply is not JSON (it starts with ${JSON.stringify(text.slice(0, 60))})`, rejected };
  }
  const list: unknown = typeof value === 'object' && value !== null && !Array.isArray(value) ? Reflect.get(value, 'queries') : undefined;
  if (!Array.isArray(list)) return { ok: false, error: 'expected a JSON object with a "queries" array of strings', rejected };

  const queries: string[] = [];
  const seen = new Set<string>();
  for (const item of list) {
    if (typeof item !== 'string') {
      rejected.push({ query: JSON.stringify(item) ?? String(item), reason: 'not a string' });
      continue;
    }
    const query = normalizeQuery(item);
    const reason = rejectReason(query, identifiers, seen);
    if (reason !== undefined) {
      rejected.push({ query: item, reason });
      continue;
    }
    seen.add(dedupeKey(query));
    if (queries.length < perSnippet) queries.push(query);
  }
  if (queries.length === 0) {
    const why = rejected.length === 0 ? 'the "queries" array was empty' : `no usable query: ${rejected.map((r) => `${JSON.stringify(r.query.slice(0, 80))} (${r.reason})`).join('; ')}`;
    return { ok: false, error: why, rejected };
  }
  return { ok: true, queries, rejected };
}

function dedupeKey(query: string): string {
  return query.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

function rejectReason(query: string, identifiers: ReadonlySet<string>, seen: ReadonlySet<string>): string | undefined {
  if (query === '') return 'empty';
  const words = query.split(' ').length;
  if (query.length > MAX_QUERY_CHARS || words > MAX_QUERY_WORDS) return 'too long';
  if (words < MIN_QUERY_WORDS) return 'too short';
  if (/`|=>|::|\(\)|[{};]/.test(query)) return 'contains code';
  for (const match of query.matchAll(/[A-Za-z_$][\w$]*/g)) {
    if (identifiers.has(match[0].toLowerCase())) return `uses the identifier ${match[0]}`;
  }
  if (seen.has(dedupeKey(query))) return 'duplicate';
  return undefined;
}

// ---- cache ----

interface CacheEntry {
  v: 1;
  key: string;
  model: string;
  promptVersion: string;
  perSnippet: number;
  snippetHash: string;
  queries: string[];
  usage: TokenUsage;
  createdAt: string;
}


/** The cache key of an answer: the model, the prompt version, the query count and the snippet hash. */
export function intentCacheKey(model: string, promptVersion: string, perSnippet: number, snippetHash: string): string {
  return sha256Hex(JSON.stringify(['intent-queries', model, promptVersion, perSnippet, snippetHash]));
}

function cachePath(cacheDir: string, key: string): string {
  return join(cacheDir, key.slice(0, 2), `${key}.json`);
}

/** A cached answer: its queries and what it cost. Anything unreadable is a miss (and is replaced). */
async function readCache(cacheDir: string, key: string): Promise<{ queries: string[]; usage: TokenUsage } | undefined> {
  let text: string;
  try {
    text = await readFile(cachePath(cacheDir, key), 'utf8');
  } catch (err) {
    if (isErrnoException(err) && err.code === 'ENOENT') return undefined;
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Reflect.get(value, 'key') !== key) return undefined;
  const queries: unknown = Reflect.get(value, 'queries');
  if (!Array.isArray(queries) || queries.length === 0) return undefined;
  const strings = queries.filter((q): q is string => typeof q === 'string');
  if (strings.length !== queries.length) return undefined;
  const usage: unknown = Reflect.get(value, 'usage');
  const tokens = (name: string): number => {
    const n: unknown = typeof usage === 'object' && usage !== null ? Reflect.get(usage, name) : undefined;
    return typeof n === 'number' && Number.isFinite(n) ? n : 0;
  };
  return { queries: strings, usage: { promptTokens: tokens('promptTokens'), completionTokens: tokens('completionTokens') } };
}

async function writeCache(cacheDir: string, entry: CacheEntry): Promise<void> {
  const file = cachePath(cacheDir, entry.key);
  await mkdir(join(cacheDir, entry.key.slice(0, 2)), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(tmp, JSON.stringify(entry) + '\n');
  await rename(tmp, file);
}

function isErrnoException(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && 'code' in err;
}

// ---- the run ----

const WHERE = 'generateIntentQueries';

function intOption(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`${WHERE}: option \`${name}\` must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

interface Outcome {
  result: IntentQueryResult;
  fromCache: boolean;
  saved: TokenUsage;
}

/**
 * Asks the model for `perSnippet` intent queries per snippet, through the cache. Resolves with
 * one result per snippet (failures included) and the report; rejects when `signal` aborts
 * (answers received so far are cached) or on a fatal endpoint error (401/403/404).
 */
export async function generateIntentQueries(snippets: readonly IntentSnippet[], options: IntentQueryOptions): Promise<IntentQueryRun> {
  if (!Array.isArray(snippets)) throw new TypeError(`${WHERE}: snippets must be an array`);
  if (typeof options !== 'object' || options === null) throw new TypeError(`${WHERE}: options must be an object`);
  const { client, onProgress } = options;
  const outer = options.signal;
  if (typeof client !== 'object' || client === null || typeof client.complete !== 'function') {
    throw new TypeError(`${WHERE}: option \`client\` must be a ChatClient (see createChatClient)`);
  }
  if (typeof options.cacheDir !== 'string' || options.cacheDir === '') throw new TypeError(`${WHERE}: option \`cacheDir\` must be a non-empty string`);
  const cacheDir = options.cacheDir;
  const promptVersion = options.promptVersion ?? CURRENT_INTENT_PROMPT;
  const prompt = Object.hasOwn(INTENT_PROMPTS, promptVersion) ? INTENT_PROMPTS[promptVersion] : undefined;
  if (prompt === undefined) {
    throw new TypeError(`${WHERE}: unknown option \`promptVersion\` ${JSON.stringify(promptVersion)} (known: ${Object.keys(INTENT_PROMPTS).join(', ')})`);
  }
  const chosen: IntentPrompt = prompt;
  const perSnippet = intOption('perSnippet', options.perSnippet, 2, 1, 10);
  const maxCodeChars = intOption('maxCodeChars', options.maxCodeChars, 6000, 200, 1_000_000);
  const maxTokens = intOption('maxTokens', options.maxTokens, 96 + 48 * perSnippet, 16, 1_000_000);
  const temperature = options.temperature ?? 0.7;
  if (typeof temperature !== 'number' || !(temperature >= 0 && temperature <= 2)) {
    throw new TypeError(`${WHERE}: option \`temperature\` must be a number from 0 to 2, got ${String(temperature)}`);
  }
  for (const [i, s] of snippets.entries()) {
    if (typeof s !== 'object' || s === null || typeof s.id !== 'string' || typeof s.code !== 'string') {
      throw new TypeError(`${WHERE}: snippet ${i} must have a string \`id\` and \`code\``);
    }
  }
  outer?.throwIfAborted();
  // Aborted by the caller, or by a fatal error so that requests in flight stop too.
  const stop = new AbortController();
  const signal = stop.signal;
  const forward = (): void => stop.abort(outer?.reason);
  outer?.addEventListener('abort', forward, { once: true });

  const report: IntentQueryReport = {
    snippets: snippets.length,
    cached: 0,
    requested: 0,
    succeeded: 0,
    failed: 0,
    queries: 0,
    calls: 0,
    httpAttempts: 0,
    masked: 0,
    promptTokens: 0,
    completionTokens: 0,
    promptTokensSaved: 0,
    completionTokensSaved: 0,
  };
  const attemptsBefore = client.stats().httpAttempts;
  const results = new Array<IntentQueryResult>(snippets.length);
  /** One answer per key per run: identical snippets share it. */
  const byKey = new Map<string, Promise<Outcome>>();
  let fatal: ChatRequestError | undefined;
  let done = 0;

  async function request(id: string, key: string, snippetHash: string, sent: PromptSnippet, identifiers: ReadonlySet<string>): Promise<Outcome> {
    const mine: TokenUsage = { promptTokens: 0, completionTokens: 0 };
    const messages = intentMessages(chosen, sent, perSnippet);
    try {
      const first = await ask(messages, mine);
      let parsed = parseIntentQueries(first, perSnippet, identifiers);
      if (!parsed.ok) {
        const repair: ChatMessage[] = [
          ...messages,
          { role: 'assistant', content: first.slice(0, 2000) },
          { role: 'user', content: chosen.repair(parsed.error, perSnippet) },
        ];
        const second = await ask(repair, mine);
        const again = parseIntentQueries(second, perSnippet, identifiers);
        if (!again.ok) {
          return failure(id, `malformed answer twice: ${parsed.error}; then: ${again.error}`);
        }
        parsed = again;
      }
      await writeCache(cacheDir, {
        v: 1,
        key,
        model: client.model,
        promptVersion,
        perSnippet,
        snippetHash,
        queries: parsed.queries,
        usage: mine,
        createdAt: new Date().toISOString(),
      });
      return { result: { id, status: 'ok', queries: parsed.queries, source: 'model', rejected: parsed.rejected }, fromCache: false, saved: zero() };
    } catch (err) {
      if (signal.aborted) throw err;
      if (err instanceof ChatRequestError) {
        if (err.fatal) {
          fatal ??= err;
          stop.abort(err);
          throw err;
        }
        return failure(id, err.message);
      }
      throw err;
    }
  }

  async function ask(messages: ChatMessage[], into: TokenUsage): Promise<string> {
    report.calls++;
    const answer = await client.complete({ messages, temperature, maxTokens, ...(options.json === true ? { json: true } : {}), signal });
    report.promptTokens += answer.usage.promptTokens;
    report.completionTokens += answer.usage.completionTokens;
    into.promptTokens += answer.usage.promptTokens;
    into.completionTokens += answer.usage.completionTokens;
    return answer.content;
  }

  async function answer(snippet: IntentSnippet): Promise<Outcome> {
    const mask = maskSecrets(snippet.code);
    if (mask.masked > 0) report.masked++;
    const code = mask.text.length > maxCodeChars ? `${mask.text.slice(0, maxCodeChars)}\n… (cut)` : mask.text;
    const sent: PromptSnippet = { code, symbol: snippet.symbol ?? '', kind: snippet.kind ?? '', language: snippet.language ?? '' };
    const snippetHash = sha256Hex(JSON.stringify([sent.language, sent.symbol, sent.kind, sent.code]));
    const key = intentCacheKey(client.model, promptVersion, perSnippet, snippetHash);

    const shared = byKey.get(key);
    if (shared !== undefined) {
      const outcome = await shared;
      return { ...outcome, result: { ...outcome.result, id: snippet.id }, fromCache: outcome.result.status === 'ok', saved: zero() };
    }
    const pending = (async (): Promise<Outcome> => {
      const hit = await readCache(cacheDir, key);
      if (hit !== undefined) {
        return { result: { id: snippet.id, status: 'ok', queries: hit.queries.slice(0, perSnippet), source: 'cache', rejected: [] }, fromCache: true, saved: hit.usage };
      }
      signal.throwIfAborted();
      report.requested++;
      const identifiers = compoundIdentifiers(sent.symbol, snippet.code);
      return request(snippet.id, key, snippetHash, sent, identifiers);
    })();
    byKey.set(key, pending);
    return pending;
  }

  let next = 0;
  async function worker(): Promise<void> {
    while (fatal === undefined && next < snippets.length) {
      signal.throwIfAborted();
      const index = next++;
      const snippet = snippets[index];
      if (snippet === undefined) continue;
      const outcome = await answer(snippet);
      results[index] = outcome.result;
      if (outcome.fromCache) {
        report.cached++;
        report.promptTokensSaved += outcome.saved.promptTokens;
        report.completionTokensSaved += outcome.saved.completionTokens;
      }
      if (outcome.result.status === 'ok') {
        report.succeeded++;
        report.queries += outcome.result.queries.length;
      } else {
        report.failed++;
      }
      done++;
      onProgress?.({ done, total: snippets.length, cached: report.cached, requested: report.requested, failed: report.failed });
    }
  }

  // One worker per request slot keeps the client's queue short however many snippets there are.
  const workers = Array.from({ length: Math.max(1, Math.min(client.concurrency, snippets.length)) }, () => worker());
  const settled = await Promise.allSettled(workers);
  outer?.removeEventListener('abort', forward);
  if (fatal !== undefined) throw fatal;
  if (outer?.aborted) throw outer.reason;
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
  report.httpAttempts = client.stats().httpAttempts - attemptsBefore;
  return { results, report };
}

function zero(): TokenUsage {
  return { promptTokens: 0, completionTokens: 0 };
}

function failure(id: string, error: string): Outcome {
  return { result: { id, status: 'failed', error }, fromCache: false, saved: zero() };
}

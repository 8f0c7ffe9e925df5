// Remote (or local) OpenAI-compatible embeddings endpoint through the `openai` client.
// Retries on 408/409/429/5xx and connection errors are the client's (`maxRetries`, exponential
// backoff, honours retry-after / retry-after-ms); aborting is ours as well as the client's, because
// the client's sleep between retries does not listen to the signal.

import OpenAI from 'openai';
import type { EmbedInputKind, Embedder } from '../types.js';
import { l2normalize } from '../util/vector-math.js';
import { throwIfAborted, raceAbort } from '../util/abort.js';
import { positiveInt, nonEmptyString, describe } from '../util/options.js';
import { describeOpenAIError } from '../util/http.js';
import { sha256Hex } from '../util/hash.js';

export interface OpenAIEmbedderOptions {
  /** e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1 */
  baseURL: string;
  /** Sent as a bearer token; servers that need none accept any string. */
  apiKey: string;
  model: string;
  /** Requested output size for models that support shortening (text-embedding-3-*). */
  dimensions?: number;
  /** Per-request timeout (default 60 000 ms); a timed-out request is retried. */
  timeoutMs?: number;
  /** Retries after the first attempt (default 4). */
  maxRetries?: number;
  /** Inputs per HTTP request inside one embed() call (default 256; OpenAI accepts up to 2048). */
  requestBatchSize?: number;
  /** Prepended to queries (for served models that expect one, e.g. nomic's "search_query: "). */
  queryPrefix?: string;
  /** Prepended to documents (e.g. "search_document: "). */
  documentPrefix?: string;
}

const WHERE = 'createOpenAIEmbedder';

interface EmbeddingItem {
  index: number;
  embedding: number[];
}

function isEmbeddingItem(x: unknown): x is EmbeddingItem {
  if (typeof x !== 'object' || x === null) return false;
  const index: unknown = Reflect.get(x, 'index');
  const embedding: unknown = Reflect.get(x, 'embedding');
  return typeof index === 'number' && Array.isArray(embedding);
}

/** The options, checked and defaulted (baseURL also parsed). */
function checkOptions(options: OpenAIEmbedderOptions) {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${WHERE}: options must be an object`);
  const baseURL = nonEmptyString(WHERE, 'baseURL', options.baseURL);
  let url: URL;
  try {
    url = new URL(baseURL);
  } catch {
    throw new TypeError(`${WHERE}: option \`baseURL\` must be an absolute http(s) URL, got ${describe(baseURL)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`${WHERE}: option \`baseURL\` must be an http(s) URL, got ${describe(baseURL)}`);
  }
  const apiKey = nonEmptyString(WHERE, 'apiKey', options.apiKey);
  const model = nonEmptyString(WHERE, 'model', options.model);
  const dimensions = options.dimensions === undefined ? undefined : positiveInt(WHERE, 'dimensions', options.dimensions);
  const timeoutMs = options.timeoutMs === undefined ? 60_000 : positiveInt(WHERE, 'timeoutMs', options.timeoutMs);
  const maxRetries = options.maxRetries ?? 4;
  if (!Number.isInteger(maxRetries) || maxRetries < 0) {
    throw new TypeError(`${WHERE}: option \`maxRetries\` must be a non-negative integer, got ${describe(maxRetries)}`);
  }
  const requestBatchSize = options.requestBatchSize === undefined ? 256 : positiveInt(WHERE, 'requestBatchSize', options.requestBatchSize);

  for (const name of ['queryPrefix', 'documentPrefix'] as const) {
    const v = options[name];
    if (v !== undefined && typeof v !== 'string') throw new TypeError(`${WHERE}: option \`${name}\` must be a string, got ${describe(v)}`);
  }
  const queryPrefix = options.queryPrefix ?? '';
  const documentPrefix = options.documentPrefix ?? '';
  return { baseURL, url, apiKey, model, dimensions, timeoutMs, maxRetries, requestBatchSize, queryPrefix, documentPrefix };
}

/**
 * The vectors of a response's `data`, in input order and L2-normalised. `from` names the endpoint
 * in messages; `expected` says the dimension a vector of some length must have.
 */
function readEmbeddings(response: { data?: unknown }, count: number, expected: (length: number) => number, from: string): Float32Array[] {
  const data: unknown[] = Array.isArray(response.data) ? response.data : [];
  const items = data.filter(isEmbeddingItem);
  if (items.length !== count || data.length !== count) {
    throw new Error(`${from}: sent ${count} inputs, got ${data.length} embeddings back`);
  }
  const out = new Array<Float32Array>(count);
  for (const item of items) {
    if (!Number.isInteger(item.index) || item.index < 0 || item.index >= count || out[item.index] !== undefined) {
      throw new Error(`${from}: bad or repeated index ${item.index}`);
    }
    const v = Float32Array.from(item.embedding, (x) => (typeof x === 'number' ? x : Number.NaN));
    if (v.some((x) => !Number.isFinite(x))) throw new Error(`${from}: embedding ${item.index} holds a non-number`);
    const want = expected(v.length);
    if (v.length === 0 || v.length !== want) {
      throw new Error(`${from}: embedding ${item.index} has ${v.length} dimensions, expected ${want}`);
    }
    out[item.index] = l2normalize(v);
  }
  return out;
}

/** A failed request as an Error whose cause is the package's error; aborts pass through as they are. */
function describeFailure(err: unknown, where: string, limits: { timeoutMs: number; maxRetries: number }): Error {
  if (err instanceof OpenAI.APIUserAbortError) return err;
  const failure = describeOpenAIError(err, where, limits);
  if (failure) return new Error(failure.message, { cause: err });
  return err instanceof Error ? err : new Error(`${where} failed: ${String(err)}`);
}

/** Creates the client and embeds one short probe text to learn the dimension (so `dimension` is right from the start). */
export async function createOpenAIEmbedder(options: OpenAIEmbedderOptions, signal?: AbortSignal): Promise<Embedder> {
  const { baseURL, url, apiKey, model, dimensions, timeoutMs, maxRetries, requestBatchSize, queryPrefix, documentPrefix } = checkOptions(options);
  const client = new OpenAI({ baseURL, apiKey, timeout: timeoutMs, maxRetries });
  // Prefixes change vectors, so they change the id (as a short hash; the plain form stays as specified).
  const prefixTag = queryPrefix !== '' || documentPrefix !== '' ? `:p${sha256Hex(queryPrefix, '\0', documentPrefix).slice(0, 8)}` : '';
  const id = `openai:${url.host}:${model}${dimensions !== undefined ? `:${dimensions}` : ''}${prefixTag}`;
  const from = `Embeddings from ${url.host} (model ${model})`;
  let dimension = 0;

  async function request(input: string[], signal: AbortSignal | undefined): Promise<Float32Array[]> {
    let response;
    try {
      response = await raceAbort(
        client.embeddings.create(
          {
            model,
            // Some OpenAI-compatible servers reject an empty string; a space embeds as "nothing".
            input: input.map((t) => (t.length === 0 ? ' ' : t)),
            // Plain floats: the client's default (base64) is not understood by every compatible server.
            encoding_format: 'float',
            ...(dimensions !== undefined ? { dimensions } : {}),
          },
          signal !== undefined ? { signal } : {},
        ),
        signal,
      );
    } catch (err) {
      if (signal?.aborted) throw signal.reason ?? err;
      throw describeFailure(err, `Embedding request to ${url.host} (model ${model})`, { timeoutMs, maxRetries });
    }
    return readEmbeddings(response, input.length, (length) => (dimension !== 0 ? dimension : (dimensions ?? length)), from);
  }

  async function embed(texts: readonly string[], kind: EmbedInputKind, signal?: AbortSignal): Promise<Float32Array[]> {
    if (kind !== 'query' && kind !== 'document') throw new TypeError(`embed: kind must be 'query' or 'document', got ${describe(kind)}`);
    throwIfAborted(signal);
    const prefix = kind === 'query' ? queryPrefix : documentPrefix;
    const out: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += requestBatchSize) {
      throwIfAborted(signal);
      const part = texts.slice(start, start + requestBatchSize).map((t) => prefix + t);
      out.push(...(await request(part, signal)));
    }
    return out;
  }

  const [probe] = await request(['dimension probe'], signal);
  if (probe === undefined) throw new Error(`${from}: the probe returned nothing`);
  dimension = probe.length;

  return {
    id,
    dimension,
    embed,
    async dispose(): Promise<void> {
      // The client holds no resources beyond keep-alive sockets, which close when idle.
    },
  };
}

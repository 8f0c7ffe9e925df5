// Static token-embedding model: a text is the weighted mean of its tokens' vectors, L2-normalised.
// No network, no native code, no runtime beyond Node: thousands of chunks per second on one core.
//
// Model folder:
//   model.json      StaticModelFile (vocabulary, pooling weights, layout of the table)
//   embeddings.bin  one row per vocabulary token, then one row per OOV hash bucket:
//                     int8: rows × float32 scale, then rows × dimension int8 (value = scale × q)
//                     f16:  rows × dimension IEEE half floats (little-endian)
//                     f32:  rows × dimension float32 (little-endian)

import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';

import { codeTokens, identifierParts } from '../tokens.js';
import type { EmbedInputKind, Embedder, TokenSpace } from '../types.js';
import { throwIfAborted } from '../util/abort.js';
import { fromHalfBits, toHalfBits } from '../util/half.js';
import { sha256Hex } from '../util/hash.js';

export const STATIC_MODEL_FORMAT = 'codeintent-static';
export const STATIC_MODEL_VERSION = 1;
/** How a model turns text into tokens: `code-tokens-v1` = codeTokens, `identifier-parts-v1` = identifierParts (src/core/tokens.ts). */
export const STATIC_TOKENIZERS = { 'code-tokens-v1': codeTokens, 'identifier-parts-v1': identifierParts } as const;
export type StaticTokenizer = keyof typeof STATIC_TOKENIZERS;
export const MODEL_FILE = 'model.json';
export const EMBEDDINGS_FILE = 'embeddings.bin';
/** Tokens of one text that count; code past this point adds little and costs time. */
export const DEFAULT_MAX_TOKENS = 512;

export type Quantization = 'int8' | 'f16' | 'f32';
/**
 * How a token's count in one text scales its weight: `raw` = count, `log` = 1 + ln(count),
 * `sqrt` = √count, `binary` = 1. Sublinear scaling stops a repeated local name from dominating.
 */
export type TfScaling = 'raw' | 'log' | 'sqrt' | 'binary';

/** Contents of `model.json`. */
export interface StaticModelFile {
  format: typeof STATIC_MODEL_FORMAT;
  version: typeof STATIC_MODEL_VERSION;
  dimension: number;
  tokenizer: StaticTokenizer;
  vocab: string[];
  /** Pooling weight per row (vocabulary rows, then hash-bucket rows), e.g. idf or learned; all 1 when absent. */
  weights?: number[];
  /** Pooling weights for queries, when they differ from documents'; `weights` when absent. */
  queryWeights?: number[];
  hashBuckets: number;
  quantization: Quantization;
  /** Per-text token cap; DEFAULT_MAX_TOKENS when absent. */
  maxTokens?: number;
  /** Count scaling; `raw` when absent. */
  tf?: TfScaling;
  /** Text prepended to queries before tokenising. */
  queryPrefix?: string;
  /** Unknown tokens made of two vocabulary words are pooled as those words (see compoundRows); false when absent. */
  compounds?: boolean;
  /** Free-form provenance (data, hyperparameters, metrics); not read at inference. */
  training?: Record<string, unknown>;
}

/** The embedding table, either full precision or int8 with one scale per row. */
export type StaticTable =
  | { kind: 'f32'; data: Float32Array }
  | { kind: 'int8'; data: Int8Array; scales: Float32Array };

/** Everything needed to embed: the in-memory form of a model folder. */
export interface StaticModelParts {
  dimension: number;
  tokenizer: StaticTokenizer;
  vocab: readonly string[];
  /** One per row (vocab.length + hashBuckets). */
  weights: Float32Array;
  /** Query-side pooling weights, one per row; `weights` when absent. */
  queryWeights?: Float32Array;
  hashBuckets: number;
  maxTokens: number;
  tf: TfScaling;
  queryPrefix?: string;
  /** See StaticModelFile.compounds. */
  compounds?: boolean;
  table: StaticTable;
}

/** 32-bit FNV-1a of a token's UTF-16 code units (tokens are ASCII, so this equals the byte hash). */
export function fnv1a(token: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < token.length; i++) {
    hash ^= token.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Row of a token: its vocabulary index, else vocabSize + FNV-1a mod hashBuckets, else -1 (dropped). */
export function tokenRow(token: string, vocabIndex: ReadonlyMap<string, number>, vocabSize: number, hashBuckets: number): number {
  const id = vocabIndex.get(token);
  if (id !== undefined) return id;
  return hashBuckets > 0 ? vocabSize + (fnv1a(token) % hashBuckets) : -1;
}

/** Shortest part a compound is split into: shorter ones ("in", "up") split too many names by chance. */
const MIN_COMPOUND_PART = 3;
/** Only words are split: "416667" is not "416" and "667". */
const LETTERS = /^[a-z]+$/;

/**
 * The rows of the two vocabulary words an unknown lower-case compound is made of ("fileupload",
 * "kubeconfig"), or undefined. Of several splits the one whose rarer part is most frequent wins
 * (the vocabulary is in frequency order).
 */
export function compoundRows(token: string, vocabIndex: ReadonlyMap<string, number>): [number, number] | undefined {
  if (!LETTERS.test(token)) return undefined;
  let best: [number, number] | undefined;
  let bestRank = Number.POSITIVE_INFINITY;
  for (let i = MIN_COMPOUND_PART; i <= token.length - MIN_COMPOUND_PART; i++) {
    const left = vocabIndex.get(token.slice(0, i));
    if (left === undefined) continue;
    const right = vocabIndex.get(token.slice(i));
    if (right === undefined || Math.max(left, right) >= bestRank) continue;
    bestRank = Math.max(left, right);
    best = [left, right];
  }
  return best;
}

/**
 * What a token is pooled as: its vocabulary row; with `compounds`, an unknown compound's two word
 * rows; else its hash bucket, or -1 (dropped). Inference (Bagger) and training (prepareCorpus)
 * both read tokens this way.
 */
export function pooledRows(token: string, vocabIndex: ReadonlyMap<string, number>, vocabSize: number, hashBuckets: number, compounds: boolean): number | [number, number] {
  const id = vocabIndex.get(token);
  if (id !== undefined) return id;
  return (compounds && compoundRows(token, vocabIndex)) || tokenRow(token, vocabIndex, vocabSize, hashBuckets);
}

export function tfFactor(count: number, tf: TfScaling): number {
  switch (tf) {
    case 'raw':
      return count;
    case 'log':
      return 1 + Math.log(count);
    case 'sqrt':
      return Math.sqrt(count);
    case 'binary':
      return 1;
  }
}

/** A text's distinct rows and the tf factor of each, in first-occurrence order. */
export interface TokenBag {
  rows: Int32Array;
  tf: Float32Array;
}

/**
 * Turns texts into token bags. Reuses one count array across calls, so one instance must not be
 * shared between concurrent callers (embedders are used from one thread; each has its own).
 */
export class Bagger {
  private readonly vocabIndex: Map<string, number>;
  private readonly vocabSize: number;
  private readonly counts: Int32Array;
  private readonly order: Int32Array;

  private readonly tokenize: (text: string, maxTokens: number) => string[];

  constructor(
    tokenizer: StaticTokenizer,
    vocab: readonly string[],
    private readonly hashBuckets: number,
    private readonly maxTokens: number,
    private readonly tf: TfScaling,
    private readonly compounds = false,
  ) {
    this.tokenize = STATIC_TOKENIZERS[tokenizer];
    this.vocabIndex = new Map();
    vocab.forEach((token, i) => {
      if (!this.vocabIndex.has(token)) this.vocabIndex.set(token, i);
    });
    this.vocabSize = vocab.length;
    this.counts = new Int32Array(vocab.length + hashBuckets);
    // A split compound adds two rows.
    this.order = new Int32Array(compounds ? 2 * maxTokens : maxTokens);
  }

  bag(text: string): TokenBag {
    const tokens = this.tokenize(text, this.maxTokens);
    let distinct = 0;
    const count = (row: number): void => {
      if (this.counts[row] === 0) this.order[distinct++] = row;
      this.counts[row] = (this.counts[row] ?? 0) + 1;
    };
    for (const token of tokens) {
      const rows = pooledRows(token, this.vocabIndex, this.vocabSize, this.hashBuckets, this.compounds);
      if (typeof rows !== 'number') {
        count(rows[0]);
        count(rows[1]);
      } else if (rows >= 0) count(rows);
    }
    const rows = new Int32Array(distinct);
    const tf = new Float32Array(distinct);
    for (let i = 0; i < distinct; i++) {
      const row = this.order[i] ?? 0;
      rows[i] = row;
      tf[i] = tfFactor(this.counts[row] ?? 1, this.tf);
      this.counts[row] = 0;
    }
    return { rows, tf };
  }
}

/**
 * Pools a bag into `out` (length dimension): Σ weight·tf·row, then L2-normalised. A bag with no
 * rows (empty text, punctuation only) or a zero sum gives the constant vector 1/√d, so every output
 * is unit-norm and finite.
 */
export function poolBag(bag: TokenBag, weights: Float32Array, table: StaticTable, dimension: number, out: Float32Array, acc: Float64Array): void {
  acc.fill(0);
  const { rows, tf } = bag;
  if (table.kind === 'f32') {
    const data = table.data;
    for (let k = 0; k < rows.length; k++) {
      const row = rows[k] ?? 0;
      const coef = (weights[row] ?? 0) * (tf[k] ?? 0);
      if (coef === 0) continue;
      const base = row * dimension;
      for (let j = 0; j < dimension; j++) acc[j] = (acc[j] ?? 0) + coef * (data[base + j] ?? 0);
    }
  } else {
    const { data, scales } = table;
    for (let k = 0; k < rows.length; k++) {
      const row = rows[k] ?? 0;
      const coef = (weights[row] ?? 0) * (tf[k] ?? 0) * (scales[row] ?? 0);
      if (coef === 0) continue;
      const base = row * dimension;
      for (let j = 0; j < dimension; j++) acc[j] = (acc[j] ?? 0) + coef * (data[base + j] ?? 0);
    }
  }
  let norm = 0;
  for (let j = 0; j < dimension; j++) norm += (acc[j] ?? 0) * (acc[j] ?? 0);
  if (!(norm > 0) || !Number.isFinite(norm)) {
    out.fill(1 / Math.sqrt(dimension));
    return;
  }
  const inv = 1 / Math.sqrt(norm);
  for (let j = 0; j < dimension; j++) out[j] = (acc[j] ?? 0) * inv;
}

/** Synchronous encoder over in-memory parts; the Embedder wraps it. Not safe for concurrent use. */
export class StaticEncoder {
  readonly dimension: number;
  private readonly bagger: Bagger;
  private readonly acc: Float64Array;

  constructor(readonly parts: StaticModelParts) {
    const rows = parts.vocab.length + parts.hashBuckets;
    if (parts.weights.length !== rows) throw new TypeError(`Expected ${rows} pooling weights, got ${parts.weights.length}`);
    if (parts.queryWeights && parts.queryWeights.length !== rows) throw new TypeError(`Expected ${rows} query pooling weights, got ${parts.queryWeights.length}`);
    const size = parts.table.data.length;
    if (size !== rows * parts.dimension) throw new TypeError(`Expected an embedding table of ${rows}×${parts.dimension}, got ${size} values`);
    if (parts.table.kind === 'int8' && parts.table.scales.length !== rows) throw new TypeError(`Expected ${rows} row scales, got ${parts.table.scales.length}`);
    this.dimension = parts.dimension;
    this.bagger = new Bagger(parts.tokenizer, parts.vocab, parts.hashBuckets, parts.maxTokens, parts.tf, parts.compounds);
    this.acc = new Float64Array(parts.dimension);
  }

  bag(text: string, kind: EmbedInputKind): TokenBag {
    const prefix = kind === 'query' ? (this.parts.queryPrefix ?? '') : '';
    return this.bagger.bag(prefix === '' ? text : `${prefix} ${text}`);
  }

  encode(text: string, kind: EmbedInputKind, out: Float32Array = new Float32Array(this.dimension)): Float32Array {
    const weights = kind === 'query' ? (this.parts.queryWeights ?? this.parts.weights) : this.parts.weights;
    poolBag(this.bag(text, kind), weights, this.parts.table, this.dimension, out, this.acc);
    return out;
  }
}

/**
 * The model's token space (see TokenSpace): rows of the embedding table compared by cosine. Row
 * norms are worked out on first use; int8 rows are compared in int8 and scaled once.
 */
export class StaticTokenSpace implements TokenSpace {
  readonly vocabulary: readonly string[];
  readonly rows: number;
  private readonly vocabIndex = new Map<string, number>();
  private readonly norms: Float32Array;
  private readonly tokenize: (text: string, maxTokens: number) => string[];

  constructor(private readonly parts: StaticModelParts) {
    this.vocabulary = parts.vocab;
    parts.vocab.forEach((token, i) => {
      if (!this.vocabIndex.has(token)) this.vocabIndex.set(token, i);
    });
    this.rows = parts.vocab.length + parts.hashBuckets;
    this.norms = new Float32Array(this.rows).fill(-1);
    this.tokenize = STATIC_TOKENIZERS[parts.tokenizer];
  }

  tokens(text: string, maxTokens = this.parts.maxTokens): string[] {
    return this.tokenize(text, maxTokens);
  }

  row(token: string): number {
    return tokenRow(token, this.vocabIndex, this.parts.vocab.length, this.parts.hashBuckets);
  }

  known(row: number): boolean {
    return row >= 0 && row < this.parts.vocab.length;
  }

  queryWeight(row: number): number {
    return (this.parts.queryWeights ?? this.parts.weights)[row] ?? 0;
  }

  similarities(a: number, rows: Int32Array, out: Float32Array): void {
    const { table, dimension: d } = this.parts;
    const normA = this.norm(a);
    const baseA = a * d;
    for (let k = 0; k < rows.length; k++) {
      const b = rows[k] ?? 0;
      const baseB = b * d;
      let dot = 0;
      // The hot loop of the second stage: indexes are in range by construction.
      const x = table.data;
      for (let j = 0; j < d; j++) dot += x[baseA + j]! * x[baseB + j]!;
      const norms = normA * this.norm(b);
      out[k] = norms > 0 ? dot / norms : 0;
    }
  }

  /** The row's length in the units `similarities` multiplies in (int8 values, or floats). */
  private norm(row: number): number {
    const known = this.norms[row] ?? -1;
    if (known >= 0) return known;
    const { table, dimension: d } = this.parts;
    let sum = 0;
    for (let j = 0; j < d; j++) {
      const x = table.data[row * d + j] ?? 0;
      sum += x * x;
    }
    // The stored (float32) value, also the first time: a query must score the same on every call.
    this.norms[row] = Math.sqrt(sum);
    return this.norms[row];
  }
}

/** Wraps an encoder as an Embedder; yields to the event loop between slices of a long batch. */
export function embedderFromEncoder(encoder: StaticEncoder, id: string): Embedder {
  let disposed = false;
  return {
    id,
    dimension: encoder.dimension,
    tokenSpace: new StaticTokenSpace(encoder.parts),
    // Microseconds a text: far cheaper than a cache lookup.
    cheap: true,
    async embed(texts: readonly string[], kind: EmbedInputKind, signal?: AbortSignal): Promise<Float32Array[]> {
      if (disposed) throw new Error(`Embedder ${id} is disposed`);
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i++) {
        if (i % 256 === 0) {
          throwIfAborted(signal);
          if (i > 0) await new Promise<void>((done) => setImmediate(done));
        }
        out.push(encoder.encode(texts[i] ?? '', kind));
      }
      throwIfAborted(signal);
      return out;
    },
    async dispose(): Promise<void> {
      disposed = true;
    },
  };
}

// ---- serialisation ----

/** Bytes of `embeddings.bin` for a full-precision table. */
export function encodeTable(table: Float32Array, rows: number, dimension: number, quantization: Quantization): Uint8Array {
  if (table.length !== rows * dimension) throw new TypeError(`Expected ${rows}×${dimension} values, got ${table.length}`);
  if (quantization === 'f32') return new Uint8Array(table.buffer.slice(table.byteOffset, table.byteOffset + table.byteLength));
  if (quantization === 'f16') return new Uint8Array(toHalfBits(table).buffer);
  const bytes = new Uint8Array(rows * 4 + rows * dimension);
  const scales = new Float32Array(bytes.buffer, 0, rows);
  const q = new Int8Array(bytes.buffer, rows * 4, rows * dimension);
  for (let r = 0; r < rows; r++) {
    const base = r * dimension;
    let max = 0;
    for (let j = 0; j < dimension; j++) max = Math.max(max, Math.abs(table[base + j] ?? 0));
    const scale = max / 127;
    scales[r] = scale;
    if (scale === 0) continue;
    const inv = 1 / (scales[r] ?? 1);
    for (let j = 0; j < dimension; j++) q[base + j] = Math.max(-127, Math.min(127, Math.round((table[base + j] ?? 0) * inv)));
  }
  return bytes;
}

/** Reads `embeddings.bin` bytes into a table (little-endian hosts; x86 and ARM both are). */
export function decodeTable(bytes: Uint8Array, rows: number, dimension: number, quantization: Quantization): StaticTable {
  const values = rows * dimension;
  const expected = quantization === 'int8' ? rows * 4 + values : quantization === 'f16' ? values * 2 : values * 4;
  if (bytes.byteLength !== expected) {
    throw new Error(`${EMBEDDINGS_FILE} has ${bytes.byteLength} bytes; ${rows} rows × ${dimension} (${quantization}) need ${expected}`);
  }
  // Typed views need 4-byte alignment: a small Buffer may sit at any offset of a shared pool, so
  // copy unless the bytes start on an aligned offset (as a large file's Buffer does).
  let own = bytes;
  if (bytes.byteOffset % 4 !== 0) {
    own = new Uint8Array(bytes.byteLength);
    own.set(bytes);
  }
  const { buffer, byteOffset } = own;
  if (quantization === 'f32') return { kind: 'f32', data: new Float32Array(buffer, byteOffset, values) };
  if (quantization === 'f16') return { kind: 'f32', data: fromHalfBits(new Uint16Array(buffer, byteOffset, values)) };
  return { kind: 'int8', scales: new Float32Array(buffer, byteOffset, rows), data: new Int8Array(buffer, byteOffset + rows * 4, values) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function positiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

/** Validates a parsed `model.json`; throws naming the first bad field. */
export function parseModelFile(value: unknown, where = MODEL_FILE): StaticModelFile {
  const fail = (message: string): never => {
    throw new Error(`${where}: ${message}`);
  };
  if (!isRecord(value)) return fail('not a JSON object');
  if (value['format'] !== STATIC_MODEL_FORMAT) fail(`format must be "${STATIC_MODEL_FORMAT}"`);
  if (value['version'] !== STATIC_MODEL_VERSION) fail(`unsupported version ${String(value['version'])}`);
  const tokenizer = value['tokenizer'];
  if (typeof tokenizer !== 'string' || !Object.hasOwn(STATIC_TOKENIZERS, tokenizer)) {
    return fail(`unsupported tokenizer ${String(tokenizer)} (expected ${Object.keys(STATIC_TOKENIZERS).join(' or ')})`);
  }
  const dimension = value['dimension'];
  if (!positiveInteger(dimension)) return fail('dimension must be a positive integer');
  const hashBuckets = value['hashBuckets'];
  if (typeof hashBuckets !== 'number' || !Number.isInteger(hashBuckets) || hashBuckets < 0) return fail('hashBuckets must be a non-negative integer');
  const vocab = value['vocab'];
  if (!Array.isArray(vocab) || !vocab.every((t): t is string => typeof t === 'string')) return fail('vocab must be an array of strings');
  const quantization = value['quantization'];
  if (quantization !== 'int8' && quantization !== 'f16' && quantization !== 'f32') return fail('quantization must be int8, f16 or f32');
  const file: StaticModelFile = { format: STATIC_MODEL_FORMAT, version: STATIC_MODEL_VERSION, dimension, tokenizer: tokenizer as StaticTokenizer, vocab, hashBuckets, quantization };
  for (const key of ['weights', 'queryWeights'] as const) {
    const weights = value[key];
    if (weights === undefined) continue;
    if (!Array.isArray(weights) || weights.length !== vocab.length + hashBuckets || !weights.every((w) => typeof w === 'number' && Number.isFinite(w))) {
      fail(`${key} must be ${vocab.length + hashBuckets} finite numbers (vocabulary rows, then hash buckets)`);
    }
    file[key] = weights as number[];
  }
  const maxTokens = value['maxTokens'];
  if (maxTokens !== undefined) {
    if (!positiveInteger(maxTokens)) fail('maxTokens must be a positive integer');
    file.maxTokens = maxTokens as number;
  }
  const tf = value['tf'];
  if (tf !== undefined) {
    if (tf !== 'raw' && tf !== 'log' && tf !== 'sqrt' && tf !== 'binary') fail('tf must be raw, log, sqrt or binary');
    file.tf = tf as TfScaling;
  }
  const queryPrefix = value['queryPrefix'];
  if (queryPrefix !== undefined) {
    if (typeof queryPrefix !== 'string') fail('queryPrefix must be a string');
    file.queryPrefix = queryPrefix as string;
  }
  const compounds = value['compounds'];
  if (compounds !== undefined) {
    if (typeof compounds !== 'boolean') fail('compounds must be true or false');
    file.compounds = compounds as boolean;
  }
  return file;
}

/** In-memory parts from a parsed model file and its table bytes. */
export function partsFromFile(file: StaticModelFile, bytes: Uint8Array): StaticModelParts {
  const rows = file.vocab.length + file.hashBuckets;
  const parts: StaticModelParts = {
    dimension: file.dimension,
    tokenizer: file.tokenizer,
    vocab: file.vocab,
    weights: file.weights ? Float32Array.from(file.weights) : new Float32Array(rows).fill(1),
    hashBuckets: file.hashBuckets,
    maxTokens: file.maxTokens ?? DEFAULT_MAX_TOKENS,
    tf: file.tf ?? 'raw',
    table: decodeTable(bytes, rows, file.dimension, file.quantization),
  };
  if (file.queryWeights) parts.queryWeights = Float32Array.from(file.queryWeights);
  if (file.queryPrefix !== undefined) parts.queryPrefix = file.queryPrefix;
  if (file.compounds) parts.compounds = true;
  return parts;
}

export interface StaticEmbedderOptions {
  /** Folder holding model.json and embeddings.bin. */
  modelPath: string;
}

/** Loads a model folder. `id` = static:<folder name>:<first 12 hex of sha256(model.json ‖ embeddings.bin)>. */
export async function createStaticEmbedder(options: StaticEmbedderOptions): Promise<Embedder> {
  if (typeof options.modelPath !== 'string' || options.modelPath === '') throw new TypeError('Expected `modelPath` to be a non-empty string');
  const folder = resolve(options.modelPath);
  const [json, bytes] = await Promise.all([readFile(join(folder, MODEL_FILE)), readFile(join(folder, EMBEDDINGS_FILE))]);
  const file = parseModelFile(JSON.parse(json.toString('utf8')) as unknown, join(folder, MODEL_FILE));
  const hash = sha256Hex(json, bytes).slice(0, 12);
  const encoder = new StaticEncoder(partsFromFile(file, bytes));
  return embedderFromEncoder(encoder, `static:${basename(folder)}:${hash}`);
}

// Local transformer encoder through transformers.js (ONNX Runtime on the CPU), strictly offline:
// the model comes from a folder on disk and nothing is ever fetched.

import { createReadStream } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import type { EmbedInputKind, Embedder } from '../types.js';
import { pathExists } from '../files.js';
import { messageOf } from '../errors.js';
import { l2normalize } from '../util/vector-math.js';
import { throwIfAborted } from '../util/abort.js';
import { positiveInt, describe } from '../util/options.js';

export type TransformersDtype = 'fp32' | 'fp16' | 'q8' | 'int8' | 'uint8' | 'q4' | 'bnb4' | 'q4f16';

export interface TransformersEmbedderOptions {
  /** Folder with config.json, tokenizer.json, tokenizer_config.json and onnx/model*.onnx. */
  modelPath: string;
  /** How token vectors become one vector: mean over attended tokens (default) or the first ([CLS]) token. */
  pooling?: 'mean' | 'cls';
  /** Inputs are truncated to this many tokens, special tokens included (default: sentence_bert_config.json's max_seq_length, else 256, capped at the model's maximum). */
  maxTokens?: number;
  /** Prepended to queries, e.g. "query: " for e5 models (default: the folder's config_sentence_transformers.json `prompts.query`). */
  queryPrefix?: string;
  /** Prepended to documents, e.g. "passage: " for e5 models (default: its `prompts.document` or `prompts.passage`). */
  documentPrefix?: string;
  /** Which ONNX file: fp32 = onnx/model.onnx, q8 = onnx/model_quantized.onnx, … Default: fp32 if present, else q8. */
  dtype?: TransformersDtype;
  /** Texts per ONNX run inside one embed() call (default 16). Inputs are sorted by length first to limit padding. */
  runBatchSize?: number;
  /** ONNX Runtime intra-op threads (default: ONNX Runtime's choice, the number of physical cores). */
  threads?: number;
}

const DTYPE_SUFFIX: Record<TransformersDtype, string> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  bnb4: '_bnb4',
  q4f16: '_q4f16',
};

const WHERE = 'createTransformersEmbedder';
const DEFAULT_MAX_TOKENS = 256;

const HOW_TO_GET_ONE =
  'A transformers.js model folder needs config.json, tokenizer.json, tokenizer_config.json and ' +
  'onnx/model.onnx (or onnx/model_quantized.onnx). Copy a complete folder of an ONNX export (for example ' +
  'a Xenova/* or onnx-community/* model, or the output of `optimum-cli export onnx --model <name> <folder>`) ' +
  'to this machine and point modelPath at it; nothing is downloaded at run time.';

/** Narrow view of the transformers.js pieces used here (their call signatures are typed `any`). */
interface TensorView {
  readonly dims: readonly number[];
  readonly data: ArrayLike<number> | ArrayLike<bigint>;
}
type Tokenize = (
  texts: string[],
  options: { padding: boolean; truncation: boolean; max_length: number },
) => Record<string, unknown>;
type RunModel = (inputs: Record<string, unknown>) => Promise<Record<string, unknown>>;

function isTensorView(x: unknown): x is TensorView {
  if (typeof x !== 'object' || x === null) return false;
  const dims: unknown = Reflect.get(x, 'dims');
  const data: unknown = Reflect.get(x, 'data');
  return Array.isArray(dims) && dims.every((d) => typeof d === 'number') && ArrayBuffer.isView(data);
}

function tensorOf(record: Record<string, unknown>, names: readonly string[], what: string): TensorView {
  for (const name of names) {
    const t = record[name];
    if (isTensorView(t)) return t;
  }
  throw new Error(`${WHERE}: ${what}: expected one of ${names.join(', ')} in ${Object.keys(record).join(', ') || 'nothing'}`);
}

function at(data: ArrayLike<number> | ArrayLike<bigint>, i: number): number {
  return Number(data[i] ?? 0);
}

async function hashFile(hash: ReturnType<typeof createHash>, path: string): Promise<void> {
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    if (chunk instanceof Uint8Array) hash.update(chunk);
  }
}

function readHiddenSize(config: Record<string, unknown>): number | undefined {
  for (const key of ['hidden_size', 'd_model', 'dim', 'n_embd']) {
    const v = config[key];
    if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  }
  return undefined;
}

/** A JSON object file of the model folder, or undefined when it is absent or not an object. */
async function readOptionalJson(path: string): Promise<Record<string, unknown> | undefined> {
  if (!(await pathExists(path))) return undefined;
  try {
    const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? { ...parsed } : undefined;
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${messageOf(err)}`);
  }
}

/**
 * What a sentence-transformers folder says about its use: the `query` and `document` (or
 * `passage`) prompts of config_sentence_transformers.json and max_seq_length of
 * sentence_bert_config.json. Options given to the embedder win over these.
 */
async function readSentenceTransformersDefaults(modelDir: string): Promise<{ queryPrefix?: string; documentPrefix?: string; maxTokens?: number }> {
  const defaults: { queryPrefix?: string; documentPrefix?: string; maxTokens?: number } = {};
  const prompts = (await readOptionalJson(join(modelDir, 'config_sentence_transformers.json')))?.['prompts'];
  if (typeof prompts === 'object' && prompts !== null) {
    const query: unknown = Reflect.get(prompts, 'query');
    const document: unknown = Reflect.get(prompts, 'document') ?? Reflect.get(prompts, 'passage');
    if (typeof query === 'string') defaults.queryPrefix = query;
    if (typeof document === 'string') defaults.documentPrefix = document;
  }
  const maxSeq = (await readOptionalJson(join(modelDir, 'sentence_bert_config.json')))?.['max_seq_length'];
  if (typeof maxSeq === 'number' && Number.isInteger(maxSeq) && maxSeq > 0) defaults.maxTokens = maxSeq;
  return defaults;
}

async function locateFiles(modelDir: string, dtype: TransformersDtype | undefined): Promise<{ onnxFile: string; dtype: TransformersDtype }> {
  let info;
  try {
    info = await stat(modelDir);
  } catch {
    throw new Error(`Model folder ${modelDir} does not exist. ${HOW_TO_GET_ONE}`);
  }
  if (!info.isDirectory()) throw new Error(`Model path ${modelDir} is not a folder. ${HOW_TO_GET_ONE}`);
  for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) {
    if (!(await pathExists(join(modelDir, file)))) {
      throw new Error(`Model folder ${modelDir} has no ${file}. ${HOW_TO_GET_ONE}`);
    }
  }
  const candidates: TransformersDtype[] = dtype !== undefined ? [dtype] : ['fp32', 'q8'];
  for (const d of candidates) {
    const file = join(modelDir, 'onnx', `model${DTYPE_SUFFIX[d]}.onnx`);
    if (await pathExists(file)) return { onnxFile: file, dtype: d };
  }
  let present = '';
  try {
    const names = (await readdir(join(modelDir, 'onnx'))).filter((n) => n.endsWith('.onnx'));
    present = names.length > 0 ? ` (onnx/ holds ${names.join(', ')}; choose one with the dtype option)` : ' (onnx/ holds no .onnx file)';
  } catch {
    present = ' (there is no onnx/ subfolder)';
  }
  const wanted = candidates.map((d) => `onnx/model${DTYPE_SUFFIX[d]}.onnx`).join(' or ');
  throw new Error(`Model folder ${modelDir} has no ${wanted}${present}. ${HOW_TO_GET_ONE}`);
}

type Pooling = 'mean' | 'cls';

/** The options that need no model folder to check; returns those used as given or defaulted. */
function checkOptions(options: TransformersEmbedderOptions): { pooling: Pooling; runBatchSize: number; threads: number | undefined } {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${WHERE}: options must be an object`);
  if (typeof options.modelPath !== 'string' || options.modelPath.length === 0) {
    throw new TypeError(`${WHERE}: option \`modelPath\` must be a non-empty string, got ${describe(options.modelPath)}`);
  }
  const pooling = options.pooling ?? 'mean';
  if (pooling !== 'mean' && pooling !== 'cls') {
    throw new TypeError(`${WHERE}: option \`pooling\` must be 'mean' or 'cls', got ${describe(pooling)}`);
  }
  if (options.dtype !== undefined && !Object.hasOwn(DTYPE_SUFFIX, options.dtype)) {
    throw new TypeError(`${WHERE}: option \`dtype\` must be one of ${Object.keys(DTYPE_SUFFIX).join(', ')}, got ${describe(options.dtype)}`);
  }
  for (const name of ['queryPrefix', 'documentPrefix'] as const) {
    const v = options[name];
    if (v !== undefined && typeof v !== 'string') throw new TypeError(`${WHERE}: option \`${name}\` must be a string, got ${describe(v)}`);
  }
  const runBatchSize = options.runBatchSize === undefined ? 16 : positiveInt(WHERE, 'runBatchSize', options.runBatchSize);
  const threads = options.threads === undefined ? undefined : positiveInt(WHERE, 'threads', options.threads);
  if (options.maxTokens !== undefined) positiveInt(WHERE, 'maxTokens', options.maxTokens);
  return { pooling, runBatchSize, threads };
}

/** config.json as text (it is part of the id) and as an object. */
async function readConfig(modelDir: string): Promise<{ configText: string; config: Record<string, unknown> }> {
  const configText = await readFile(join(modelDir, 'config.json'), 'utf8');
  try {
    const parsed: unknown = JSON.parse(configText);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
    return { configText, config: { ...parsed } };
  } catch (err) {
    throw new Error(`Model folder ${modelDir}: config.json is not valid: ${messageOf(err)}`);
  }
}

/** The tokenizer and the ONNX model of a folder, behind the narrow signatures used here. */
interface LoadedModel {
  tokenize: Tokenize;
  run: RunModel;
  /** The tokenizer's model_max_length, whatever it is. */
  tokenizerMax: unknown;
  dispose(): Promise<void>;
}

/** Loads through transformers.js with every remote lookup and cache turned off. */
async function loadModel(modelDir: string, dtype: TransformersDtype, threads: number | undefined): Promise<LoadedModel> {
  const hf = await import('@huggingface/transformers');
  hf.env.allowRemoteModels = false;
  hf.env.allowLocalModels = true;
  hf.env.useFSCache = false;

  const tokenizerObj = await hf.AutoTokenizer.from_pretrained(modelDir, { local_files_only: true });
  const modelObj = await hf.AutoModel.from_pretrained(modelDir, {
    local_files_only: true,
    dtype,
    device: 'cpu',
    ...(threads !== undefined ? { session_options: { intraOpNumThreads: threads } } : {}),
  });
  return {
    tokenize: (texts, opts) => {
      const out: unknown = tokenizerObj(texts, opts);
      if (typeof out !== 'object' || out === null) throw new Error(`${WHERE}: the tokenizer returned nothing`);
      return { ...out };
    },
    run: async (inputs) => {
      const out: unknown = await modelObj(inputs);
      if (typeof out !== 'object' || out === null) throw new Error(`${WHERE}: the model returned nothing`);
      return { ...out };
    },
    tokenizerMax: tokenizerObj.model_max_length,
    dispose: async () => {
      await modelObj.dispose();
    },
  };
}

/**
 * Longest input the model takes: the tokenizer's model_max_length when it is a real number (some
 * configs say 1e30), else config.max_position_embeddings, else 512.
 */
function modelMaxTokens(tokMax: unknown, config: Record<string, unknown>): number {
  const posMax = config['max_position_embeddings'];
  return typeof tokMax === 'number' && Number.isInteger(tokMax) && tokMax > 0 && tokMax < 1_000_000
    ? tokMax
    : typeof posMax === 'number' && Number.isInteger(posMax) && posMax > 0
      ? posMax
      : 512;
}

/**
 * Identity: every input that changes vectors. Content hashes (not mtimes) so that a copied folder
 * keeps its id; hashing a 90 MB MiniLM file costs ~0.2 s once per start.
 */
async function embedderId(
  modelDir: string,
  configText: string,
  onnxFile: string,
  { pooling, maxTokens, queryPrefix, documentPrefix }: { pooling: Pooling; maxTokens: number; queryPrefix: string; documentPrefix: string },
): Promise<string> {
  const hash = createHash('sha256');
  hash.update(configText);
  await hashFile(hash, join(modelDir, 'tokenizer.json'));
  await hashFile(hash, join(modelDir, 'tokenizer_config.json'));
  hash.update(`\0${basename(onnxFile)}\0`);
  await hashFile(hash, onnxFile);
  hash.update(JSON.stringify({ pooling, maxTokens, queryPrefix, documentPrefix }));
  return `transformers:${basename(modelDir)}:${hash.digest('hex').slice(0, 12)}`;
}

/** One ONNX run over `texts` (padded, truncated to maxTokens): one L2-normalised vector per text. */
async function encodeBatch(model: LoadedModel, texts: string[], maxTokens: number, pooling: Pooling): Promise<Float32Array[]> {
  const inputs = model.tokenize(texts, { padding: true, truncation: true, max_length: maxTokens });
  const mask = tensorOf(inputs, ['attention_mask'], 'tokenizer output');
  const outputs = await model.run(inputs);
  const hidden = tensorOf(outputs, ['last_hidden_state', 'token_embeddings'], 'model output');
  const [b, s, h] = hidden.dims;
  if (hidden.dims.length !== 3 || b !== texts.length || s === undefined || h === undefined) {
    throw new Error(`${WHERE}: model output has shape [${hidden.dims.join(', ')}], expected [${texts.length}, tokens, hidden]`);
  }
  if (mask.dims[0] !== b || mask.dims[1] !== s) {
    throw new Error(`${WHERE}: attention mask shape [${mask.dims.join(', ')}] does not match output [${hidden.dims.join(', ')}]`);
  }
  const vectors: Float32Array[] = [];
  for (let i = 0; i < b; i++) vectors.push(l2normalize(poolRow(hidden, mask, i, s, h, pooling)));
  return vectors;
}

/** Text i of a [b, s, h] output: its first token's hidden state (cls), or the mean over its attended tokens. */
function poolRow(hidden: TensorView, mask: TensorView, i: number, s: number, h: number, pooling: Pooling): Float32Array {
  const v = new Float32Array(h);
  if (pooling === 'cls') {
    for (let k = 0; k < h; k++) v[k] = at(hidden.data, i * s * h + k);
  } else {
    let n = 0;
    for (let j = 0; j < s; j++) {
      if (at(mask.data, i * s + j) === 0) continue;
      n++;
      const base = (i * s + j) * h;
      for (let k = 0; k < h; k++) v[k] = (v[k] ?? 0) + at(hidden.data, base + k);
    }
    if (n > 0) for (let k = 0; k < h; k++) v[k] = (v[k] ?? 0) / n;
  }
  return v;
}

/**
 * Embeds `texts` in runs of `runSize`, sorted by length so each run pads little; results go back
 * to their original slots. `check` sees every vector before it is kept.
 */
async function embedShortestFirst(
  texts: readonly string[],
  runSize: number,
  encode: (texts: string[]) => Promise<Float32Array[]>,
  check: (vector: Float32Array) => void,
  signal?: AbortSignal,
): Promise<Float32Array[]> {
  const order = texts.map((_, i) => i).sort((a, b) => (texts[a]?.length ?? 0) - (texts[b]?.length ?? 0));
  const result = new Array<Float32Array>(texts.length);
  for (let start = 0; start < order.length; start += runSize) {
    throwIfAborted(signal);
    const slots = order.slice(start, start + runSize);
    const vectors = await encode(slots.map((i) => texts[i] ?? ''));
    slots.forEach((slot, j) => {
      const v = vectors[j];
      if (v === undefined) throw new Error(`${WHERE}: missing vector ${j}`);
      check(v);
      result[slot] = v;
    });
  }
  throwIfAborted(signal);
  return result;
}

/**
 * Loads a local transformers.js model folder and returns an Embedder (mean or CLS pooling over the
 * last hidden state, L2-normalised). Runs one probe embedding to check the output dimension.
 */
export async function createTransformersEmbedder(options: TransformersEmbedderOptions): Promise<Embedder> {
  const { pooling, runBatchSize, threads } = checkOptions(options);
  // Absolute paths matter: transformers.js treats a relative path that looks like "owner/name" as
  // a Hub model id and prefixes env.localModelPath; an absolute path is read as it is.
  const modelDir = resolve(options.modelPath);
  const { onnxFile, dtype } = await locateFiles(modelDir, options.dtype);
  const { configText, config } = await readConfig(modelDir);
  const configHidden = readHiddenSize(config);
  const folderDefaults = await readSentenceTransformersDefaults(modelDir);
  const queryPrefix = options.queryPrefix ?? folderDefaults.queryPrefix ?? '';
  const documentPrefix = options.documentPrefix ?? folderDefaults.documentPrefix ?? '';

  const model = await loadModel(modelDir, dtype, threads);
  const modelMax = modelMaxTokens(model.tokenizerMax, config);
  if (options.maxTokens !== undefined && options.maxTokens > modelMax) {
    await model.dispose();
    throw new TypeError(`${WHERE}: option \`maxTokens\` is ${options.maxTokens}, but this model takes at most ${modelMax} tokens`);
  }
  const maxTokens = options.maxTokens ?? Math.min(folderDefaults.maxTokens ?? DEFAULT_MAX_TOKENS, modelMax);
  const id = await embedderId(modelDir, configText, onnxFile, { pooling, maxTokens, queryPrefix, documentPrefix });

  let disposed = false;
  let dimension = configHidden ?? 0;
  const encode = (texts: string[]): Promise<Float32Array[]> => encodeBatch(model, texts, maxTokens, pooling);
  const checkDimension = (v: Float32Array): void => {
    if (dimension !== 0 && v.length !== dimension) {
      throw new Error(`${WHERE}: model ${modelDir} produced ${v.length}-d vectors, but its config.json says hidden size ${dimension}`);
    }
  };

  async function embed(texts: readonly string[], kind: EmbedInputKind, signal?: AbortSignal): Promise<Float32Array[]> {
    if (disposed) throw new Error(`Embedder ${id} has been disposed`);
    if (kind !== 'query' && kind !== 'document') throw new TypeError(`embed: kind must be 'query' or 'document', got ${describe(kind)}`);
    throwIfAborted(signal);
    const prefix = kind === 'query' ? queryPrefix : documentPrefix;
    return embedShortestFirst(
      texts.map((t) => prefix + t),
      runBatchSize,
      encode,
      checkDimension,
      signal,
    );
  }

  // Probe once: checks that the model runs and that config.json's hidden size is what comes out.
  try {
    const [probe] = await embed(['dimension probe'], 'document');
    if (probe === undefined) throw new Error(`${WHERE}: the probe returned no vector`);
    dimension = probe.length;
  } catch (err) {
    await model.dispose();
    throw err;
  }

  return {
    id,
    dimension,
    embed,
    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      await model.dispose();
    },
  };
}

// Training of the static token-embedding model (src/core/embed/static.ts) on (query → code) pairs:
// symmetric in-batch InfoNCE, gradients through the weighted mean and the L2 normalisation written
// by hand, lazy Adam on the rows a batch touches. Single-threaded and deterministic for a seed.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { documentText } from '../core/embedding-text.js';
import {
  DEFAULT_MAX_TOKENS,
  EMBEDDINGS_FILE,
  MODEL_FILE,
  STATIC_MODEL_FORMAT,
  STATIC_MODEL_VERSION,
  STATIC_TOKENIZERS,
  type StaticTokenizer,
  decodeTable,
  encodeTable,
  fnv1a,
  pooledRows,
  poolBag,
  tfFactor,
} from '../core/embed/static.js';
import type { Quantization, StaticModelFile, StaticModelParts, StaticTable, TfScaling } from '../core/embed/static.js';
import type { EmbedInputKind } from '../core/types.js';
import { createRng, samplePool, shuffleInPlace } from '../core/util/random.js';
import { type RetrievalMetrics, metricsFromScores } from '../core/tune/metrics.js';
import { cosineScores, dotProducts, combineRows } from '../core/util/vector-math.js';
import { neighbourOrder } from './hard-negatives.js';

/** One harvested pair (fields the trainer reads; the JSONL rows carry more). */
export interface TrainingPair {
  pkg: string;
  language: string;
  path: string;
  symbol: string;
  query: string;
  code: string;
}

/** Exactly what the index embeds for a chunk of this code (see documentText). */
export function pairDocument(pair: Pick<TrainingPair, 'path' | 'symbol' | 'code'>): string {
  return documentText({ path: pair.path, symbol: pair.symbol, container: '', doc: '', text: pair.code });
}

// ---- seeded randomness ----

// ---- token bags in CSR form ----

class IntBuffer {
  data = new Int32Array(1024);
  length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }
  take(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

/** Distinct token ids per text (first-occurrence order) with their counts; ids index `Dictionary.tokens`. */
interface TokenCounts {
  offsets: Int32Array;
  ids: Int32Array;
  counts: Int32Array;
}

/** Every distinct token seen while tokenising, whether or not it makes the vocabulary. */
class Dictionary {
  readonly index = new Map<string, number>();
  readonly tokens: string[] = [];
  private scratch = new Int32Array(0);

  count(texts: readonly string[], tokenize: (text: string, maxTokens: number) => string[], maxTokens: number): TokenCounts {
    const offsets = new Int32Array(texts.length + 1);
    const ids = new IntBuffer();
    const counts = new IntBuffer();
    texts.forEach((text, t) => {
      const start = ids.length;
      for (const token of tokenize(text, maxTokens)) {
        let id = this.index.get(token);
        if (id === undefined) {
          id = this.tokens.length;
          this.index.set(token, id);
          this.tokens.push(token);
        }
        if (id >= this.scratch.length) {
          const grown = new Int32Array(Math.max(1024, this.tokens.length * 2)).fill(-1);
          grown.set(this.scratch);
          this.scratch = grown;
        }
        const slot = this.scratch[id] ?? -1;
        if (slot >= 0) counts.data[slot] = (counts.data[slot] ?? 0) + 1;
        else {
          this.scratch[id] = ids.length;
          ids.push(id);
          counts.push(1);
        }
      }
      for (let k = start; k < ids.length; k++) this.scratch[ids.data[k] ?? 0] = -1;
      offsets[t + 1] = ids.length;
    });
    return { offsets, ids: ids.take(), counts: counts.take() };
  }
}

/** Texts as bags of model rows (CSR): rows[offsets[i]..offsets[i+1]) with tf factors, as Bagger makes them. */
export interface Bags {
  offsets: Int32Array;
  rows: Int32Array;
  tf: Float32Array;
}

function bagsFromCounts(counts: TokenCounts, rowOfId: Int32Array, secondRowOfId: Int32Array, totalRows: number, tf: TfScaling): Bags {
  const n = counts.offsets.length - 1;
  const offsets = new Int32Array(n + 1);
  const rows = new IntBuffer();
  const rowCounts = new IntBuffer();
  const slotOf = new Int32Array(totalRows).fill(-1);
  for (let i = 0; i < n; i++) {
    const start = rows.length;
    // Several tokens may share a hash bucket: their counts add up, in first-occurrence order (as in Bagger).
    const add = (row: number, count: number): void => {
      const slot = slotOf[row] ?? -1;
      if (slot >= 0) rowCounts.data[slot] = (rowCounts.data[slot] ?? 0) + count;
      else {
        slotOf[row] = rows.length;
        rows.push(row);
        rowCounts.push(count);
      }
    };
    for (let k = counts.offsets[i] ?? 0; k < (counts.offsets[i + 1] ?? 0); k++) {
      const id = counts.ids[k] ?? 0;
      const row = rowOfId[id] ?? -1;
      if (row < 0) continue;
      add(row, counts.counts[k] ?? 0);
      const second = secondRowOfId[id] ?? -1;
      if (second >= 0) add(second, counts.counts[k] ?? 0);
    }
    for (let k = start; k < rows.length; k++) slotOf[rows.data[k] ?? 0] = -1;
    offsets[i + 1] = rows.length;
  }
  const tfArray = new Float32Array(rows.length);
  for (let k = 0; k < rows.length; k++) tfArray[k] = tfFactor(rowCounts.data[k] ?? 1, tf);
  return { offsets, rows: rows.take(), tf: tfArray };
}

export function bagAt(bags: Bags, i: number): { rows: Int32Array; tf: Float32Array } {
  const start = bags.offsets[i] ?? 0;
  const end = bags.offsets[i + 1] ?? start;
  return { rows: bags.rows.subarray(start, end), tf: bags.tf.subarray(start, end) };
}

// ---- vocabulary ----

export interface Vocabulary {
  vocab: string[];
  /** Pooling weight per row (vocabulary, then hash buckets). */
  idf: Float32Array;
}

export interface VocabularyOptions {
  minCount: number;
  maxVocab: number;
  hashBuckets: number;
  /**
   * A hash bucket's initial weight is at most the median vocabulary weight: the tokens that land in
   * buckets are rare (typos, compounds, one-off names), so their mean idf is high and would make an
   * unknown token outweigh the known words of a query.
   */
  capUnknownWeights: boolean;
}

/**
 * Vocabulary = tokens in at least minCount training texts (queries and documents both count), most
 * frequent first, ties by token; weights = ln(1 + N/df). A hash bucket's weight is the mean idf of
 * the out-of-vocabulary training tokens that land in it (ln(1 + N) where none do), at most the
 * median vocabulary weight with capUnknownWeights.
 */
function selectVocabulary(tokens: readonly string[], df: Int32Array, documents: number, options: VocabularyOptions): Vocabulary {
  const candidates: number[] = [];
  for (let id = 0; id < tokens.length; id++) if ((df[id] ?? 0) >= options.minCount) candidates.push(id);
  candidates.sort((a, b) => (df[b] ?? 0) - (df[a] ?? 0) || ((tokens[a] ?? '') < (tokens[b] ?? '') ? -1 : 1));
  const chosen = candidates.slice(0, options.maxVocab);
  const vocab = chosen.map((id) => tokens[id] ?? '');
  const idfOf = (count: number): number => Math.log(1 + documents / Math.max(1, count));
  const idf = new Float32Array(vocab.length + options.hashBuckets);
  chosen.forEach((id, i) => {
    idf[i] = idfOf(df[id] ?? 1);
  });
  if (options.hashBuckets > 0) {
    const inVocab = new Uint8Array(tokens.length);
    for (const id of chosen) inVocab[id] = 1;
    const sum = new Float64Array(options.hashBuckets);
    const n = new Int32Array(options.hashBuckets);
    for (let id = 0; id < tokens.length; id++) {
      if (inVocab[id] || (df[id] ?? 0) === 0) continue;
      const bucket = fnv1a(tokens[id] ?? '') % options.hashBuckets;
      sum[bucket] = (sum[bucket] ?? 0) + idfOf(df[id] ?? 1);
      n[bucket] = (n[bucket] ?? 0) + 1;
    }
    const sorted = Float32Array.from(idf.subarray(0, vocab.length)).sort();
    const cap = options.capUnknownWeights && sorted.length > 0 ? (sorted[sorted.length >> 1] ?? Infinity) : Number.POSITIVE_INFINITY;
    for (let b = 0; b < options.hashBuckets; b++) {
      idf[vocab.length + b] = Math.min(cap, (n[b] ?? 0) > 0 ? (sum[b] ?? 0) / (n[b] ?? 1) : idfOf(1));
    }
  }
  return { vocab, idf };
}

/** Tokenised splits: bags for each pair's query and document, sharing one vocabulary. */
export interface PreparedCorpus {
  vocabulary: Vocabulary;
  tokenizer: StaticTokenizer;
  hashBuckets: number;
  maxTokens: number;
  tf: TfScaling;
  compounds: boolean;
  /** splits[name].queries / .documents: bags aligned with the pairs passed in. */
  splits: Map<string, { queries: Bags; documents: Bags }>;
}

export interface PrepareOptions extends VocabularyOptions {
  tokenizer: StaticTokenizer;
  maxTokens: number;
  tf: TfScaling;
  /** Unknown compounds of two vocabulary words are bagged as those words (see compoundRows). */
  compounds: boolean;
}

/** Tokenises every split once; the vocabulary and idf come from the split named `train` only. */
export function prepareCorpus(splits: ReadonlyMap<string, readonly TrainingPair[]>, options: PrepareOptions): PreparedCorpus {
  const train = splits.get('train');
  if (!train) throw new TypeError('Expected a split named `train`');
  const dictionary = new Dictionary();
  const counted = new Map<string, { queries: TokenCounts; documents: TokenCounts }>();
  const tokenize = STATIC_TOKENIZERS[options.tokenizer];
  for (const [name, pairs] of splits) {
    counted.set(name, {
      queries: dictionary.count(pairs.map((p) => p.query), tokenize, options.maxTokens),
      documents: dictionary.count(pairs.map(pairDocument), tokenize, options.maxTokens),
    });
  }
  const df = new Int32Array(dictionary.tokens.length);
  const trainCounts = counted.get('train');
  if (!trainCounts) throw new Error('unreachable');
  for (const side of [trainCounts.queries, trainCounts.documents]) for (const id of side.ids) df[id] = (df[id] ?? 0) + 1;
  const vocabulary = selectVocabulary(dictionary.tokens, df, 2 * train.length, options);
  const rowOfId = new Int32Array(dictionary.tokens.length);
  // The second word's row of a split compound, else -1.
  const secondRowOfId = new Int32Array(dictionary.tokens.length).fill(-1);
  const vocabIndex = new Map<string, number>(vocabulary.vocab.map((t, i) => [t, i]));
  dictionary.tokens.forEach((token, id) => {
    const rows = pooledRows(token, vocabIndex, vocabulary.vocab.length, options.hashBuckets, options.compounds);
    if (typeof rows === 'number') rowOfId[id] = rows;
    else [rowOfId[id], secondRowOfId[id]] = rows;
  });
  const totalRows = vocabulary.vocab.length + options.hashBuckets;
  const out = new Map<string, { queries: Bags; documents: Bags }>();
  for (const [name, c] of counted) {
    out.set(name, {
      queries: bagsFromCounts(c.queries, rowOfId, secondRowOfId, totalRows, options.tf),
      documents: bagsFromCounts(c.documents, rowOfId, secondRowOfId, totalRows, options.tf),
    });
  }
  return { vocabulary, tokenizer: options.tokenizer, hashBuckets: options.hashBuckets, maxTokens: options.maxTokens, tf: options.tf, compounds: options.compounds, splits: out };
}

// ---- retrieval metrics ----

type PoolingParts = Pick<StaticModelParts, 'weights' | 'dimension' | 'queryWeights'> & { table: StaticTable };
/** A model as training leaves it: the table still in f32 (saving quantises it). */
export type TrainedParts = StaticModelParts & { table: { kind: 'f32'; data: Float32Array } };

/** Embeds bags[i] for i in `indices` with the inference pooling; returns n×d row-major. */
export function embedBags(bags: Bags, indices: readonly number[], parts: PoolingParts, kind: EmbedInputKind): Float32Array {
  const d = parts.dimension;
  const weights = kind === 'query' ? (parts.queryWeights ?? parts.weights) : parts.weights;
  const out = new Float32Array(indices.length * d);
  const acc = new Float64Array(d);
  indices.forEach((index, i) => {
    poolBag(bagAt(bags, index), weights, parts.table, d, out.subarray(i * d, (i + 1) * d), acc);
  });
  return out;
}

// ---- dense kernels (unrolled by four: about 2.5× faster than the plain loops in V8) ----

/** Retrieval metrics of the model on a pool: query i of the pool must find document i among all the pool's documents. */
export function evaluatePool(split: { queries: Bags; documents: Bags }, pool: readonly number[], parts: PoolingParts): RetrievalMetrics {
  const q = embedBags(split.queries, pool, parts, 'query');
  const c = embedBags(split.documents, pool, parts, 'document');
  return metricsFromScores(cosineScores(q, c, pool.length, parts.dimension), pool.length);
}

// ---- training ----

export interface StaticTrainOptions {
  dimension: number;
  tokenizer: StaticTokenizer;
  hashBuckets: number;
  /** See VocabularyOptions. */
  capUnknownWeights: boolean;
  /** Vocabulary cap (most frequent first). */
  maxVocab: number;
  /** Minimum number of training texts a token must appear in to get its own row. */
  minCount: number;
  maxTokens: number;
  tf: TfScaling;
  /** See PrepareOptions. */
  compounds: boolean;
  epochs: number;
  batchSize: number;
  /** Adam step size for the embedding rows (cosine-decayed to 10% over the planned steps). */
  learningRate: number;
  /** Adam step size for the log pooling weights (when learnWeights). */
  weightLearningRate: number;
  /** Initial softmax temperature. */
  temperature: number;
  learnTemperature: boolean;
  /** Learn each row's pooling weight (initialised to idf) alongside the vectors. */
  learnWeights: boolean;
  /** Queries get pooling weights of their own (a word matters differently in a question than in code). */
  separateQueryWeights: boolean;
  /**
   * Package-grouped batching: batches are made of runs of up to this many pairs from one package, a
   * cheap source of hard negatives; 0 = uniformly shuffled batches.
   */
  groupSize: number;
  /**
   * Mined hard negatives (hard-negatives.ts): per training pair, the pairs to put in its batch. When
   * given, batches are runs of a pair and its neighbours (of at most groupSize) instead of
   * package-grouped runs.
   */
  hardNegatives?: readonly (readonly number[])[];
  /** Probability of leaving a token out of a text for one training step (a regulariser). */
  tokenDropout: number;
  /** Decoupled weight decay of the rows a step touches (AdamW style, times the step size). */
  weightDecay: number;
  /** Initial row values are uniform in ±initScale. */
  initScale: number;
  seed: number;
  /** Epochs without a better validation MRR before stopping. */
  patience: number;
  /** Wall-clock budget; training stops after the epoch that crosses it. */
  maxMinutes: number;
  /** Validation candidates per evaluation. */
  evalPoolSize: number;
  /** Called after each epoch. */
  onEpoch?: (report: EpochReport) => void;
  /** Progress lines. */
  log?: (line: string) => void;
}

/**
 * Defaults chosen on the harvested pairs (~165k training pairs, 11 languages): validation MRR peaks
 * after the first epoch (the in-batch task is then solved and further epochs memorise), so two
 * epochs with early stopping; `log` tf beat `raw` by ~0.03 MRR; separate query weights, bigger or
 * package-grouped batches, token dropout and weight decay each moved validation MRR by < ±0.01
 * (dropout 0.3: −0.02). Tokens are identifier parts only: adding each multi-part identifier whole
 * (code-tokens-v1) gave 0.440 instead of 0.474 vector MRR on the validation workspaces. Compounds
 * (572k pairs): validation pool MRR 0.748 without, 0.755 with.
 */
export const DEFAULT_TRAIN_OPTIONS: Omit<StaticTrainOptions, 'onEpoch' | 'log'> = {
  dimension: 256,
  tokenizer: 'identifier-parts-v1',
  hashBuckets: 16384,
  capUnknownWeights: true,
  maxVocab: 50000,
  minCount: 3,
  maxTokens: DEFAULT_MAX_TOKENS,
  tf: 'log',
  compounds: true,
  epochs: 2,
  batchSize: 512,
  learningRate: 0.005,
  weightLearningRate: 0.003,
  temperature: 0.05,
  learnTemperature: true,
  learnWeights: true,
  separateQueryWeights: true,
  groupSize: 8,
  tokenDropout: 0,
  weightDecay: 0,
  initScale: 0.1,
  seed: 1,
  patience: 2,
  maxMinutes: Number.POSITIVE_INFINITY,
  evalPoolSize: 2000,
};

export interface EpochReport {
  epoch: number;
  loss: number;
  temperature: number;
  valid: RetrievalMetrics | null;
  seconds: number;
  best: boolean;
}

export interface TrainedStaticModel {
  parts: TrainedParts;
  history: EpochReport[];
  /** Epoch whose parameters were kept (0 = the initialisation). */
  bestEpoch: number;
  /** Validation metrics of the kept parameters (null without a validation split). */
  bestValid: RetrievalMetrics | null;
  /** Validation metrics of the initialisation (untrained), for comparison. */
  initialValid: RetrievalMetrics | null;
  options: Omit<StaticTrainOptions, 'onEpoch' | 'log'>;
}

/** Resolved options: defaults overlaid with what was given, validated. */
export function resolveTrainOptions(options: Partial<StaticTrainOptions>): StaticTrainOptions {
  const resolved: StaticTrainOptions = { ...DEFAULT_TRAIN_OPTIONS, ...options };
  const positiveInts: (keyof StaticTrainOptions)[] = ['dimension', 'maxVocab', 'minCount', 'maxTokens', 'epochs', 'batchSize', 'patience', 'evalPoolSize'];
  for (const key of positiveInts) {
    const v = resolved[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new TypeError(`Expected \`${key}\` to be a positive integer`);
  }
  for (const key of ['hashBuckets', 'groupSize'] as const) {
    if (!Number.isInteger(resolved[key]) || resolved[key] < 0) throw new TypeError(`Expected \`${key}\` to be a non-negative integer`);
  }
  for (const key of ['learningRate', 'weightLearningRate', 'temperature', 'initScale', 'maxMinutes'] as const) {
    if (!(resolved[key] > 0)) throw new TypeError(`Expected \`${key}\` to be a positive number`);
  }
  if (!(resolved.tokenDropout >= 0 && resolved.tokenDropout < 1)) throw new TypeError('Expected `tokenDropout` to be in [0, 1)');
  if (!(resolved.weightDecay >= 0)) throw new TypeError('Expected `weightDecay` to be a non-negative number');
  if (!Number.isInteger(resolved.seed)) throw new TypeError('Expected `seed` to be an integer');
  if (!Object.hasOwn(STATIC_TOKENIZERS, resolved.tokenizer)) throw new TypeError(`Expected \`tokenizer\` to be one of ${Object.keys(STATIC_TOKENIZERS).join(', ')}`);
  return resolved;
}

/** Batch order for one epoch: shuffled, or package-grouped runs in shuffled order. */
function epochOrder(pairs: readonly TrainingPair[], groupSize: number, rng: () => number): number[] {
  const all = pairs.map((_, i) => i);
  if (groupSize <= 1) return shuffleInPlace(all, rng);
  const byPackage = new Map<string, number[]>();
  pairs.forEach((pair, i) => {
    const list = byPackage.get(pair.pkg);
    if (list) list.push(i);
    else byPackage.set(pair.pkg, [i]);
  });
  const runs: number[][] = [];
  for (const list of byPackage.values()) {
    shuffleInPlace(list, rng);
    for (let i = 0; i < list.length; i += groupSize) runs.push(list.slice(i, i + groupSize));
  }
  shuffleInPlace(runs, rng);
  return runs.flat();
}

interface AdamState {
  m: Float32Array;
  v: Float32Array;
}

/** Pooling weights W = exp(logW) with their gradient and Adam moments. */
interface WeightSet extends AdamState {
  W: Float32Array;
  logW: Float32Array;
  grad: Float32Array;
}

/** Adam's moment decays and epsilon (bias correction uses the global step). */
const BETA1 = 0.9;
const BETA2 = 0.999;
const EPS = 1e-8;

/** `length` values uniform in ±scale: the first draws of a training run's random sequence. */
function initialTable(length: number, scale: number, rng: () => number): Float32Array {
  const E = new Float32Array(length);
  for (let i = 0; i < E.length; i++) E[i] = (rng() * 2 - 1) * scale;
  return E;
}

/** Pooling weights of `rows` rows, log-parametrised (so they stay positive) and initialised to idf. */
function initialWeights(rows: number, idf: Float32Array): WeightSet {
  const set: WeightSet = { W: new Float32Array(rows), logW: new Float32Array(rows), grad: new Float32Array(rows), m: new Float32Array(rows), v: new Float32Array(rows) };
  for (let r = 0; r < rows; r++) {
    set.logW[r] = Math.log(Math.max(1e-3, idf[r] ?? 1));
    set.W[r] = Math.exp(set.logW[r] ?? 0);
  }
  return set;
}

/** The validation split's bags and the seeded sample of pairs each evaluation ranks. */
interface ValidationSet {
  bags: { queries: Bags; documents: Bags };
  pool: number[];
}

/** Null without a `valid` split of at least two pairs (nothing to rank), which turns early stopping off. */
function validationSet(splits: ReadonlyMap<string, readonly TrainingPair[]>, corpus: PreparedCorpus, options: StaticTrainOptions): ValidationSet | null {
  const validPairs = splits.get('valid') ?? [];
  const bags = corpus.splits.get('valid');
  const pool = bags && validPairs.length > 1 ? samplePool(validPairs.map((_, i) => i), options.evalPoolSize, options.seed + 7) : [];
  return bags && pool.length >= 2 ? { bags, pool } : null;
}

/**
 * One training run's parameters (embedding rows E, pooling weights, softmax scale), their Adam
 * state, and the scratch buffers of a batch. A step: pool both sides of each pair, score every
 * query against every code of the batch, take the symmetric InfoNCE gradient back through the
 * scores, the L2 normalisation and the weighted mean, then Adam on the rows the batch touched.
 */
class StaticTrainer {
  private readonly d: number;
  private readonly rng: () => number;
  private readonly E: Float32Array;
  private readonly docWeights: WeightSet;
  /** The documents' set itself unless separateQueryWeights. */
  private readonly queryWeights: WeightSet;
  private readonly weightSets: WeightSet[];
  /** log of the softmax scale s = 1/temperature. */
  private logScale: number;
  private readonly adamE: AdamState;
  private adamS = { m: 0, v: 0 };
  private readonly gradE: Float32Array;
  /** Rows with a gradient in this step: the first touchedCount entries of touched, flagged in isTouched. */
  private readonly touched: Int32Array;
  private readonly isTouched: Uint8Array;
  private touchedCount = 0;

  /** Pairs per batch (at most). */
  private readonly B: number;
  readonly stepsPerEpoch: number;
  private readonly totalSteps: number;
  private readonly warmup: number;
  private step = 0;

  // One batch: sums U, unit vectors V and norms N of each side's slots; scaled scores S, their
  // gradient G and the mask of pairs that are no negatives (B×B); one slot's gradients dV, dU.
  private readonly Uq: Float32Array;
  private readonly Uc: Float32Array;
  private readonly Vq: Float32Array;
  private readonly Vc: Float32Array;
  private readonly Nq: Float64Array;
  private readonly Nc: Float64Array;
  private readonly S: Float64Array;
  private readonly G: Float64Array;
  private readonly dV: Float64Array;
  private readonly dU: Float64Array;
  private readonly mask: Uint8Array;
  private readonly maxBag: number;
  /** Token dropout: which entries of each slot's bag this step leaves out (the same in backward); empty without dropout. */
  private readonly dropQ: Uint8Array;
  private readonly dropC: Uint8Array;
  private readonly queryText: string[];
  private readonly codeText: string[];

  constructor(
    private readonly corpus: PreparedCorpus,
    private readonly options: StaticTrainOptions,
    private readonly train: readonly TrainingPair[],
    private readonly bags: { queries: Bags; documents: Bags },
  ) {
    const d = options.dimension;
    const R = corpus.vocabulary.vocab.length + options.hashBuckets;
    this.d = d;
    this.rng = createRng(options.seed);
    this.E = initialTable(R * d, options.initScale, this.rng);
    this.docWeights = initialWeights(R, corpus.vocabulary.idf);
    this.queryWeights = options.separateQueryWeights ? initialWeights(R, corpus.vocabulary.idf) : this.docWeights;
    this.weightSets = options.separateQueryWeights ? [this.docWeights, this.queryWeights] : [this.docWeights];
    this.logScale = Math.log(1 / options.temperature);
    this.adamE = { m: new Float32Array(R * d), v: new Float32Array(R * d) };
    this.gradE = new Float32Array(R * d);
    this.touched = new Int32Array(R);
    this.isTouched = new Uint8Array(R);

    const B = Math.min(options.batchSize, train.length);
    this.B = B;
    this.stepsPerEpoch = Math.ceil(train.length / B);
    this.totalSteps = this.stepsPerEpoch * options.epochs;
    this.warmup = Math.min(50, Math.ceil(this.totalSteps / 20));
    this.Uq = new Float32Array(B * d);
    this.Uc = new Float32Array(B * d);
    this.Vq = new Float32Array(B * d);
    this.Vc = new Float32Array(B * d);
    this.Nq = new Float64Array(B);
    this.Nc = new Float64Array(B);
    this.S = new Float64Array(B * B);
    this.G = new Float64Array(B * B);
    this.dV = new Float64Array(d);
    this.dU = new Float64Array(d);
    this.mask = new Uint8Array(B * B);
    this.maxBag = corpus.maxTokens;
    this.dropQ = new Uint8Array(options.tokenDropout > 0 ? B * this.maxBag : 0);
    this.dropC = new Uint8Array(options.tokenDropout > 0 ? B * this.maxBag : 0);
    this.queryText = train.map((p) => p.query);
    this.codeText = train.map((p) => p.code);
  }

  /** Softmax temperature now. */
  get temperature(): number {
    return 1 / Math.exp(this.logScale);
  }

  /** A copy of the parameters as they are now. */
  snapshot(): TrainedParts {
    const parts: TrainedParts = {
      dimension: this.d,
      tokenizer: this.corpus.tokenizer,
      vocab: this.corpus.vocabulary.vocab,
      weights: Float32Array.from(this.docWeights.W),
      hashBuckets: this.options.hashBuckets,
      maxTokens: this.corpus.maxTokens,
      tf: this.corpus.tf,
      table: { kind: 'f32', data: Float32Array.from(this.E) },
    };
    if (this.corpus.compounds) parts.compounds = true;
    if (this.options.separateQueryWeights) parts.queryWeights = Float32Array.from(this.queryWeights.W);
    return parts;
  }

  /** The parameters themselves (no copy), for evaluating between epochs. */
  liveParts(): PoolingParts {
    const live: PoolingParts = { dimension: this.d, weights: this.docWeights.W, table: { kind: 'f32', data: this.E } };
    if (this.options.separateQueryWeights) live.queryWeights = this.queryWeights.W;
    return live;
  }

  /** One pass over the training pairs in a fresh batch order; returns the mean batch loss. */
  trainEpoch(): number {
    const { hardNegatives, groupSize } = this.options;
    const order = hardNegatives === undefined ? epochOrder(this.train, groupSize, this.rng) : neighbourOrder(hardNegatives, Math.max(2, groupSize), this.rng);
    let lossSum = 0;
    let batches = 0;
    // A last batch of a single pair has no negatives: it is left out.
    for (let start = 0; start + 1 < order.length; start += this.B) {
      lossSum += this.trainBatch(order.slice(start, start + this.B));
      batches++;
    }
    return batches > 0 ? lossSum / batches : 0;
  }

  /** Row learning rate at a (1-based) step: linear warm-up, then cosine decay to 10% over the planned steps. */
  private learningRateAt(step: number): number {
    const { warmup, totalSteps } = this;
    return this.options.learningRate * (step <= warmup ? step / warmup : 0.1 + 0.45 * (1 + Math.cos((Math.PI * Math.min(1, (step - warmup) / Math.max(1, totalSteps - warmup))))));
  }

  /** One optimisation step on `batch` (indices of training pairs); returns its loss. */
  private trainBatch(batch: readonly number[]): number {
    const b = batch.length;
    this.step++;
    const lr = this.learningRateAt(this.step);
    const lrW = (lr / this.options.learningRate) * this.options.weightLearningRate;
    this.forwardBatch(batch);
    this.maskSharedTexts(batch);
    const scale = Math.exp(this.logScale);
    dotProducts(this.Vq, this.Vc, b, b, this.d, scale, this.S);
    const loss = this.lossAndScoreGradient(b);
    const gScale = this.logScaleGradient(b);
    this.backwardBatch(batch, scale);
    this.adamStep(lr, lrW);
    if (this.options.learnTemperature) this.updateTemperature(lr, gScale);
    return loss;
  }

  /** Both sides of every pair of the batch pooled into slot i (queries first: the dropout draws come in that order). */
  private forwardBatch(batch: readonly number[]): void {
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i] ?? 0;
      this.pool(this.bags.queries, p, i, this.Uq, this.Vq, this.Nq, this.dropQ, this.queryWeights);
      this.pool(this.bags.documents, p, i, this.Uc, this.Vc, this.Nc, this.dropC, this.docWeights);
    }
  }

  /** Forward pass of one side: U = Σ W·tf·E[row] over the kept entries, V = U/|U|. */
  private pool(bags: Bags, index: number, slot: number, U: Float32Array, Vout: Float32Array, N: Float64Array, drop: Uint8Array, weights: WeightSet): void {
    const { d, E, maxBag, rng } = this;
    const W = weights.W;
    const ub = slot * d;
    const start = bags.offsets[index] ?? 0;
    const end = bags.offsets[index + 1] ?? 0;
    if (drop.length > 0) {
      const db = slot * maxBag;
      let kept = 0;
      for (let k = start; k < end; k++) {
        const dropped = rng() < this.options.tokenDropout ? 1 : 0;
        drop[db + k - start] = dropped;
        kept += 1 - dropped;
      }
      // Never the whole bag: an empty text has no direction.
      if (kept === 0) drop.fill(0, db, db + end - start);
    }
    U.fill(0, ub, ub + d);
    for (let k = start; k < end; k++) {
      if (drop.length > 0 && drop[slot * maxBag + k - start]) continue;
      const row = bags.rows[k] ?? 0;
      const coef = (W[row] ?? 0) * (bags.tf[k] ?? 0);
      const eb = row * d;
      for (let j = 0; j < d; j++) U[ub + j] = (U[ub + j] ?? 0) + coef * (E[eb + j] ?? 0);
    }
    let norm = 0;
    for (let j = 0; j < d; j++) norm += (U[ub + j] ?? 0) ** 2;
    norm = Math.sqrt(norm);
    const n = norm > 1e-12 ? norm : 1e-12;
    N[slot] = n;
    for (let j = 0; j < d; j++) Vout[ub + j] = (U[ub + j] ?? 0) / n;
  }

  /** Pairs sharing a query text or a code text are not negatives of each other. */
  private maskSharedTexts(batch: readonly number[]): void {
    const { mask, queryText, codeText } = this;
    const b = batch.length;
    mask.fill(0, 0, b * b);
    for (let i = 0; i < b; i++) {
      const pi = batch[i] ?? 0;
      for (let j = i + 1; j < b; j++) {
        const pj = batch[j] ?? 0;
        if (queryText[pi] === queryText[pj] || codeText[pi] === codeText[pj]) {
          mask[i * b + j] = 1;
          mask[j * b + i] = 1;
        }
      }
    }
  }

  /** loss = ½(mean row CE + mean column CE) of the scores S; fills G = ∂loss/∂S and returns the loss. */
  private lossAndScoreGradient(b: number): number {
    const { S, G, mask } = this;
    G.fill(0, 0, b * b);
    let loss = 0;
    const half = 1 / (2 * b);
    for (let i = 0; i < b; i++) {
      let max = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < b; j++) if (!mask[i * b + j]) max = Math.max(max, S[i * b + j] ?? 0);
      let sum = 0;
      for (let j = 0; j < b; j++) if (!mask[i * b + j]) sum += Math.exp((S[i * b + j] ?? 0) - max);
      const logZ = max + Math.log(sum);
      loss += logZ - (S[i * b + i] ?? 0);
      for (let j = 0; j < b; j++) if (!mask[i * b + j]) G[i * b + j] = (G[i * b + j] ?? 0) + half * Math.exp((S[i * b + j] ?? 0) - logZ);
      G[i * b + i] = (G[i * b + i] ?? 0) - half;
    }
    for (let j = 0; j < b; j++) {
      let max = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < b; i++) if (!mask[i * b + j]) max = Math.max(max, S[i * b + j] ?? 0);
      let sum = 0;
      for (let i = 0; i < b; i++) if (!mask[i * b + j]) sum += Math.exp((S[i * b + j] ?? 0) - max);
      const logZ = max + Math.log(sum);
      loss += logZ - (S[j * b + j] ?? 0);
      for (let i = 0; i < b; i++) if (!mask[i * b + j]) G[i * b + j] = (G[i * b + j] ?? 0) + half * Math.exp((S[i * b + j] ?? 0) - logZ);
      G[j * b + j] = (G[j * b + j] ?? 0) - half;
    }
    loss /= 2 * b;
    return loss;
  }

  /** ∂loss/∂log s = Σ G·S, since S = s·cos. */
  private logScaleGradient(b: number): number {
    const { S, G } = this;
    let gScale = 0;
    for (let x = 0; x < b * b; x++) gScale += (G[x] ?? 0) * (S[x] ?? 0);
    return gScale;
  }

  /** Gradients of the batch into gradE and the weight sets: ∂S/∂Vq[i] = s·Vc[j], ∂S/∂Vc[j] = s·Vq[i]. */
  private backwardBatch(batch: readonly number[], scale: number): void {
    const { d, G, dV, Vq, Vc } = this;
    const b = batch.length;
    this.touchedCount = 0;
    for (let i = 0; i < b; i++) {
      combineRows(Vc, G, i * b, 1, b, d, scale, dV);
      this.backward(this.bags.queries, batch[i] ?? 0, i, Vq, this.Nq, this.dropQ, this.queryWeights);
    }
    for (let j = 0; j < b; j++) {
      combineRows(Vq, G, j, b, b, d, scale, dV);
      this.backward(this.bags.documents, batch[j] ?? 0, j, Vc, this.Nc, this.dropC, this.docWeights);
    }
  }

  /** Backward of one side: dV (scaled by s) → dU → rows and log-weights. */
  private backward(bags: Bags, index: number, slot: number, Vin: Float32Array, N: Float64Array, drop: Uint8Array, weights: WeightSet): void {
    const { d, E, dV, dU, gradE, isTouched, touched, maxBag } = this;
    const W = weights.W;
    const gradW = weights.grad;
    const vb = slot * d;
    let dot = 0;
    for (let j = 0; j < d; j++) dot += (Vin[vb + j] ?? 0) * (dV[j] ?? 0);
    const invN = 1 / (N[slot] ?? 1);
    for (let j = 0; j < d; j++) dU[j] = ((dV[j] ?? 0) - (Vin[vb + j] ?? 0) * dot) * invN;
    const start = bags.offsets[index] ?? 0;
    for (let k = start; k < (bags.offsets[index + 1] ?? 0); k++) {
      if (drop.length > 0 && drop[slot * maxBag + k - start]) continue;
      const row = bags.rows[k] ?? 0;
      const coef = (W[row] ?? 0) * (bags.tf[k] ?? 0);
      const eb = row * d;
      if (!isTouched[row]) {
        isTouched[row] = 1;
        touched[this.touchedCount++] = row;
      }
      let gw = 0;
      for (let j = 0; j < d; j++) {
        gradE[eb + j] = (gradE[eb + j] ?? 0) + coef * (dU[j] ?? 0);
        gw += (E[eb + j] ?? 0) * (dU[j] ?? 0);
      }
      gradW[row] = (gradW[row] ?? 0) + coef * gw;
    }
  }

  /** Lazy Adam on the touched rows (bias correction from the global step); clears their gradients. */
  private adamStep(lr: number, lrW: number): void {
    const { d, E, gradE, adamE, touched, isTouched, options } = this;
    const c1 = 1 - BETA1 ** this.step;
    const c2 = 1 - BETA2 ** this.step;
    const stepE = lr / c1;
    const stepW = lrW / c1;
    const decay = 1 - lr * options.weightDecay;
    for (let t = 0; t < this.touchedCount; t++) {
      const row = touched[t] ?? 0;
      isTouched[row] = 0;
      const eb = row * d;
      for (let j = 0; j < d; j++) {
        const g = gradE[eb + j] ?? 0;
        const m = BETA1 * (adamE.m[eb + j] ?? 0) + (1 - BETA1) * g;
        const v = BETA2 * (adamE.v[eb + j] ?? 0) + (1 - BETA2) * g * g;
        adamE.m[eb + j] = m;
        adamE.v[eb + j] = v;
        E[eb + j] = (E[eb + j] ?? 0) * decay - (stepE * m) / (Math.sqrt(v / c2) + EPS);
        gradE[eb + j] = 0;
      }
      for (const set of this.weightSets) {
        if (options.learnWeights) {
          const g = set.grad[row] ?? 0;
          const m = BETA1 * (set.m[row] ?? 0) + (1 - BETA1) * g;
          const v = BETA2 * (set.v[row] ?? 0) + (1 - BETA2) * g * g;
          set.m[row] = m;
          set.v[row] = v;
          set.logW[row] = Math.max(-8, Math.min(5, (set.logW[row] ?? 0) - (stepW * m) / (Math.sqrt(v / c2) + EPS)));
          set.W[row] = Math.exp(set.logW[row] ?? 0);
        }
        set.grad[row] = 0;
      }
    }
  }

  /** Adam on log s, kept so that the temperature stays between 0.01 and 1. */
  private updateTemperature(lr: number, gScale: number): void {
    const c1 = 1 - BETA1 ** this.step;
    const c2 = 1 - BETA2 ** this.step;
    const g = gScale;
    this.adamS = { m: BETA1 * this.adamS.m + (1 - BETA1) * g, v: BETA2 * this.adamS.v + (1 - BETA2) * g * g };
    this.logScale = Math.max(0, Math.min(Math.log(100), this.logScale - ((lr / c1) * this.adamS.m) / (Math.sqrt(this.adamS.v / c2) + EPS)));
  }
}

/** Why training stops after this epoch (no progress on validation, or the time budget), or null to go on. */
function stopReason(valid: RetrievalMetrics | null, sinceBest: number, started: number, options: StaticTrainOptions): string | null {
  if (valid !== null && sinceBest >= options.patience) return `early stop: no better validation MRR for ${options.patience} epochs`;
  if ((performance.now() - started) / 60000 >= options.maxMinutes) return `time budget of ${options.maxMinutes} min reached`;
  return null;
}

/**
 * Trains a model. `splits` must hold `train`; `valid` (if present) drives early stopping and the
 * choice of the kept epoch. Deterministic for a given seed, data and options.
 */
export function trainStaticModel(splits: ReadonlyMap<string, readonly TrainingPair[]>, given: Partial<StaticTrainOptions> = {}, prepared?: PreparedCorpus): TrainedStaticModel {
  const options = resolveTrainOptions(given);
  const log = options.log ?? (() => {});
  const started = performance.now();
  const train = splits.get('train') ?? [];
  if (train.length < 2) throw new TypeError('Expected at least 2 training pairs');
  const corpus = prepared ?? prepareCorpus(splits, options);
  const trainBags = corpus.splits.get('train');
  if (!trainBags) throw new Error('unreachable: no train bags');
  const validation = validationSet(splits, corpus, options);
  const trainer = new StaticTrainer(corpus, options, train, trainBags);
  const evaluate = (): RetrievalMetrics | null => (validation ? evaluatePool(validation.bags, validation.pool, trainer.liveParts()) : null);

  const history: EpochReport[] = [];
  const initialValid = evaluate();
  let bestValid = initialValid;
  let best = trainer.snapshot();
  let bestEpoch = 0;
  let sinceBest = 0;
  log(`vocabulary ${corpus.vocabulary.vocab.length} + ${options.hashBuckets} hash buckets, ${train.length} training pairs, ${trainer.stepsPerEpoch} steps/epoch`);
  if (initialValid) log(`untrained: valid MRR ${initialValid.mrr.toFixed(4)} R@1 ${initialValid.r1.toFixed(4)} R@10 ${initialValid.r10.toFixed(4)} (pool ${initialValid.n})`);

  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const epochStart = performance.now();
    const loss = trainer.trainEpoch();
    const valid = evaluate();
    const improved = valid === null || bestValid === null || valid.mrr > bestValid.mrr;
    if (improved) {
      best = trainer.snapshot();
      bestValid = valid;
      bestEpoch = epoch;
      sinceBest = 0;
    } else sinceBest++;
    const report: EpochReport = { epoch, loss, temperature: trainer.temperature, valid, seconds: (performance.now() - epochStart) / 1000, best: improved };
    history.push(report);
    options.onEpoch?.(report);
    const stop = stopReason(valid, sinceBest, started, options);
    if (stop !== null) {
      log(stop);
      break;
    }
  }
  const { onEpoch: _onEpoch, log: _log, hardNegatives: _hardNegatives, ...plain } = options;
  return { parts: best, history, bestEpoch, bestValid, initialValid, options: plain };
}

// ---- saving ----

export interface SaveOptions {
  quantization: Quantization;
  /** Stored under `training` in model.json (keep it free of timings so the bytes are reproducible). */
  training?: Record<string, unknown>;
}

/** The shortest decimal that reads back as the same float32 (so a saved model reproduces exactly). */
function roundWeight(w: number): number {
  const exact = Math.fround(w);
  for (let digits = 1; digits < 9; digits++) {
    const short = Number(exact.toPrecision(digits));
    if (Math.fround(short) === exact) return short;
  }
  return exact;
}

/** Writes model.json and embeddings.bin into `dir`; returns their sizes in bytes. */
export async function saveStaticModel(dir: string, parts: TrainedParts, options: SaveOptions): Promise<{ modelJson: number; embeddings: number }> {
  const rows = parts.vocab.length + parts.hashBuckets;
  const file: StaticModelFile = {
    format: STATIC_MODEL_FORMAT,
    version: STATIC_MODEL_VERSION,
    dimension: parts.dimension,
    tokenizer: parts.tokenizer,
    hashBuckets: parts.hashBuckets,
    quantization: options.quantization,
    maxTokens: parts.maxTokens,
    tf: parts.tf,
    vocab: [...parts.vocab],
    weights: Array.from(parts.weights, roundWeight),
  };
  if (parts.queryWeights) file.queryWeights = Array.from(parts.queryWeights, roundWeight);
  if (parts.queryPrefix !== undefined) file.queryPrefix = parts.queryPrefix;
  if (parts.compounds) file.compounds = true;
  if (options.training) file.training = options.training;
  const json = `${JSON.stringify(file)}\n`;
  const bytes = encodeTable(parts.table.data, rows, parts.dimension, options.quantization);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, MODEL_FILE), json);
  await writeFile(join(dir, EMBEDDINGS_FILE), bytes);
  return { modelJson: Buffer.byteLength(json), embeddings: bytes.byteLength };
}

/** The parts as they will be after saving (table quantised), for measuring before writing. */
export function asSaved(parts: TrainedParts, quantization: Quantization): StaticModelParts {
  const rows = parts.vocab.length + parts.hashBuckets;
  const bytes = encodeTable(parts.table.data, rows, parts.dimension, quantization);
  const weights = Float32Array.from(parts.weights, roundWeight);
  const saved: StaticModelParts = { ...parts, weights, table: decodeTable(bytes, rows, parts.dimension, quantization) };
  if (parts.queryWeights) saved.queryWeights = Float32Array.from(parts.queryWeights, roundWeight);
  return saved;
}

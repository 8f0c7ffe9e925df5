// Training of the query-side linear adapter (src/core/adapter.ts): a d×d matrix W such that
// score(q, c) = cos(W·q, c) ranks each query's own code first. Inputs are already-embedded pairs, so
// the embedding model never runs here.
//
// - loss: softmax cross-entropy of each query over the batch's codes (in-batch negatives) plus its
//   own hard negatives, logits cos(W·q, c)/τ; codes (or queries) with identical vectors are masked
//   out as negatives, so duplicates are never pushed apart;
// - W starts at W0 (the identity unless given) and an L2 penalty λ·‖W − W0‖²_F keeps it near there;
// - Adam with minibatches; after each epoch the validation MRR is measured, the best W is kept and
//   training stops after `patience` epochs without a better one (epoch 0 = W0: an adapter that never
//   beats it comes back as W0, with bestEpoch 0);
// - plain Float32Array math on one thread, deterministic for a seed (same bytes).
//
// A step costs about 4·B·d² + 2·B²·d multiply-adds (B the batch size): at d = 256 and B = 128 that is
// ~40M, a few tens of milliseconds in V8.

import { createRng, samplePool, shuffleInPlace } from '../util/random.js';
import { combineRows, cosineScores, dotProducts } from '../util/vector-math.js';
import { answerRanks, metricsFromScores, type RetrievalMetrics } from './metrics.js';


/** Embedded (query → code) pairs: query row i is answered by code row i. */
export interface EmbeddedPairs {
  dimension: number;
  /** n×d, row-major, L2-normalised. */
  queries: Float32Array;
  /** n×d, row-major, L2-normalised. */
  codes: Float32Array;
  /**
   * For each query, code rows (of this same set) that look like its answer but are not: top
   * lexical or vector hits, say (see `mineHardNegatives`). Optional.
   */
  hardNegatives?: readonly (readonly number[])[];
}

export interface AdapterTrainOptions {
  /** Most epochs to run (early stopping usually ends sooner). */
  epochs: number;
  batchSize: number;
  /** Adam step size. */
  learningRate: number;
  /** Softmax temperature τ: logits are cos/τ. */
  temperature: number;
  /** λ of the penalty λ·‖W − W0‖²_F. */
  l2: number;
  /**
   * An epoch is at least this many steps: small data sets (a workspace's few hundred documented
   * functions) are passed over several times per epoch, so each validation check follows real training.
   */
  minStepsPerEpoch: number;
  /** Hard negatives used per query and step (the first ones of each query's list). */
  hardNegatives: number;
  /** Epochs without a better validation MRR before stopping. */
  patience: number;
  /** Validation pairs per MRR evaluation (a seeded sample when there are more). */
  validPoolSize: number;
  seed: number;
  /** Wall-clock budget in seconds; training stops after the epoch that crosses it. */
  maxSeconds: number;
  /** Starting point and anchor of the penalty (d×d row-major); the identity when absent. */
  initial?: Float32Array;
  onEpoch?: (epoch: AdapterEpochReport) => void;
}

export const DEFAULT_ADAPTER_OPTIONS: Omit<AdapterTrainOptions, 'initial' | 'onEpoch'> = {
  epochs: 12,
  batchSize: 128,
  minStepsPerEpoch: 20,
  learningRate: 0.001,
  temperature: 0.05,
  l2: 0.01,
  hardNegatives: 3,
  patience: 2,
  validPoolSize: 1000,
  seed: 1,
  maxSeconds: Number.POSITIVE_INFINITY,
};

export interface AdapterEpochReport {
  epoch: number;
  /** Mean training loss of the epoch (cross-entropy + penalty). */
  loss: number;
  valid: RetrievalMetrics;
  seconds: number;
  /** Whether this epoch's W is the best so far (the one kept if training ended now). */
  best: boolean;
}

export interface AdapterTrainReport {
  /** Epochs run. */
  epochs: number;
  /** The epoch whose W was kept; 0 = W0 (training did not beat the starting point). */
  bestEpoch: number;
  /** Validation metrics of W0 and of the kept W, on the same pool. */
  validBefore: RetrievalMetrics;
  validAfter: RetrievalMetrics;
  /** Validation metrics of the identity, when W0 is not the identity. */
  validIdentity?: RetrievalMetrics;
  history: AdapterEpochReport[];
  trainPairs: number;
  validPairs: number;
  seconds: number;
  options: Omit<AdapterTrainOptions, 'initial' | 'onEpoch'>;
}

export interface TrainedAdapter {
  /** d×d row-major; apply as in `linearAdapter`. */
  matrix: Float32Array;
  report: AdapterTrainReport;
}

export function identityMatrix(d: number): Float32Array {
  const m = new Float32Array(d * d);
  for (let i = 0; i < d; i++) m[i * d + i] = 1;
  return m;
}

function resolveOptions(given: Partial<AdapterTrainOptions>): AdapterTrainOptions {
  const options: AdapterTrainOptions = { ...DEFAULT_ADAPTER_OPTIONS, ...given };
  for (const key of ['epochs', 'batchSize', 'minStepsPerEpoch', 'patience', 'validPoolSize'] as const) {
    if (!Number.isInteger(options[key]) || options[key] < 1) throw new TypeError(`trainAdapter: \`${key}\` must be a positive integer, not ${String(options[key])}`);
  }
  if (!Number.isInteger(options.hardNegatives) || options.hardNegatives < 0) throw new TypeError(`trainAdapter: \`hardNegatives\` must be a non-negative integer, not ${String(options.hardNegatives)}`);
  for (const key of ['learningRate', 'temperature', 'maxSeconds'] as const) {
    if (!(options[key] > 0)) throw new TypeError(`trainAdapter: \`${key}\` must be a positive number, not ${String(options[key])}`);
  }
  if (!(options.l2 >= 0) || !Number.isFinite(options.l2)) throw new TypeError(`trainAdapter: \`l2\` must be a non-negative number, not ${String(options.l2)}`);
  if (!Number.isInteger(options.seed)) throw new TypeError(`trainAdapter: \`seed\` must be an integer, not ${String(options.seed)}`);
  return options;
}

function checkPairs(name: string, pairs: EmbeddedPairs, d: number): number {
  if (pairs.dimension !== d) throw new TypeError(`trainAdapter: the ${name} pairs have dimension ${pairs.dimension}, the train pairs ${d}`);
  const n = pairs.queries.length / d;
  if (!Number.isInteger(n) || pairs.codes.length !== pairs.queries.length) {
    throw new TypeError(`trainAdapter: the ${name} pairs need n×${d} queries and as many codes (got ${pairs.queries.length} and ${pairs.codes.length} values)`);
  }
  if (pairs.hardNegatives && pairs.hardNegatives.length !== n) throw new TypeError(`trainAdapter: the ${name} pairs have ${pairs.hardNegatives.length} hard-negative lists for ${n} queries`);
  return n;
}

/**
 * Ids such that two rows get the same id exactly when their vectors are bit-identical (the same
 * text embedded twice): such rows must not serve as each other's negatives.
 */
export function duplicateIds(rows: Float32Array, d: number): Int32Array {
  const n = rows.length / d;
  const ids = new Int32Array(n);
  const seen = new Map<string, number>();
  const bytes = Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength);
  for (let i = 0; i < n; i++) {
    const key = bytes.toString('base64', i * d * 4, (i + 1) * d * 4);
    const id = seen.get(key);
    if (id === undefined) {
      seen.set(key, i);
      ids[i] = i;
    } else ids[i] = id;
  }
  return ids;
}

/** rows·Wᵀ, each result row L2-normalised: the adapted queries (n×d). */
export function applyMatrix(matrix: Float32Array, rows: Float32Array, d: number): Float32Array {
  const n = rows.length / d;
  const out = new Float32Array(n * d);
  dotProducts(rows, matrix, n, d, d, 1, out);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let k = 0; k < d; k++) norm += (out[i * d + k] ?? 0) ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let k = 0; k < d; k++) out[i * d + k] = (out[i * d + k] ?? 0) / norm;
  }
  return out;
}

function rowsAt(rows: Float32Array, indices: readonly number[], d: number): Float32Array {
  const out = new Float32Array(indices.length * d);
  indices.forEach((index, i) => out.set(rows.subarray(index * d, (index + 1) * d), i * d));
  return out;
}

/** Validation metrics of a matrix on a pool: query i must find code i among the pool's codes. */
function evaluate(matrix: Float32Array, queries: Float32Array, codes: Float32Array, n: number, d: number): RetrievalMetrics {
  return metricsFromScores(cosineScores(applyMatrix(matrix, queries, d), codes, n, d), n);
}

/**
 * The training objective on one batch: mean softmax cross-entropy of each query over the batch's
 * codes and its own hard negatives (logits cos(W·q, c)/τ), plus λ·‖W − W0‖²_F. Exported for the
 * gradient check in the tests; `trainAdapter` is the API.
 */
export class BatchObjective {
  private readonly d: number;
  private readonly codeIds: Int32Array;
  private readonly queryIds: Int32Array;
  private readonly Q: Float32Array;
  private readonly C: Float32Array;
  private readonly H: Float32Array;
  private readonly P: Float32Array;
  private readonly U: Float32Array;
  private readonly norms: Float64Array;
  private readonly S: Float32Array;
  private readonly SH: Float64Array;
  private readonly G: Float64Array;
  private readonly GH: Float64Array;
  private readonly hardCount: Int32Array;
  private readonly dU: Float64Array;
  private readonly dP: Float64Array;
  private readonly row: Float64Array;

  constructor(
    private readonly pairs: EmbeddedPairs,
    maxBatch: number,
    private readonly K: number,
    private readonly temperature: number,
    private readonly l2: number,
    private readonly anchor: Float32Array,
  ) {
    const d = (this.d = pairs.dimension);
    this.codeIds = duplicateIds(pairs.codes, d);
    this.queryIds = duplicateIds(pairs.queries, d);
    const B = maxBatch;
    this.Q = new Float32Array(B * d);
    this.C = new Float32Array(B * d);
    this.H = new Float32Array(B * K * d);
    this.P = new Float32Array(B * d);
    this.U = new Float32Array(B * d);
    this.norms = new Float64Array(B);
    this.S = new Float32Array(B * B);
    this.SH = new Float64Array(B * K);
    this.G = new Float64Array(B * B);
    this.GH = new Float64Array(B * K);
    this.hardCount = new Int32Array(B);
    this.dU = new Float64Array(d);
    this.dP = new Float64Array(B * d);
    this.row = new Float64Array(d);
  }

  /** The loss of `batch` (pair indices) under W; its gradient with respect to W goes to `grad`. */
  evaluate(batch: readonly number[], W: Float32Array, grad: Float64Array): number {
    const { d, K, pairs, codeIds, queryIds, Q, C, H, P, U, norms, S, SH, G, GH, hardCount, dU, dP, row } = this;
    const n = pairs.queries.length / d;
    const b = batch.length;
    const invT = 1 / this.temperature;
    batch.forEach((index, i) => {
      Q.set(pairs.queries.subarray(index * d, (index + 1) * d), i * d);
      C.set(pairs.codes.subarray(index * d, (index + 1) * d), i * d);
      let h = 0;
      for (const neg of pairs.hardNegatives?.[index] ?? []) {
        if (h >= K) break;
        if (neg === index || neg < 0 || neg >= n || codeIds[neg] === codeIds[index]) continue;
        H.set(pairs.codes.subarray(neg * d, (neg + 1) * d), (i * K + h) * d);
        h++;
      }
      hardCount[i] = h;
    });

    // Forward: P = Q·Wᵀ, U = P/|P|, S = U·Cᵀ/τ, SH = U·H/τ.
    dotProducts(Q, W, b, d, d, 1, P);
    for (let i = 0; i < b; i++) {
      let norm = 0;
      for (let k = 0; k < d; k++) norm += (P[i * d + k] ?? 0) ** 2;
      norm = Math.sqrt(norm) || 1;
      norms[i] = norm;
      for (let k = 0; k < d; k++) U[i * d + k] = (P[i * d + k] ?? 0) / norm;
    }
    dotProducts(U, C, b, b, d, invT, S);
    let loss = 0;
    const scale = invT / b;
    for (let i = 0; i < b; i++) {
      const hi = hardCount[i] ?? 0;
      for (let h = 0; h < hi; h++) {
        let s = 0;
        const ub = i * d;
        const hb = (i * K + h) * d;
        for (let k = 0; k < d; k++) s += (U[ub + k] ?? 0) * (H[hb + k] ?? 0);
        SH[i * K + h] = s * invT;
      }
      // Softmax over the allowed logits: the positive, other codes unless duplicates, hard negatives.
      const self = batch[i] ?? 0;
      let max = -Infinity;
      for (let j = 0; j < b; j++) {
        const other = batch[j] ?? 0;
        const allowed = j === i || (codeIds[other] !== codeIds[self] && queryIds[other] !== queryIds[self]);
        G[i * b + j] = allowed ? 1 : 0;
        if (allowed) max = Math.max(max, S[i * b + j] ?? 0);
      }
      for (let h = 0; h < hi; h++) max = Math.max(max, SH[i * K + h] ?? 0);
      let sum = 0;
      for (let j = 0; j < b; j++) {
        const e = G[i * b + j] === 1 ? Math.exp((S[i * b + j] ?? 0) - max) : 0;
        G[i * b + j] = e;
        sum += e;
      }
      for (let h = 0; h < hi; h++) {
        const e = Math.exp((SH[i * K + h] ?? 0) - max);
        GH[i * K + h] = e;
        sum += e;
      }
      loss -= (S[i * b + i] ?? 0) - max - Math.log(sum);
      // dLoss/dlogit = (softmax − onehot)/b, times 1/τ for the cosine.
      for (let j = 0; j < b; j++) G[i * b + j] = ((G[i * b + j] ?? 0) / sum - (j === i ? 1 : 0)) * scale;
      for (let h = 0; h < hi; h++) GH[i * K + h] = ((GH[i * K + h] ?? 0) / sum) * scale;
    }

    // Backward to P: dU = Σ_j G_ij c_j + Σ_h GH_ih h_ih; dP = (dU − (dU·u)u)/|p|.
    for (let i = 0; i < b; i++) {
      combineRows(C, G, i * b, 1, b, d, 1, dU);
      const hi = hardCount[i] ?? 0;
      for (let h = 0; h < hi; h++) {
        const g = GH[i * K + h] ?? 0;
        const hb = (i * K + h) * d;
        for (let k = 0; k < d; k++) dU[k] = (dU[k] ?? 0) + g * (H[hb + k] ?? 0);
      }
      let dot = 0;
      for (let k = 0; k < d; k++) dot += (dU[k] ?? 0) * (U[i * d + k] ?? 0);
      const inv = 1 / (norms[i] ?? 1);
      for (let k = 0; k < d; k++) dP[i * d + k] = ((dU[k] ?? 0) - dot * (U[i * d + k] ?? 0)) * inv;
    }
    // dW[r][k] = Σ_i dP[i][r]·q_i[k] + 2λ(W − W0)[r][k].
    let penalty = 0;
    for (let r = 0; r < d; r++) {
      combineRows(Q, dP, r, d, b, d, 1, row);
      const base = r * d;
      for (let k = 0; k < d; k++) {
        const delta = (W[base + k] ?? 0) - (this.anchor[base + k] ?? 0);
        penalty += delta * delta;
        grad[base + k] = (row[k] ?? 0) + 2 * this.l2 * delta;
      }
    }
    return loss / b + this.l2 * penalty;
  }
}

/**
 * Trains W on `train`, choosing the epoch (and stopping) by MRR on `valid` (query i among the pool's
 * codes). Deterministic for a seed, data and options.
 */
export function trainAdapter(train: EmbeddedPairs, valid: EmbeddedPairs, given: Partial<AdapterTrainOptions> = {}): TrainedAdapter {
  const options = resolveOptions(given);
  const started = performance.now();
  const d = train.dimension;
  if (!Number.isInteger(d) || d < 1) throw new TypeError(`trainAdapter: \`dimension\` must be a positive integer, not ${String(d)}`);
  const n = checkPairs('train', train, d);
  const nValid = checkPairs('valid', valid, d);
  if (n < 2) throw new TypeError(`trainAdapter: need at least 2 training pairs, got ${n}`);
  if (nValid < 2) throw new TypeError(`trainAdapter: need at least 2 validation pairs, got ${nValid}`);
  const initial = options.initial ?? identityMatrix(d);
  if (initial.length !== d * d) throw new TypeError(`trainAdapter: \`initial\` has ${initial.length} values, expected ${d}×${d}`);

  const pool = samplePool(
    Array.from({ length: nValid }, (_, i) => i),
    options.validPoolSize,
    options.seed + 7,
  );
  const validQueries = rowsAt(valid.queries, pool, d);
  const validCodes = rowsAt(valid.codes, pool, d);
  const validBefore = evaluate(initial, validQueries, validCodes, pool.length, d);
  const validIdentity = options.initial ? evaluate(identityMatrix(d), validQueries, validCodes, pool.length, d) : undefined;

  const W = Float32Array.from(initial);
  const best = Float32Array.from(initial);
  let bestMrr = validBefore.mrr;
  let bestValid = validBefore;
  let bestEpoch = 0;
  const m1 = new Float64Array(d * d);
  const m2 = new Float64Array(d * d);
  const beta1 = 0.9;
  const beta2 = 0.999;
  let step = 0;

  const objective = new BatchObjective(train, Math.min(options.batchSize, n), train.hardNegatives ? options.hardNegatives : 0, options.temperature, options.l2, initial);
  const rng = createRng(options.seed);
  const B = Math.min(options.batchSize, n);
  const passes = Math.max(1, Math.ceil(options.minStepsPerEpoch / Math.ceil(n / B)));
  const grad = new Float64Array(d * d);

  const history: AdapterEpochReport[] = [];
  let stale = 0;
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const epochStart = performance.now();
    let lossSum = 0;
    let batches = 0;
    for (let pass = 0; pass < passes; pass++) {
      const order = shuffleInPlace(
        Array.from({ length: n }, (_, i) => i),
        rng,
      );
      for (let start = 0; start + 1 < n; start += B) {
        const batch = order.slice(start, start + B);
        if (batch.length < 2) break;
        lossSum += objective.evaluate(batch, W, grad);
        batches++;

        // Adam.
        step++;
        const lr = (options.learningRate * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
        for (let p = 0; p < d * d; p++) {
          const g = grad[p] ?? 0;
          const m = beta1 * (m1[p] ?? 0) + (1 - beta1) * g;
          const v = beta2 * (m2[p] ?? 0) + (1 - beta2) * g * g;
          m1[p] = m;
          m2[p] = v;
          W[p] = (W[p] ?? 0) - (lr * m) / (Math.sqrt(v) + 1e-8);
        }
      }
    }

    const validMetrics = evaluate(W, validQueries, validCodes, pool.length, d);
    const improved = validMetrics.mrr > bestMrr;
    if (improved) {
      bestMrr = validMetrics.mrr;
      bestValid = validMetrics;
      bestEpoch = epoch;
      best.set(W);
      stale = 0;
    } else stale++;
    const report: AdapterEpochReport = { epoch, loss: batches > 0 ? lossSum / batches : 0, valid: validMetrics, seconds: (performance.now() - epochStart) / 1000, best: improved };
    history.push(report);
    options.onEpoch?.(report);
    if (stale >= options.patience) break;
    if ((performance.now() - started) / 1000 >= options.maxSeconds) break;
  }

  const { initial: _initial, onEpoch: _onEpoch, ...kept } = options;
  return {
    matrix: best,
    report: {
      epochs: history.length,
      bestEpoch,
      validBefore,
      validAfter: bestValid,
      ...(validIdentity ? { validIdentity } : {}),
      history,
      trainPairs: n,
      validPairs: pool.length,
      seconds: (performance.now() - started) / 1000,
      options: kept,
    },
  };
}

export interface MineOptions {
  /**
   * Only codes of the same group (package, folder) are candidates: the negatives a search within
   * one code base meets. When absent, a seeded sample of `sample` codes is the candidate set.
   */
  groups?: readonly string[];
  /** Candidate codes without `groups` (default 2048): cost n·sample·d. */
  sample?: number;
  seed?: number;
  /** Rank with this matrix applied to the queries (d×d); the raw vectors when absent. */
  matrix?: Float32Array;
}

/**
 * For each query, the `k` candidate codes (other than its own, and other than codes identical to
 * its own) that score highest for it: the negatives the current ranking confuses with the answer.
 */
export function mineHardNegatives(pairs: EmbeddedPairs, k: number, options: MineOptions = {}): number[][] {
  const d = pairs.dimension;
  const n = pairs.queries.length / d;
  if (!Number.isInteger(k) || k < 0) throw new TypeError(`mineHardNegatives: \`k\` must be a non-negative integer, not ${String(k)}`);
  if (options.groups && options.groups.length !== n) throw new TypeError(`mineHardNegatives: \`groups\` has ${options.groups.length} entries for ${n} pairs`);
  const sample = options.sample ?? 2048;
  if (!Number.isInteger(sample) || sample < 1) throw new TypeError(`mineHardNegatives: \`sample\` must be a positive integer, not ${String(sample)}`);
  const out: number[][] = Array.from({ length: n }, () => []);
  if (k === 0 || n < 2) return out;
  const queries = options.matrix ? applyMatrix(options.matrix, pairs.queries, d) : pairs.queries;
  const ids = duplicateIds(pairs.codes, d);
  const top = new Float64Array(k);
  const topIndex = new Int32Array(k);
  /** Keeps the k best of query i's candidate scores, best first (ties: lower index first). */
  const pick = (i: number, candidates: ArrayLike<number>, scores: Float32Array): void => {
    let size = 0;
    for (let c = 0; c < candidates.length; c++) {
      const j = candidates[c] ?? 0;
      if (j === i || ids[j] === ids[i]) continue;
      const s = scores[c] ?? 0;
      if (size === k && s <= (top[k - 1] ?? Infinity)) continue;
      let at = size === k ? k - 1 : size++;
      while (at > 0 && (top[at - 1] ?? 0) < s) {
        top[at] = top[at - 1] ?? 0;
        topIndex[at] = topIndex[at - 1] ?? 0;
        at--;
      }
      top[at] = s;
      topIndex[at] = j;
    }
    out[i] = Array.from(topIndex.subarray(0, size));
  };
  const blockScores = (rows: readonly number[], candidates: readonly number[], visit: (i: number, scores: Float32Array) => void): void => {
    const codes = rowsAt(pairs.codes, candidates, d);
    const block = Math.max(1, Math.floor(1_000_000 / candidates.length));
    const scores = new Float32Array(block * candidates.length);
    for (let start = 0; start < rows.length; start += block) {
      const part = rows.slice(start, start + block);
      dotProducts(rowsAt(queries, part, d), codes, part.length, candidates.length, d, 1, scores);
      part.forEach((i, r) => visit(i, scores.subarray(r * candidates.length, (r + 1) * candidates.length)));
    }
  };
  if (options.groups) {
    const members = new Map<string, number[]>();
    options.groups.forEach((g, i) => {
      const list = members.get(g);
      if (list) list.push(i);
      else members.set(g, [i]);
    });
    for (const list of members.values()) blockScores(list, list, (i, scores) => pick(i, list, scores));
    return out;
  }
  const candidates = samplePool(
    Array.from({ length: n }, (_, i) => i),
    sample,
    options.seed ?? 1,
  );
  blockScores(
    Array.from({ length: n }, (_, i) => i),
    candidates,
    (i, scores) => pick(i, candidates, scores),
  );
  return out;
}

/**
 * Ranks of queries (nq×d) against candidates (m×d) under a matrix (identity when absent): cosine
 * scores computed in blocks, so nq·m scores never sit in memory at once.
 */
export function rankAgainst(queries: Float32Array, candidates: Float32Array, d: number, answers: readonly (readonly number[])[], matrix?: Float32Array): Float64Array {
  const nq = queries.length / d;
  const m = candidates.length / d;
  const adapted = matrix ? applyMatrix(matrix, queries, d) : queries;
  const ranks = new Float64Array(nq);
  const block = Math.max(1, Math.min(nq, Math.floor(4_000_000 / Math.max(1, m))));
  const scores = new Float32Array(block * m);
  for (let start = 0; start < nq; start += block) {
    const rows = Math.min(block, nq - start);
    dotProducts(adapted.subarray(start * d, (start + rows) * d), candidates, rows, m, d, 1, scores);
    ranks.set(answerRanks(scores, m, answers.slice(start, start + rows)), start);
  }
  return ranks;
}

// Training the second stage (src/core/rank/): a linear score over the candidate features, learned
// listwise (softmax over each query's candidates, the answer's probability maximised, L2-regularised)
// with Adam on standardised features; then a calibration σ(scale·score + shift) fitted by logistic
// regression to whether a shown hit is a right answer; and the ranker folder that holds the result.

import { FEATURE_COUNT } from '../core/rank/features.js';
import { mlpListwiseGradient } from '../core/rank/listwise.js';
import type { RankerWeights } from '../core/rank/model.js';

export { writeRanker } from '../core/rank/model.js';

/** One query's candidates: their feature rows and which are answers. */
export interface TrainingList {
  values: Float32Array;
  count: number;
  answers: Uint8Array;
  /** How much the list counts in the loss (default 1). */
  weight?: number;
}

export interface TrainOptions {
  iterations?: number;
  learningRate?: number;
  l2?: number;
  /** Features whose weight stays 0 (ablations). */
  disabled?: ReadonlySet<number>;
}

/** Mean and spread of each feature over every candidate row. */
function standardisation(lists: readonly TrainingList[]): { mean: Float64Array; spread: Float64Array } {
  const mean = new Float64Array(FEATURE_COUNT);
  const squares = new Float64Array(FEATURE_COUNT);
  let rows = 0;
  for (const { values, count } of lists) {
    for (let k = 0; k < count; k++) {
      for (let j = 0; j < FEATURE_COUNT; j++) {
        const x = values[k * FEATURE_COUNT + j] ?? 0;
        mean[j] = (mean[j] ?? 0) + x;
        squares[j] = (squares[j] ?? 0) + x * x;
      }
    }
    rows += count;
  }
  const spread = new Float64Array(FEATURE_COUNT);
  for (let j = 0; j < FEATURE_COUNT; j++) {
    const m = (mean[j] ?? 0) / Math.max(1, rows);
    mean[j] = m;
    const variance = (squares[j] ?? 0) / Math.max(1, rows) - m * m;
    spread[j] = variance > 1e-12 ? Math.sqrt(variance) : 1;
  }
  return { mean, spread };
}

/** The lists with their rows standardised, once (the loss reads them every iteration). */
function standardised(lists: readonly TrainingList[], mean: Float64Array, spread: Float64Array): TrainingList[] {
  return lists
    .filter((list) => list.answers.includes(1))
    .map(({ values, count, answers, weight }) => {
      const out = new Float32Array(count * FEATURE_COUNT);
      for (let k = 0; k < count; k++) for (let j = 0; j < FEATURE_COUNT; j++) out[k * FEATURE_COUNT + j] = (values[k * FEATURE_COUNT + j]! - mean[j]!) / spread[j]!;
      return { values: out, count, answers, weight: weight ?? 1 };
    });
}

/** The listwise loss of `w` over standardised lists that each hold an answer, and its gradient. */
function lossAndGradient(lists: readonly TrainingList[], w: Float64Array, gradient: Float64Array): number {
  gradient.fill(0);
  let loss = 0;
  let scores = new Float64Array(256);
  let totalWeight = 0;
  for (const { values, count, answers, weight = 1 } of lists) {
    totalWeight += weight;
    if (scores.length < count) scores = new Float64Array(count);
    const s = scores;
    let max = -Infinity;
    for (let k = 0; k < count; k++) {
      let sum = 0;
      const base = k * FEATURE_COUNT;
      for (let j = 0; j < FEATURE_COUNT; j++) sum += w[j]! * values[base + j]!;
      s[k] = sum;
      if (sum > max) max = sum;
    }
    let total = 0;
    let good = 0;
    for (let k = 0; k < count; k++) {
      const e = Math.exp(s[k]! - max);
      s[k] = e;
      total += e;
      if (answers[k] === 1) good += e;
    }
    loss -= weight * Math.log(good / total);
    for (let k = 0; k < count; k++) {
      const g = weight * (s[k]! / total - (answers[k] === 1 ? s[k]! / good : 0));
      if (g === 0) continue;
      const base = k * FEATURE_COUNT;
      for (let j = 0; j < FEATURE_COUNT; j++) gradient[j] = gradient[j]! + g * values[base + j]!;
    }
  }
  const n = totalWeight > 0 ? totalWeight : 1;
  for (let j = 0; j < FEATURE_COUNT; j++) gradient[j] = gradient[j]! / n;
  return loss / n;
}

/** Learns a linear score (RankerWeights without hidden units). */
export function trainLinearRanker(lists: readonly TrainingList[], options: TrainOptions = {}): RankerWeights & { loss: number } {
  const iterations = options.iterations ?? 300;
  const learningRate = options.learningRate ?? 0.05;
  const l2 = options.l2 ?? 1e-3;
  const { mean, spread } = standardisation(lists);
  const ready = standardised(lists, mean, spread);
  const w = new Float64Array(FEATURE_COUNT);
  const m = new Float64Array(FEATURE_COUNT);
  const v = new Float64Array(FEATURE_COUNT);
  const gradient = new Float64Array(FEATURE_COUNT);
  let loss = 0;
  for (let t = 1; t <= iterations; t++) {
    loss = lossAndGradient(ready, w, gradient);
    for (let j = 0; j < FEATURE_COUNT; j++) {
      if (options.disabled?.has(j)) continue;
      const g = (gradient[j] ?? 0) + l2 * (w[j] ?? 0);
      m[j] = 0.9 * (m[j] ?? 0) + 0.1 * g;
      v[j] = 0.999 * (v[j] ?? 0) + 0.001 * g * g;
      const mh = (m[j] ?? 0) / (1 - 0.9 ** t);
      const vh = (v[j] ?? 0) / (1 - 0.999 ** t);
      w[j] = (w[j] ?? 0) - (learningRate * mh) / (Math.sqrt(vh) + 1e-8);
    }
  }
  return { mean: [...mean], spread: [...spread], linear: [...w], bias: 0, hidden: [], hiddenBias: [], out: [], loss };
}

/**
 * Logistic regression of `right` on the inputs x (weights w, bias b: P = σ(w·x + b)) by Newton's
 * method on the weighted log-likelihood, each step halved until the likelihood improves.
 */
export function fitLogistic(samples: ReadonlyArray<{ x: readonly number[]; right: boolean; weight?: number }>): { weights: number[]; bias: number } {
  const d = (samples[0]?.x.length ?? 0) + 1;
  const input = (x: readonly number[]): number[] => [...x, 1];
  const loss = (theta: readonly number[]): number => {
    let sum = 0;
    for (const { x, right, weight = 1 } of samples) {
      const z = input(x).reduce((acc, v, i) => acc + v * theta[i]!, 0);
      const m = right ? -z : z;
      sum += weight * (m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m)));
    }
    return sum;
  };
  let theta = new Array<number>(d).fill(0);
  let current = loss(theta);
  for (let iteration = 0; iteration < 100; iteration++) {
    const g = new Array<number>(d).fill(0);
    const h: number[][] = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j): number => (i === j ? 1e-9 : 0)));
    for (const { x, right, weight = 1 } of samples) {
      const v = input(x);
      const p = 1 / (1 + Math.exp(-v.reduce((acc, xi, i) => acc + xi * theta[i]!, 0)));
      const e = weight * (p - (right ? 1 : 0));
      const c = weight * p * (1 - p);
      for (let i = 0; i < d; i++) {
        g[i] = g[i]! + e * v[i]!;
        for (let j = 0; j < d; j++) h[i]![j] = h[i]![j]! + c * v[i]! * v[j]!;
      }
    }
    const step = solve(h, g);
    if (!step) break;
    let size = 1;
    let next = theta.map((t, i) => t - step[i]!);
    let nextLoss = loss(next);
    while (nextLoss > current && size > 1e-6) {
      size /= 2;
      next = theta.map((t, i) => t - size * step[i]!);
      nextLoss = loss(next);
    }
    if (nextLoss > current) break;
    const gain = current - nextLoss;
    theta = next;
    current = nextLoss;
    if (gain < 1e-12) break;
  }
  return { weights: theta.slice(0, d - 1), bias: theta[d - 1]! };
}

/** The solution of a·x = b by Gaussian elimination with partial pivoting; undefined when singular. */
function solve(a: number[][], b: number[]): number[] | undefined {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    if (Math.abs(m[pivot]![col]!) < 1e-18) return undefined;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r]![col]! / m[col]![col]!;
      for (let c = col; c <= n; c++) m[r]![c] = m[r]![c]! - f * m[col]![c]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}

/** Learns a score with `hidden` tanh units beside the linear part, listwise with Adam (the same loss). */
export function trainMlpRanker(lists: readonly TrainingList[], { hidden = 8, iterations = 300, learningRate = 0.02, l2 = 1e-3, seed = 1 } = {}): RankerWeights {
  const { mean, spread } = standardisation(lists);
  const ready = standardised(lists, mean, spread);
  const H = hidden;
  const P = FEATURE_COUNT + 1 + H * FEATURE_COUNT + H + H;
  const theta = new Float64Array(P);
  let state = seed;
  const rand = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 0.2;
  for (let i = FEATURE_COUNT + 1; i < P; i++) theta[i] = rand();
  const L = 0, B = FEATURE_COUNT, U = FEATURE_COUNT + 1, C = U + H * FEATURE_COUNT, V = C + H;
  const m = new Float64Array(P), v = new Float64Array(P), g = new Float64Array(P);
  for (let t = 1; t <= iterations; t++) {
    mlpListwiseGradient(ready, theta, H, g);
    for (let i = 0; i < P; i++) {
      const gi = g[i]! + l2 * theta[i]!;
      m[i] = 0.9 * m[i]! + 0.1 * gi;
      v[i] = 0.999 * v[i]! + 0.001 * gi * gi;
      theta[i] = theta[i]! - (learningRate * (m[i]! / (1 - 0.9 ** t))) / (Math.sqrt(v[i]! / (1 - 0.999 ** t)) + 1e-8);
    }
  }
  return {
    mean: [...mean],
    spread: [...spread],
    linear: Array.from(theta.subarray(L, L + FEATURE_COUNT)),
    bias: theta[B]!,
    hidden: Array.from({ length: H }, (_, h) => Array.from(theta.subarray(U + h * FEATURE_COUNT, U + (h + 1) * FEATURE_COUNT))),
    hiddenBias: Array.from(theta.subarray(C, C + H)),
    out: Array.from(theta.subarray(V, V + H)),
  };
}

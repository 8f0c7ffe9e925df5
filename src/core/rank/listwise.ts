// The listwise loss of the second stage's score (a linear part plus tanh units, as model.ts scores)
// and its gradient, in θ = [linear, bias, hidden (row by row), hiddenBias, out]: what training
// (src/training/ranker.ts) and tune (src/core/tune/ranker-tuning.ts) both descend.

import { FEATURE_COUNT } from './features.js';

/** One query's candidates: `count` rows of FEATURE_COUNT standardised values, 1 in `answers` for the right ones. */
export interface ListwiseList {
  values: Float32Array;
  count: number;
  answers: Uint8Array;
  /** How much the list counts in the loss (default 1). */
  weight?: number;
}

/**
 * The weighted mean over `lists` of −log P(an answer is ranked first) under a softmax of the scores,
 * with `hidden` tanh units; its gradient goes into `g` (the same weighted mean).
 */
export function mlpListwiseGradient(lists: readonly ListwiseList[], theta: Float64Array, hidden: number, g: Float64Array): number {
  const F = FEATURE_COUNT;
  const H = hidden;
  const B = F;
  const U = F + 1;
  const C = U + H * F;
  const V = C + H;
  g.fill(0);
  let loss = 0;
  let total = 0;
  const longest = lists.reduce((n, l) => Math.max(n, l.count), 0);
  const s = new Float64Array(longest);
  const acts = new Float64Array(longest * H);
  for (const { values, count, answers, weight = 1 } of lists) {
    total += weight;
    let max = -Infinity;
    for (let k = 0; k < count; k++) {
      const base = k * F;
      let sum = theta[B]!;
      for (let j = 0; j < F; j++) sum += theta[j]! * values[base + j]!;
      for (let h = 0; h < H; h++) {
        let a = theta[C + h]!;
        const row = U + h * F;
        for (let j = 0; j < F; j++) a += theta[row + j]! * values[base + j]!;
        const t = Math.tanh(a);
        acts[k * H + h] = t;
        sum += theta[V + h]! * t;
      }
      s[k] = sum;
      if (sum > max) max = sum;
    }
    let all = 0;
    let good = 0;
    for (let k = 0; k < count; k++) {
      const e = Math.exp(s[k]! - max);
      s[k] = e;
      all += e;
      if (answers[k] === 1) good += e;
    }
    loss -= weight * Math.log(good / all);
    for (let k = 0; k < count; k++) {
      const d = weight * (s[k]! / all - (answers[k] === 1 ? s[k]! / good : 0));
      if (Math.abs(d) < 1e-9) continue;
      const base = k * F;
      g[B] = g[B]! + d;
      for (let j = 0; j < F; j++) g[j] = g[j]! + d * values[base + j]!;
      for (let h = 0; h < H; h++) {
        const t = acts[k * H + h]!;
        g[V + h] = g[V + h]! + d * t;
        const dz = d * theta[V + h]! * (1 - t * t);
        g[C + h] = g[C + h]! + dz;
        const row = U + h * F;
        for (let j = 0; j < F; j++) g[row + j] = g[row + j]! + dz * values[base + j]!;
      }
    }
  }
  const n = Math.max(1e-12, total);
  for (let i = 0; i < g.length; i++) g[i] = g[i]! / n;
  return loss / n;
}

// Fitting the second stage (src/core/rank/) to one workspace: the shipped ranker's weights moved a
// little on the workspace's own queries' candidates. Same model (linear part + tanh units over the
// shipped standardisation), same listwise loss as src/training/ranker.ts (softmax over a query's
// candidates, the answers' probability maximised), plus λ·‖θ − θ0‖² towards the shipped weights so
// that a few hundred queries cannot wreck what thousands taught it. Full-batch Adam; every
// `checkEvery` steps the early-stopping queries' MRR is measured as search ranks them (rankTable:
// near-duplicates dropped), the best weights kept, and training stops after `patience` checks
// without a better one (step 0 = the shipped weights: a ranker that never beats them comes back
// unchanged, with bestStep 0).

import { FEATURE_COUNT } from '../rank/features.js';
import { mlpListwiseGradient, type ListwiseList } from '../rank/listwise.js';
import { rankTable } from '../rank/index.js';
import { createRanker, type RankerFile, type RankerWeights } from '../rank/model.js';
import { metricsFromRanks, type RetrievalMetrics } from './metrics.js';

/** One query's candidates as the second stage sees them. */
export interface RankingList {
  /** count × FEATURE_COUNT raw feature values, row-major. */
  values: Float32Array;
  /** Each candidate's place, for dropping near-duplicates as search does. */
  spans: ReadonlyArray<{ path: string; startLine: number; endLine: number }>;
  /** 1 for the candidates that answer the query. */
  answers: Uint8Array;
}

export interface RankerTuneOptions {
  /**
   * Each training list keeps its answers and its `keep` best candidates by the shipped score: the
   * others' softmax weights are next to nothing and the penalty keeps the scores near the shipped
   * ones, so they would only cost time.
   */
  keep: number;
  /** Most Adam steps. */
  steps: number;
  learningRate: number;
  /** λ of λ·‖θ − θ0‖². */
  l2: number;
  checkEvery: number;
  patience: number;
}

export const DEFAULT_RANKER_TUNE_OPTIONS: RankerTuneOptions = { keep: 64, steps: 300, learningRate: 0.01, l2: 0.01, checkEvery: 10, patience: 5 };

export interface RankerTuneReport {
  options: RankerTuneOptions;
  /** Training queries with an answer among their candidates (the others teach nothing). */
  queries: number;
  steps: number;
  bestStep: number;
  validBefore: RetrievalMetrics;
  validAfter: RetrievalMetrics;
  seconds: number;
}

/** The answer's rank in search's order under `ranker` (1 = first; Infinity when it is not among the candidates). */
export function answerRank(list: RankingList, ranker: Pick<ReturnType<typeof createRanker>, 'score'>): number {
  const ranked = rankTable({ candidates: list.spans, values: list.values }, ranker);
  const at = ranked.findIndex((hit) => list.answers[hit.row] === 1);
  return at < 0 ? Infinity : at + 1;
}

/** MRR, R@1 and R@10 of the lists under `ranker`, with each list's rank. */
export function listMetrics(lists: readonly RankingList[], ranker: Pick<ReturnType<typeof createRanker>, 'score'>): { metrics: RetrievalMetrics; ranks: Float64Array } {
  const ranks = Float64Array.from(lists, (list) => answerRank(list, ranker));
  return { metrics: metricsFromRanks(ranks), ranks };
}

/** θ = [linear, bias, hidden (row by row), hiddenBias, out]: the weights as one vector. */
function pack(w: RankerWeights): Float64Array {
  return Float64Array.from([...w.linear, w.bias, ...w.hidden.flat(), ...w.hiddenBias, ...w.out]);
}

function unpack(theta: Float64Array, like: RankerWeights): RankerWeights {
  const F = FEATURE_COUNT;
  const H = like.out.length;
  const U = F + 1;
  const C = U + H * F;
  return {
    mean: like.mean,
    spread: like.spread,
    linear: Array.from(theta.subarray(0, F)),
    bias: theta[F]!,
    hidden: Array.from({ length: H }, (_, h) => Array.from(theta.subarray(U + h * F, U + (h + 1) * F))),
    hiddenBias: Array.from(theta.subarray(C, C + H)),
    out: Array.from(theta.subarray(C + H, C + 2 * H)),
  };
}


/** The lists that hold an answer, each cut to its answers and `keep` best candidates by `w`, standardised as `w` standardises. */
function standardise(lists: readonly RankingList[], w: RankerFile, keep: number): ListwiseList[] {
  const F = FEATURE_COUNT;
  const ranker = createRanker(w, 'shipped');
  return lists
    .filter((list) => list.answers.includes(1))
    .map(({ values, answers }) => {
      const scores = ranker.score(values, answers.length);
      const kept = answers
        .map((_, k) => k)
        .sort((a, b) => scores[b]! - scores[a]!)
        .filter((k, i) => i < keep || answers[k] === 1);
      const z = new Float32Array(kept.length * F);
      kept.forEach((k, r) => {
        for (let j = 0; j < F; j++) z[r * F + j] = (values[k * F + j]! - w.mean[j]!) / w.spread[j]!;
      });
      return { values: z, count: kept.length, answers: Uint8Array.from(kept, (k) => answers[k]!) };
    });
}

/**
 * The shipped ranker's weights fine-tuned on `train`, chosen on `valid` (see the header). The
 * calibration and "no close match" threshold stay the shipped ones: the penalty keeps the scores
 * on their scale.
 */
export function tuneRanker(shipped: RankerFile, train: readonly RankingList[], valid: readonly RankingList[], options: Partial<RankerTuneOptions> = {}, signal?: AbortSignal): { file: RankerFile; report: RankerTuneReport } {
  const started = performance.now();
  const o = { ...DEFAULT_RANKER_TUNE_OPTIONS, ...options };
  const H = shipped.out.length;
  const theta0 = pack(shipped);
  const theta = Float64Array.from(theta0);
  const ready = standardise(train, shipped, o.keep);
  const fileOf = (t: Float64Array): RankerFile => ({ ...shipped, ...unpack(t, shipped) });
  const validMetrics = (t: Float64Array): RetrievalMetrics => listMetrics(valid, createRanker(fileOf(t), 'tune')).metrics;
  const validBefore = validMetrics(theta0);
  let best = { theta: Float64Array.from(theta0), mrr: validBefore.mrr, step: 0, metrics: validBefore };
  const m = new Float64Array(theta.length);
  const v = new Float64Array(theta.length);
  const g = new Float64Array(theta.length);
  let step = 0;
  let stale = 0;
  while (step < o.steps && ready.length > 0 && stale < o.patience) {
    signal?.throwIfAborted();
    step++;
    mlpListwiseGradient(ready, theta, H, g);
    for (let i = 0; i < theta.length; i++) {
      const gi = g[i]! + 2 * o.l2 * (theta[i]! - theta0[i]!);
      m[i] = 0.9 * m[i]! + 0.1 * gi;
      v[i] = 0.999 * v[i]! + 0.001 * gi * gi;
      theta[i] = theta[i]! - (o.learningRate * (m[i]! / (1 - 0.9 ** step))) / (Math.sqrt(v[i]! / (1 - 0.999 ** step)) + 1e-8);
    }
    if (step % o.checkEvery !== 0) continue;
    const metrics = validMetrics(theta);
    if (metrics.mrr > best.mrr) {
      best = { theta: Float64Array.from(theta), mrr: metrics.mrr, step, metrics };
      stale = 0;
    } else stale++;
  }
  const file = best.step === 0 ? shipped : fileOf(best.theta);
  return {
    file,
    report: { options: o, queries: ready.length, steps: step, bestStep: best.step, validBefore, validAfter: best.metrics, seconds: (performance.now() - started) / 1000 },
  };
}

// Hard negatives for the in-batch contrastive loss: for each training query, the codes of other
// pairs that BM25 and a model already rank highest for it, though they are not its answer. The
// trainer then puts a pair and its mined neighbours into the same batch (StaticTrainOptions
// hardNegatives), so the loss has to tell the answer from its look-alikes, not from random code.
// Mined within random shards of the training pairs: a whole-corpus search per query would cost
// hours on a CPU, and a shard of a few thousand already holds look-alikes.

import { createRng, shuffleInPlace } from '../core/util/random.js';
import { bm25Scores, fuseScores } from './pool-scores.js';
import type { TrainingPair } from './static-model.js';

export interface MiningOptions {
  /** Pairs searched together (queries × codes of one shard). */
  shardSize: number;
  /** Neighbours kept per pair. */
  perPair: number;
  /** Weight of the model's scores against BM25's, as in the card's fusion (both z-scored per query). */
  alpha: number;
  seed: number;
}

export const DEFAULT_MINING_OPTIONS: MiningOptions = { shardSize: 2048, perPair: 3, alpha: 0.7, seed: 7 };

/**
 * Scores of the shard's queries against its codes (n×n, row-major) from the current model, or
 * undefined for BM25 alone.
 */
export type ShardScorer = (shard: readonly number[]) => Float32Array;

/**
 * For each training pair, up to `perPair` other pairs of its shard whose code ranks highest for its
 * query; never one with the same code or the same query (that would be a second answer, not a
 * negative).
 */
export function mineHardNegatives(pairs: readonly TrainingPair[], options: MiningOptions, modelScores?: ShardScorer): number[][] {
  const neighbours: number[][] = pairs.map(() => []);
  const order = shuffleInPlace(pairs.map((_, i) => i), createRng(options.seed));
  for (let start = 0; start < order.length; start += options.shardSize) {
    const shard = order.slice(start, start + options.shardSize);
    const n = shard.length;
    const lexical = bm25Scores(pairs, shard);
    const scores = modelScores === undefined ? lexical : fuseScores(modelScores(shard), lexical, n, options.alpha);
    for (let qi = 0; qi < n; qi++) {
      const q = pairs[shard[qi] ?? 0] as TrainingPair;
      // The best perPair by score (ties: earlier in the shard), kept sorted by insertion.
      const top: { j: number; s: number }[] = [];
      for (let j = 0; j < n; j++) {
        const s = scores[qi * n + j] ?? 0;
        if (j === qi || (top.length === options.perPair && s <= (top[top.length - 1]?.s ?? 0))) continue;
        const other = pairs[shard[j] ?? 0] as TrainingPair;
        if (other.code === q.code || other.query === q.query) continue;
        let at = top.length;
        while (at > 0 && (top[at - 1]?.s ?? 0) < s) at--;
        top.splice(at, 0, { j, s });
        if (top.length > options.perPair) top.pop();
      }
      neighbours[shard[qi] ?? 0] = top.map(({ j }) => shard[j] ?? 0);
    }
  }
  return neighbours;
}

/**
 * Batch order for one epoch with mined neighbours: pairs in shuffled order, each not yet placed
 * followed by those of its neighbours not yet placed, in runs of at most `runSize`.
 */
export function neighbourOrder(neighbours: readonly (readonly number[])[], runSize: number, rng: () => number): number[] {
  const placed = new Uint8Array(neighbours.length);
  const out: number[] = [];
  for (const seed of shuffleInPlace(neighbours.map((_, i) => i), rng)) {
    if (placed[seed]) continue;
    placed[seed] = 1;
    out.push(seed);
    let run = 1;
    for (const j of neighbours[seed] ?? []) {
      if (run >= runSize) break;
      if (placed[j]) continue;
      placed[j] = 1;
      out.push(j);
      run++;
    }
  }
  return out;
}

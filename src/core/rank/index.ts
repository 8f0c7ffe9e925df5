// The second stage: the first stage's vector and lexical candidates, scored together by a learned
// ranker over features of each candidate (rank/features.ts), near-duplicates dropped, each hit with
// a calibrated confidence. (Holding back a file's 4th+ hit from the first 10 was measured and cost
// docstring validation MRR 0.009 and R@10 0.05 for nothing on the intent benchmark: grouping a
// file's hits is the views' business.)

import { dropOverlaps, type Ranked } from '../fusion.js';
import type { TokenSpace } from '../types.js';
import { featureTable, type Candidate, type CandidateLists, type FeatureTable } from './features.js';
import type { Ranker } from './model.js';
import type { ParsedQuery } from './query.js';

export interface Reranked<T extends Candidate> {
  /** The shown hits, best first, each with the ranker's score and its calibrated confidence. */
  hits: Array<T & { confidence: number }>;
  /** For each shown hit, its row in `table`. */
  rows: number[];
  table: FeatureTable<T>;
}

/** The best `top` of a query's candidates by `ranker`, best first; `score` is the ranker's. */
export function rerank<T extends Candidate>(parsed: ParsedQuery, queryVector: Float32Array | undefined, lists: CandidateLists<T>, space: TokenSpace, ranker: Ranker, top: number): Reranked<T> {
  const table = featureTable(parsed, queryVector, lists, space);
  const shown = rankTable(table, ranker).slice(0, top);
  // Down the list confidence never rises: a hit ranked below another is not more likely right.
  let ceiling = 1;
  return {
    hits: shown.map(({ row, ...hit }) => {
      ceiling = Math.min(ceiling, ranker.confidence(hit.score, table.values, row, table.candidates.length));
      return { ...(hit as unknown as T), confidence: ceiling };
    }),
    rows: shown.map((hit) => hit.row),
    table,
  };
}

/** A feature table's candidates in `ranker`'s order, near-duplicates dropped, each with its score and row. */
export function rankTable<T extends Ranked>(table: { candidates: readonly T[]; values: Float32Array }, ranker: Pick<Ranker, 'score'>): Array<T & { score: number; row: number }> {
  const scores = ranker.score(table.values, table.candidates.length);
  const order = table.candidates.map((_, k) => k).sort((a, b) => scores[b]! - scores[a]!);
  return dropOverlaps(order.map((k) => ({ ...table.candidates[k]!, score: scores[k]!, row: k })));
}

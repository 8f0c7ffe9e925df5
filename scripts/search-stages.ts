// The product's search, stage by stage, for the benchmarks: one query's first-stage candidates as
// the first stage alone searches (the query as typed, 50 per ranker), then the second stage over
// 100 per ranker of the query as typed (an ablation), then the product's search (the query read:
// scaffolding and language names out, then the second stage), each timed.

import { performance } from 'node:perf_hooks';
import type { Adapter } from '../src/core/adapter.js';
import { finalRanking, retrieve, SECOND_STAGE_POOL, type Candidates, type SecondStage } from '../src/core/search.js';
import type { SearchHit } from '../src/core/types.js';
import type { Workspace } from '../src/core/workspace.js';

/** Candidates per ranker the first stage fuses for a top 10 (retrieve's default). */
export const FIRST_STAGE_POOL = 50;

export interface StagedQuery {
  /** The first stage's lists: the query as typed, FIRST_STAGE_POOL per ranker. */
  firstStage: Candidates;
  /** The second stage over the query as typed (undefined without a second stage). */
  secondStage?: SearchHit[];
  /** What the product shows: the query read, then the second stage. */
  product?: SearchHit[];
  /** Milliseconds: retrieving 100 per ranker, and the second stage on top of it. */
  retrieveMs: number;
  secondStageMs: number;
}

function firstOf(candidates: Candidates, n: number): Candidates {
  return { ...candidates, vector: candidates.vector.slice(0, n), lexical: candidates.lexical.slice(0, n) };
}

export async function stagedSearch(workspace: Workspace, adapter: Adapter, stage: SecondStage | undefined, query: string, top: number): Promise<StagedQuery> {
  const context = { store: workspace.store, embedder: workspace.embedder, adapter };
  const options = { mode: 'hybrid', top } as const;
  const literal = await retrieve(context, query, { ...options, literal: true, pool: SECOND_STAGE_POOL });
  const firstStage = firstOf(literal, FIRST_STAGE_POOL);
  if (!stage) return { firstStage, retrieveMs: 0, secondStageMs: 0 };
  const secondStage = finalRanking(literal, options, stage);
  const t0 = performance.now();
  const parsed = await retrieve(context, query, { ...options, pool: SECOND_STAGE_POOL });
  const t1 = performance.now();
  const product = finalRanking(parsed, options, stage);
  const t2 = performance.now();
  return { firstStage, secondStage, product, retrieveMs: t1 - t0, secondStageMs: t2 - t1 };
}

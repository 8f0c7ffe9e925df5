// The held-out judgement as the user meets it: each part of tune's split (training, early
// stopping, held out) becomes an index of its own on disk, holding only that part's files' chunks
// with their documentation removed, and each query goes through the product's own search on it:
// vector and lexical candidates (SECOND_STAGE_POOL each), the query read as search reads it, then
// the second stage's features. What is kept of each query is what ranking reads: feature rows and
// candidate places, or (without a second stage) the fused list's answer rank.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Adapter } from '../adapter.js';
import { chunkRow } from '../chunk-rows.js';
import { candidateKey, featureTable } from '../rank/features.js';
import { parseQuery } from '../rank/query.js';
import { rank, retrieve, SECOND_STAGE_POOL, type SecondStage } from '../search.js';
import { IndexStore, type FileRow } from '../store.js';
import type { Chunk, Embedder } from '../types.js';
import type { RankingList } from './ranker-tuning.js';

/** A query of one part and the keys (candidateKey) of the chunks that answer it. */
export interface SplitQuery {
  query: string;
  answers: readonly string[];
}

/** One query's candidates: the second stage's rows, and the rank of its answer in the fused first stage. */
export interface SearchedQuery extends RankingList {
  fusedRank: number;
}

/** Temporary indexes of the split's parts, removed by `close`. */
export class SplitIndexes {
  private constructor(
    private readonly dir: string,
    private readonly stores: IndexStore[],
  ) {}

  static async create(): Promise<SplitIndexes> {
    return new SplitIndexes(await mkdtemp(path.join(os.tmpdir(), 'codeintent-tune-')), []);
  }

  /** An index of `chunks` (docs already removed) with their `vectors`, as the indexer stores them. */
  async add(root: string, embedderId: string, dimension: number, chunks: readonly Chunk[], vectors: readonly Float32Array[]): Promise<IndexStore> {
    const store = await IndexStore.open({ dir: path.join(this.dir, String(this.stores.length)), root, embedderId, dimension });
    this.stores.push(store);
    const rows = chunks.map((chunk, i) => ({ ...chunkRow(chunk), vector: vectors[i] ?? new Float32Array(dimension) }));
    const counts = new Map<string, number>();
    for (const chunk of chunks) counts.set(chunk.path, (counts.get(chunk.path) ?? 0) + 1);
    const files: FileRow[] = [...counts].map(([file, n]) => ({ path: file, hash: '', size: 0, mtimeMs: 0, ctimeMs: 0, chunks: n }));
    await store.replaceFiles(files, rows, []);
    await store.optimize();
    return store;
  }

  async close(): Promise<void> {
    for (const store of this.stores) store.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * Each query searched on `store` as `codeintent search` would (hybrid, the second stage's pool),
 * with `adapter` on the query vector; `onQuery` after each.
 */
export async function searchQueries(
  { store, embedder, adapter, stage }: { store: IndexStore; embedder: Embedder; adapter: Adapter; stage: SecondStage | undefined },
  queries: readonly SplitQuery[],
  onQuery?: (done: number) => void,
  signal?: AbortSignal,
): Promise<SearchedQuery[]> {
  const context = { store, embedder, adapter, ...(stage ? { ranker: stage.ranker } : {}) };
  const options = { mode: 'hybrid' as const, top: 10, pool: SECOND_STAGE_POOL, ...(signal ? { signal } : {}) };
  const out: SearchedQuery[] = [];
  for (const [i, q] of queries.entries()) {
    signal?.throwIfAborted();
    const candidates = await retrieve(context, q.query, options);
    const answers = new Set(q.answers);
    const fused = rank(candidates, 'hybrid', 2 * SECOND_STAGE_POOL);
    const at = fused.findIndex((hit) => answers.has(candidateKey(hit)));
    const fusedRank = at < 0 ? Infinity : at + 1;
    if (stage) {
      const table = featureTable(candidates.query ?? parseQuery(q.query), candidates.queryVector, candidates, stage.space);
      out.push({
        values: table.values,
        spans: table.candidates.map(({ path: file, startLine, endLine }) => ({ path: file, startLine, endLine })),
        answers: Uint8Array.from(table.candidates, (hit) => (answers.has(candidateKey(hit)) ? 1 : 0)),
        fusedRank,
      });
    } else out.push({ values: new Float32Array(0), spans: [], answers: new Uint8Array(0), fusedRank });
    onQuery?.(i + 1);
  }
  return out;
}

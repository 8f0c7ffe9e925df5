// Query time: embed the query, move it with the adapter, take vector and full-text candidates, fuse;
// over one workspace folder, or over several at once.

import type { Adapter } from './adapter.js';
import { dropOverlaps, reciprocalRankFusion } from './fusion.js';
import type { HitFilter, IndexStore } from './store.js';
import { lexicalText } from './tokens.js';
import type { Embedder, SearchHit, SearchMode } from './types.js';

export interface FusionWeights {
  vector: number;
  lexical: number;
  /** RRF's k: small values trust the top ranks more. */
  k: number;
}

/** Chosen on the validation split by `npm run bench:quality` (docs/quality.md). */
export const DEFAULT_FUSION: FusionWeights = { vector: 3, lexical: 1, k: 5 };

export interface SearchOptions extends HitFilter {
  mode: SearchMode;
  top: number;
  fusion?: FusionWeights;
  signal?: AbortSignal;
}

export interface SearchContext {
  store: IndexStore;
  embedder: Embedder;
  adapter: Adapter;
}

/** Candidates from each ranker, best first, before fusion: the benchmark fuses them under many weightings. */
export interface Candidates<T extends SearchHit = SearchHit> {
  vector: T[];
  lexical: T[];
}

export async function retrieve({ store, embedder, adapter }: SearchContext, query: string, options: SearchOptions): Promise<Candidates> {
  const pool = Math.max(options.top * 5, 50);
  const vectorHits = async (): Promise<SearchHit[]> => {
    if (options.mode === 'lexical') return [];
    const [vector] = await embedder.embed([query], 'query', options.signal);
    if (!vector) return [];
    return store.vectorSearch(adapter.apply(vector), pool, options);
  };
  const lexicalHits = async (): Promise<SearchHit[]> => {
    if (options.mode === 'vector') return [];
    return store.textSearch(lexicalText(query), pool, options);
  };
  const [vector, lexical] = await Promise.all([vectorHits(), lexicalHits()]);
  return { vector, lexical };
}

/** The final list: one ranker's hits, or both fused; near-duplicates dropped. */
export function rank<T extends SearchHit>(candidates: Candidates<T>, mode: SearchMode, top: number, fusion: FusionWeights = DEFAULT_FUSION): T[] {
  let ranked: T[];
  if (mode === 'vector') ranked = candidates.vector;
  else if (mode === 'lexical') ranked = candidates.lexical;
  else {
    ranked = reciprocalRankFusion(
      [
        { hits: candidates.vector, weight: fusion.vector },
        { hits: candidates.lexical, weight: fusion.lexical },
      ],
      fusion.k,
    ).map(({ hit, score }) => ({ ...hit, score }));
  }
  return dropOverlaps(ranked).slice(0, top);
}

export async function search(context: SearchContext, query: string, options: SearchOptions): Promise<SearchHit[]> {
  return rank(await retrieve(context, query, options), options.mode, options.top, options.fusion);
}

/** A hit of a search over several workspace folders. */
export interface FolderHit extends SearchHit {
  /** The workspace folder `path` is relative to. */
  root: string;
}

/** One workspace folder's candidates for a query. */
export interface FolderCandidates {
  root: string;
  candidates: Candidates;
}

/** A workspace folder that can be searched: a Workspace, or a front end's handle on one. */
export interface SearchableFolder {
  readonly root: string;
  candidates(query: string, options: SearchOptions): Promise<Candidates>;
}

/**
 * One ranking over several folders, each hit with its folder. Fused scores are rank-based, so each
 * folder's own first hit would tie with every other's: instead each ranker's candidates are pooled
 * across folders by score and the pools fused once, as one folder's are. Hits are told apart by
 * folder as well as path, so the same definition in two folders is kept for each.
 *
 * What the pooling assumes: within a ranker, scores from different folders' indexes are on one
 * scale. Cosine similarity is, for folders indexed with one model. BM25 is only roughly: each
 * index weighs a term by its own statistics (how many chunks hold it, their average length), so
 * the same chunk scores differently in a small index and a large one. Fusion reads only the order
 * of the pool, so what matters is that the pool orders hits as one index over all the folders
 * would, up to near ties (test/search-folders.test.ts); each folder's hits keep their own order.
 */
export function rankAcrossFolders(folders: readonly FolderCandidates[], mode: SearchMode, top: number, fusion?: FusionWeights): FolderHit[] {
  const pool = (ranker: keyof Candidates): FolderHit[] =>
    folders.flatMap(({ root, candidates }) => candidates[ranker].map((hit) => ({ ...hit, root }))).sort((a, b) => b.score - a.score);
  return rank({ vector: pool('vector'), lexical: pool('lexical') }, mode, top, fusion);
}

/** Searches every folder and ranks their hits together (`rankAcrossFolders`). */
export async function searchFolders(folders: readonly SearchableFolder[], query: string, options: SearchOptions): Promise<FolderHit[]> {
  const candidates = await Promise.all(folders.map(async (folder) => ({ root: folder.root, candidates: await folder.candidates(query, options) })));
  return rankAcrossFolders(candidates, options.mode, options.top, options.fusion);
}

// Query time: embed the query, move it with the adapter, take vector and full-text candidates, fuse;
// over one workspace folder, or over several at once.

import type { Adapter } from './adapter.js';
import { dropOverlaps, reciprocalRankFusion } from './fusion.js';
import type { HitFilter } from './store.js';
import type { SearchableIndex } from './overlay.js';
import { lexicalText } from './tokens.js';
import { boundedInt } from './util/options.js';
import type { CandidateHit, Embedder, SearchHit, SearchMode, TokenSpace } from './types.js';
import { evidence } from './rank/evidence.js';
import { rerank } from './rank/index.js';
import type { Ranker } from './rank/model.js';
import { parseQuery, type ParsedQuery } from './rank/query.js';
import { correctSpelling, type Correction } from './rank/spelling.js';

export interface FusionWeights {
  vector: number;
  lexical: number;
  /** RRF's k: small values trust the top ranks more. */
  k: number;
}

/** Chosen on the validation split by `npm run bench:quality` (docs/quality.md). */
export const DEFAULT_FUSION: FusionWeights = { vector: 3, lexical: 1, k: 5 };

/** The most results one search returns: more is no longer a ranking, and the stores' limits are 32-bit. */
export const MAX_TOP = 1000;

export interface SearchOptions extends HitFilter {
  mode: SearchMode;
  top: number;
  fusion?: FusionWeights;
  signal?: AbortSignal;
  /** Candidates per ranker; default max(top × 5, 50). */
  pool?: number;
  /** Search the query as typed, scaffolding and language names included, no slip corrected (benchmarks' ablation). */
  literal?: boolean;
  /** Correct spelling slips (default true; false for the benchmarks' ablation). */
  correct?: boolean;
}

export interface SearchContext {
  store: SearchableIndex;
  embedder: Embedder;
  adapter: Adapter;
  /** The second stage's ranker for this model, if there is one (none: first-stage fusion only). */
  ranker?: Ranker;
}

/** Candidates from each ranker, best first, before fusion: the benchmark fuses them under many weightings. */
export interface Candidates<T extends SearchHit = CandidateHit> {
  vector: T[];
  lexical: T[];
  /** The query as read (what the rankers searched for is its `core`). */
  query?: ParsedQuery;
  /** The adapted query vector the vector list was searched with. */
  queryVector?: Float32Array;
  /** The spelling slips corrected before searching ("did you mean"). */
  correction?: Correction;
}

/**
 * Each ranker's candidates for the query as read (`parseQuery`: scaffolding and language names
 * out), or as typed with `literal`. A word that neither the model nor the index knows is taken for
 * a slip: its correction is searched too, and `correction` gives the corrected query ("did you mean").
 */
export async function retrieve(context: SearchContext, query: string, options: SearchOptions): Promise<Candidates> {
  boundedInt('search', 'top', options.top, MAX_TOP);
  const parsed = parseQuery(query);
  const searched = options.literal ? parsed.text : parsed.core;
  const first = await candidatesFor(context, searched, options);
  const space = context.embedder.tokenSpace;
  if (options.literal || options.correct === false || !space) return { ...first, query: parsed };
  const correction = correctSpelling(space, searched, (word) => first.lexical.some((hit) => ` ${hit.terms} `.includes(` ${word} `)));
  if (!correction) return { ...first, query: parsed };
  // The corrections are added, not swapped in: a word taken for a slip may be right after all.
  const widened = `${searched} ${correction.replaced.map(([, fix]) => fix).join(' ')}`;
  return { ...(await candidatesFor(context, widened, options)), query: { ...parsed, core: widened }, correction };
}

/** The vector and lexical lists for `text`, with the query vector they were searched with. */
async function candidatesFor({ store, embedder, adapter }: SearchContext, text: string, options: SearchOptions): Promise<Candidates> {
  const pool = options.pool ?? Math.max(options.top * 5, 50);
  let queryVector: Float32Array | undefined;
  const vectorHits = async (): Promise<CandidateHit[]> => {
    if (options.mode === 'lexical') return [];
    const [vector] = await embedder.embed([text], 'query', options.signal);
    if (!vector) return [];
    queryVector = adapter.apply(vector);
    return store.vectorSearch(queryVector, pool, options);
  };
  const lexicalHits = async (): Promise<CandidateHit[]> => {
    if (options.mode === 'vector') return [];
    return store.textSearch(lexicalText(text), pool, options);
  };
  const [vector, lexical] = await Promise.all([vectorHits(), lexicalHits()]);
  return { vector, lexical, ...(queryVector ? { queryVector } : {}) };
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

/** What a second stage needs: a ranker fitted to the embedding model, and that model's token space. */
export interface SecondStage {
  ranker: Ranker;
  space: TokenSpace;
}

/**
 * Candidates per ranker that a second stage reranks. 75, not the 100 it was trained on: on
 * validation the same MRR@10 within 0.003 (docs/quality.md), and on the Linux kernel's 1.1M chunks
 * a warm hybrid query p50 of 49 ms instead of 55 (fewer rows read, fewer candidates scored).
 */
export const SECOND_STAGE_POOL = 75;

/** A hit as shown: without the stored terms and vector that ranking read. */
export type Shown<T extends SearchHit> = Omit<T, 'terms' | 'vector'>;

function shown<T extends CandidateHit>({ terms: _terms, vector: _vector, ...hit }: T): Shown<T> {
  return hit;
}

/**
 * The final list: in hybrid mode with a second stage, its reranking of both lists (each hit with
 * its confidence, whether that is a close match, and why it matched); otherwise `rank`.
 */
export function finalRanking<T extends CandidateHit & { root?: string }>(candidates: Candidates<T>, options: Pick<SearchOptions, 'mode' | 'top' | 'fusion'>, stage?: SecondStage): Array<Shown<T>> {
  if (options.mode !== 'hybrid' || !stage) return rank(candidates, options.mode, options.top, options.fusion).map(shown);
  const parsed = candidates.query ?? parseQuery('');
  const { hits, rows, table } = rerank(parsed, candidates.queryVector, candidates, stage.space, stage.ranker, options.top);
  const threshold = stage.ranker.file.noMatchBelow;
  return hits.map((hit, i) => ({
    ...shown(hit),
    close: hit.confidence >= threshold,
    why: evidence(stage.space, table.query, hit, table.rows[rows[i]!] ?? new Int32Array(0)),
  }));
}

/** The retrieval options for a search: a second stage reranks a wider pool. */
function withPool(options: SearchOptions, stage: SecondStage | undefined): SearchOptions {
  return stage && options.mode === 'hybrid' && options.pool === undefined ? { ...options, pool: SECOND_STAGE_POOL } : options;
}

/** What a search found, and the spelling slips it corrected on the way ("did you mean"). */
export interface SearchResult {
  hits: SearchHit[];
  correction?: Correction;
}

export async function search(context: SearchContext, query: string, options: SearchOptions): Promise<SearchResult> {
  const stage = secondStageOf(context);
  const candidates = await retrieve(context, query, withPool(options, stage));
  return { hits: finalRanking(candidates, options, stage), ...(candidates.correction ? { correction: candidates.correction } : {}) };
}

/** The context's second stage, when it has a ranker and its model a token space. */
export function secondStageOf({ ranker, embedder }: Pick<SearchContext, 'ranker' | 'embedder'>): SecondStage | undefined {
  return ranker && embedder.tokenSpace ? { ranker, space: embedder.tokenSpace } : undefined;
}

/** A hit of a search over several workspace folders. */
export interface FolderHit extends SearchHit {
  /** The workspace folder `path` is relative to. */
  root: string;
}

/** What a search over several folders found, and the spelling slips it corrected on the way. */
export interface FolderSearchResult extends SearchResult {
  hits: FolderHit[];
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
  secondStage(): Promise<SecondStage | undefined>;
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
export function rankAcrossFolders(folders: readonly FolderCandidates[], options: Pick<SearchOptions, 'mode' | 'top' | 'fusion'>, stage?: SecondStage): FolderHit[] {
  const pool = (ranker: 'vector' | 'lexical'): Array<CandidateHit & { root: string }> =>
    folders.flatMap(({ root, candidates }) => candidates[ranker].map((hit) => ({ ...hit, root }))).sort((a, b) => b.score - a.score);
  const first = folders[0]?.candidates;
  const pooled: Candidates<CandidateHit & { root: string }> = {
    vector: pool('vector'),
    lexical: pool('lexical'),
    ...(first?.query ? { query: first.query } : {}),
    ...(first?.queryVector ? { queryVector: first.queryVector } : {}),
  };
  return finalRanking(pooled, options, stage);
}

/**
 * Searches every folder and ranks their hits together (`rankAcrossFolders`). The second stage runs
 * when every folder has the same one (one ranker over one model's scores).
 */
export async function searchFolders(folders: readonly SearchableFolder[], query: string, options: SearchOptions): Promise<FolderSearchResult> {
  const stages = await Promise.all(folders.map((folder) => folder.secondStage()));
  const stage = stages[0];
  const shared = stage && stages.every((s) => s?.ranker.source === stage.ranker.source && s.space === stage.space) ? stage : undefined;
  const retrieval = withPool(options, shared);
  const candidates = await Promise.all(folders.map(async (folder) => ({ root: folder.root, candidates: await folder.candidates(query, retrieval) })));
  // Every folder reads the query alike; a slip one folder's vocabulary corrects is offered once.
  const correction = candidates.find(({ candidates: c }) => c.correction)?.candidates.correction;
  return { hits: rankAcrossFolders(candidates, options, shared), ...(correction ? { correction } : {}) };
}

// Query time: embed the query, move it with the adapter, take vector and full-text candidates, fuse.

import type { Adapter } from './adapter.js';
import { dropOverlaps, reciprocalRankFusion } from './fusion.js';
import { sqlString } from './sql.js';
import type { IndexStore, StoredHit } from './store.js';
import { lexicalText } from './tokens.js';
import type { Embedder, LanguageId, SearchHit, SearchMode } from './types.js';

export interface FusionWeights {
  vector: number;
  lexical: number;
  /** RRF's k: small values trust the top ranks more. */
  k: number;
}

/** Chosen on the validation split by `npm run bench:quality` (docs/quality.md). */
export const DEFAULT_FUSION: FusionWeights = { vector: 3, lexical: 1, k: 5 };

export interface SearchOptions {
  mode: SearchMode;
  top: number;
  language?: LanguageId;
  /** Only files under this workspace-relative folder. */
  pathPrefix?: string;
  fusion?: FusionWeights;
  signal?: AbortSignal;
}

export interface SearchContext {
  store: IndexStore;
  embedder: Embedder;
  adapter: Adapter;
}

function filterFor(options: SearchOptions): string | undefined {
  const parts: string[] = [];
  if (options.language) parts.push(`language = ${sqlString(options.language)}`);
  if (options.pathPrefix) {
    const prefix = options.pathPrefix.replace(/\/+$/, '') + '/';
    // LIKE wildcards in a folder name are matched literally through the escape character.
    const escaped = prefix.replace(/[\\%_]/g, (c) => `\\${c}`);
    parts.push(`path LIKE ${sqlString(`${escaped}%`)} ESCAPE '\\'`);
  }
  return parts.length > 0 ? parts.join(' AND ') : undefined;
}

/** Candidates from each ranker, before fusion: the benchmark fuses them under many weightings. */
export interface Candidates {
  vector: SearchHit[];
  lexical: SearchHit[];
}

export async function retrieve({ store, embedder, adapter }: SearchContext, query: string, options: SearchOptions): Promise<Candidates> {
  const where = filterFor(options);
  const pool = Math.max(options.top * 5, 50);
  const vectorHits = async (): Promise<SearchHit[]> => {
    if (options.mode === 'lexical') return [];
    const [vector] = await embedder.embed([query], 'query', options.signal);
    if (!vector) return [];
    return (await store.vectorSearch(adapter.apply(vector), pool, where)).map(toSearchHit);
  };
  const lexicalHits = async (): Promise<SearchHit[]> => {
    if (options.mode === 'vector') return [];
    return (await store.textSearch(lexicalText(query), pool, where)).map(toSearchHit);
  };
  const [vector, lexical] = await Promise.all([vectorHits(), lexicalHits()]);
  return { vector, lexical };
}

/** The final list: one ranker's hits, or both fused; near-duplicates dropped. */
export function rank(candidates: Candidates, mode: SearchMode, top: number, fusion: FusionWeights = DEFAULT_FUSION): SearchHit[] {
  let ranked: SearchHit[];
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

function toSearchHit({ row, score }: StoredHit): SearchHit {
  return {
    path: row.path,
    startLine: row.startLine,
    endLine: row.endLine,
    symbol: row.symbol,
    kind: row.kind,
    language: row.language,
    score,
    container: row.container,
    text: row.text,
  };
}

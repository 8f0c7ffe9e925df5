// A file's text turned into the rows the index stores: chunked, with the terms for
// full-text search, and (by embedRows) their vectors. The same code runs in the indexer's thread
// and in the index workers (index-worker.ts), so both produce the same rows.

import type { Chunker } from './chunk/index.js';
import { documentText } from './embedding-text.js';
import { messageOf } from './errors.js';
import type { ChunkRow } from './store.js';
import { lexicalText } from './tokens.js';
import type { Chunk, Embedder } from './types.js';

/** Tokens of a chunk kept for full-text search. */
const MAX_TERMS = 2000;

/** A file to chunk: its root-relative path and its decoded text. */
export interface SourceText {
  path: string;
  text: string;
}

/** One file's rows, or why it could not be chunked (it costs that file only). */
export type FileChunks = { path: string; rows: ChunkRow[] } | { path: string; error: string };

/** Each file's rows (no vectors yet), in the order given. */
export async function chunkFiles(chunker: Chunker, files: readonly SourceText[]): Promise<FileChunks[]> {
  const out: FileChunks[] = [];
  for (const { path, text } of files) {
    try {
      out.push({ path, rows: (await chunker.chunk(path, text)).map(chunkRow) });
    } catch (error) {
      // The chunker falls back to line windows for what it can handle; anything else (tree-sitter's
      // WebAssembly aborting, say) costs this file only, not the rest of its batch.
      out.push({ path, error: `chunking failed (${messageOf(error)})` });
    }
  }
  return out;
}

/** A chunk as stored: its terms for full-text search, and (until embedded) no vector. */
export function chunkRow(chunk: Chunk): ChunkRow {
  return {
    ...chunk,
    terms: lexicalText(`${chunk.path} ${chunk.container} ${chunk.symbol} ${chunk.doc} ${chunk.text}`, MAX_TERMS),
    vector: new Float32Array(0),
  };
}

/** Sets each row's vector (embedded as documents, in one call); a vector of the wrong size is a bug. */
export async function embedRows(rows: readonly ChunkRow[], embedder: Embedder, signal?: AbortSignal): Promise<void> {
  const vectors = await embedder.embed(rows.map(documentText), 'document', signal);
  rows.forEach((row, i) => {
    const vector = vectors[i];
    if (!vector || vector.length !== embedder.dimension) {
      throw new Error(`the embedder returned a vector of length ${vector?.length} instead of ${embedder.dimension}`);
    }
    row.vector = vector;
  });
}

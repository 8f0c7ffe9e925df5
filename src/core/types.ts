// Shared vocabulary of the vscode-free pipeline: crawl → chunk → embed → store → search.

/** Languages the tree-sitter chunker understands; anything else is chunked as `text`. */
export type LanguageId =
  | 'typescript'
  | 'tsx'
  | 'javascript'
  | 'python'
  | 'go'
  | 'java'
  | 'rust'
  | 'csharp'
  | 'ruby'
  | 'php'
  | 'c'
  | 'cpp'
  | 'text';

export type ChunkKind =
  | 'function'
  | 'method'
  | 'class'
  | 'interface'
  | 'type'
  | 'enum'
  | 'struct'
  | 'trait'
  | 'impl'
  | 'module'
  | 'lines';

/** One searchable unit of code. */
export interface Chunk {
  /** Workspace-relative path with forward slashes. */
  path: string;
  language: LanguageId;
  kind: ChunkKind;
  /** The definition's name; '' for line windows. */
  symbol: string;
  /** Enclosing classes/modules/namespaces joined with '.', '' at top level. */
  container: string;
  /** 1-based, inclusive. */
  startLine: number;
  /** 1-based, inclusive. */
  endLine: number;
  /** The source text of the range (a large definition's text may be collapsed: bodies of its members elided). */
  text: string;
  /** The definition's documentation (JSDoc, docstring, doc comment) without comment markers; '' if none. */
  doc: string;
  /** Character offsets [start, end) of a documentation string that lies inside `text` (Python docstrings). */
  docSpan?: [number, number];
}

export interface CrawledFile {
  /** Workspace-relative path with forward slashes. */
  path: string;
  absPath: string;
  size: number;
  mtimeMs: number;
  /** Status change time: moves on every write, even one whose mtime is then set back. */
  ctimeMs: number;
}

/** Why a file was passed over; reported, never silent. */
export type SkipReason = 'ignored' | 'secret' | 'too-large' | 'binary' | 'minified' | 'generated' | 'unreadable' | 'symlink-loop' | 'duplicate';

/** Embedding side: queries and documents may be encoded differently by a model. */
export type EmbedInputKind = 'query' | 'document';

export interface Embedder {
  /** Stable identity of the model: changes whenever vectors would change. Used in table names and cache keys. */
  readonly id: string;
  readonly dimension: number;
  /**
   * Embedding is cheaper than looking a vector up in the index's cache (a static model embeds
   * thousands of texts a second): such an embedder is used without the cache and batching.
   */
  readonly cheap?: boolean;
  /** Returns one L2-normalised vector per text, in order. */
  embed(texts: readonly string[], kind: EmbedInputKind, signal?: AbortSignal): Promise<Float32Array[]>;
  /** The model's own token space, when it has one a second stage can read (static models). */
  readonly tokenSpace?: TokenSpace;
  dispose(): Promise<void>;
}

/**
 * A static model's tokens and their vectors, for the second stage's late interaction (each query
 * token's best match among a chunk's tokens) and for the evidence shown with a hit.
 */
export interface TokenSpace {
  /** The model's tokens of a text (lower-cased identifier parts), in order, at most `maxTokens`. */
  tokens(text: string, maxTokens?: number): string[];
  /** The token's row: its vocabulary entry, or a shared hash bucket for an unknown token. */
  row(token: string): number;
  /** Whether the row is a vocabulary entry (not a hash bucket that unknown tokens share). */
  known(row: number): boolean;
  /** How much the token weighs in a query (the model's learned, idf-like pooling weight). */
  queryWeight(row: number): number;
  /** Cosine similarity of row `a` with each of `rows`, written into `out`. */
  similarities(a: number, rows: Int32Array, out: Float32Array): void;
  /** The vocabulary, for spelling suggestions. */
  readonly vocabulary: readonly string[];
  /** Rows in all: the vocabulary's, then the hash buckets'. */
  readonly rows: number;
}

export type SearchMode = 'hybrid' | 'vector' | 'lexical';

export interface SearchHit {
  path: string;
  startLine: number;
  endLine: number;
  symbol: string;
  kind: ChunkKind;
  language: LanguageId;
  score: number;
  container: string;
  text: string;
  /**
   * The second stage's calibrated probability that this is a right answer, in [0, 1], comparable
   * between queries; absent when no second stage ran (another model, or lexical/vector mode).
   */
  confidence?: number;
  /** Whether `confidence` reaches the ranker's threshold for a close match (chosen on validation). */
  close?: boolean;
  /** Why it matched (second stage only). */
  why?: Evidence;
}

/** A query word and the code's identifier parts it met, closest first. */
export interface TermMatch {
  term: string;
  matched: string[];
}

/** Why a hit matched: the query words it answers and the lines that match best. */
export interface Evidence {
  terms: TermMatch[];
  /** 1-based file lines inside the hit, best first (empty when its text is collapsed). */
  lines: number[];
}

/** A hit as the store returns it to the second stage: with the chunk's full-text terms and vector. */
export interface CandidateHit extends SearchHit {
  /** Code tokens of the chunk (`lexicalText`), space-separated. */
  terms: string;
  vector: Float32Array;
}

/** Progress of a long operation, reported through a callback. */
export interface Progress {
  phase: 'crawl' | 'chunk' | 'embed' | 'store' | 'done';
  done: number;
  total: number;
  message?: string;
}

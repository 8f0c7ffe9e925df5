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
}

/** Why a file was passed over; reported, never silent. */
export type SkipReason = 'ignored' | 'secret' | 'too-large' | 'binary' | 'minified' | 'generated' | 'unreadable' | 'symlink-loop';

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
  dispose(): Promise<void>;
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
}

/** Progress of a long operation, reported through a callback. */
export interface Progress {
  phase: 'crawl' | 'chunk' | 'embed' | 'store' | 'done';
  done: number;
  total: number;
  message?: string;
}

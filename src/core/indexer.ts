// One index run: crawl → plan → read, chunk, embed and store changed files in batches → tidy up.
// Each batch commits on its own, so a cancelled or crashed run keeps what it finished and the next
// run resumes from there.

import path from 'node:path';
import pLimit, { type LimitFunction } from 'p-limit';
import { classifyContent, crawl, DEFAULT_MAX_FILE_BYTES } from './crawl/index.js';
import { crawlChanged } from './crawl/changed.js';
import type { Chunker } from './chunk/index.js';
import { documentText } from './embedding-text.js';
import { planChanged, planRefresh } from './refresh.js';
import type { ChunkRow, FileRow, IndexStore } from './store.js';
import { lexicalText } from './tokens.js';
import type { Chunk, CrawledFile, Embedder, Progress, SkipReason } from './types.js';
import { messageOf } from './errors.js';
import { sha256Hex } from './util/hash.js';
import { readRegularFile } from './files.js';

/** Files per commit: big enough that commits stay few, small enough that an interruption loses little. */
const FILES_PER_BATCH = 200;
/**
 * Bytes of files per batch (a bigger file has a batch of its own), and the largest file indexed
 * whatever `maxFileBytes` says: a batch's files, chunks and rows are in memory at once, about 22
 * bytes per byte of source, so these keep a run's peak under 500 MB.
 */
const BYTES_PER_BATCH = 8 * 1024 * 1024;
const MAX_FILE_BYTES = 8 * 1024 * 1024;
const READ_CONCURRENCY = 8;
/** In the index folder: what the last full crawl saw, so that a start-up check need not walk the tree. */
const CRAWL_SNAPSHOT = 'crawl-snapshot.json';
/** Tokens of a chunk kept for full-text search. */
const MAX_TERMS = 2000;

export interface CrawlSettings {
  exclude?: readonly string[];
  include?: readonly string[];
  maxFileBytes?: number;
  indexSecrets?: boolean;
  indexTestsAndTranslations?: boolean;
}

export interface IndexRunOptions {
  root: string;
  store: IndexStore;
  embedder: Embedder;
  /** Created only when a file has to be chunked, so a no-change run loads no grammar. */
  chunker: () => Promise<Chunker>;
  crawl?: CrawlSettings;
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
  /** Files passed over and fallbacks, one line each. */
  log?: (message: string) => void;
  /**
   * Only these root-relative paths changed (a file watcher's report): they are checked instead of
   * crawling the tree, unless one of them needs the crawl (an ignore file, a folder, a link).
   */
  changed?: readonly string[];
}

export interface IndexSummary {
  /** Files in the workspace that are indexed after the run. */
  files: number;
  chunks: number;
  /** Files chunked and embedded in this run (new or changed content). */
  indexed: number;
  unchanged: number;
  removed: number;
  skipped: Partial<Record<SkipReason, number>>;
  failed: { path: string; error: string }[];
  seconds: number;
}

interface PreparedFile {
  row: FileRow;
  chunks: ChunkRow[];
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');

/** What every batch of one run shares. */
interface RunContext {
  store: IndexStore;
  embedder: Embedder;
  /** The index's files as they were before this run. */
  indexed: ReadonlyMap<string, FileRow>;
  readLimit: LimitFunction;
  /** Files that could not be read, collected over the run. */
  failed: IndexSummary['failed'];
  skip: (path: string, reason: SkipReason, detail?: string) => void;
  /** The chunker, loaded on first use. */
  chunker: () => Promise<Chunker>;
  signal?: AbortSignal;
  log?: (message: string) => void;
}

/** What one batch changed. */
interface BatchResult {
  /** Files chunked and embedded. */
  reindexed: number;
  embedded: number;
  /** Whether chunks were written or removed. */
  changed: boolean;
}

export async function updateIndex(options: IndexRunOptions): Promise<IndexSummary> {
  const started = performance.now();
  const { root, store, signal, log } = options;
  const report = (progress: Progress) => options.onProgress?.(progress);
  const skipped: Partial<Record<SkipReason, number>> = {};
  const skip = (path: string, reason: SkipReason, detail?: string) => {
    skipped[reason] = (skipped[reason] ?? 0) + 1;
    log?.(`skipped ${path}: ${reason}${detail ? ` (${detail})` : ''}`);
  };

  report({ phase: 'crawl', done: 0, total: 0 });
  const maxFileBytes = Math.min(options.crawl?.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES, MAX_FILE_BYTES);
  const crawlOptions = { root, ...options.crawl, maxFileBytes, indexDir: store.dir, onSkip: skip };
  const changed = options.changed && (await crawlChanged(crawlOptions, options.changed));
  if (options.changed && !changed) log?.('a changed path needs the whole tree crawled (an ignore file, a folder or a link)');
  const files: CrawledFile[] = [];
  const snapshotFile = path.join(store.dir, CRAWL_SNAPSHOT);
  if (!changed) for await (const file of crawl({ ...crawlOptions, snapshotFile, ...(signal ? { signal } : {}) })) files.push(file);

  const indexed = await store.fileRows();
  const plan = changed ? planChanged(changed, indexed) : planRefresh(files, indexed);
  if (plan.remove.length > 0) await store.removeFiles(plan.remove);

  let chunker: Chunker | undefined;
  const run: RunContext = {
    store,
    embedder: options.embedder,
    indexed,
    readLimit: pLimit(READ_CONCURRENCY),
    failed: [],
    skip,
    chunker: async () => (chunker ??= await options.chunker()),
    signal,
    log,
  };
  let done = 0;
  let embedded = 0;
  let reindexed = 0;
  let contentChanged = plan.remove.length > 0;
  for (const batch of batchesOf(plan.compute)) {
    signal?.throwIfAborted();
    const result = await indexBatch(batch, run, () => report({ phase: 'embed', done, total: plan.compute.length, message: `${embedded} chunks embedded` }));
    embedded += result.embedded;
    contentChanged ||= result.changed;
    reindexed += result.reindexed;
    done += batch.length;
    report({ phase: 'store', done, total: plan.compute.length, message: `${embedded} chunks embedded` });
  }

  if (contentChanged) {
    report({ phase: 'store', done, total: plan.compute.length, message: 'optimizing the index' });
    await store.optimize();
  }
  const vectorIndexBuilt = await store.ensureVectorIndex(() => report({ phase: 'store', done, total: plan.compute.length, message: 'building the vector index' }));
  if (contentChanged || plan.compute.length > 0 || vectorIndexBuilt) await store.markUpdated();
  const counts = await store.counts();
  report({ phase: 'done', done, total: plan.compute.length });
  return {
    files: counts.files,
    chunks: counts.chunks,
    indexed: reindexed,
    unchanged: plan.unchanged,
    removed: plan.remove.length,
    skipped,
    failed: run.failed,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Consecutive files, at most FILES_PER_BATCH and (unless one file is bigger) BYTES_PER_BATCH a batch. */
function* batchesOf(files: readonly CrawledFile[]): Generator<CrawledFile[]> {
  let batch: CrawledFile[] = [];
  let bytes = 0;
  for (const file of files) {
    if (batch.length > 0 && (batch.length === FILES_PER_BATCH || bytes + file.size > BYTES_PER_BATCH)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(file);
    bytes += file.size;
  }
  if (batch.length > 0) yield batch;
}

/**
 * One batch, committed on its own: reads the files, chunks and embeds those whose content changed,
 * and stores them; files whose content did not change only get their new size and times.
 * `beforeEmbed` is called once when there is something to embed.
 */
async function indexBatch(batch: readonly CrawledFile[], run: RunContext, beforeEmbed: () => void): Promise<BatchResult> {
  const read = await readFiles(batch, run);
  const { touched, prepared, dropped } = await prepareFiles(read, run);
  const rows = prepared.flatMap((p) => p.chunks);
  if (rows.length > 0) {
    beforeEmbed();
    await embedChunks(rows, run.embedder, run.signal);
  }
  run.signal?.throwIfAborted();
  const previouslyIndexed = [...prepared.map((p) => p.row.path), ...dropped].filter((p) => run.indexed.has(p));
  await run.store.replaceFiles(prepared.map((p) => p.row), rows, previouslyIndexed);
  await run.store.touchFiles(touched);
  return { reindexed: prepared.length, embedded: rows.length, changed: prepared.length > 0 || dropped.length > 0 };
}

/** A crawled file as read: its bytes, or what it turned into since the crawl (a FIFO, a folder…). */
type ReadFile = { file: CrawledFile; bytes: Buffer } | { file: CrawledFile; notRegular: string };

/** The files' bytes, READ_CONCURRENCY at a time; a file that cannot be read goes to `failed` (undefined in its place). */
function readFiles(batch: readonly CrawledFile[], run: RunContext): Promise<(ReadFile | undefined)[]> {
  return Promise.all(
    batch.map((file) =>
      run.readLimit(async () => {
        try {
          return { file, ...(await readRegularFile(file.absPath)) };
        } catch (error) {
          run.failed.push({ path: file.path, error: messageOf(error) });
          return undefined;
        }
      }),
    ),
  );
}

/**
 * Sorts the read files: not a regular file or not text (skipped; dropped from the index if it was there), same content
 * as indexed (touched: new stat data only), or new content (prepared: chunked, vectors to come).
 */
async function prepareFiles(read: readonly (ReadFile | undefined)[], run: RunContext): Promise<{ touched: FileRow[]; prepared: PreparedFile[]; dropped: string[] }> {
  const touched: FileRow[] = [];
  const prepared: PreparedFile[] = [];
  const dropped: string[] = [];
  for (const entry of read) {
    if (!entry) continue;
    const { file } = entry;
    const previous = run.indexed.get(file.path);
    if ('notRegular' in entry) {
      run.skip(file.path, 'ignored', `${entry.notRegular}, not a regular file`);
      if (previous) dropped.push(file.path);
      continue;
    }
    const { bytes } = entry;
    const kind = classifyContent(file.path, bytes);
    if (kind !== 'text') {
      run.skip(file.path, kind);
      if (previous) dropped.push(file.path);
      continue;
    }
    const row: FileRow = { path: file.path, hash: sha256Hex(bytes), size: file.size, mtimeMs: file.mtimeMs, ctimeMs: file.ctimeMs, chunks: 0 };
    if (previous?.hash === row.hash) {
      touched.push({ ...row, chunks: previous.chunks });
      continue;
    }
    const chunker = await run.chunker();
    const text = decode(bytes, file.path, run.log);
    let chunks: Chunk[];
    try {
      chunks = await chunker.chunk(file.path, text);
    } catch (error) {
      // The chunker falls back to line windows for what it can handle; anything else (tree-sitter's
      // WebAssembly aborting, say) costs this file only, not the rest of its batch.
      run.failed.push({ path: file.path, error: `chunking failed (${messageOf(error)})` });
      continue;
    }
    row.chunks = chunks.length;
    prepared.push({ row, chunks: chunks.map(chunkRow) });
  }
  return { touched, prepared, dropped };
}

/** A chunk as stored: its hash, its terms for full-text search, and (until embedded) no vector. */
export function chunkRow(chunk: Chunk): ChunkRow {
  return {
    ...chunk,
    hash: sha256Hex(chunk.text),
    terms: lexicalText(`${chunk.path} ${chunk.container} ${chunk.symbol} ${chunk.doc} ${chunk.text}`, MAX_TERMS),
    vector: new Float32Array(0),
  };
}

/** Sets each row's vector (embedded as documents, in one call); a vector of the wrong size is a bug. */
async function embedChunks(rows: ChunkRow[], embedder: Embedder, signal?: AbortSignal): Promise<void> {
  const vectors = await embedder.embed(rows.map(documentText), 'document', signal);
  rows.forEach((row, i) => {
    const vector = vectors[i];
    if (!vector || vector.length !== embedder.dimension) {
      throw new Error(`the embedder returned a vector of length ${vector?.length} instead of ${embedder.dimension}`);
    }
    row.vector = vector;
  });
}

/** Invalid UTF-8 is indexed with replacement characters rather than dropped. */
function decode(bytes: Uint8Array, path: string, log?: (message: string) => void): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    log?.(`${path} is not valid UTF-8; indexing it with replacement characters`);
    return lenientUtf8.decode(bytes);
  }
}

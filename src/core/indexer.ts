// One index run: crawl → plan → read, chunk, embed and store changed files in batches → tidy up.
// Each batch commits on its own, so a cancelled or crashed run keeps what it finished and the next
// run resumes from there.

import os from 'node:os';
import path from 'node:path';
import type { ResourceLimits } from 'node:worker_threads';
import pLimit, { type LimitFunction } from 'p-limit';
import { classifyContent, crawl, DEFAULT_MAX_FILE_BYTES } from './crawl/index.js';
import { crawlChanged } from './crawl/changed.js';
import type { Chunker } from './chunk/index.js';
import { chunkFiles, embedRows, type FileChunks, type SourceText } from './chunk-rows.js';
import { IndexPool, type IndexWorkerData } from './index-pool.js';
import { planChanged, planRefresh } from './refresh.js';
import type { ChunkRow, FileRow, IndexStore } from './store.js';
import type { CrawledFile, Embedder, Progress, SkipReason } from './types.js';
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
  /** Threads that chunk and embed: 0 or absent = os.availableParallelism(); 1 = this thread only. */
  threads?: number;
  /** How index workers are started; without it everything runs on this thread. */
  workers?: IndexWorkers;
}

/** Where the index worker module is and what its workers load (see index-pool.ts). */
export interface IndexWorkers extends IndexWorkerData {
  script: string | URL;
  /** The dimension of `embedder`'s vectors, when the workers embed. */
  dimension?: number;
  /** Each worker's heap limits (Node's defaults when absent): a file that exhausts them costs only itself. */
  resourceLimits?: ResourceLimits;
}

/** The index worker of this build (out/src/core/index-worker.js); a bundle (no import.meta.url) passes its own. */
export const INDEX_WORKER_SCRIPT: URL | undefined = typeof import.meta.url === 'string' ? new URL('./index-worker.js', import.meta.url) : undefined;

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

/** A batch read and sorted, its rows computed: what its commit writes. */
interface ComputedBatch {
  touched: FileRow[];
  prepared: { row: FileRow; chunks: ChunkRow[] }[];
  dropped: string[];
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
  /** Chunks (and may embed) batches on worker threads; absent: this thread does. */
  pool?: IndexPool;
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
  // A shared index (a URI) has no folder to keep it in: a CI job's checkout is fresh anyway.
  const snapshot = store.shared ? {} : { snapshotFile: path.join(store.dir, CRAWL_SNAPSHOT) };
  if (!changed) for await (const file of crawl({ ...crawlOptions, ...snapshot, ...(signal ? { signal } : {}) })) files.push(file);

  // A watcher's report needs the rows of its paths only: on a 90k-file index, reading them all is most of the run.
  const indexed = await store.fileRows(changed ? { under: [...changed.files.map((f) => f.path), ...changed.gone] } : {});
  const plan = changed ? planChanged(changed, indexed) : planRefresh(files, indexed);
  if (plan.remove.length > 0) await store.removeFiles(plan.remove);

  const batches = [...batchesOf(plan.compute)];
  const pool = startPool(options, batches.length);
  let chunker: Chunker | undefined;
  const run: RunContext = {
    store,
    embedder: options.embedder,
    indexed,
    readLimit: pLimit(READ_CONCURRENCY),
    failed: [],
    skip,
    chunker: async () => (chunker ??= await options.chunker()),
    ...(pool ? { pool } : {}),
    signal,
    log,
  };
  let done = 0;
  let embedded = 0;
  let reindexed = 0;
  let contentChanged = plan.remove.length > 0;
  // Batches are computed ahead (on the pool: one per worker and one more, which bounds the memory)
  // and committed one at a time in order, each on its own, so an interrupted run keeps a prefix.
  const ahead = pool ? pool.size + 1 : 1;
  const inFlight: Promise<void>[] = [];
  let commits: Promise<unknown> = Promise.resolve();
  try {
    for (const batch of batches) {
      signal?.throwIfAborted();
      const computed = computeBatch(batch, run, () => report({ phase: 'embed', done, total: plan.compute.length, message: `${embedded} chunks embedded` }));
      computed.catch(() => undefined); // its failure is the commit's, below
      const committed = commits
        .then(() => computed)
        .then((result) => commitBatch(result, run))
        .then((result) => {
          embedded += result.embedded;
          contentChanged ||= result.changed;
          reindexed += result.reindexed;
          done += batch.length;
          report({ phase: 'store', done, total: plan.compute.length, message: `${embedded} chunks embedded` });
        });
      commits = committed;
      inFlight.push(committed);
      if (inFlight.length >= ahead) await inFlight.shift();
    }
    await Promise.all(inFlight);
  } catch (error) {
    await Promise.allSettled(inFlight); // nothing writes once the run has returned
    throw error;
  } finally {
    await pool?.close();
  }

  if (contentChanged) {
    report({ phase: 'store', done, total: plan.compute.length, message: 'optimizing the index' });
    await store.optimize();
  }
  const vectorIndexBuilt = await store.ensureVectorIndex(() => report({ phase: 'store', done, total: plan.compute.length, message: 'building the vector index' }));
  if (contentChanged || plan.compute.length > 0 || vectorIndexBuilt) await store.markUpdated();
  await store.pruneVersions();
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

/** The pool a run with `batches` batches uses: none with one thread, one batch or no worker module. */
function startPool(options: IndexRunOptions, batches: number): IndexPool | undefined {
  const threads = options.threads || os.availableParallelism();
  const size = Math.min(threads, batches);
  if (size < 2 || !options.workers) return undefined;
  const { script, dimension = 0, resourceLimits, ...data } = options.workers;
  options.log?.(`chunking${data.embedder ? ' and embedding' : ''} on ${size} worker threads`);
  return new IndexPool({ size, script, data, dimension, ...(resourceLimits ? { resourceLimits } : {}) });
}

/**
 * Reads a batch's files and sorts them; those whose content changed are chunked and embedded.
 * `beforeEmbed` is called once when there is something to chunk and embed.
 */
async function computeBatch(batch: readonly CrawledFile[], run: RunContext, beforeEmbed: () => void): Promise<ComputedBatch> {
  const read = await readFiles(batch, run);
  const { touched, changed, dropped } = sortFiles(read, run);
  if (changed.length > 0) beforeEmbed();
  const chunked = await chunkBatch(changed.map((c) => c.source), run);
  const prepared: ComputedBatch['prepared'] = [];
  changed.forEach(({ row }, i) => {
    const file = chunked[i] as FileChunks;
    if ('error' in file) return void run.failed.push({ path: file.path, error: file.error });
    prepared.push({ row: { ...row, chunks: file.rows.length }, chunks: file.rows });
  });
  const rows = prepared.flatMap((p) => p.chunks);
  const unembedded = rows.filter((row) => row.vector.length === 0);
  if (unembedded.length > 0) await embedRows(unembedded, run.embedder, run.signal);
  return { touched, prepared, dropped };
}

/** The files' rows: on the pool when there is one (its workers may embed them too), else here. */
async function chunkBatch(files: readonly SourceText[], run: RunContext): Promise<FileChunks[]> {
  if (files.length === 0) return [];
  if (!run.pool) return chunkFiles(await run.chunker(), files);
  const batch = await run.pool.prepare(files, run.signal);
  for (const line of batch.logs) run.log?.(line);
  return batch.files;
}

/** Stores a computed batch, committed on its own; files whose content did not change only get their new size and times. */
async function commitBatch({ touched, prepared, dropped }: ComputedBatch, run: RunContext): Promise<BatchResult> {
  run.signal?.throwIfAborted();
  const rows = prepared.flatMap((p) => p.chunks);
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
 * as indexed (touched: new stat data only), or new content (changed: its text, to be chunked).
 */
function sortFiles(read: readonly (ReadFile | undefined)[], run: RunContext): { touched: FileRow[]; changed: { row: FileRow; source: SourceText }[]; dropped: string[] } {
  const touched: FileRow[] = [];
  const changed: { row: FileRow; source: SourceText }[] = [];
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
    changed.push({ row, source: { path: file.path, text: decode(bytes, file.path, run.log) } });
  }
  return { touched, changed, dropped };
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

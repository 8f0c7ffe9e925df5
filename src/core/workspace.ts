// The one entry point front ends use (CLI, extension, benchmarks): a workspace folder with its index.

import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { resolveAdapter, type Adapter } from './adapter.js';
import { createChunker, type Chunker } from './chunk/index.js';
import { createEmbedder } from './embed/index.js';
import { withBatching } from './embed/batching.js';
import { MemoryEmbeddingCache, withCache } from './embed/cache.js';
import { UserError } from './errors.js';
import { updateIndex, type CrawlSettings, type IndexSummary } from './indexer.js';
import { IndexBusyError, lockIndex } from './lock.js';
import { packageFiles, resolveModel, type PackageFiles } from './models.js';
import { defaultIndexDir } from './paths.js';
import { retrieve, search, type Candidates, type SearchContext, type SearchOptions } from './search.js';
import { IndexStore, readIndexMeta, type IndexMeta } from './store.js';
import type { Embedder, Progress, SearchHit } from './types.js';

export interface WorkspaceOptions {
  root: string;
  /** Where the index lives; the user's cache folder by default. */
  indexDir?: string;
  /** See MODEL_CHOICES_HELP; 'default' when absent. */
  model?: string;
  /** 'default', 'none' or an adapter folder. */
  adapter?: string;
  crawl?: CrawlSettings;
  env?: NodeJS.ProcessEnv;
  /** Details: skipped files, parser fallbacks; one line each. */
  log?: (message: string) => void;
  /** What the user must be told: an unreadable or outdated index being rebuilt. */
  warn?: (message: string) => void;
  /** The shipped model, adapters and grammars; default: this package's. A bundle must pass them. */
  files?: PackageFiles;
}

export interface IndexOptions {
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
  /** How long to wait for another process that holds the index (default 10 minutes). */
  waitMs?: number;
  onWait?: () => void;
}

export interface IndexStatus {
  root: string;
  indexDir: string;
  meta: IndexMeta;
  files: number;
  chunks: number;
  bytes: number;
}

const EMBED_BATCH = 64;
const QUERY_CACHE_ENTRIES = 1000;

async function requireFolder(root: string): Promise<string> {
  const absolute = path.resolve(root);
  let info;
  try {
    info = await stat(absolute);
  } catch {
    throw new UserError(`${absolute} does not exist: pass the folder of the code to search`);
  }
  if (!info.isDirectory()) throw new UserError(`${absolute} is not a folder: pass the folder of the code to search`);
  return absolute;
}

export class Workspace {
  private chunker: Promise<Chunker> | undefined;
  private adapter: Promise<Adapter> | undefined;

  private constructor(
    readonly root: string,
    readonly indexDir: string,
    readonly store: IndexStore,
    readonly embedder: Embedder,
    readonly files: PackageFiles,
    private readonly options: WorkspaceOptions,
  ) {}

  static async open(options: WorkspaceOptions): Promise<Workspace> {
    const root = await requireFolder(options.root);
    const indexDir = path.resolve(options.indexDir ?? defaultIndexDir(root, options.env));
    const files = options.files ?? packageFiles();
    const base = await createEmbedder(await resolveModel(options.model ?? 'default', options.env, files));
    const store = await IndexStore.open({
      dir: indexDir,
      root,
      embedderId: base.id,
      dimension: base.dimension,
      ...(options.warn ? { onRebuild: options.warn } : {}),
    });
    // Document vectors are remembered in the index (one lookup and one write per indexing batch);
    // query vectors only in memory, so searching never writes to the index.
    const documents = { get: (keys: readonly string[]) => store.cachedVectors(keys), set: (entries: ReadonlyMap<string, Float32Array>) => store.cacheVectors(entries) };
    const queries = new MemoryEmbeddingCache({ maxEntries: QUERY_CACHE_ENTRIES });
    const embedder = base.cheap ? base : withCache(withBatching(base, { batchSize: EMBED_BATCH, concurrency: 2 }), { document: documents, query: queries });
    return new Workspace(root, indexDir, store, embedder, files, options);
  }

  /** Brings the index up to date with the folder; waits for (or refuses) a concurrent writer. */
  async index(options: IndexOptions = {}): Promise<IndexSummary> {
    const release = await lockIndex(this.indexDir, {
      waitMs: options.waitMs ?? 600_000,
      ...(options.onWait ? { onWait: options.onWait } : {}),
    });
    try {
      return await updateIndex({
        root: this.root,
        store: this.store,
        embedder: this.embedder,
        chunker: () => (this.chunker ??= this.newChunker(this.options.log)),
        ...(this.options.crawl ? { crawl: this.options.crawl } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(this.options.log ? { log: this.options.log } : {}),
      });
    } finally {
      await release();
    }
  }

  /** A chunker with this workspace's grammars. */
  newChunker(log?: (message: string) => void): Promise<Chunker> {
    return createChunker({ grammarDir: this.files.grammars, treeSitterWasm: this.files.treeSitterWasm, ...(log ? { log } : {}) });
  }

  async search(query: string, options: SearchOptions): Promise<SearchHit[]> {
    return search(await this.searchContext(), query, options);
  }

  /** Each ranker's candidates before fusion (benchmarks). */
  async candidates(query: string, options: SearchOptions): Promise<Candidates> {
    return retrieve(await this.searchContext(), query, options);
  }

  private async searchContext(): Promise<SearchContext> {
    return { store: this.store, embedder: this.embedder, adapter: await this.queryAdapter() };
  }

  /** The adapter queries go through: the workspace's own tuned one, else a shipped one for this model, else identity. */
  queryAdapter(): Promise<Adapter> {
    return (this.adapter ??= resolveAdapter({
      choice: this.options.adapter ?? 'default',
      modelId: this.store.info.embedderId,
      searchDirs: [path.join(this.indexDir, 'adapters'), this.files.adapters],
    }));
  }

  async close(): Promise<void> {
    this.store.close();
    await this.embedder.dispose();
  }
}

export { IndexBusyError };

/** What is indexed for a folder, without loading a model; undefined when it has no index yet. */
export async function indexStatus(options: Pick<WorkspaceOptions, 'root' | 'indexDir' | 'env' | 'warn'>): Promise<IndexStatus | undefined> {
  const root = await requireFolder(options.root);
  const indexDir = path.resolve(options.indexDir ?? defaultIndexDir(root, options.env));
  const meta = await readIndexMeta(indexDir);
  if (!meta) return undefined;
  const store = await IndexStore.open({
    dir: indexDir,
    root,
    embedderId: meta.embedderId,
    dimension: meta.dimension,
    ...(options.warn ? { onRebuild: options.warn } : {}),
  });
  try {
    const counts = await store.counts();
    return { root, indexDir, meta, ...counts, bytes: await folderSize(indexDir) };
  } finally {
    store.close();
  }
}

async function folderSize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

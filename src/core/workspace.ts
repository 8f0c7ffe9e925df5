// The one entry point front ends use (CLI, extension, benchmarks): a workspace folder with its index.

import { stat } from 'node:fs/promises';
import path from 'node:path';
import { adapterSearchDirs, resolveAdapter, type Adapter } from './adapter.js';
import { createChunker, type Chunker, type ChunkerOptions } from './chunk/index.js';
import { createEmbedder, type EmbedderSpec } from './embed/index.js';
import { withBatching } from './embed/batching.js';
import { MemoryEmbeddingCache, withCache } from './embed/cache.js';
import { UserError } from './errors.js';
import { folderBytes } from './files.js';
import { INDEX_WORKER_SCRIPT, updateIndex, type CrawlSettings, type IndexRunOptions, type IndexSummary, type IndexWorkers } from './indexer.js';
import { lockIndex } from './lock.js';
import { PACKAGE_ROOT, resolveModel } from './models.js';
import { OverlayIndex } from './overlay.js';
import { defaultIndexDir, overlayIndexDir } from './paths.js';
import { retrieve, search, secondStageOf, type Candidates, type SearchContext, type SearchOptions, type SearchResult, type SecondStage } from './search.js';
import { resolveRanker, tunedRankersDir, type Ranker } from './rank/model.js';
import { IndexStore, type IndexMeta, type OpenStoreOptions } from './store.js';
import { checkStorageUri, isStorageUri, storageFailure, storageOptionsFor } from './storage-uri.js';
import { headCommit } from './util/git.js';
import type { Embedder, Progress, SearchHit } from './types.js';

/**
 * Where the shipped files are, for a host that cannot find them from this module's URL (a CommonJS
 * bundle has no import.meta.url). Each defaults to this package's own.
 */
export type ParserAssets = Pick<WorkspaceAssets, 'grammarDir' | 'treeSitterWasm'>;

export interface WorkspaceAssets {
  /** The folder holding models/ (the default model), adapters/ and rankers/. */
  packageRoot?: string;
  grammarDir?: ChunkerOptions['grammarDir'];
  treeSitterWasm?: ChunkerOptions['treeSitterWasm'];
  /** The index worker module (the extension's bundle of src/core/index-worker.ts); this build's own by default. */
  indexWorker?: string;
}

export interface WorkspaceOptions {
  root: string;
  /** Where the index lives; the user's cache folder by default. A storage URI (s3://…) is a team's shared index: see `publish`. */
  indexDir?: string;
  /**
   * For a shared index: true writes it (the CI job that publishes it at a commit); otherwise it is
   * only read, and this workspace's own changes go to a local overlay (overlay.ts).
   */
  publish?: boolean;
  /** More LanceDB storage options for a shared index (no secrets: those come from the environment). */
  storageOptions?: Record<string, string>;
  /** See MODEL_CHOICES_HELP; 'default' when absent. */
  model?: string;
  /** 'default', 'none' or an adapter folder. */
  adapter?: string;
  /** The second stage: 'default' (the ranker shipped for the model, if any), 'none', or a ranker folder. */
  ranker?: string;
  crawl?: CrawlSettings;
  env?: NodeJS.ProcessEnv;
  assets?: WorkspaceAssets;
  /** Details: skipped files, parser fallbacks; one line each. */
  log?: (message: string) => void;
  /** What the user must be told: an unreadable or outdated index being rebuilt. */
  warn?: (message: string) => void;
  /** Chunks past which the vectors get an ANN index (default VECTOR_INDEX_MIN_ROWS; tests set it low). */
  vectorIndexMinRows?: number;
  /** How long old index versions' files outlive them for other processes' readers (default a minute; tests set 0). */
  versionGraceMs?: number;
  /** Threads that chunk and embed while indexing: 0 or absent = one per core (os.availableParallelism()). */
  indexingThreads?: number;
}

export interface IndexOptions {
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
  /** How long to wait for another process that holds the index (default 10 minutes). */
  waitMs?: number;
  onWait?: () => void;
  /** Only these root-relative paths changed: see IndexRunOptions.changed. */
  changed?: readonly string[];
}

export interface IndexStatus {
  root: string;
  indexDir: string;
  meta: IndexMeta;
  files: number;
  chunks: number;
  /** Undefined for a shared index on object storage. */
  bytes?: number;
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
  private chunkerLoad: Promise<Chunker> | undefined;
  private adapter: Promise<Adapter> | undefined;
  private ranker: Promise<Ranker | undefined> | undefined;

  /**
   * `store` is the index this workspace writes: its own, a shared one it publishes, or the overlay
   * over a shared one it reads (`overlay`); `indexDir` is where that is.
   */
  private constructor(
    readonly root: string,
    readonly indexDir: string,
    readonly store: IndexStore,
    readonly embedder: Embedder,
    private readonly options: WorkspaceOptions,
    /** The model as resolved: index workers create their own embedder from it. */
    private readonly embedderSpec: EmbedderSpec,
    readonly overlay?: OverlayIndex,
  ) {}

  static async open(options: WorkspaceOptions): Promise<Workspace> {
    const root = await requireFolder(options.root);
    const location = options.indexDir ?? defaultIndexDir(root, options.env);
    const uri = isStorageUri(location) ? checkStorageUri(location) : undefined;
    const storage = uri === undefined ? undefined : storageOptionsFor(uri, options.env ?? process.env, options.storageOptions);
    const spec = await resolveModel(options.model ?? 'default', options.env, options.assets?.packageRoot);
    const base = await createEmbedder(spec);
    const storeOptions = (dir: string): OpenStoreOptions => ({
      dir,
      root,
      embedderId: base.id,
      dimension: base.dimension,
      ...(options.warn ? { onRebuild: options.warn } : {}),
      ...(options.vectorIndexMinRows !== undefined ? { vectorIndexMinRows: options.vectorIndexMinRows } : {}),
      ...(options.versionGraceMs !== undefined ? { versionGraceMs: options.versionGraceMs } : {}),
    });
    let store: IndexStore;
    let overlay: OverlayIndex | undefined;
    if (uri === undefined || options.publish) {
      store = await IndexStore.open({ ...storeOptions(uri ?? path.resolve(location)), ...(storage ? { storage } : {}) });
    } else {
      const shared = await IndexStore.open({ ...storeOptions(uri), readOnly: true, ...(storage ? { storage } : {}) });
      try {
        const sharedFiles = await shared.fileRows();
        store = await IndexStore.open({ ...storeOptions(overlayIndexDir(root, uri, options.env)), baseFiles: sharedFiles });
        overlay = new OverlayIndex(shared, store, sharedFiles, options.warn);
      } catch (error) {
        shared.close();
        throw error;
      }
    }
    const indexDir = store.dir;
    // Document vectors are remembered in the index (one lookup and one write per indexing batch);
    // query vectors only in memory, so searching never writes to the index.
    const documents = { get: (keys: readonly string[]) => store.cachedVectors(keys), set: (entries: ReadonlyMap<string, Float32Array>) => store.cacheVectors(entries) };
    const queries = new MemoryEmbeddingCache({ maxEntries: QUERY_CACHE_ENTRIES });
    const embedder = base.cheap ? base : withCache(withBatching(base, { batchSize: EMBED_BATCH, concurrency: 2 }), { document: documents, query: queries });
    return new Workspace(root, indexDir, store, embedder, options, spec, overlay);
  }

  /** Brings the index up to date with the folder; waits for (or refuses) a concurrent writer. */
  async index(options: IndexOptions = {}): Promise<IndexSummary> {
    if (this.store.shared) return this.publish(options);
    const release = await lockIndex(this.indexDir, {
      waitMs: options.waitMs ?? 600_000,
      ...(options.onWait ? { onWait: options.onWait } : {}),
    });
    try {
      // Quick: sizes, and checksums of the files whose mtime moved. Hashing every file (`status`
      // does) would cost seconds a run on a large index.
      await this.store.repair('quick');
      return await updateIndex(this.runOptions(options));
    } finally {
      await release();
      this.overlay?.changed();
    }
  }

  /**
   * Writes the shared index (a CI job; no lock: one job publishes at a time) and records the commit
   * it was written from.
   */
  private async publish(options: IndexOptions): Promise<IndexSummary> {
    try {
      const summary = await updateIndex(this.runOptions(options));
      await this.store.markUpdated(await headCommit(this.root));
      return summary;
    } catch (error) {
      throw storageFailure(this.indexDir, 'write', error) ?? error;
    }
  }

  private runOptions(options: IndexOptions): IndexRunOptions {
    return {
      root: this.root,
      store: this.store,
      embedder: this.embedder,
      chunker: () => this.chunker(),
      ...(this.options.indexingThreads !== undefined ? { threads: this.options.indexingThreads } : {}),
      ...(this.indexWorkers() ?? {}),
      ...(this.options.crawl ? { crawl: this.options.crawl } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(this.options.log ? { log: this.options.log } : {}),
      ...(options.changed ? { changed: options.changed } : {}),
    };
  }

  /** The chunker indexing (and tuning) uses, loaded on first use. */
  chunker(): Promise<Chunker> {
    const { log, assets } = this.options;
    return (this.chunkerLoad ??= createChunker({
      ...(log ? { log } : {}),
      ...(assets?.grammarDir ? { grammarDir: assets.grammarDir } : {}),
      ...(assets?.treeSitterWasm ? { treeSitterWasm: assets.treeSitterWasm } : {}),
    }));
  }

  /**
   * How index workers start, if they can: each loads its own chunker, and its own embedder when
   * embedding is cheap (the static model). Other embedders (transformers.js, USE, an OpenAI-protocol
   * server) keep their cache and batching here, on this thread; the workers then only chunk.
   */
  private indexWorkers(): { workers: IndexWorkers } | undefined {
    const script = this.options.assets?.indexWorker ?? INDEX_WORKER_SCRIPT;
    if (!script) return undefined;
    const embeds = this.embedder.cheap === true;
    return {
      workers: {
        script,
        chunker: this.parserAssets,
        ...(embeds ? { embedder: this.embedderSpec, dimension: this.embedder.dimension } : {}),
      },
    };
  }

  /** Where the tree-sitter runtime and grammars come from (for parsing outside the chunker). */
  get parserAssets(): ParserAssets {
    const { grammarDir, treeSitterWasm } = this.options.assets ?? {};
    return { ...(grammarDir ? { grammarDir } : {}), ...(treeSitterWasm ? { treeSitterWasm } : {}) };
  }

  /** The adapters shipped with the package (one per model), searched after the workspace's tuned one. */
  get shippedAdaptersDir(): string {
    return path.join(this.options.assets?.packageRoot ?? PACKAGE_ROOT, 'adapters');
  }

  async search(query: string, options: SearchOptions): Promise<SearchHit[]> {
    return (await this.find(query, options)).hits;
  }

  /** The hits and the spelling slips corrected on the way. */
  async find(query: string, options: SearchOptions): Promise<SearchResult> {
    return search(await this.searchContext(), query, options);
  }

  /** Each ranker's candidates before fusion (benchmarks). */
  async candidates(query: string, options: SearchOptions): Promise<Candidates> {
    return retrieve(await this.searchContext(), query, options);
  }

  private async searchContext(): Promise<SearchContext> {
    const [adapter, ranker] = await Promise.all([this.queryAdapter(), this.secondStageRanker()]);
    return { store: this.overlay ?? this.store, embedder: this.embedder, adapter, ...(ranker ? { ranker } : {}) };
  }

  /** The rankers shipped with the package (one per model), searched after the workspace's tuned one. */
  get shippedRankersDir(): string {
    return path.join(this.options.assets?.packageRoot ?? PACKAGE_ROOT, 'rankers');
  }

  /**
   * The second stage's ranker: as chosen, else the workspace's tuned one, else the one shipped for
   * this model, else none. `--adapter none` leaves out what tune fitted, the tuned ranker too: it
   * was fitted to the candidates that the tuned adapter's query vectors find.
   */
  secondStageRanker(): Promise<Ranker | undefined> {
    const tuned = (this.options.adapter ?? 'default') === 'default' ? [tunedRankersDir(this.indexDir)] : [];
    return (this.ranker ??= resolveRanker({
      choice: this.options.ranker ?? 'default',
      modelId: this.store.info.embedderId,
      searchDirs: [...tuned, this.shippedRankersDir],
    }));
  }

  /** The second stage searches run with, if any (SearchableFolder). */
  async secondStage(): Promise<SecondStage | undefined> {
    return secondStageOf({ ranker: await this.secondStageRanker(), embedder: this.embedder });
  }

  /** The adapter queries go through: the workspace's own tuned one, else a shipped one for this model, else identity. */
  queryAdapter(): Promise<Adapter> {
    return (this.adapter ??= resolveAdapter({
      choice: this.options.adapter ?? 'default',
      modelId: this.store.info.embedderId,
      searchDirs: adapterSearchDirs(this.indexDir, this.shippedAdaptersDir),
    }));
  }

  async close(): Promise<void> {
    this.store.close();
    this.overlay?.shared.close();
    await this.embedder.dispose();
  }
}

/** What is indexed for a folder, without loading a model; undefined when it has no index yet. Only reads (see IndexStore.openForReading). */
export async function indexStatus(options: Pick<WorkspaceOptions, 'root' | 'indexDir' | 'env' | 'storageOptions'>): Promise<IndexStatus | undefined> {
  const root = await requireFolder(options.root);
  const location = options.indexDir ?? defaultIndexDir(root, options.env);
  const uri = isStorageUri(location) ? checkStorageUri(location) : undefined;
  const indexDir = uri ?? path.resolve(location);
  const store = await IndexStore.openForReading(indexDir, root, uri === undefined ? undefined : storageOptionsFor(uri, options.env ?? process.env, options.storageOptions));
  if (!store) return undefined;
  try {
    const counts = await store.counts();
    return { root, indexDir, meta: store.info, ...counts, ...(uri ? {} : { bytes: await folderBytes(indexDir) }) };
  } finally {
    store.close();
  }
}

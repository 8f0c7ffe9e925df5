// The indexing worker (a worker_threads Worker): owns one core Workspace per workspace folder so
// that crawling, parsing, embedding and LanceDB never run on the extension host's event loop. It
// answers the host's requests (src/shared/worker-protocol.ts) and reports each folder's index state; it decides
// nothing on its own, not even when to index.

import { rm } from 'node:fs/promises';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import pLimit from 'p-limit';
import { summaryText } from '../shared/report.js';
import { DEFAULT_EXCLUDES } from '../core/crawl/index.js';
import { compileDefaults } from '../core/crawl/defaults.js';
import { messageOf, UserError } from '../core/errors.js';
import type { IndexSummary } from '../core/indexer.js';
import { toPosixRelative } from '../core/paths.js';
import { rank, type Candidates, type SearchOptions } from '../core/search.js';
import { proposeEdits, type EditOutcome } from '../core/edit/propose.js';
import { NO_API_KEY } from '../core/embed/index.js';
import { createChatClient } from '../core/llm/client.js';
import { tuneWorkspace, type TuneProgress, type TuneReport } from '../core/tune/index.js';
import { readIndexMeta } from '../core/store.js';
import { indexStatus, Workspace } from '../core/workspace.js';
import type { AnswerProgress, FolderConfig, FolderStatus, HostMessage, IndexState, LogLevel, ProposeParams, Requests, WorkerAssets, WorkerError, WorkerMessage, WorkerRequest } from '../shared/worker-protocol.js';

if (!parentPort) throw new Error('worker.ts runs as a worker thread of the CodeIntent extension');
const port = parentPort;
const assets = workerData as WorkerAssets;

function post(message: WorkerMessage): void {
  port.postMessage(message);
}

function log(level: LogLevel, message: string): void {
  post({ type: 'log', level, message });
}

/** The reason a run is aborted with: tells a cancellation from a failure. */
class Cancelled extends Error {
  override readonly name = 'Cancelled';
}

/** Index and tune runs go one at a time across folders: the machine's cores are the editor's too. */
const heavy = pLimit(1);

/** Changes under a default-excluded folder (.git, node_modules, build output) never reach the index. */
const excludedByDefault = compileDefaults(DEFAULT_EXCLUDES);

class Folder {
  private workspace: Promise<Workspace> | undefined;
  /** A run waiting for its turn: further requests share it, so a burst of changes costs one run. */
  private queued: { promise: Promise<IndexSummary>; controller: AbortController } | undefined;
  /** The index, tune or clear that holds the folder now. */
  private active: { promise: Promise<unknown>; controller: AbortController } | undefined;
  /** After `clear`, file changes do not rebuild the index; only an explicit `index` does. */
  private cleared = false;
  private state: IndexState = { kind: 'none' };

  constructor(readonly config: FolderConfig) {}

  get root(): string {
    return this.config.root;
  }

  open(): Promise<Workspace> {
    const { root, indexDir, model, adapter, crawl, env } = this.config;
    this.workspace ??= Workspace.open({
      root,
      indexDir,
      model,
      adapter,
      crawl,
      env: { ...process.env, ...env },
      assets,
      log: (message) => log('debug', `${root}: ${message}`),
      warn: (message) => log('warn', `${root}: ${message}`),
    }).catch((error: unknown) => {
      this.workspace = undefined; // the next request tries again (the setting may have been fixed)
      throw error;
    });
    return this.workspace;
  }

  index(): Promise<IndexSummary> {
    this.cleared = false;
    if (!this.queued) {
      const controller = new AbortController();
      const promise = this.exclusive(controller, () => {
        this.queued = undefined;
        return this.runIndex(controller.signal);
      });
      this.queued = { promise, controller };
    }
    return this.queued.promise;
  }

  /** Re-indexes when a changed path can matter; settles when that run has. */
  async changed(paths: readonly string[]): Promise<void> {
    if (this.cleared || !paths.some((p) => this.mayIndex(p))) return;
    await this.index();
  }

  async tune(signal: AbortSignal, onProgress: (progress: TuneProgress) => void): Promise<TuneReport> {
    const controller = new AbortController();
    signal.addEventListener('abort', () => controller.abort(new Cancelled('tuning was cancelled')), { once: true });
    return this.exclusive(controller, async () => {
      // The workspace caches its query adapter: open it again so search uses the new one.
      const reopen = async (complete: boolean) => {
        await this.closeWorkspace();
        const counts = await this.open().then((workspace) => workspace.store.counts()).catch(() => undefined);
        this.setState(counts ? { kind: 'ready', ...counts, complete } : { kind: 'none' });
      };
      try {
        const report = await tuneWorkspace(await this.open(), {
          signal: controller.signal,
          onProgress,
          command: 'CodeIntent: Tune Search to This Workspace',
          index: { onProgress: (p) => this.setState({ kind: 'indexing', phase: p.phase, done: p.done, total: p.total }) },
          log: (message) => log('debug', `${this.root}: ${message}`),
        });
        await reopen(true);
        return report;
      } catch (error) {
        await reopen(false); // what is indexed stays searchable; Reindex finishes it
        throw error;
      }
    });
  }

  clear(): Promise<void> {
    this.cancel();
    return this.exclusive(new AbortController(), async () => {
      await this.closeWorkspace();
      await rm(this.config.indexDir, { recursive: true, force: true });
      this.cleared = true;
      this.setState({ kind: 'none' });
    });
  }

  /** LLM-proposed edits of this folder's hits; reads files, writes nothing. */
  async propose({ query, instruction, top, hits, llm }: ProposeParams, signal: AbortSignal, onProgress: (progress: AnswerProgress) => void): Promise<EditOutcome> {
    const client = createChatClient({ baseURL: llm.baseURL, model: llm.model, apiKey: llm.apiKey ?? NO_API_KEY });
    const received = new Map<string, number>();
    const onDelta = (file: string, text: string) => {
      const chars = (received.get(file) ?? 0) + text.length;
      received.set(file, chars);
      onProgress({ phase: 'answer', path: file, chars });
    };
    return proposeEdits({ workspace: await this.open(), client, instruction, query, top, signal, onDelta, ...(hits ? { hits } : {}) });
  }

  async candidates(query: string, options: Omit<SearchOptions, 'mode'>): Promise<Candidates> {
    return (await this.open()).candidates(query, { ...options, mode: 'hybrid' });
  }

  async hasIndex(): Promise<boolean> {
    return (await readIndexMeta(this.config.indexDir)) !== undefined;
  }

  async status(): Promise<FolderStatus> {
    const { root, indexDir } = this.config;
    const index = await indexStatus({ root, indexDir, warn: (message) => log('warn', `${root}: ${message}`) });
    if (!index) return { root, state: this.state };
    let adapter: string;
    try {
      adapter = (await (await this.open()).queryAdapter()).source;
    } catch (error) {
      adapter = `unavailable (${messageOf(error)})`;
    }
    return { root, state: this.state, index, adapter };
  }

  cancel(): void {
    this.queued?.controller.abort(new Cancelled('indexing was cancelled'));
    this.active?.controller.abort(new Cancelled('indexing was cancelled'));
  }

  /** Stops what runs and lets go of the index. */
  async close(): Promise<void> {
    this.cancel();
    await this.active?.promise.catch(() => undefined);
    await this.closeWorkspace();
  }

  private exclusive<T>(controller: AbortController, work: () => Promise<T>): Promise<T> {
    return heavy(async () => {
      controller.signal.throwIfAborted();
      const promise = work();
      this.active = { promise, controller };
      try {
        return await promise;
      } finally {
        if (this.active?.promise === promise) this.active = undefined;
      }
    });
  }

  private async runIndex(signal: AbortSignal): Promise<IndexSummary> {
    try {
      const workspace = await this.open();
      this.setState({ kind: 'indexing', phase: 'crawl', done: 0, total: 0 });
      const summary = await workspace.index({
        signal,
        onProgress: (p) => this.setState({ kind: 'indexing', phase: p.phase, done: p.done, total: p.total }),
        onWait: () => log('info', `${this.root}: another CodeIntent process is indexing this folder; waiting for it to finish`),
      });
      this.setState({ kind: 'ready', files: summary.files, chunks: summary.chunks, complete: true });
      log('info', `${this.root}: ${summaryText(summary).trimEnd()}`);
      return summary;
    } catch (error) {
      if (signal.aborted) {
        // What the cancelled run committed stays searchable; the next run resumes from it.
        const counts = await this.workspace?.then((w) => w.store.counts()).catch(() => undefined);
        this.setState(counts ? { kind: 'ready', ...counts, complete: false } : { kind: 'none' });
        throw signal.reason;
      }
      this.setState({ kind: 'error', message: messageOf(error) });
      throw error;
    }
  }

  private async closeWorkspace(): Promise<void> {
    const workspace = this.workspace;
    this.workspace = undefined;
    await (await workspace?.catch(() => undefined))?.close();
  }

  /** Whether the crawl could index `file` (cheap, by name); the crawl itself has the last word. */
  private mayIndex(file: string): boolean {
    if (!inside(this.root, file) || inside(this.config.indexDir, file)) return false; // not ours, or the index's own writes
    // An exclude setting with a negation may re-include a default-excluded folder: let the crawl decide.
    if (this.config.crawl.exclude.some((pattern) => pattern.startsWith('!'))) return true;
    const parts = toPosixRelative(this.root, file).split('/');
    return parts.every((name, i) => excludedByDefault(parts.slice(0, i + 1).join('/'), name, i < parts.length - 1) === undefined);
  }

  private setState(state: IndexState): void {
    this.state = state;
    post({ type: 'state', root: this.root, state });
  }
}

function inside(dir: string, file: string): boolean {
  const relative = path.relative(dir, file);
  return relative !== '' && relative.split(path.sep)[0] !== '..' && !path.isAbsolute(relative);
}

const folders = new Map<string, { folder: Folder; key: string }>();

function selected(roots: readonly string[] | undefined): Folder[] {
  const all = [...folders.values()].map((entry) => entry.folder);
  return roots ? all.filter((folder) => roots.includes(folder.root)) : all;
}

function folderAt(root: string): Folder {
  const folder = folders.get(root)?.folder;
  if (!folder) throw new UserError(`${root} is not an open workspace folder`);
  return folder;
}

/** Other requests wait for the configuration sent before them: they must see the folders it set up. */
let configuring: Promise<void> = Promise.resolve();

function reconfigure(configs: readonly FolderConfig[]): Promise<void> {
  configuring = configuring.catch(() => undefined).then(() => configure(configs));
  return configuring;
}

async function configure(configs: readonly FolderConfig[]): Promise<void> {
  const wanted = new Map(configs.map((config) => [config.root, config]));
  for (const [root, entry] of folders) {
    const config = wanted.get(root);
    if (config && JSON.stringify(config) === entry.key) continue;
    folders.delete(root);
    await entry.folder.close();
  }
  for (const [root, config] of wanted) {
    if (!folders.has(root)) folders.set(root, { folder: new Folder(config), key: JSON.stringify(config) });
  }
}

/** Settles every folder's run; fails with the first failure once all have finished. */
async function each<T>(list: readonly Folder[], work: (folder: Folder) => Promise<T>): Promise<T[]> {
  const settled = await Promise.allSettled(list.map(work));
  const failure = settled.find((s) => s.status === 'rejected');
  if (failure) throw failure.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

function cancelOnAbort(signal: AbortSignal, list: readonly Folder[]): void {
  signal.addEventListener('abort', () => list.forEach((folder) => folder.cancel()), { once: true });
}

/**
 * One ranking over every selected folder. Fused scores are rank-based, so each folder's own first
 * hit would tie with every other's: the folders' candidates are pooled per ranker (cosine is on
 * one scale for one model) and fused once, as the core fuses one folder's.
 */
async function search({ query, top, language, roots, pathPrefix }: Requests['search']['params'], signal: AbortSignal): Promise<Requests['search']['result']> {
  const options = { top, signal, ...(language ? { language } : {}), ...(pathPrefix ? { pathPrefix } : {}) };
  const perFolder = await Promise.all(selected(roots).map(async (folder) => ({ root: folder.root, candidates: await folder.candidates(query, options) })));
  // Fusion tells hits apart by path: the root goes in front of it until the ranking is done.
  const pool = (ranker: keyof Candidates) =>
    perFolder.flatMap(({ root, candidates }) => candidates[ranker].map((hit) => ({ ...hit, path: `${root}\0${hit.path}` }))).sort((a, b) => b.score - a.score);
  return rank({ vector: pool('vector'), lexical: pool('lexical') }, 'hybrid', top).map((hit) => {
    const split = hit.path.indexOf('\0');
    return { ...hit, root: hit.path.slice(0, split), path: hit.path.slice(split + 1) };
  });
}

async function dispatch(request: WorkerRequest, signal: AbortSignal): Promise<unknown> {
  if (request.type !== 'configure') await configuring.catch(() => undefined);
  switch (request.type) {
    case 'configure':
      return reconfigure(request.params.folders);
    case 'index': {
      const list = selected(request.params.roots);
      cancelOnAbort(signal, list);
      return each(list, async (folder) => ({ root: folder.root, summary: await folder.index() }));
    }
    case 'search':
      return search(request.params, signal);
    case 'status':
      return each(selected(undefined), (folder) => folder.status());
    case 'indexed':
      return each(selected(undefined), async (folder) => ({ root: folder.root, indexed: await folder.hasIndex() }));
    case 'clear':
      return each(selected(request.params.roots), (folder) => folder.clear());
    case 'tune':
      return folderAt(request.params.root).tune(signal, (progress) => post({ type: 'progress', id: request.id, progress }));
    case 'propose':
      return folderAt(request.params.root).propose(request.params, signal, (progress) => post({ type: 'progress', id: request.id, progress }));
    case 'fileChanged': {
      const { paths } = request.params;
      await each(selected(undefined), (folder) => folder.changed(paths));
      return undefined;
    }
  }
}

function describe(error: unknown): WorkerError {
  if (error instanceof Cancelled || (error instanceof Error && error.name === 'AbortError')) return { kind: 'cancelled', message: messageOf(error) };
  if (error instanceof UserError) return { kind: 'user', message: error.message };
  return { kind: 'bug', message: messageOf(error), ...(error instanceof Error && error.stack ? { stack: error.stack } : {}) };
}

const requests = new Map<number, AbortController>();

async function handle(request: WorkerRequest): Promise<void> {
  const controller = new AbortController();
  requests.set(request.id, controller);
  try {
    const result = await dispatch(request, controller.signal);
    post({ type: 'response', id: request.id, ok: true, result });
  } catch (error) {
    post({ type: 'response', id: request.id, ok: false, error: controller.signal.aborted ? { kind: 'cancelled', message: 'cancelled' } : describe(error) });
  } finally {
    requests.delete(request.id);
  }
}

port.on('message', (message: HostMessage) => {
  if (message.type === 'cancel') requests.get(message.id)?.abort(new Cancelled('cancelled'));
  else void handle(message);
});

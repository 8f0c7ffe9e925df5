// One workspace folder in the indexing worker: its core Workspace, opened on first use, and its
// index state. Index, tune and clear runs go through its RunQueue; searches and proposals do not
// wait for them.

import { rm } from 'node:fs/promises';
import { summaryText } from '../shared/report.js';
import { proposeEdits, type EditOutcome } from '../core/edit/propose.js';
import { NO_API_KEY } from '../core/embed/index.js';
import { messageOf } from '../core/errors.js';
import type { IndexSummary } from '../core/indexer.js';
import { createChatClient } from '../core/llm/client.js';
import type { Candidates, SearchableFolder, SearchOptions, SecondStage } from '../core/search.js';
import { localIndexDir } from '../core/paths.js';
import { readIndexMeta } from '../core/store.js';
import { tuneWorkspace, type TuneProgress, type TuneReport } from '../core/tune/index.js';
import { indexStatus, Workspace } from '../core/workspace.js';
import type { AnswerProgress, FolderConfig, FolderStatus, IndexState, LogLevel, ProposeParams, WorkerAssets } from '../shared/worker-protocol.js';
import { changesForIndex } from './fileFilter.js';
import { Cancelled, RunQueue } from './indexQueue.js';

/** What a folder tells the extension host. */
export interface FolderEvents {
  log(level: LogLevel, message: string): void;
  state(root: string, state: IndexState): void;
}

export class Folder implements SearchableFolder {
  private workspace: Promise<Workspace> | undefined;
  private readonly runs = new RunQueue<IndexSummary>();
  /** After `clear`, file changes do not rebuild the index; only an explicit `index` does. */
  private cleared = false;
  private state: IndexState = { kind: 'none' };
  /**
   * What the next index run looks at: the paths changed since the last run began (root-relative),
   * or 'all' for a full crawl (the first run, an explicit Reindex, and after a run that failed).
   */
  private pending: Set<string> | 'all' = 'all';

  constructor(
    readonly config: FolderConfig,
    private readonly assets: WorkerAssets,
    private readonly events: FolderEvents,
  ) {}

  get root(): string {
    return this.config.root;
  }

  open(): Promise<Workspace> {
    const { root, indexDir, model, adapter, crawl, env, indexingThreads } = this.config;
    this.workspace ??= Workspace.open({
      root,
      indexDir,
      model,
      adapter,
      crawl,
      indexingThreads,
      env: { ...process.env, ...env },
      assets: this.assets,
      log: (message) => this.log('debug', message),
      warn: (message) => this.log('warn', message),
    }).catch((error: unknown) => {
      this.workspace = undefined; // the next request tries again (the setting may have been fixed)
      throw error;
    });
    return this.workspace;
  }

  index(): Promise<IndexSummary> {
    this.cleared = false;
    this.pending = 'all';
    return this.runs.index((signal) => this.runIndex(signal));
  }

  /** Re-indexes the changed paths that can matter; settles when that run has. */
  async changed(paths: readonly string[]): Promise<void> {
    if (this.cleared) return;
    const relevant = await changesForIndex(this.config, paths);
    if (relevant.length === 0 || this.cleared) return; // a clear may have come while the filter read ignore files
    if (this.pending !== 'all') for (const relPath of relevant) this.pending.add(relPath);
    await this.runs.index((signal) => this.runIndex(signal));
  }

  async tune(signal: AbortSignal, onProgress: (progress: TuneProgress) => void): Promise<TuneReport> {
    const controller = new AbortController();
    signal.addEventListener('abort', () => controller.abort(new Cancelled('tuning was cancelled')), { once: true });
    return this.runs.exclusive(async (runSignal) => {
      // The workspace caches its query adapter: open it again so search uses the new one.
      const reopen = async (complete: boolean) => {
        await this.closeWorkspace();
        const counts = await this.open().then((workspace) => workspace.store.counts()).catch(() => undefined);
        this.setState(counts ? { kind: 'ready', ...counts, complete } : { kind: 'none' });
      };
      try {
        const report = await tuneWorkspace(await this.open(), {
          signal: runSignal,
          onProgress,
          command: 'CodeIntent: Tune Search to This Workspace',
          index: { onProgress: (p) => this.setState({ kind: 'indexing', phase: p.phase, done: p.done, total: p.total }) },
          log: (message) => this.log('debug', message),
        });
        await reopen(true);
        return report;
      } catch (error) {
        await reopen(false); // what is indexed stays searchable; Reindex finishes it
        throw error;
      }
    }, controller);
  }

  clear(): Promise<void> {
    this.runs.cancel();
    return this.runs.exclusive(async () => {
      await this.closeWorkspace();
      await rm(this.localIndexDir(), { recursive: true, force: true });
      this.cleared = true;
      this.setState({ kind: 'none' });
    });
  }

  /** LLM-proposed edits of this folder's hits; reads files, writes nothing. */
  async propose({ query, instruction, top, hits, llm, useGuidelines }: ProposeParams, signal: AbortSignal, onProgress: (progress: AnswerProgress) => void): Promise<EditOutcome> {
    const client = createChatClient({ baseURL: llm.baseURL, model: llm.model, apiKey: llm.apiKey ?? NO_API_KEY });
    const received = new Map<string, number>();
    const onDelta = (file: string, text: string) => {
      const chars = (received.get(file) ?? 0) + text.length;
      received.set(file, chars);
      onProgress({ phase: 'answer', path: file, chars });
    };
    return proposeEdits({ workspace: await this.open(), client, instruction, query, top, signal, onDelta, useGuidelines, ...(hits ? { hits } : {}) });
  }

  async candidates(query: string, options: SearchOptions): Promise<Candidates> {
    return (await this.open()).candidates(query, options);
  }

  async secondStage(): Promise<SecondStage | undefined> {
    return (await this.open()).secondStage();
  }

  async hasIndex(): Promise<boolean> {
    return (await readIndexMeta(this.localIndexDir())) !== undefined;
  }

  /** Where this folder's own index is: the index, or the local overlay of a shared one (never the shared one). */
  private localIndexDir(): string {
    return localIndexDir(this.config.root, this.config.indexDir, { ...process.env, ...this.config.env });
  }

  async status(): Promise<FolderStatus> {
    const { root, indexDir, env } = this.config;
    const index = await indexStatus({ root, indexDir, env: { ...process.env, ...env } });
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
    this.runs.cancel();
  }

  /** Stops what runs and lets go of the index. */
  async close(): Promise<void> {
    await this.runs.stop();
    await this.closeWorkspace();
  }

  private async runIndex(signal: AbortSignal): Promise<IndexSummary> {
    const scope = this.pending;
    this.pending = new Set();
    try {
      const workspace = await this.open();
      this.setState({ kind: 'indexing', phase: 'crawl', done: 0, total: 0 });
      const summary = await workspace.index({
        signal,
        ...(scope === 'all' ? {} : { changed: [...scope] }),
        onProgress: (p) => this.setState({ kind: 'indexing', phase: p.phase, done: p.done, total: p.total }),
        onWait: () => this.log('info', 'another CodeIntent process is indexing this folder; waiting for it to finish'),
      });
      this.setState({ kind: 'ready', files: summary.files, chunks: summary.chunks, complete: true });
      this.log('info', summaryText(summary).trimEnd());
      return summary;
    } catch (error) {
      this.pending = 'all'; // what this run was to look at may be half done: the next one crawls
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

  private setState(state: IndexState): void {
    this.state = state;
    this.events.state(this.root, state);
  }

  /** A line of the worker's log, about this folder. */
  private log(level: LogLevel, message: string): void {
    this.events.log(level, `${this.root}: ${message}`);
  }
}

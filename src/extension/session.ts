// The extension's one context object: the settings snapshot, the worker client, every folder's
// index state, and the operations that commands and views share (configure, index, search).

import path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageId, SearchHit } from '../core/types.js';
import type { EditOutcome } from '../core/edit/propose.js';
import type { TuneProgress, TuneReport } from '../core/tune/index.js';
import type { FolderSearchResult } from '../core/search.js';
import { folderConfig, readSettings, SettingsError, type Settings } from './config.js';
import { GuidelinesConsent } from './guidelines-consent.js';
import { IndexClient, type RequestOptions } from './indexClient.js';
import { reportError, write, type Log } from './log.js';
import { overall, type Overall } from '../shared/presentation.js';
import type { FolderConfig, IndexState, RequestProgress, Requests, RequestType, SearchParams, WorkerAssets } from '../shared/worker-protocol.js';
import { messageOf } from '../core/errors.js';

/** The SecretStorage key of the OpenAI-compatible endpoint's API key. */
export const API_KEY_SECRET = 'codeintent.llm.apiKey';
/** Search hits a quick action proposes edits for. */
const EDIT_TARGETS = 3;
/** While an index run goes on, open searches are refreshed at most this often. */
const REFRESH_WHILE_INDEXING_MS = 2_000;

export interface StateChange {
  root: string;
  state: IndexState;
}

/** A tune that runs: the status bar shows it instead of the index run it starts with. */
export interface Tuning {
  folder: string;
  progress: TuneProgress;
}

export interface SearchOptions {
  top?: number;
  language?: LanguageId;
  /** 'src/core' under every folder; in a multi-root workspace 'name/src' under the folder called 'name'. */
  folder?: string;
  signal?: AbortSignal;
}

export class Session implements vscode.Disposable {
  /** Window-level settings (folder-level ones are read per folder by `folderConfig`). */
  settings: Settings = readSettings();
  private readonly client: IndexClient;
  private readonly states = new Map<string, IndexState>();
  private readonly stateEmitter = new vscode.EventEmitter<StateChange>();
  readonly onDidChangeState = this.stateEmitter.event;
  private readonly contentEmitter = new vscode.EventEmitter<void>();
  /**
   * What a search finds may have changed: an index run finished, or (now and then) added files
   * while it goes on. Open result lists search again, so a query typed during indexing catches up.
   */
  readonly onDidChangeIndexContent = this.contentEmitter.event;
  private lastContentChange = 0;
  /** The tunes that run (or wait for their turn), by folder root. */
  private readonly tunes = new Map<string, Tuning>();
  private readonly tuningEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeTuning = this.tuningEmitter.event;
  /** Work that tests (`idle()`) wait for: settings being applied, file changes, index runs. */
  private readonly pending = new Set<Promise<unknown>>();
  private readonly guidelinesConsent = new GuidelinesConsent();
  /** The setting that stopped the last configuration (a SettingsError's): the one the sidebar's "Open Settings" shows. */
  settingsProblem: string | undefined;

  constructor(
    readonly context: vscode.ExtensionContext,
    readonly log: Log,
    assets: WorkerAssets,
  ) {
    this.client = new IndexClient({
      workerPath: vscode.Uri.joinPath(context.extensionUri, 'dist', 'worker.cjs').fsPath,
      assets,
      onState: (root, state) => this.setState(root, state),
      onLog: (level, message) => write(log, level, message),
    });
  }

  /** The workspace folders on disk; a virtual file system cannot be crawled. */
  folders(): readonly vscode.WorkspaceFolder[] {
    return (vscode.workspace.workspaceFolders ?? []).filter((folder) => folder.uri.scheme === 'file');
  }

  folderName(root: string): string {
    return this.folders().find((folder) => folder.uri.fsPath === root)?.name ?? path.basename(root);
  }

  state(root: string): IndexState | undefined {
    return this.states.get(root);
  }

  overall(): Overall {
    return overall(this.folders().map((folder) => this.states.get(folder.uri.fsPath) ?? { kind: 'none' }));
  }

  /** The first configuration and index: what the API's `ready` waits for. */
  async start(): Promise<void> {
    if (this.folders().length === 0) return;
    await this.configure();
    if (!this.settings.autoIndex) {
      // Paused: no run, but what is on disk is searchable and the status bar says how much.
      for (const { root, index } of await this.request('status', {})) if (index) this.setState(root, { kind: 'ready', files: index.files, chunks: index.chunks, complete: true });
      return;
    }
    const fresh = (await this.request('indexed', {})).filter((folder) => !folder.indexed);
    await this.index(fresh.length > 0 ? { title: 'CodeIntent: indexing the workspace for the first time' } : {});
  }

  /**
   * The configuration on its way to the worker (reading the API key takes a round trip in a remote
   * host): requests wait for it, or a command run right after start-up would find no folders.
   */
  private configuring: Promise<unknown> = Promise.resolve();

  /** Sends the settings to the worker; a SettingsError (every folder's state too) when one cannot work. */
  configure(): Promise<void> {
    const work = this.sendConfiguration();
    this.configuring = work.catch(() => undefined);
    return work;
  }

  /** A request to the worker, once the configuration sent before it has arrived. */
  async request<K extends RequestType>(type: K, params: Requests[K]['params'], options: RequestOptions = {}): Promise<Requests[K]['result']> {
    await this.configuring;
    return this.client.request(type, params, options);
  }

  private async sendConfiguration(): Promise<void> {
    this.settings = readSettings();
    const apiKey = await this.context.secrets.get(API_KEY_SECRET);
    let configs: FolderConfig[];
    try {
      configs = this.folders().map((folder) => folderConfig(folder, apiKey));
      this.settingsProblem = undefined;
    } catch (error) {
      this.settingsProblem = error instanceof SettingsError ? error.setting : undefined;
      for (const folder of this.folders()) this.setState(folder.uri.fsPath, { kind: 'error', message: messageOf(error) });
      throw error;
    }
    for (const root of this.states.keys()) {
      if (!configs.some((config) => config.root === root)) this.states.delete(root);
    }
    await this.client.configure(configs);
  }

  /** Applies changed settings, folders or secrets; reports failures itself. */
  reconfigure(reindex: boolean): Promise<void> {
    const work = async () => {
      await this.configure();
      if (reindex && this.settings.autoIndex) await this.index({});
    };
    return this.track(work().catch((error: unknown) => reportError(this.log, 'applying the settings', error)));
  }

  /** Brings the indexes up to date; `title` shows a cancellable notification while it runs. */
  index({ title, roots }: { title?: string; roots?: string[] }): Promise<void> {
    const run = async (signal?: AbortSignal) => {
      await this.request('index', roots ? { roots } : {}, signal ? { signal } : {});
    };
    if (!title) return this.track(run());
    const notified = vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      let shown = 0;
      const listener = this.onDidChangeState(() => {
        const now = this.overall();
        if (now.kind !== 'indexing') return;
        if (now.percent === undefined) return progress.report({ message: 'listing files…' });
        progress.report({ message: `${now.percent}%`, increment: Math.max(0, now.percent - shown) });
        shown = Math.max(shown, now.percent);
      });
      return run(controller.signal).finally(() => listener.dispose());
    });
    return this.track(Promise.resolve(notified));
  }

  /** Indexes what changed, unless indexing is paused (resuming catches up). */
  async fileChanged(paths: string[]): Promise<void> {
    if (!this.settings.autoIndex) return;
    try {
      await this.request('fileChanged', { paths });
    } catch (error) {
      // The status bar shows the failed state; a toast for every save would be noise.
      this.log.error(`updating the index after a file change failed: ${messageOf(error)}`);
    }
  }

  search(query: string, { top, language, folder, signal }: SearchOptions = {}): Promise<FolderSearchResult> {
    const params: SearchParams = { query, top: top ?? this.settings.maxResults, ...(language ? { language } : {}), ...this.scope(folder ?? '') };
    return this.request('search', params, signal ? { signal } : {});
  }

  /**
   * LLM-proposed edits of `root`'s hits for `query`; the endpoint from the settings, the key from
   * SecretStorage, the folder's guidelines only where the user allows them (Restricted Mode asks).
   */
  async propose(
    root: string,
    query: string,
    instruction: string,
    { hits, signal, onProgress }: { hits?: SearchHit[]; signal?: AbortSignal; onProgress?: (progress: RequestProgress) => void } = {},
  ): Promise<EditOutcome> {
    const { baseUrl, model } = this.settings.llm;
    if (baseUrl === '' || model === '') {
      throw new SettingsError(baseUrl === '' ? 'codeintent.llm.baseUrl' : 'codeintent.llm.model', 'Quick actions need an OpenAI-compatible endpoint: set codeintent.llm.baseUrl and codeintent.llm.model (and run "CodeIntent: Set API Key" if it wants one). Search works without one.');
    }
    const useGuidelines = await this.guidelinesConsent.allows(root);
    const apiKey = await this.context.secrets.get(API_KEY_SECRET);
    const llm = { baseURL: baseUrl, model, ...(apiKey ? { apiKey } : {}) };
    return this.request('propose', { root, query, instruction, top: EDIT_TARGETS, llm, useGuidelines, ...(hits ? { hits } : {}) }, { ...(signal ? { signal } : {}), ...(onProgress ? { onProgress } : {}) });
  }

  /** The latest tune that runs, if one does. */
  tuning(): Tuning | undefined {
    return [...this.tunes.values()].at(-1);
  }

  /** Tunes `folder`'s search; `tuning()` says so until it ends, also when it fails or is cancelled. */
  tune(folder: vscode.WorkspaceFolder, { signal, onProgress }: { signal: AbortSignal; onProgress: (progress: TuneProgress) => void }): Promise<TuneReport> {
    const root = folder.uri.fsPath;
    const report = (progress: TuneProgress) => {
      this.tunes.set(root, { folder: folder.name, progress });
      this.tuningEmitter.fire();
    };
    const run = async () => {
      report({ phase: 'index', done: 0, total: 0 });
      try {
        return await this.request('tune', { root }, {
          signal,
          onProgress: (progress) => {
            if (progress.phase === 'answer') return;
            report(progress);
            onProgress(progress);
          },
        });
      } finally {
        this.tunes.delete(root);
        this.tuningEmitter.fire();
      }
    };
    return this.track(run());
  }

  track<T>(promise: Promise<T>): Promise<T> {
    this.pending.add(promise);
    const done = () => this.pending.delete(promise);
    promise.then(done, done);
    return promise;
  }

  /** Settles once nothing tracked is pending. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  dispose(): void {
    this.client.dispose();
    this.stateEmitter.dispose();
    this.contentEmitter.dispose();
    this.tuningEmitter.dispose();
  }

  private scope(filter: string): Pick<SearchParams, 'roots' | 'pathPrefix'> {
    const parts = filter.split(/[\\/]+/).filter((part) => part !== '' && part !== '.');
    const folders = this.folders();
    const named = folders.length > 1 ? folders.find((folder) => folder.name === parts[0]) : undefined;
    if (named) parts.shift();
    return { ...(named ? { roots: [named.uri.fsPath] } : {}), ...(parts.length > 0 ? { pathPrefix: parts.join('/') } : {}) };
  }

  private setState(root: string, state: IndexState): void {
    const before = this.states.get(root);
    this.states.set(root, state);
    this.stateEmitter.fire({ root, state });
    const finished = before?.kind === 'indexing' && state.kind === 'ready';
    const advanced = before?.kind === 'indexing' && state.kind === 'indexing' && state.done > before.done && Date.now() - this.lastContentChange >= REFRESH_WHILE_INDEXING_MS;
    if (finished || advanced) {
      this.lastContentChange = Date.now();
      this.contentEmitter.fire();
    }
  }
}

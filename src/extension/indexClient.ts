// The extension host's side of the worker protocol (src/shared/worker-protocol.ts): starts the worker, matches
// responses to requests, forwards cancellation, and after a crash starts a new worker on the next
// request with the last configuration. No `vscode` here, so tests drive it in plain Node.

import { SHARE_ENV, Worker } from 'node:worker_threads';
import type { FolderConfig, HostMessage, IndexState, LogLevel, RequestProgress, Requests, RequestType, WorkerAssets, WorkerError, WorkerMessage } from '../shared/worker-protocol.js';

/** A request the worker could not carry out; `kind` says whether the user can act on `message`. */
export class RequestError extends Error {
  override readonly name = 'RequestError';

  constructor(
    readonly kind: WorkerError['kind'],
    message: string,
    readonly workerStack?: string,
  ) {
    super(message);
  }
}

export interface IndexClientOptions {
  /** The bundled worker (dist/worker.cjs). */
  workerPath: string;
  assets: WorkerAssets;
  onState: (root: string, state: IndexState) => void;
  onLog: (level: LogLevel, message: string) => void;
}

export interface RequestOptions {
  signal?: AbortSignal;
  onProgress?: (progress: RequestProgress) => void;
}

interface Pending {
  resolve: (result: unknown) => void;
  reject: (error: RequestError) => void;
  onProgress: ((progress: RequestProgress) => void) | undefined;
}

export class IndexClient {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Given to a new worker first, so a restart after a crash is invisible to callers. */
  private folders: FolderConfig[] = [];
  private disposed = false;

  constructor(private readonly options: IndexClientOptions) {}

  configure(folders: FolderConfig[]): Promise<void> {
    this.folders = folders;
    return this.request('configure', { folders });
  }

  request<K extends RequestType>(type: K, params: Requests[K]['params'], options: RequestOptions = {}): Promise<Requests[K]['result']> {
    if (this.disposed) return Promise.reject(new RequestError('cancelled', 'CodeIntent is shutting down'));
    const { signal, onProgress } = options;
    if (signal?.aborted) return Promise.reject(new RequestError('cancelled', 'cancelled'));
    const worker = this.ensureWorker(type);
    const id = this.nextId++;
    return new Promise<Requests[K]['result']>((resolve, reject) => {
      const abort = () => worker.postMessage({ type: 'cancel', id } satisfies HostMessage);
      signal?.addEventListener('abort', abort, { once: true });
      this.pending.set(id, {
        resolve: (result) => {
          signal?.removeEventListener('abort', abort);
          resolve(result as Requests[K]['result']);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', abort);
          reject(error);
        },
        onProgress,
      });
      worker.postMessage({ type, id, params } as HostMessage);
    });
  }

  dispose(): void {
    this.disposed = true;
    void this.worker?.terminate();
    this.worker = undefined;
    this.failAll(new RequestError('cancelled', 'CodeIntent is shutting down'));
  }

  private ensureWorker(next: RequestType): Worker {
    if (this.worker) return this.worker;
    // SHARE_ENV: LanceDB's native logger reads the real environment, which only a shared one sets (core/lance-env.ts).
    const worker = new Worker(this.options.workerPath, { workerData: this.options.assets, env: SHARE_ENV });
    worker.on('message', (message: WorkerMessage) => this.receive(message));
    worker.on('error', (error) => this.options.onLog('error', `the indexer failed: ${error.stack ?? error.message}`));
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      if (this.disposed) return;
      const message = `The CodeIntent indexer stopped unexpectedly (exit code ${code}); run "CodeIntent: Reindex Workspace" to start it again.`;
      this.options.onLog('error', message);
      this.failAll(new RequestError('bug', message));
      for (const folder of this.folders) this.options.onState(folder.root, { kind: 'error', message });
    });
    this.worker = worker;
    if (next !== 'configure' && this.folders.length > 0) {
      const replay = this.folders;
      this.folders = [];
      this.configure(replay).catch((error: unknown) => this.options.onLog('error', `reopening the workspace folders failed: ${String(error)}`));
    }
    return worker;
  }

  private receive(message: WorkerMessage): void {
    switch (message.type) {
      case 'state':
        this.options.onState(message.root, message.state);
        return;
      case 'log':
        this.options.onLog(message.level, message.message);
        return;
      case 'progress':
        this.pending.get(message.id)?.onProgress?.(message.progress);
        return;
      case 'response': {
        const pending = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (!pending) return;
        if (message.ok) pending.resolve(message.result);
        else pending.reject(new RequestError(message.error.kind, message.error.message, message.error.stack));
        return;
      }
    }
  }

  private failAll(error: RequestError): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const { reject } of pending) reject(error);
  }
}

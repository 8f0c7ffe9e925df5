// A pool of index workers (index-worker.ts): each chunks, computes terms and (for a cheap
// embedder) embeds one batch of files at a time, while the indexer's thread stays the one writer.
// A worker that dies on a batch (its heap or WebAssembly memory exhausted, say) is replaced, and
// the batch's files are tried again one by one, so such a file costs only itself.

import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { ChunkerOptions } from './chunk/index.js';
import type { FileChunks, SourceText } from './chunk-rows.js';
import type { EmbedderSpec } from './embed/index.js';
import { messageOf } from './errors.js';
import type { ChunkRow } from './store.js';

/** What a worker is started with (structured-clone data). */
export interface IndexWorkerData {
  chunker: Pick<ChunkerOptions, 'grammarDir' | 'treeSitterWasm'>;
  /** The embedder the workers run; absent: the rows come back without vectors. */
  embedder?: EmbedderSpec;
}

export interface PrepareRequest {
  files: SourceText[];
}

export type PrepareReply =
  | { type: 'ready' }
  /** The chunker or embedder could not be loaded. */
  | { type: 'unusable'; error: string }
  /** The rows without their vectors, which lie in `vectors`, one after the other in row order. */
  | { type: 'done'; files: FileChunks[]; vectors: Float32Array; logs: string[] }
  | { type: 'failed'; error: string };

export interface IndexPoolOptions {
  size: number;
  /** The worker module: out/src/core/index-worker.js, or the extension's bundle of it. */
  script: string | URL;
  data: IndexWorkerData;
  /** The workers' embedder's dimension (0 when they embed nothing). */
  dimension: number;
  /** Each worker's heap limits; Node's defaults when absent. */
  resourceLimits?: ResourceLimits;
}

/** A batch's rows (with vectors when the workers embed) and the chunkers' fallback messages. */
export interface PreparedBatch {
  files: FileChunks[];
  logs: string[];
}

interface Job {
  files: SourceText[];
  resolve: (batch: PreparedBatch) => void;
  reject: (error: unknown) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job?: Job;
  error?: unknown;
}

/** The worker running a batch died: the batch's files are tried again one by one. */
class WorkerDied extends Error {}

export class IndexPool {
  private readonly slots = new Set<Slot>();
  private readonly idle: Slot[] = [];
  private readonly queue: Job[] = [];
  private unusable: Error | undefined;
  private started = false;
  private closed = false;

  /** The workers start with the first batch: a run whose files all turn out unchanged starts none. */
  constructor(private readonly options: IndexPoolOptions) {}

  get size(): number {
    return this.options.size;
  }

  /** The files' rows, in the order given; rejects when `signal` aborts or the workers cannot start. */
  async prepare(files: readonly SourceText[], signal?: AbortSignal): Promise<PreparedBatch> {
    try {
      return await this.run([...files], signal);
    } catch (error) {
      if (!(error instanceof WorkerDied)) throw error;
      const [only] = files;
      if (files.length === 1 && only) return { files: [{ path: only.path, error: `chunking stopped its worker thread (${error.message})` }], logs: [] };
      const parts = await Promise.all(files.map((file) => this.prepare([file], signal)));
      return { files: parts.flatMap((part) => part.files), logs: parts.flatMap((part) => part.logs) };
    }
  }

  /** Stops the workers (a batch still running is abandoned). */
  async close(): Promise<void> {
    this.closed = true;
    const closed = new Error('the index pool was closed');
    for (const job of this.queue.splice(0)) job.reject(closed);
    for (const slot of this.slots) slot.job?.reject(closed);
    await Promise.all([...this.slots].map((slot) => slot.worker.terminate()));
  }

  private run(files: SourceText[], signal?: AbortSignal): Promise<PreparedBatch> {
    return new Promise((resolve, reject) => {
      if (this.unusable) return reject(this.unusable);
      signal?.throwIfAborted();
      const onAbort = () => {
        const queued = this.queue.indexOf(job);
        if (queued >= 0) this.queue.splice(queued, 1);
        reject(signal?.reason);
      };
      const settle = () => signal?.removeEventListener('abort', onAbort);
      const job: Job = {
        files,
        resolve: (batch) => (settle(), resolve(batch)),
        reject: (error) => (settle(), reject(error)),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(job);
      if (!this.started) {
        this.started = true;
        for (let i = 0; i < this.options.size; i++) this.spawn();
      }
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const slot = this.idle.pop() as Slot;
      const job = this.queue.shift() as Job;
      slot.job = job;
      slot.worker.postMessage({ files: job.files } satisfies PrepareRequest);
    }
  }

  private spawn(): void {
    const { script, data, resourceLimits } = this.options;
    const slot: Slot = { worker: new Worker(script, { workerData: data, ...(resourceLimits ? { resourceLimits } : {}) }), ready: false };
    this.slots.add(slot);
    slot.worker.on('message', (reply: PrepareReply) => this.receive(slot, reply));
    slot.worker.on('error', (error) => (slot.error = error));
    slot.worker.on('exit', (code) => this.exited(slot, code));
  }

  private receive(slot: Slot, reply: PrepareReply): void {
    if (reply.type === 'unusable') return this.fail(new Error(`an index worker could not start: ${reply.error}`));
    const job = slot.job;
    slot.job = undefined;
    slot.ready = true;
    this.idle.push(slot);
    if (reply.type === 'done') job?.resolve(withVectors(reply, this.options.dimension));
    else if (reply.type === 'failed') job?.reject(new Error(reply.error));
    this.dispatch();
  }

  private exited(slot: Slot, code: number): void {
    this.slots.delete(slot);
    const idle = this.idle.indexOf(slot);
    if (idle >= 0) this.idle.splice(idle, 1);
    if (this.closed) return;
    const why = slot.error === undefined ? `exit code ${code}` : messageOf(slot.error);
    if (!slot.ready) return this.fail(new Error(`an index worker could not start: ${why}`));
    this.spawn();
    slot.job?.reject(new WorkerDied(why));
  }

  /** The workers cannot run: every waiting batch and every later one fails with `error`. */
  private fail(error: Error): void {
    this.unusable ??= error;
    for (const job of this.queue.splice(0)) job.reject(this.unusable);
    for (const slot of this.slots) slot.job?.reject(this.unusable);
  }
}

/** The rows of a reply with their vectors: views into the one transferred buffer. */
function withVectors(reply: Extract<PrepareReply, { type: 'done' }>, dimension: number): PreparedBatch {
  let i = 0;
  for (const file of reply.files) {
    if (!('rows' in file)) continue;
    for (const row of file.rows as ChunkRow[]) row.vector = reply.vectors.subarray(i * dimension, ++i * dimension);
  }
  return { files: reply.files, logs: reply.logs };
}

// A fixed set of worker threads (worker.ts), each running one task at a time.

import { Worker } from 'node:worker_threads';
import type { ExtractReply, ExtractTask, ReplyEnvelope, Task, WorkspaceReply, WorkspaceTask } from './worker.js';

export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: Array<{ task: Task; resolve: (r: unknown) => void; reject: (e: Error) => void }> = [];
  private readonly pending = new Map<number, { worker: Worker; resolve: (r: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 0;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new TypeError(`Expected \`workers\` to be an integer from 1 up, got ${String(size)}`);
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL('./worker.js', import.meta.url));
      worker.on('message', (message: ReplyEnvelope) => this.settle(worker, message));
      worker.on('error', (error) => this.fail(worker, error));
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  run(task: ExtractTask): Promise<ExtractReply>;
  run(task: WorkspaceTask): Promise<WorkspaceReply>;
  run(task: Task): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.queue.push({ task, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private pump(): void {
    for (;;) {
      const worker = this.idle.pop();
      if (worker === undefined) return;
      const job = this.queue.shift();
      if (job === undefined) {
        this.idle.push(worker);
        return;
      }
      const id = this.nextId++;
      this.pending.set(id, { worker, resolve: job.resolve, reject: job.reject });
      worker.postMessage({ id, task: job.task });
    }
  }

  private settle(worker: Worker, message: ReplyEnvelope): void {
    const job = this.pending.get(message.id);
    if (job === undefined) return;
    this.pending.delete(message.id);
    this.idle.push(worker);
    if (message.error !== undefined) job.reject(new Error(message.error));
    else job.resolve(message.reply);
    this.pump();
  }

  /** A worker that crashed fails its task; the pool goes on with the others. */
  private fail(worker: Worker, error: Error): void {
    for (const [id, job] of this.pending) {
      if (job.worker !== worker) continue;
      this.pending.delete(id);
      job.reject(error);
    }
    const at = this.workers.indexOf(worker);
    if (at !== -1) this.workers.splice(at, 1);
    if (this.workers.length === 0) {
      for (const job of this.queue.splice(0)) job.reject(new Error(`all workers failed: ${error.message}`));
    }
  }
}

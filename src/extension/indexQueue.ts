// The runs of the indexing worker's folders (index, tune, clear): one at a time across all folders,
// a burst of index requests for one folder served by a single run, and every run cancellable, also
// while it waits for its turn.

import pLimit from 'p-limit';

/** The reason a run is aborted with: tells a cancellation from a failure. */
export class Cancelled extends Error {
  override readonly name = 'Cancelled';
}

/** Runs go one at a time across folders: the machine's cores are the editor's too. */
const heavy = pLimit(1);

interface Run<T> {
  promise: Promise<T>;
  controller: AbortController;
}

/** One folder's runs; `Indexed` is what an index run returns. */
export class RunQueue<Indexed> {
  /** An index run waiting for its turn: further requests share it, so a burst of changes costs one run. */
  private queued: Run<Indexed> | undefined;
  /** The run that holds the folder now. */
  private active: Run<unknown> | undefined;

  /** Queues an index run, or joins the one already waiting. */
  index(run: (signal: AbortSignal) => Promise<Indexed>): Promise<Indexed> {
    if (!this.queued) {
      const controller = new AbortController();
      this.queued = { promise: this.exclusive(run, controller), controller };
    }
    return this.queued.promise;
  }

  /** Runs `work` when no other run holds the machine; aborting `controller` (or `cancel`) stops it, waiting or running. */
  exclusive<T>(work: (signal: AbortSignal) => Promise<T>, controller = new AbortController()): Promise<T> {
    return heavy(async () => {
      // Its turn has come (or its cancellation): a later index request queues a run of its own.
      if (this.queued?.controller === controller) this.queued = undefined;
      controller.signal.throwIfAborted();
      const promise = work(controller.signal);
      this.active = { promise, controller };
      try {
        return await promise;
      } finally {
        if (this.active?.promise === promise) this.active = undefined;
      }
    });
  }

  /** Aborts the waiting index run and the run that holds the folder. */
  cancel(): void {
    this.queued?.controller.abort(new Cancelled('indexing was cancelled'));
    this.active?.controller.abort(new Cancelled('indexing was cancelled'));
  }

  /** Cancels, and settles once the run that held the folder has stopped. */
  async stop(): Promise<void> {
    this.cancel();
    await this.active?.promise.catch(() => undefined);
  }
}

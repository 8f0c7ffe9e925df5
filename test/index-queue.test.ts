// The indexing worker's run queue (src/extension/indexQueue.ts): runs one at a time across
// folders, a burst of index requests served by one run, cancellation waiting or running.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RunQueue } from '../src/extension/indexQueue.js';

/** Holds the machine (another folder's run) until `release` is called. */
function hold(): { release: () => void; done: Promise<void> } {
  let release = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  return { release, done: new RunQueue<void>().exclusive(() => gate) };
}

describe('the run queue', () => {
  test("index requests made while a run waits share it; it waits for another folder's run", async () => {
    const other = hold();
    const queue = new RunQueue<number>();
    let runs = 0;
    const first = queue.index(async () => ++runs);
    const second = queue.index(async () => ++runs);
    assert.equal(first, second);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(runs, 0, 'not before the other run is done');
    other.release();
    await other.done;
    assert.equal(await first, 1);
    assert.equal(await queue.index(async () => ++runs), 2, 'a request after the run started gets a run of its own');
  });

  test('a waiting run that is cancelled rejects, and the next request runs', async () => {
    const other = hold();
    const queue = new RunQueue<string>();
    const waiting = queue.index(async () => 'never');
    queue.cancel();
    other.release();
    await assert.rejects(waiting, { name: 'Cancelled' });
    assert.equal(await queue.index(async () => 'ran'), 'ran');
  });

  test('cancel aborts the running run; stop settles once it has stopped', async () => {
    const queue = new RunQueue<void>();
    let started = () => {};
    const running = new Promise<void>((resolve) => (started = resolve));
    let stopped = false;
    const run = queue.exclusive(
      (signal) =>
        new Promise<void>((_, reject) => {
          started();
          // It takes a moment to stop, as an index run finishing its batch does.
          signal.addEventListener('abort', () => setTimeout(() => ((stopped = true), reject(signal.reason)), 20), { once: true });
        }),
    );
    await running;
    await queue.stop();
    assert.equal(stopped, true);
    await assert.rejects(run, { name: 'Cancelled', message: 'indexing was cancelled' });
  });
});

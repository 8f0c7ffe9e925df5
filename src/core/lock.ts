// One writer per index: two processes indexing the same workspace would interleave commits. The
// second waits for the first (bounded), then finds the work done.

import { mkdir } from 'node:fs/promises';
import lockfile from 'proper-lockfile';
import { UserError } from './errors.js';

export class IndexBusyError extends UserError {
  override readonly name = 'IndexBusyError';
}

export interface LockOptions {
  /** How long to wait for another process before giving up; 0 refuses at once. */
  waitMs: number;
  /** Called once when the lock is held by someone else and we start waiting. */
  onWait?: () => void;
}

export async function lockIndex(dir: string, { waitMs, onWait }: LockOptions): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  const deadline = Date.now() + waitMs;
  let told = false;
  for (;;) {
    try {
      // A holder that died leaves a lock that goes stale after 20 s without updates.
      return await lockfile.lock(dir, { lockfilePath: `${dir}/index.lock`, stale: 20_000, update: 5_000, realpath: false });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
      if (Date.now() >= deadline) {
        throw new IndexBusyError(`another CodeIntent process is updating the index in ${dir}; try again when it has finished`);
      }
      if (!told) {
        told = true;
        onWait?.();
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

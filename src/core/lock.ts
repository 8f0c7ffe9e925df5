// One writer per index: two processes indexing the same workspace would interleave commits. The
// second waits for the first (bounded), then finds the work done. The holder records itself (pid,
// start time) next to the lock, so a lock whose holder was killed is taken over at once.

import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import lockfile from 'proper-lockfile';
import { UserError } from './errors.js';
import { writeFileAtomic } from './files.js';
import { currentOwner, ownerGone, parseOwner } from './lock-owner.js';

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
  const lockPath = `${dir}/index.lock`;
  const ownerPath = `${lockPath}.owner.json`;
  const deadline = Date.now() + waitMs;
  let told = false;
  for (;;) {
    let release: () => Promise<void>;
    try {
      // A holder that died without a record (or on another host) leaves a lock that goes stale after 20 s without updates.
      release = await lockfile.lock(dir, { lockfilePath: lockPath, stale: 20_000, update: 5_000, realpath: false });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
      if (await takeOverAbandoned(lockPath, ownerPath)) continue;
      if (Date.now() >= deadline) {
        throw new IndexBusyError(`another CodeIntent process is updating the index in ${dir}; try again when it has finished`);
      }
      if (!told) {
        told = true;
        onWait?.();
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
    try {
      await writeFileAtomic(ownerPath, JSON.stringify(currentOwner(identity(await stat(lockPath)))));
    } catch (error) {
      await release();
      throw error;
    }
    return async () => {
      await rm(ownerPath, { force: true });
      await release();
    };
  }
}

/** Which lock folder this is: a new folder may get a freed inode again, not its birth time as well. */
function identity(stats: Stats): string {
  return `${stats.dev}:${stats.ino}:${stats.birthtimeMs}`;
}

/**
 * Removes the lock when its owner record belongs to this very lock folder and that owner is gone;
 * true when the lock should be tried again at once. The folder is moved aside (atomic) and checked
 * to be the abandoned one before it is deleted, so a lock that another process has just taken over
 * and re-created is put back, never deleted.
 */
async function takeOverAbandoned(lockPath: string, ownerPath: string): Promise<boolean> {
  const owner = parseOwner(await readFile(ownerPath, 'utf8').catch(() => ''));
  if (owner === undefined) return false; // no record (yet): the holder may be writing it
  const held = await stat(lockPath).catch(() => undefined);
  if (held === undefined) return true; // released meanwhile
  if (identity(held) !== owner.lock || !ownerGone(owner)) return false;
  const aside = `${lockPath}.abandoned-${randomBytes(6).toString('hex')}`;
  try {
    await rename(lockPath, aside);
  } catch {
    return true; // another process moved it first
  }
  if (identity(await stat(aside)) !== owner.lock) {
    await rename(aside, lockPath).catch(() => undefined);
    return false;
  }
  await rm(aside, { recursive: true, force: true });
  return true;
}

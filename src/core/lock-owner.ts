// Who holds an index lock, and whether that process is certainly gone: a lock left by a process
// killed with SIGKILL is taken over at once instead of after the lock's stale timeout.

import { readFileSync } from 'node:fs';
import os from 'node:os';

/** The process holding a lock, as it records itself next to the lock. */
export interface LockOwner {
  pid: number;
  /** When the process started (Linux: /proc/<pid>/stat field 22, clock ticks since boot); absent elsewhere. */
  started?: string;
  host: string;
  /** The lock folder this record belongs to (`dev:ino:birth time`). */
  lock: string;
}

interface ProcessState {
  started: string;
  /** A zombie (or dead) process: exited, not yet reaped by its parent. */
  exited: boolean;
}

/** The process's start time and state from /proc; undefined where /proc has no such entry (or no /proc). */
function processState(pid: number | 'self'): ProcessState | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so count from the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const started = fields[19];
  if (state === undefined || started === undefined) return undefined;
  return { started, exited: state === 'Z' || state === 'X' };
}

const self = processState('self');

/** This process, as the owner of the lock folder `lock`. */
export function currentOwner(lock: string): LockOwner {
  return { pid: process.pid, ...(self ? { started: self.started } : {}), host: os.hostname(), lock };
}

/**
 * Whether the owner is certainly gone: no process has its pid, or the process with its pid started
 * at another time (the pid was reused), or it has exited. False whenever that cannot be told (another
 * host sharing the folder, no /proc to tell a reused pid): the lock's stale timeout then decides.
 */
export function ownerGone(owner: LockOwner): boolean {
  if (owner.host !== os.hostname()) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    // EPERM: the pid exists, owned by another user.
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true;
  }
  const now = processState(owner.pid);
  if (now === undefined) return false;
  return now.exited || (owner.started !== undefined && now.started !== owner.started);
}

/** The record parsed, or undefined when it is not one. */
export function parseOwner(text: string): LockOwner | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.lock === 'string' && (value.started === undefined || typeof value.started === 'string')) {
      return value as LockOwner;
    }
  } catch {
    // Half written by a crashed process, or not ours.
  }
  return undefined;
}

// Child processes in their own process group, so that stopping one also ends everything it started
// (code-server forks an extension host and file watchers, npm runs compilers). Groups still alive
// when this process exits — normally, on an uncaught error, on Ctrl-C or SIGTERM — are ended too.

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

const live = new Set<number>();

/** Sends `signal` to a whole group; false when the group is gone. */
function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: the whole group is gone
  }
}

/**
 * Whether a process of the group still runs. Zombies (exited, not yet reaped: our own children
 * while the event loop is blocked) do not count, so this reads /proc (Linux, like the rest of the
 * harness) rather than asking kill(-pgid, 0).
 */
function groupRunning(pgid: number): boolean {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid pgrp …"; comm may hold spaces and parentheses.
    const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(group) === pgid && state !== 'Z') return true;
  }
  return false;
}

/**
 * SIGTERM first, so that a child that itself leads groups (a test process that started
 * code-server) can end them; SIGKILL for what is left after `graceMs`. Synchronous, as it must be
 * in the 'exit' hook.
 */
function endGroupsNow(pgids: Iterable<number>, graceMs: number): void {
  const pending = [...pgids].filter((pgid) => signalGroup(pgid, 'SIGTERM'));
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (const deadline = Date.now() + graceMs; Date.now() < deadline && pending.some(groupRunning); ) Atomics.wait(pause, 0, 0, 50);
  for (const pgid of pending) signalGroup(pgid, 'SIGKILL');
}

let hooked = false;
function killLiveGroupsOnExit(): void {
  if (hooked) return;
  hooked = true;
  // Longer than killGroup's grace: a child ending its own groups gets the time to do so.
  process.on('exit', () => endGroupsNow(live, 10_000));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\n${signal}: stopping ${live.size} child process group(s)\n`);
      process.exit(128 + os.constants.signals[signal]); // the exit hook kills them
    });
  }
}

/** Like `spawn`, with the child leading a new process group that dies with this process at the latest. */
export function spawnGroup(program: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  killLiveGroupsOnExit();
  const child = spawn(program, args, { ...options, detached: true });
  if (child.pid !== undefined) live.add(child.pid);
  return child;
}

/** Ends a child's whole group: SIGTERM, then SIGKILL for whatever is left after `graceMs`. */
export function killGroup(child: ChildProcess, graceMs = 3000): void {
  const pgid = child.pid;
  if (pgid === undefined || !live.delete(pgid)) return;
  endGroupsNow([pgid], graceMs);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs a program to its end in its own group, its output shown as it comes; rejects with the
 * command line when it fails or outlives `timeoutMs` (the group is killed then).
 */
export async function runToEnd(program: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs: number }): Promise<void> {
  const child = spawnGroup(program, args, { stdio: ['ignore', 'inherit', 'inherit'], env: options.env ?? process.env, cwd: options.cwd });
  const command = [program, ...args].join(' ');
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child);
  }, options.timeoutMs);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (exitCode) => resolve(exitCode));
    });
    if (timedOut) throw new Error(`${command}: no end after ${Math.round(options.timeoutMs / 1000)} s, stopped`);
    if (code !== 0) throw new Error(`${command}: exit status ${code ?? 'none (killed)'}`);
  } finally {
    clearTimeout(timer);
    killGroup(child, 0); // whatever it left behind
  }
}

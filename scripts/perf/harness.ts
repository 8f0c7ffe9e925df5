// What the benchmark scripts (bench-perf, bench-scale) share: child processes timed from outside,
// a temporary edit of one corpus file that is undone even after a crash, and the machine's description.

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT } from '../../src/core/models.js';
import type { ChildTask } from './protocol.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'child.js');
export const CLI = path.join(PACKAGE_ROOT, 'bin', 'codeintent.js');

export interface Timed<T> {
  result: T;
  wallMs: number;
}

export function checkBuilt(): void {
  if (!existsSync(CHILD)) throw new Error(`${CHILD} is missing: build first (npx tsc -p tsconfig.json)`);
}

/** `node ARGS` in the repository root; rejects with the last lines of stderr when it fails. */
export async function spawnTimed(args: readonly string[], what: string, env?: NodeJS.ProcessEnv): Promise<{ wallMs: number; stdout: string }> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - start;
      if (code === 0) resolve({ wallMs, stdout });
      else reject(new Error(`${what} exited ${code}:\n${stderr.trim().split('\n').slice(-20).join('\n')}`));
    });
  });
}

let childCount = 0;

/** One task of scripts/perf/child.ts in a fresh process (its result file under `tmpDir`), optionally CPU-profiled. */
export async function runChild<T>(task: ChildTask, tmpDir: string, profile?: { dir: string; name: string }): Promise<Timed<T>> {
  const resultFile = path.join(tmpDir, `result-${process.pid}-${childCount++}.json`);
  await mkdir(tmpDir, { recursive: true });
  const profileArgs = profile ? ['--cpu-prof', '--cpu-prof-dir', profile.dir, '--cpu-prof-name', `${profile.name}.cpuprofile`] : [];
  const { wallMs } = await spawnTimed([...profileArgs, CHILD, JSON.stringify(task), resultFile], `the ${task.kind} child`);
  const result = JSON.parse(await readFile(resultFile, 'utf8')) as T;
  await rm(resultFile, { force: true });
  return { result, wallMs };
}

/** `codeintent index ROOT --db DIR`, as a user runs it: wall time of the whole command. */
export async function runCliIndex(root: string, indexDir: string, model: string): Promise<number> {
  const { wallMs } = await spawnTimed([CLI, 'index', root, '--db', indexDir, '--model', model, '--no-progress'], 'codeintent index');
  return wallMs;
}

interface PendingEdit {
  file: string;
  original: string;
  mtimeMs: number;
}

/** Puts back a file that a run crashed in the middle of editing (`pendingFile` records it). */
export async function restorePendingEdit(pendingFile: string): Promise<void> {
  if (!existsSync(pendingFile)) return;
  const edit = JSON.parse(await readFile(pendingFile, 'utf8')) as PendingEdit;
  await writeFile(edit.file, edit.original);
  await utimes(edit.file, new Date(edit.mtimeMs), new Date(edit.mtimeMs));
  await rm(pendingFile, { force: true });
}

/** Runs `body` with `text` appended to `file`; the file, and its mtime, are restored afterwards. */
export async function withAppendedText<T>(file: string, text: string, pendingFile: string, body: () => Promise<T>): Promise<T> {
  const original = await readFile(file, 'utf8');
  const { mtimeMs } = await stat(file);
  await mkdir(path.dirname(pendingFile), { recursive: true });
  await writeFile(pendingFile, JSON.stringify({ file, original, mtimeMs } satisfies PendingEdit));
  await writeFile(file, original + text);
  try {
    return await body();
  } finally {
    await restorePendingEdit(pendingFile);
  }
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  os: string;
  lancedb: string;
  commit: string;
}

export function machine(): Machine {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) cpuModel = line.split(':').slice(1).join(':').trim();
  } catch {
    // not Linux: os.cpus() it is
  }
  let lancedb = 'unknown';
  try {
    lancedb = (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'node_modules', '@lancedb', 'lancedb', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    // left unknown
  }
  let commit = 'unknown';
  try {
    // git itself: in a worktree .git is a file, and a packed ref is in no file of its own.
    commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: PACKAGE_ROOT, encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout, or no git: left unknown
  }
  return {
    cpus: os.availableParallelism(),
    cpuModel,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    lancedb,
    commit,
  };
}


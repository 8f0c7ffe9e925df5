// Runs the real `codeintent` command in a child process, with its own cache folder.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../src/core/models.js';

const BIN = path.join(PACKAGE_ROOT, 'bin', 'codeintent.js');

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  /** CODEINTENT_CACHE_DIR for the child: tests never touch the user's cache. */
  cacheDir: string;
  onStart?: (child: ReturnType<typeof spawn>) => void;
  /** More environment variables for the child ('' unsets one as far as codeintent is concerned). */
  env?: NodeJS.ProcessEnv;
  /** Largest file the child may write, in bytes (RLIMIT_FSIZE, through prlimit): a disk about to fill up. */
  fileSizeLimit?: number;
  /** Run as this user (a test running as root uses it to meet permissions). */
  user?: { uid: number; gid: number };
}

export function runCodeintent(args: readonly string[], { cwd, cacheDir, onStart, env, fileSizeLimit, user }: RunOptions): Promise<Run> {
  const node = [BIN, ...args];
  const [program, argv] = fileSizeLimit === undefined ? [process.execPath, node] : ['prlimit', [`--fsize=${fileSizeLimit}`, '--', process.execPath, ...node]];
  return new Promise((resolve, reject) => {
    const child = spawn(program, argv, {
      cwd,
      env: { ...process.env, ...env, CODEINTENT_CACHE_DIR: cacheDir },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...user,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    onStart?.(child);
  });
}

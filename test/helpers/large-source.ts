// A large but realistic source file, and the peak memory of a child process: for the tests and
// the script (scripts/large-file-memory.ts) that check one huge file cannot swamp an index run.

import type { ChildProcess } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../src/core/models.js';

/** A real TypeScript file (this repository's store) repeated to about `bytes`, with `tail` at the end. */
export async function writeLargeSource(file: string, bytes: number, tail = ''): Promise<void> {
  const source = await readFile(path.join(PACKAGE_ROOT, 'src/core/store.ts'), 'utf8');
  const handle = await open(file, 'w');
  try {
    for (let written = 0, i = 0; written < bytes; written += source.length, i++) await handle.write(source.replaceAll('class IndexStore', `class IndexStore${i}`));
    await handle.write(tail);
  } finally {
    await handle.close();
  }
}

/** Polls the child's peak resident memory (Linux's VmHWM, a high-water mark) until it exits; in bytes. */
export function peakMemory(child: ChildProcess): () => number {
  let peak = 0;
  const poll = setInterval(() => {
    readFile(`/proc/${child.pid}/status`, 'utf8')
      .then((text) => {
        peak = Math.max(peak, Number(/^VmHWM:\s+(\d+) kB/m.exec(text)?.[1] ?? 0) * 1024);
      })
      .catch(() => {}); // it exited between two polls
  }, 25);
  child.on('exit', () => clearInterval(poll));
  return () => peak;
}

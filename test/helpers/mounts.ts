// Real failing file systems for tests: a folder that cannot be written, a disk that fills up.
// Both need mounts (root, as in this project's CI and dev containers); elsewhere they say why not.

import { execFileSync } from 'node:child_process';
import { chmod, mkdir } from 'node:fs/promises';

const isRoot = process.getuid?.() === 0;

function mount(args: string[]): string | undefined {
  try {
    execFileSync('mount', args, { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return `cannot mount here (${(error as Error).message.split('\n')[0]})`;
  }
}

export interface Mounted {
  /** Why the folder could not be made; the test is skipped with this reason. */
  skip?: string;
  release: () => void;
}

const NOTHING = () => undefined;

/** Makes `dir` unwritable, even for root: a read-only bind mount (or, without root, chmod 555). */
export async function readOnlyFolder(dir: string): Promise<Mounted> {
  await mkdir(dir, { recursive: true });
  if (!isRoot) {
    await chmod(dir, 0o555);
    return { release: () => void chmod(dir, 0o755) };
  }
  const skip = mount(['--bind', dir, dir]) ?? mount(['-o', 'remount,ro,bind', dir]);
  return skip ? { skip, release: NOTHING } : { release: () => execFileSync('umount', [dir]) };
}

/** A folder on a disk of `bytes` bytes (a tmpfs), to fill up; root only. */
export async function smallDisk(dir: string, bytes: number): Promise<Mounted> {
  await mkdir(dir, { recursive: true });
  if (!isRoot) return { skip: 'a small disk needs root (mount -t tmpfs)', release: NOTHING };
  const skip = mount(['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir]);
  return skip ? { skip, release: NOTHING } : { release: () => execFileSync('umount', [dir]) };
}

// The scale corpus: the Linux kernel source as Debian ships it (the `linux-source-6.1` package, whose
// .deb holds the upstream tree plus Debian's patches as one .tar.xz), fetched with `apt-get download`
// into .cache/scale/ (git-ignored) and unpacked once. Real code, never duplicated copies.
// A slice (one subsystem folder) is copied out of it for quicker runs.

import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run } from './corpus.js';

export const KERNEL_PACKAGE = 'linux-source-6.1';
const DEBIAN_IGNORE_RULES = '#\n# Debian packaging: ignore everything at the top level';

export interface KernelTree {
  /** The tree to index: the whole kernel, or the slice. */
  root: string;
  /** e.g. "linux-source-6.1 6.1.176-1, drivers/net". */
  description: string;
}

/** The kernel tree under `cacheDir` (fetched and unpacked when missing), or its `slice` folder alone. */
export async function ensureKernel(cache: string, log: (line: string) => void, slice?: string): Promise<KernelTree> {
  const cacheDir = path.resolve(cache);
  const tree = path.join(cacheDir, KERNEL_PACKAGE);
  const debs = path.join(cacheDir, 'debs');
  if (!existsSync(tree)) {
    await mkdir(debs, { recursive: true });
    let deb = await findDeb(debs);
    if (!deb) {
      log(`apt-get download ${KERNEL_PACKAGE} (about 140 MB)`);
      await run('apt-get', ['download', KERNEL_PACKAGE], debs);
      deb = await findDeb(debs);
      if (!deb) throw new Error(`apt-get download ${KERNEL_PACKAGE} wrote no .deb into ${debs}`);
    }
    log(`unpacking ${deb} (the .tar.xz inside the .deb)`);
    const staging = `${tree}.staging-${process.pid}`;
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    await run('sh', ['-c', `dpkg-deb --fsys-tarfile "$1" | tar -xO ./usr/src/${KERNEL_PACKAGE}.tar.xz | tar -xJ -C "$2"`, 'sh', path.join(debs, deb), staging], debs);
    await dropDebianIgnoreRules(path.join(staging, KERNEL_PACKAGE));
    await rename(path.join(staging, KERNEL_PACKAGE), tree);
    await rm(staging, { recursive: true, force: true });
  }
  const version = (await findDeb(debs))?.split('_')[1] ?? 'unknown version';
  const description = `${KERNEL_PACKAGE} ${version} (Debian)`;
  if (!slice) return { root: tree, description };
  const from = path.join(tree, slice);
  if (!existsSync(from)) throw new Error(`--slice ${slice}: no such folder in ${tree}`);
  const root = path.join(cacheDir, 'slices', slice.replace(/[^A-Za-z0-9._-]/g, '_'));
  if (!existsSync(root)) {
    await cp(from, `${root}.staging`, { recursive: true, preserveTimestamps: true });
    await rename(`${root}.staging`, root);
  }
  return { root, description: `${description}, ${slice}/ alone` };
}

/**
 * Debian's packaging appends "ignore everything at the top level but debian/" to the kernel's
 * .gitignore (their repository holds only the packaging); a crawl that honours it indexes nothing.
 * Upstream's .gitignore is what a kernel developer has, so the tree gets it back.
 */
async function dropDebianIgnoreRules(tree: string): Promise<void> {
  const file = path.join(tree, '.gitignore');
  const text = await readFile(file, 'utf8');
  const at = text.indexOf(DEBIAN_IGNORE_RULES);
  if (at < 0) throw new Error(`${file} no longer has Debian's packaging rules (${JSON.stringify(DEBIAN_IGNORE_RULES)}): check what it ignores`);
  await writeFile(file, text.slice(0, at));
}

async function findDeb(dir: string): Promise<string | undefined> {
  if (!existsSync(dir)) return undefined;
  return (await readdir(dir)).find((name) => name.startsWith(`${KERNEL_PACKAGE}_`) && name.endsWith('.deb'));
}

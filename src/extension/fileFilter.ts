// Which file changes can reach a folder's index, asked of the crawl's own rules (src/core/crawl):
// a change that the crawl would pass over starts no index run.

import { stat } from 'node:fs/promises';
import path from 'node:path';
import { pathFilter, type PathFilter } from '../core/crawl/index.js';
import { toPosixRelative } from '../core/paths.js';
import type { FolderConfig } from '../shared/worker-protocol.js';

/**
 * Those of these absolute paths that are, or were, a file the folder's crawl takes or a folder it
 * walks, relative to the folder (forward slashes): what the next index run has to look at.
 */
export async function changesForIndex({ root, indexDir, crawl }: FolderConfig, paths: readonly string[]): Promise<string[]> {
  const crawls = pathFilter(root, crawl);
  const out: string[] = [];
  for (const file of paths) {
    if (!inside(root, file) || inside(indexDir, file)) continue; // not ours, or the index's own writes
    const relPath = toPosixRelative(root, file);
    if (await taken(crawls, file, relPath)) out.push(relPath);
  }
  return out;
}

/** The crawl's verdict on `file`, as a file or as a folder, whichever it is. */
async function taken(crawls: PathFilter, file: string, relPath: string): Promise<boolean> {
  const [asFile, asFolder] = [await crawls(relPath, false), await crawls(relPath, true)];
  if (asFile === asFolder) return asFile;
  // A deleted folder is reported as one path: what is gone may have been either.
  const isFolder = await stat(file).then((stats) => stats.isDirectory(), () => undefined);
  return isFolder === undefined || (isFolder ? asFolder : asFile);
}

function inside(dir: string, file: string): boolean {
  const relative = path.relative(dir, file);
  return relative !== '' && relative.split(path.sep)[0] !== '..' && !path.isAbsolute(relative);
}

// The crawl of a few changed paths (what a file watcher reports), without walking the tree: each
// path is judged by the same rules the walk applies (pathVerdict, then size and readability), so an
// edit of one file in a 90k-file workspace costs a few stats, not a crawl. What only a walk can
// judge — an ignore file (it changes what every path under it means), a folder, a symbolic link, a
// file with other hard links — answers `undefined`: the caller crawls the whole tree instead.

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { CrawledFile, SkipReason } from '../types.js';
import { isIgnoreFile, pathVerdict, type PathRuleOptions } from './path-rules.js';
import { canRead } from './walk.js';

export interface ChangedPaths {
  /** The changed paths that the crawl takes, as it would yield them. */
  files: CrawledFile[];
  /** Paths that are no longer to be indexed, with everything under them: gone, or now left out. */
  gone: string[];
}

export interface ChangedCrawlOptions extends PathRuleOptions {
  root: string;
  indexDir?: string;
  maxFileBytes: number;
  onSkip?: (path: string, reason: SkipReason, detail?: string) => void;
}

/** The crawl's verdict on root-relative `relPaths` (forward slashes); undefined when only a full crawl can tell. */
export async function crawlChanged(options: ChangedCrawlOptions, relPaths: readonly string[]): Promise<ChangedPaths | undefined> {
  const rootAbs = path.resolve(options.root);
  const rootReal = await fsp.realpath(rootAbs);
  const indexDirReal = options.indexDir === undefined ? undefined : await fsp.realpath(options.indexDir).catch(() => undefined);
  const verdict = pathVerdict(rootAbs, options);
  const out: ChangedPaths = { files: [], gone: [] };
  for (const rel of [...new Set(relPaths)].sort()) {
    if (isIgnoreFile(rel)) return undefined;
    const abs = path.join(rootAbs, ...rel.split('/'));
    let stats;
    try {
      stats = await fsp.lstat(abs);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') {
        out.gone.push(rel);
        continue;
      }
      return undefined; // unreadable: the walk says why
    }
    if (stats.isDirectory() || stats.isSymbolicLink() || (stats.isFile() && stats.nlink > 1)) return undefined;
    // Reached through a linked folder, the walk would judge it by the link: leave it to the walk.
    const folderReal = await fsp.realpath(path.dirname(abs)).catch(() => undefined);
    if (folderReal !== path.join(rootReal, ...rel.split('/').slice(0, -1))) return undefined;
    if (indexDirReal !== undefined && (folderReal + path.sep).startsWith(indexDirReal + path.sep)) continue;
    const passedOver = stats.isFile() ? await verdict(rel, false) : undefined;
    if (!stats.isFile() || passedOver !== undefined || !canRead(stats)) {
      // Reported as the walk reports it (a folder left out is reported once, by the walk that meets it).
      if (passedOver && passedOver.reason !== 'not-included') options.onSkip?.(rel, passedOver.reason, passedOver.detail);
      out.gone.push(rel);
      continue;
    }
    if (stats.size > options.maxFileBytes) {
      options.onSkip?.(rel, 'too-large', `${stats.size} bytes (limit ${options.maxFileBytes})`);
      out.gone.push(rel);
      continue;
    }
    out.files.push({ path: rel, absPath: abs, size: stats.size, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs });
  }
  return out;
}

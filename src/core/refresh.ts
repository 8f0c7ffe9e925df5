// What an index run has to do, decided from file stats alone: reading a file that did not change
// would make a no-change re-index cost as much as a cold one.

import type { ChangedPaths } from './crawl/changed.js';
import { isAtOrUnder } from './paths.js';
import type { FileRow } from './store.js';
import type { CrawledFile } from './types.js';

export interface RefreshPlan {
  /** New files, or files whose size, mtime or ctime changed (their content may still be the same). */
  compute: CrawledFile[];
  /** Indexed paths that are no longer in the workspace (deleted, or now ignored). */
  remove: string[];
  unchanged: number;
}

/** The plan after a full crawl: every indexed path the crawl did not yield goes. */
export function planRefresh(crawled: readonly CrawledFile[], indexed: ReadonlyMap<string, FileRow>): RefreshPlan {
  const seen = new Set(crawled.map((file) => file.path));
  return { ...compareStats(crawled, indexed), remove: [...indexed.keys()].filter((p) => !seen.has(p)).sort() };
}

/** The plan for a few changed paths (crawlChanged): only what is gone goes, with everything under it. */
export function planChanged({ files, gone }: ChangedPaths, indexed: ReadonlyMap<string, FileRow>): RefreshPlan {
  const remove = [...indexed.keys()].filter((p) => isAtOrUnder(p, gone)).sort();
  return { ...compareStats(files, indexed), remove };
}

function compareStats(files: readonly CrawledFile[], indexed: ReadonlyMap<string, FileRow>): Pick<RefreshPlan, 'compute' | 'unchanged'> {
  const compute: CrawledFile[] = [];
  let unchanged = 0;
  for (const file of files) {
    const row = indexed.get(file.path);
    if (row && row.size === file.size && row.mtimeMs === file.mtimeMs && row.ctimeMs === file.ctimeMs) unchanged++;
    else compute.push(file);
  }
  return { compute, unchanged };
}

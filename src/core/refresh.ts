// What an index run has to do, decided from file stats alone: reading a file that did not change
// would make a no-change re-index cost as much as a cold one.

import type { FileRow } from './store.js';
import type { CrawledFile } from './types.js';

export interface RefreshPlan {
  /** New files, or files whose size, mtime or ctime changed (their content may still be the same). */
  compute: CrawledFile[];
  /** Indexed paths that are no longer in the workspace (deleted, or now ignored). */
  remove: string[];
  unchanged: number;
}

export function planRefresh(crawled: readonly CrawledFile[], indexed: ReadonlyMap<string, FileRow>): RefreshPlan {
  const compute: CrawledFile[] = [];
  const seen = new Set<string>();
  let unchanged = 0;
  for (const file of crawled) {
    seen.add(file.path);
    const row = indexed.get(file.path);
    if (row && row.size === file.size && row.mtimeMs === file.mtimeMs && row.ctimeMs === file.ctimeMs) unchanged++;
    else compute.push(file);
  }
  const remove = [...indexed.keys()].filter((p) => !seen.has(p)).sort();
  return { compute, remove, unchanged };
}

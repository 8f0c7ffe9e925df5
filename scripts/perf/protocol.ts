// What the benchmark parent asks of a child process, and what the child writes back (as JSON, to
// the result file named in the task).

import type { IndexSummary } from '../../src/core/indexer.js';
import type { SearchMode } from '../../src/core/types.js';

export interface WorkspaceTarget {
  root: string;
  indexDir: string;
  /** Passed to Workspace.open as is: 'default', 'use-lite' or a model folder. */
  model: string;
}

export type ChildTask =
  /** `changed`: the paths a file watcher would report (IndexOptions.changed); absent: a full crawl. */
  | ({ kind: 'index'; changed?: string[] } & WorkspaceTarget)
  /** What-if (profiling only): the same index run with the embedding cache left out of the pipeline. */
  | ({ kind: 'index-no-cache' } & WorkspaceTarget)
  /** `parse`: also chunk every text file with tree-sitter on this one thread (the floor of a cold index's own work). */
  | { kind: 'floor'; root: string; parse?: boolean }
  | ({ kind: 'query'; queries: string[]; warmup: number; modes: SearchMode[]; top: number } & WorkspaceTarget);

/** Milliseconds and calls of one instrumented step. */
export interface StepTime {
  ms: number;
  calls: number;
  /** Each call's milliseconds, in call order (shows a cost that grows as the index fills). */
  series: number[];
}

export interface IndexResult {
  kind: 'index';
  /** Workspace.open: model load and store open. */
  openMs: number;
  /** ws.index(), the figure a long-lived process (the extension) sees. */
  indexMs: number;
  closeMs: number;
  summary: IndexSummary;
  /** Where ws.index() spent its time (see child.ts for what each step covers). */
  steps: Record<string, StepTime>;
  /** Peak resident set size of the whole child, bytes. */
  maxRssBytes: number;
  cpuUserMs: number;
  cpuSystemMs: number;
}

export interface FloorResult {
  kind: 'floor';
  files: number;
  bytes: number;
  /** The crawl alone (walk, ignore rules, stat): what a no-change re-index cannot avoid. */
  crawlMs: number;
  /** Crawl, then read every file (8 reads at a time, like the indexer): the floor of a cold index. */
  crawlReadMs: number;
  /** With `parse`: crawl, read and chunk every text file, one file at a time on one thread. */
  crawlReadParseMs?: number;
  maxRssBytes: number;
}

export interface QueryResult {
  kind: 'query';
  openMs: number;
  /** The first query after open (hybrid), before any warm-up. */
  firstQueryMs: number;
  /** Per mode, one latency (ms) per timed query, in order. */
  latencies: Partial<Record<SearchMode, number[]>>;
  /** Hybrid queries: per query, the time of each part (they run concurrently, so they overlap). */
  hybridParts: { embedMs: number[]; cacheGetMs: number[]; cacheSetMs: number[]; vectorSearchMs: number[]; textSearchMs: number[] };
  hitsPerQuery: number;
  maxRssBytes: number;
}

export type ChildResult = IndexResult | FloorResult | QueryResult;

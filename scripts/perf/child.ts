// One measurement in a fresh process (so its peak RSS is its own): `node child.js TASK_JSON RESULT_FILE`.
// The parent (scripts/bench-perf.ts) writes the task; this writes a ChildResult to RESULT_FILE.
//
// Instrumentation only wraps public methods of the workspace's store and embedder from the
// outside (nothing in src/ changes), so the steps of ws.index() are:
//   lock       ws.index() called → first progress event (taking the index lock)
//   crawl      first progress event → store.fileRows() called (walk, ignore rules, stat)
//   fileRows   reading the indexed files' table (for the mtime/size plan)
//   embed      embedder.embed(): cache lookups, embedding the misses, caching them
//     cacheGet / cacheSet   the LanceDB cache table inside embed (they may overlap embedding)
//   write      store.removeFiles + replaceFiles + touchFiles (LanceDB commits)
//   optimize   store.optimize() (FTS index build/update, compaction, cleanup)
//   finish     store.counts() + markUpdated()
//   prepare    the rest: read, classify, hash, tree-sitter chunking, lexical terms, lock release

import { readFile, writeFile } from 'node:fs/promises';
import pLimit from 'p-limit';
import { createChunker } from '../../src/core/chunk/index.js';
import { classifyContent, crawl } from '../../src/core/crawl/index.js';
import { createEmbedder, withBatching } from '../../src/core/embed/index.js';
import { updateIndex } from '../../src/core/indexer.js';
import { resolveModel } from '../../src/core/models.js';
import { IndexStore } from '../../src/core/store.js';
import type { SearchMode } from '../../src/core/types.js';
import { Workspace } from '../../src/core/workspace.js';
import type { ChildResult, ChildTask, FloorResult, IndexResult, QueryResult, StepTime } from './protocol.js';
import { sum } from './stats.js';
import { timed } from './timed.js';

function rss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

class Steps {
  readonly times: Record<string, StepTime> = {};
  add(name: string, ms: number): void {
    const step = (this.times[name] ??= { ms: 0, calls: 0, series: [] });
    step.ms += ms;
    step.calls += 1;
    step.series.push(Math.round(ms * 100) / 100);
  }
  recorder(name: string): (ms: number) => void {
    return (ms) => this.add(name, ms);
  }
}

async function openWorkspace(task: { root: string; indexDir: string; model: string }): Promise<{ ws: Workspace; openMs: number }> {
  const start = performance.now();
  const ws = await Workspace.open({ root: task.root, indexDir: task.indexDir, model: task.model, warn: (m) => process.stderr.write(`warn: ${m}\n`) });
  return { ws, openMs: performance.now() - start };
}

async function runIndex(task: Extract<ChildTask, { kind: 'index' }>): Promise<IndexResult> {
  const { ws, openMs } = await openWorkspace(task);
  const steps = new Steps();
  const { store, embedder } = ws;
  let crawlStartedAt: number | undefined;
  const indexStartedAt = performance.now();

  store.fileRows = timed(store.fileRows.bind(store), steps.recorder('fileRows'));
  const fileRows = store.fileRows;
  store.fileRows = async () => {
    if (crawlStartedAt !== undefined) steps.add('crawl', performance.now() - crawlStartedAt);
    return fileRows();
  };
  store.removeFiles = timed(store.removeFiles.bind(store), steps.recorder('write'));
  store.replaceFiles = timed(store.replaceFiles.bind(store), (ms) => {
    steps.add('write', ms);
    steps.add('replaceFiles', ms);
  });
  store.touchFiles = timed(store.touchFiles.bind(store), steps.recorder('write'));
  store.cachedVectors = timed(store.cachedVectors.bind(store), steps.recorder('cacheGet'));
  store.cacheVectors = timed(store.cacheVectors.bind(store), steps.recorder('cacheSet'));
  store.optimize = timed(store.optimize.bind(store), steps.recorder('optimize'));
  store.counts = timed(store.counts.bind(store), steps.recorder('finish'));
  store.markUpdated = timed(store.markUpdated.bind(store), steps.recorder('finish'));
  embedder.embed = timed(embedder.embed.bind(embedder), steps.recorder('embed'));

  const summary = await ws.index({
    ...(task.changed ? { changed: task.changed } : {}),
    onProgress: (p) => {
      if (crawlStartedAt === undefined && p.phase === 'crawl') {
        crawlStartedAt = performance.now();
        steps.add('lock', crawlStartedAt - indexStartedAt);
      }
    },
  });
  const indexMs = performance.now() - indexStartedAt;
  const measured = ['lock', 'crawl', 'fileRows', 'embed', 'write', 'optimize', 'finish'];
  const accounted = measured.reduce((total, name) => total + (steps.times[name]?.ms ?? 0), 0);
  const prepareMs = Math.max(0, indexMs - accounted);
  steps.times['prepare'] = { ms: prepareMs, calls: 1, series: [prepareMs] };

  const closeStart = performance.now();
  await ws.close();
  const closeMs = performance.now() - closeStart;
  return indexResult(openMs, indexMs, closeMs, summary, steps);
}

/** An index step's result, with this process's peak memory and CPU time so far. */
function indexResult(openMs: number, indexMs: number, closeMs: number, summary: IndexResult['summary'], steps: Steps): IndexResult {
  const usage = process.resourceUsage();
  return {
    kind: 'index',
    openMs,
    indexMs,
    closeMs,
    summary,
    steps: steps.times,
    maxRssBytes: rss(),
    cpuUserMs: usage.userCPUTime / 1000,
    cpuSystemMs: usage.systemCPUTime / 1000,
  };
}

/**
 * The pipeline of Workspace.open + ws.index() rebuilt from its public parts, minus withCache (and
 * the lock): how long a cold index takes when no embedding-cache table is read or written.
 */
async function runIndexNoCache(task: Extract<ChildTask, { kind: 'index-no-cache' }>): Promise<IndexResult> {
  let start = performance.now();
  const base = await createEmbedder(await resolveModel(task.model));
  const store = await IndexStore.open({ dir: task.indexDir, root: task.root, embedderId: base.id, dimension: base.dimension });
  const embedder = withBatching(base, { batchSize: 64, concurrency: 2 });
  const openMs = performance.now() - start;
  const steps = new Steps();
  embedder.embed = timed(embedder.embed.bind(embedder), steps.recorder('embed'));
  store.replaceFiles = timed(store.replaceFiles.bind(store), steps.recorder('write'));
  store.optimize = timed(store.optimize.bind(store), steps.recorder('optimize'));
  start = performance.now();
  const summary = await updateIndex({ root: task.root, store, embedder, chunker: () => createChunker() });
  const indexMs = performance.now() - start;
  start = performance.now();
  store.close();
  await embedder.dispose();
  const closeMs = performance.now() - start;
  return indexResult(openMs, indexMs, closeMs, summary, steps);
}

async function runFloor(task: Extract<ChildTask, { kind: 'floor' }>): Promise<FloorResult> {
  let start = performance.now();
  let files = 0;
  for await (const _file of crawl({ root: task.root })) files++;
  const crawlMs = performance.now() - start;

  start = performance.now();
  const limit = pLimit(8);
  const reads: Promise<number>[] = [];
  for await (const file of crawl({ root: task.root })) reads.push(limit(async () => (await readFile(file.absPath)).length));
  const bytes = sum(await Promise.all(reads));
  const crawlReadMs = performance.now() - start;
  if (!task.parse) return { kind: 'floor', files, bytes, crawlMs, crawlReadMs, maxRssBytes: rss() };

  start = performance.now();
  const chunker = await createChunker();
  for await (const file of crawl({ root: task.root })) {
    const data = await readFile(file.absPath);
    if (classifyContent(file.path, data) === 'text') await chunker.chunk(file.path, data.toString('utf8'));
  }
  const crawlReadParseMs = performance.now() - start;
  return { kind: 'floor', files, bytes, crawlMs, crawlReadMs, crawlReadParseMs, maxRssBytes: rss() };
}

async function runQueries(task: Extract<ChildTask, { kind: 'query' }>): Promise<QueryResult> {
  const { ws, openMs } = await openWorkspace(task);
  const { store, embedder } = ws;
  // The parts of the query being timed; reset before each hybrid query.
  const noParts = () => ({ embedMs: 0, cacheGetMs: 0, cacheSetMs: 0, vectorSearchMs: 0, textSearchMs: 0 });
  let parts = noParts();
  embedder.embed = timed(embedder.embed.bind(embedder), (ms) => (parts.embedMs += ms));
  store.cachedVectors = timed(store.cachedVectors.bind(store), (ms) => (parts.cacheGetMs += ms));
  store.cacheVectors = timed(store.cacheVectors.bind(store), (ms) => (parts.cacheSetMs += ms));
  store.vectorSearch = timed(store.vectorSearch.bind(store), (ms) => (parts.vectorSearchMs += ms));
  store.textSearch = timed(store.textSearch.bind(store), (ms) => (parts.textSearchMs += ms));

  const first = task.queries[0] ?? 'open a file';
  let start = performance.now();
  let hits = await ws.search(first, { mode: 'hybrid', top: task.top });
  const firstQueryMs = performance.now() - start;

  for (let i = 0; i < task.warmup; i++) {
    const query = task.queries[(i + 1) % task.queries.length] ?? first;
    for (const mode of task.modes) await ws.search(query, { mode, top: task.top });
  }

  const latencies: Partial<Record<SearchMode, number[]>> = {};
  const hybridParts: QueryResult['hybridParts'] = { embedMs: [], cacheGetMs: [], cacheSetMs: [], vectorSearchMs: [], textSearchMs: [] };
  let hitCount = 0;
  let hybridCount = 0;
  for (let i = 0; i < task.queries.length; i++) {
    const query = task.queries[i] ?? first;
    // Rotate the order of the modes so that none always runs first (or right after another).
    for (let m = 0; m < task.modes.length; m++) {
      const mode = task.modes[(i + m) % task.modes.length] ?? 'hybrid';
      parts = noParts();
      start = performance.now();
      hits = await ws.search(query, { mode, top: task.top });
      const ms = performance.now() - start;
      (latencies[mode] ??= []).push(ms);
      if (mode === 'hybrid') {
        hybridParts.embedMs.push(parts.embedMs);
        hybridParts.cacheGetMs.push(parts.cacheGetMs);
        hybridParts.cacheSetMs.push(parts.cacheSetMs);
        hybridParts.vectorSearchMs.push(parts.vectorSearchMs);
        hybridParts.textSearchMs.push(parts.textSearchMs);
        hitCount += hits.length;
        hybridCount++;
      }
    }
  }
  await ws.close();
  return {
    kind: 'query',
    openMs,
    firstQueryMs,
    latencies,
    hybridParts,
    hitsPerQuery: hybridCount > 0 ? hitCount / hybridCount : 0,
    maxRssBytes: rss(),
  };
}

async function main(): Promise<void> {
  const [taskJson, resultFile] = process.argv.slice(2);
  if (taskJson === undefined || resultFile === undefined) throw new TypeError('usage: child.js TASK_JSON RESULT_FILE');
  const task = JSON.parse(taskJson) as ChildTask;
  let result: ChildResult;
  switch (task.kind) {
    case 'index':
      result = await runIndex(task);
      break;
    case 'index-no-cache':
      result = await runIndexNoCache(task);
      break;
    case 'floor':
      result = await runFloor(task);
      break;
    case 'query':
      result = await runQueries(task);
      break;
  }
  await writeFile(resultFile, JSON.stringify(result));
}

await main();

// npm run bench:scale [-- --slice drivers/net] [--runs 1] [--label after] [--doc docs/performance.md]
//
// Indexing and search at monorepo scale, on the Linux kernel source from Debian (scripts/perf/kernel.ts):
// the floor (crawl, read, tree-sitter on one thread), cold index (time, CPU, peak RSS), index size on
// disk, no-change re-index (in-process and as the CLI command), a one-file change (full check and as
// the watcher reports it), warm queries p50/p95 and a fresh `codeintent search` process (time, peak RSS).
// Each step runs in a fresh child process (scripts/perf/child.ts). Results go to
// .cache/bench-results/scale-TREE-LABEL.json; the table of every labelled result for the tree is written
// into docs/performance.md between the scale markers. The whole kernel takes long: not part of npm test.

import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { messageOf } from '../src/core/errors.js';
import { folderBytes } from '../src/core/files.js';
import { PACKAGE_ROOT } from '../src/core/models.js';
import type { SearchMode } from '../src/core/types.js';
import { checkBuilt, CLI, machine, restorePendingEdit, runChild, runCliIndex, spawnTimed, withAppendedText, type Machine } from './perf/harness.js';
import { ensureKernel } from './perf/kernel.js';
import type { FloorResult, IndexResult, QueryResult } from './perf/protocol.js';
import { KERNEL_QUERIES } from './perf/queries.js';
import { median, quantile } from './perf/stats.js';

const CACHE = path.join(PACKAGE_ROOT, '.cache', 'scale');
const TMP = path.join(CACHE, 'tmp');
const PENDING_EDIT = path.join(CACHE, 'pending-edit.json');
const RESULTS = path.join(PACKAGE_ROOT, '.cache', 'bench-results');
const MAX_RSS = pathToFileURL(path.join(PACKAGE_ROOT, 'out', 'scripts', 'perf', 'max-rss.js')).href;
const MODES: SearchMode[] = ['hybrid', 'vector', 'lexical'];
const SCALE_START = '<!-- scale:start (written by npm run bench:scale) -->';
const SCALE_END = '<!-- scale:end -->';
/** The file a one-file change appends a function to (the slice's first .c file when the tree is a slice). */
const KERNEL_EDIT_FILE = 'lib/string.c';
const FRESH_SEARCHES = 3;

const helpText = `npm run bench:scale -- [options]

  --slice DIR     index only this folder of the kernel tree (e.g. drivers/net, ~5k files); default: all of it
  --runs N        repetitions; medians are reported (default: 1)
  --label NAME    names this result in the table, e.g. before or after (default: the commit)
  --model M       'default' or a model folder (default: default)
  --doc FILE      the markdown file whose scale section gets the table (default: docs/performance.md;
                  '-' writes none)
  --report        no run: write the table of the results already kept for the tree
`;

interface Run {
  load: { before: number; after: number };
  floor: FloorResult;
  cold: IndexResult;
  indexBytes: number;
  noChange: IndexResult;
  noChangeCliMs: number;
  oneFile: IndexResult;
  oneFileWatched: IndexResult;
  query: QueryResult;
  freshSearch: { wallMs: number; maxRssBytes: number }[];
}

interface Result {
  label: string;
  tree: string;
  description: string;
  generatedAt: string;
  machine: Machine;
  editFile: string;
  runs: Run[];
}

function log(line: string): void {
  process.stderr.write(`bench-scale: ${line}\n`);
}

const appendedC = (run: number) => `

/* Sum of the squares of the first n values (appended by bench-scale, run ${run}). */
long bench_scale_sum_of_squares_${run}(const long *values, int n)
{
	long total = 0;
	int i;

	for (i = 0; i < n; i++)
		total += values[i] * values[i];
	return total;
}
`;

async function editFileOf(root: string, slice: string | undefined): Promise<string> {
  if (!slice) return KERNEL_EDIT_FILE;
  const files = (await readdir(root, { recursive: true })).filter((f) => f.endsWith('.c')).sort();
  const first = files[0];
  if (!first) throw new Error(`--slice ${slice} has no .c file to change`);
  return first.split(path.sep).join('/');
}

/** `codeintent search QUERY` in a fresh process, as a user types it: wall time and peak RSS. */
async function freshSearch(root: string, indexDir: string, model: string, query: string): Promise<{ wallMs: number; maxRssBytes: number }> {
  const rssFile = path.join(TMP, `rss-${process.pid}.txt`);
  await mkdir(TMP, { recursive: true });
  const env = { ...process.env, BENCH_MAX_RSS_FILE: rssFile };
  const { wallMs } = await spawnTimed(['--import', MAX_RSS, CLI, 'search', query, '--root', root, '--db', indexDir, '--model', model], 'codeintent search', env);
  const maxRssBytes = Number(await readFile(rssFile, 'utf8'));
  await rm(rssFile, { force: true });
  return { wallMs, maxRssBytes };
}

async function oneRun(run: number, root: string, editFile: string, model: string): Promise<Run> {
  const loadBefore = os.loadavg()[0] ?? Number.NaN;
  const indexDir = path.join(CACHE, 'index');
  await rm(indexDir, { recursive: true, force: true });
  const target = { root, indexDir, model };
  const child = async <T>(task: Parameters<typeof runChild>[0]) => (await runChild<T>(task, TMP)).result;

  log(`run ${run}: floor (crawl, read, tree-sitter on one thread)`);
  const floor = await child<FloorResult>({ kind: 'floor', root, parse: true });
  log(`run ${run}: ${floor.files} files; crawl ${(floor.crawlMs / 1000).toFixed(1)} s, +read ${(floor.crawlReadMs / 1000).toFixed(1)} s, +parse ${((floor.crawlReadParseMs ?? 0) / 1000).toFixed(1)} s`);
  log(`run ${run}: cold index`);
  const cold = await child<IndexResult>({ kind: 'index', ...target });
  log(`run ${run}: cold ${(cold.indexMs / 1000).toFixed(1)} s, ${cold.summary.chunks} chunks, peak RSS ${(cold.maxRssBytes / 2 ** 20).toFixed(0)} MiB`);
  const indexBytes = await folderBytes(indexDir);
  log(`run ${run}: no-change re-index`);
  const noChange = await child<IndexResult>({ kind: 'index', ...target });
  const noChangeCliMs = await runCliIndex(root, indexDir, model);
  log(`run ${run}: one-file change`);
  const file = path.join(root, editFile);
  const oneFile = await withAppendedText(file, appendedC(run), PENDING_EDIT, () => child<IndexResult>({ kind: 'index', ...target }));
  const oneFileWatched = await withAppendedText(file, appendedC(run + 1000), PENDING_EDIT, () => child<IndexResult>({ kind: 'index', ...target, changed: [editFile] }));
  for (const [name, r] of [['no-change', noChange], ['one-file', oneFile], ['watched one-file', oneFileWatched]] as const) {
    const expected = name === 'no-change' ? 0 : 1;
    if (r.summary.indexed !== expected) log(`WARNING: the ${name} run re-indexed ${r.summary.indexed} files`);
  }
  // The file is back as it was: the index catches up before the queries.
  await child<IndexResult>({ kind: 'index', ...target, changed: [editFile] });
  log(`run ${run}: warm queries`);
  const query = await child<QueryResult>({ kind: 'query', ...target, queries: [...KERNEL_QUERIES], warmup: 5, modes: MODES, top: 10 });
  log(`run ${run}: fresh-process searches`);
  const freshSearches = [];
  for (let i = 0; i < FRESH_SEARCHES; i++) freshSearches.push(await freshSearch(root, indexDir, model, KERNEL_QUERIES[i] ?? 'open a file'));
  const load = { before: loadBefore, after: os.loadavg()[0] ?? Number.NaN };
  log(`run ${run}: done (1-minute load average ${load.before.toFixed(1)} before, ${load.after.toFixed(1)} after)`);
  return { load, floor, cold, indexBytes, noChange, noChangeCliMs, oneFile, oneFileWatched, query, freshSearch: freshSearches };
}

// ---------------------------------------------------------------------------------------------
// The table

const med = (values: number[]) => median(values);
const s = (ms: number, digits = 1) => (ms / 1000).toFixed(digits);
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

interface Row {
  name: string;
  value: (r: Result) => string;
}

const over = (r: Result, f: (run: Run) => number) => med(r.runs.map(f));
const latency = (r: Result, mode: SearchMode, q: number) => over(r, (run) => quantile(run.query.latencies[mode] ?? [], q)).toFixed(0);

const ROWS: Row[] = [
  { name: 'files / chunks indexed', value: (r) => `${r.runs[0]?.cold.summary.files.toLocaleString('en-US')} / ${r.runs[0]?.cold.summary.chunks.toLocaleString('en-US')}` },
  { name: 'floor: crawl (s)', value: (r) => s(over(r, (x) => x.floor.crawlMs)) },
  { name: 'floor: crawl + read (s)', value: (r) => s(over(r, (x) => x.floor.crawlReadMs)) },
  { name: 'floor: crawl + read + tree-sitter, one thread (s)', value: (r) => s(over(r, (x) => x.floor.crawlReadParseMs ?? Number.NaN)) },
  { name: 'cold index (s)', value: (r) => s(over(r, (x) => x.cold.indexMs)) },
  { name: 'cold index, CPU user + system (s)', value: (r) => s(over(r, (x) => x.cold.cpuUserMs + x.cold.cpuSystemMs)) },
  { name: 'cold index ÷ one-thread floor', value: (r) => over(r, (x) => x.cold.indexMs / (x.floor.crawlReadParseMs ?? Number.NaN)).toFixed(2) },
  { name: 'cold index, peak RSS (MiB)', value: (r) => mib(over(r, (x) => x.cold.maxRssBytes)) },
  { name: 'index on disk (MiB)', value: (r) => mib(over(r, (x) => x.indexBytes)) },
  { name: 'no-change re-index, in process (s)', value: (r) => s(over(r, (x) => x.noChange.indexMs), 2) },
  { name: 'no-change `codeintent index` (s)', value: (r) => s(over(r, (x) => x.noChangeCliMs), 2) },
  { name: 'one-file change, full check (s)', value: (r) => s(over(r, (x) => x.oneFile.indexMs), 2) },
  { name: 'one-file change, as the watcher reports it (s)', value: (r) => s(over(r, (x) => x.oneFileWatched.indexMs), 2) },
  { name: 'warm hybrid query p50 / p95 (ms)', value: (r) => `${latency(r, 'hybrid', 0.5)} / ${latency(r, 'hybrid', 0.95)}` },
  { name: 'warm vector query p50 / p95 (ms)', value: (r) => `${latency(r, 'vector', 0.5)} / ${latency(r, 'vector', 0.95)}` },
  { name: 'warm full-text query p50 / p95 (ms)', value: (r) => `${latency(r, 'lexical', 0.5)} / ${latency(r, 'lexical', 0.95)}` },
  { name: 'fresh `codeintent search` (s)', value: (r) => s(over(r, (x) => med(x.freshSearch.map((f) => f.wallMs))), 2) },
  { name: 'fresh `codeintent search`, peak RSS (MiB)', value: (r) => mib(over(r, (x) => Math.max(...x.freshSearch.map((f) => f.maxRssBytes)))) },
  { name: '1-minute load average, before → after', value: (r) => r.runs.map((x) => `${x.load.before.toFixed(1)} → ${x.load.after.toFixed(1)}`).join(', ') },
];

function table(results: readonly Result[]): string {
  const head = `| | ${results.map((r) => `${r.label} (${r.machine.commit.slice(0, 7)}, ${r.generatedAt.slice(0, 10)})`).join(' | ')} |`;
  const rule = `| --- | ${results.map(() => '---:').join(' | ')} |`;
  return [head, rule, ...ROWS.map((row) => `| ${row.name} | ${results.map(row.value).join(' | ')} |`)].join('\n');
}

async function resultsFor(tree: string): Promise<Result[]> {
  const prefix = `scale-${tree}-`;
  const names = existsSync(RESULTS) ? (await readdir(RESULTS)).filter((n) => n.startsWith(prefix) && n.endsWith('.json')) : [];
  const results = await Promise.all(names.map(async (n) => JSON.parse(await readFile(path.join(RESULTS, n), 'utf8')) as Result));
  return results.sort((a, b) => a.generatedAt.localeCompare(b.generatedAt));
}

function section(results: readonly Result[]): string {
  const last = results.at(-1);
  if (!last) return '';
  const m = last.machine;
  return `#### ${last.description}
<!-- tree:${last.tree} -->

\`npm run bench:scale${last.tree === 'kernel' ? '' : ` -- --slice ${last.tree.replace(/_/g, '/')}`}\`; every step in a fresh child process; ${m.cpus} cores (${m.cpuModel}), ${m.memoryGiB} GiB,
Node ${m.node}, LanceDB ${m.lancedb}. The one-file change appends a 10-line C function to \`${last.editFile}\`. Queries: the
${KERNEL_QUERIES.length} intents of \`KERNEL_QUERIES\` (scripts/perf/queries.ts), top 10, after 5 untimed. The machine is shared:
the load average says how busy it was (2 = both cores busy), and CPU seconds are less affected by it than wall time.

${table(results)}
`;
}

async function writeSection(doc: string, tree: string): Promise<void> {
  const text = existsSync(doc) ? await readFile(doc, 'utf8') : '';
  const start = text.indexOf(SCALE_START);
  const end = text.indexOf(SCALE_END);
  if (start < 0 || end < start) throw new Error(`${doc} has no ${SCALE_START} … ${SCALE_END} section to write into`);
  const before = text.slice(start + SCALE_START.length, end);
  // One subsection per tree: this tree's is replaced, the others are kept.
  const parts = before.split(/\n(?=#### )/).filter((p) => p.trim() !== '' && !p.includes(`<!-- tree:${tree} -->`));
  parts.push(section(await resultsFor(tree)));
  await writeFile(doc, `${text.slice(0, start + SCALE_START.length)}\n${parts.map((p) => p.trim()).join('\n\n')}\n${text.slice(end)}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      slice: { type: 'string' },
      runs: { type: 'string', default: '1' },
      label: { type: 'string' },
      model: { type: 'string', default: 'default' },
      doc: { type: 'string', default: path.join(PACKAGE_ROOT, 'docs', 'performance.md') },
      report: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(helpText);
    return;
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new TypeError(`--runs takes a whole number from 1 up, not ${JSON.stringify(values.runs)}`);
  const tree = values.slice ? values.slice.replace(/[^A-Za-z0-9._-]/g, '_') : 'kernel';
  if (values.report) {
    process.stdout.write(`${table(await resultsFor(tree))}\n`);
    if (values.doc !== '-') await writeSection(path.resolve(values.doc), tree);
    return;
  }
  checkBuilt();
  const model = values.model === 'default' ? 'default' : path.resolve(values.model);
  await restorePendingEdit(PENDING_EDIT);
  const kernel = await ensureKernel(CACHE, log, values.slice);
  const editFile = await editFileOf(kernel.root, values.slice);
  const m = machine();
  const label = values.label ?? m.commit.slice(0, 7);
  log(`${kernel.description} at ${kernel.root}`);

  const results: Run[] = [];
  for (let run = 1; run <= runs; run++) results.push(await oneRun(run, kernel.root, editFile, model));
  await rm(path.join(CACHE, 'index'), { recursive: true, force: true });

  const result: Result = { label, tree, description: kernel.description, generatedAt: new Date().toISOString(), machine: m, editFile, runs: results };
  await mkdir(RESULTS, { recursive: true });
  const json = path.join(RESULTS, `scale-${tree}-${label.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
  await writeFile(json, `${JSON.stringify(result, null, 2)}\n`);
  log(`wrote ${path.relative(PACKAGE_ROOT, json)}`);
  process.stdout.write(`${table(await resultsFor(tree))}\n`);
  if (values.doc !== '-') {
    await writeSection(path.resolve(values.doc), tree);
    log(`wrote the scale section of ${path.relative(PACKAGE_ROOT, path.resolve(values.doc))}`);
  }
}

try {
  await main();
} catch (error) {
  process.stderr.write(`bench-scale: ${messageOf(error)}\n`);
  process.exitCode = 1;
}

// npm run bench:perf [-- --model default] [--runs 3] [--corpus theia] [--queries N] [--profile]
//
// Times indexing and search on a real TypeScript workspace (scripts/perf/corpus.ts), each index
// run in a fresh child process, and writes docs/performance.md and .cache/bench-results/perf.json.
// Method, figures and goals: docs/performance.md.

import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { SearchMode } from '../src/core/types.js';
import { messageOf } from '../src/core/errors.js';
import { folderBytes } from '../src/core/files.js';
import { corpusSpec, ensureCorpus, listFiles, type Corpus } from './perf/corpus.js';
import { checkBuilt, CLI, machine, restorePendingEdit as restoreEdit, runChild as runChildIn, runCliIndex, spawnTimed, withAppendedText, type Machine, type Timed } from './perf/harness.js';
import { summarizeProfile, type ProfileSummary } from './perf/profile.js';
import type { ChildTask, FloorResult, IndexResult, QueryResult, StepTime } from './perf/protocol.js';
import { PERF_QUERIES } from './perf/queries.js';
import { median, quantile, spread, type Spread } from './perf/stats.js';
import { DEFAULT_MODEL_DIR, PACKAGE_ROOT } from '../src/core/models.js';

const CLI_MODULE_URL = pathToFileURL(path.join(PACKAGE_ROOT, 'out', 'src', 'cli', 'main.js')).href;
const CACHE = path.join(PACKAGE_ROOT, '.cache', 'perf');
const RESULTS = path.join(PACKAGE_ROOT, '.cache', 'bench-results');
const DEFAULT_DOC = path.join(PACKAGE_ROOT, 'docs', 'performance.md');
const MODES: SearchMode[] = ['hybrid', 'vector', 'lexical'];
const TOP = 10;

/** The product's goals (issue: "a workspace of about 2,500 TypeScript files"). */
const GOALS = { queryP50Ms: 100, noChangeSeconds: 2 };

const helpText = `npm run bench:perf -- [options]

  --model M       'default' (models/code-static-v3), 'use-lite' or a model folder (default: default)
  --runs N        repetitions; medians are reported (default: 3)
  --corpus NAME   theia (~2,500 TS files, default) or theia-core (~550, a quick check of the harness)
  --queries N     timed queries per mode and run (default: all ${PERF_QUERIES.length})
  --warmup N      untimed queries per mode before timing (default: 10)
  --profile       also profile (node --cpu-prof) one extra cold index, no-change index and query run;
                  done anyway when a goal is missed, unless --no-profile
  --no-profile    never profile
  --doc FILE      write the report here (default: docs/performance.md, for the default model on the
                  theia corpus only; other runs write only their JSON)
`;

interface Options {
  model: string;
  runs: number;
  corpus: string;
  queries: number;
  warmup: number;
  profile: 'always' | 'on-miss' | 'never';
  doc: string | undefined;
  /** The default model on Theia: the run docs/performance.md and perf.json record. */
  standard: boolean;
}

function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      runs: { type: 'string' },
      corpus: { type: 'string' },
      queries: { type: 'string' },
      warmup: { type: 'string' },
      profile: { type: 'boolean' },
      'no-profile': { type: 'boolean' },
      doc: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(helpText);
    return undefined;
  }
  const int = (flag: string, value: string | undefined, fallback: number, min: number): number => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new TypeError(`--${flag} takes a whole number from ${min} up, not ${JSON.stringify(value)}`);
    return n;
  };
  const model = values.model ?? 'default';
  const corpus = values.corpus ?? 'theia';
  corpusSpec(corpus);
  const standard = model === 'default' && corpus === 'theia';
  return {
    model,
    runs: int('runs', values.runs, 3, 1),
    corpus,
    queries: int('queries', values.queries, PERF_QUERIES.length, 1),
    warmup: int('warmup', values.warmup, 10, 0),
    profile: values['no-profile'] ? 'never' : values.profile ? 'always' : 'on-miss',
    doc: values.doc !== undefined ? path.resolve(values.doc) : standard ? DEFAULT_DOC : undefined,
    standard,
  };
}

// ---------------------------------------------------------------------------------------------
// Child processes

function log(line: string): void {
  process.stderr.write(`bench-perf: ${line}\n`);
}

const runChild = <T>(task: ChildTask, profileDir?: string, profileName?: string): Promise<Timed<T>> =>
  runChildIn<T>(task, path.join(CACHE, 'tmp'), profileDir && profileName ? { dir: profileDir, name: profileName } : undefined);

// The one-file edit (undone afterwards, even after a crash: the next start restores it)
const PENDING_EDIT = path.join(CACHE, 'pending-edit.json');
const restorePendingEdit = () => restoreEdit(PENDING_EDIT);

function withAppendedFunction<T>(file: string, run: number, body: () => Promise<T>): Promise<T> {
  const appended = `

/** Sum of the squares of \`values\` (appended by bench-perf, run ${run}). */
export function benchPerfSumOfSquares${run}(values: readonly number[]): number {
    let total = 0;
    for (const value of values) {
        total += value * value;
    }
    return total;
}
`;
  return withAppendedText(file, appended, PENDING_EDIT, body);
}

// ---------------------------------------------------------------------------------------------
// One run

interface RunFigures {
  floor: FloorResult;
  cold: Timed<IndexResult>;
  noChange: Timed<IndexResult>;
  noChangeCliMs: number;
  oneFile: Timed<IndexResult>;
  /** The same change as the extension's file watcher hands it over: the one path, no crawl. */
  oneFileWatched: Timed<IndexResult>;
  query: Timed<QueryResult>;
  indexBytes: number;
  /** Wall time of `node -e ''`: starting Node alone. */
  nodeStartMs: number;
  /** Wall time of a Node that imports the CLI's modules (out/src/cli/main.js) and exits. */
  cliModulesMs: number;
  /** 1-minute load average before and after the run (other work on the machine skews the figures). */
  load: { before: number; after: number };
}

async function oneRun(run: number, corpus: Corpus, options: Options, queries: string[]): Promise<RunFigures> {
  const loadBefore = os.loadavg()[0] ?? Number.NaN;
  const indexDir = path.join(CACHE, 'index', `run-${run}`);
  await rm(indexDir, { recursive: true, force: true });
  const target = { root: corpus.root, indexDir, model: options.model };

  log(`run ${run}: crawl+read floor`);
  const floor = (await runChild<FloorResult>({ kind: 'floor', root: corpus.root })).result;
  log(`run ${run}: cold index`);
  const cold = await runChild<IndexResult>({ kind: 'index', ...target });
  log(`run ${run}: cold ${(cold.result.indexMs / 1000).toFixed(1)} s, ${cold.result.summary.files} files, ${cold.result.summary.chunks} chunks`);
  const indexBytes = await folderBytes(indexDir);
  log(`run ${run}: no-change re-index`);
  const noChange = await runChild<IndexResult>({ kind: 'index', ...target });
  if (noChange.result.summary.indexed !== 0) log(`WARNING: the no-change run re-indexed ${noChange.result.summary.indexed} files`);
  const noChangeCliMs = await runCliIndex(corpus.root, indexDir, options.model);
  const nodeStartMs = (await spawnTimed(['-e', ''], 'node -e')).wallMs;
  const cliModulesMs = (await spawnTimed(['--input-type=module', '-e', `await import(${JSON.stringify(CLI_MODULE_URL)});`], 'the CLI module import')).wallMs;
  log(`run ${run}: one-file change`);
  const oneFile = await withAppendedFunction(path.join(corpus.root, corpus.manifest.editFile), run, () => runChild<IndexResult>({ kind: 'index', ...target }));
  if (oneFile.result.summary.indexed !== 1) log(`WARNING: the one-file change re-indexed ${oneFile.result.summary.indexed} files`);
  log(`run ${run}: one-file change, as the watcher reports it`);
  const { editFile } = corpus.manifest;
  const oneFileWatched = await withAppendedFunction(path.join(corpus.root, editFile), run + 1000, () => runChild<IndexResult>({ kind: 'index', ...target, changed: [editFile] }));
  if (oneFileWatched.result.summary.indexed !== 1) log(`WARNING: the watched one-file change re-indexed ${oneFileWatched.result.summary.indexed} files`);
  log(`run ${run}: queries`);
  const query = await runChild<QueryResult>({ kind: 'query', ...target, queries, warmup: options.warmup, modes: MODES, top: TOP });
  const load = { before: loadBefore, after: os.loadavg()[0] ?? Number.NaN };
  log(`run ${run}: done (1-minute load average ${load.before.toFixed(1)} before, ${load.after.toFixed(1)} after)`);
  return { floor, cold, noChange, noChangeCliMs, oneFile, oneFileWatched, query, indexBytes, nodeStartMs, cliModulesMs, load };
}

/** Loads the LanceDB binary, the grammars and the model once, so every measured run starts with them in the OS cache. */
async function warmUp(corpus: Corpus, model: string): Promise<void> {
  log('warm-up (untimed): reading the corpus, loading LanceDB, the grammars and the model');
  await runChild<FloorResult>({ kind: 'floor', root: corpus.root });
  const dir = path.join(CACHE, 'warm');
  await rm(dir, { recursive: true, force: true });
  const root = path.join(dir, 'ws');
  const files = (await listFiles(corpus.root)).filter((f) => f.endsWith('.ts') || f.endsWith('.tsx')).slice(0, 30);
  for (const file of files) {
    const dest = path.join(root, file);
    await mkdir(path.dirname(dest), { recursive: true });
    await writeFile(dest, await readFile(path.join(corpus.root, file)));
  }
  await runChild<IndexResult>({ kind: 'index', root, indexDir: path.join(dir, 'index'), model });
  await rm(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// Aggregation

type StepTable = Record<string, Spread>;

interface Report {
  generatedAt: string;
  machine: Machine;
  corpus: Corpus['manifest'];
  options: { model: string; runs: number; queries: number; warmup: number; top: number };
  figures: Record<string, Spread>;
  steps: { cold: StepTable; noChange: StepTable; oneFile: StepTable };
  hybridParts: Record<string, Spread>;
  /** Cold index: per-call cost of repeated steps at the start and at the end of the run (medians over runs). */
  growth: Record<string, { calls: number; firstMs: number; lastMs: number }>;
  summaries: { cold: IndexResult['summary']; noChange: IndexResult['summary']; oneFile: IndexResult['summary'] };
  goals: { name: string; target: string; value: number; unit: string; pass: boolean }[];
  profiles: ProfileSummary[];
  /** Profiling pass only: a cold index of the same corpus with the embedding cache left out (one run). */
  whatIfNoCache?: { seconds: number; steps: Record<string, number>; chunks: number };
  runs: RunFigures[];
}

const MiB = 2 ** 20;

function stepSpreads(results: IndexResult[]): StepTable {
  const names = new Set(results.flatMap((r) => Object.keys(r.steps)));
  const out: StepTable = {};
  for (const name of names) out[name] = spread(results.map((r) => (r.steps[name] ?? ({ ms: 0, calls: 0, series: [] } satisfies StepTime)).ms));
  return out;
}

const GROWTH_STEPS = ['cacheGet', 'cacheSet', 'replaceFiles'];

/** Median per-call ms of the first and last tenth of a step's calls (at least 3 calls each). */
function growth(runs: RunFigures[]): Report['growth'] {
  const out: Report['growth'] = {};
  for (const name of GROWTH_STEPS) {
    const firsts: number[] = [];
    const lasts: number[] = [];
    const calls: number[] = [];
    for (const r of runs) {
      const series = r.cold.result.steps[name]?.series ?? [];
      if (series.length < 6) continue;
      const n = Math.max(3, Math.floor(series.length / 10));
      firsts.push(median(series.slice(0, n)));
      lasts.push(median(series.slice(-n)));
      calls.push(series.length);
    }
    if (calls.length > 0) out[name] = { calls: median(calls), firstMs: median(firsts), lastMs: median(lasts) };
  }
  return out;
}

function aggregate(runs: RunFigures[]): Pick<Report, 'figures' | 'steps' | 'hybridParts' | 'growth'> {
  const f = (pick: (r: RunFigures) => number): Spread => spread(runs.map(pick));
  const pct = (mode: SearchMode, q: number) => (r: RunFigures) => quantile(r.query.result.latencies[mode] ?? [], q);
  const figures: Record<string, Spread> = {
    coldSeconds: f((r) => r.cold.result.indexMs / 1000),
    coldFilesPerSecond: f((r) => r.cold.result.summary.files / (r.cold.result.indexMs / 1000)),
    coldChunksPerSecond: f((r) => r.cold.result.summary.chunks / (r.cold.result.indexMs / 1000)),
    coldPeakRssMiB: f((r) => r.cold.result.maxRssBytes / MiB),
    coldCpuSeconds: f((r) => (r.cold.result.cpuUserMs + r.cold.result.cpuSystemMs) / 1000),
    coldOpenSeconds: f((r) => r.cold.result.openMs / 1000),
    coldWallSeconds: f((r) => r.cold.wallMs / 1000),
    indexMiB: f((r) => r.indexBytes / MiB),
    noChangeSeconds: f((r) => r.noChange.result.indexMs / 1000),
    noChangeCliSeconds: f((r) => r.noChangeCliMs / 1000),
    noChangeWallSeconds: f((r) => r.noChange.wallMs / 1000),
    noChangeOpenSeconds: f((r) => r.noChange.result.openMs / 1000),
    nodeStartSeconds: f((r) => r.nodeStartMs / 1000),
    cliModulesSeconds: f((r) => r.cliModulesMs / 1000),
    noChangePeakRssMiB: f((r) => r.noChange.result.maxRssBytes / MiB),
    oneFileSeconds: f((r) => r.oneFile.result.indexMs / 1000),
    oneFileWallSeconds: f((r) => r.oneFile.wallMs / 1000),
    oneFileWatchedSeconds: f((r) => r.oneFileWatched.result.indexMs / 1000),
    oneFilePeakRssMiB: f((r) => r.oneFile.result.maxRssBytes / MiB),
    queryOpenSeconds: f((r) => r.query.result.openMs / 1000),
    firstQueryMs: f((r) => r.query.result.firstQueryMs),
    queryPeakRssMiB: f((r) => r.query.result.maxRssBytes / MiB),
    crawlSeconds: f((r) => r.floor.crawlMs / 1000),
    crawlReadSeconds: f((r) => r.floor.crawlReadMs / 1000),
    coldOverCrawlRead: f((r) => r.cold.result.indexMs / r.floor.crawlReadMs),
    noChangeOverCrawl: f((r) => r.noChange.result.indexMs / r.floor.crawlMs),
    hybridOverLexicalP50: f((r) => pct('hybrid', 0.5)(r) / pct('lexical', 0.5)(r)),
    loadAverage: f((r) => (r.load.before + r.load.after) / 2),
  };
  for (const mode of MODES) {
    figures[`${mode}P50Ms`] = f(pct(mode, 0.5));
    figures[`${mode}P95Ms`] = f(pct(mode, 0.95));
  }
  const parts = (pick: (p: QueryResult['hybridParts']) => number[]) => f((r) => median(pick(r.query.result.hybridParts)));
  return {
    figures,
    steps: {
      cold: stepSpreads(runs.map((r) => r.cold.result)),
      noChange: stepSpreads(runs.map((r) => r.noChange.result)),
      oneFile: stepSpreads(runs.map((r) => r.oneFile.result)),
    },
    growth: growth(runs),
    hybridParts: {
      embedMs: parts((p) => p.embedMs),
      cacheGetMs: parts((p) => p.cacheGetMs),
      cacheSetMs: parts((p) => p.cacheSetMs),
      vectorSearchMs: parts((p) => p.vectorSearchMs),
      textSearchMs: parts((p) => p.textSearchMs),
    },
  };
}

function figure(report: Pick<Report, 'figures'>, name: string): Spread {
  const value = report.figures[name];
  if (!value) throw new Error(`no figure ${name}`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Output

function fmt(n: number, digits?: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  const d = digits ?? (Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : 2);
  return n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

interface Row {
  what: string;
  name: string;
  unit: string;
  digits?: number;
}

const ROWS: Row[] = [
  { what: 'Cold index: `ws.index()`', name: 'coldSeconds', unit: 's' },
  { what: 'Cold index: files/s', name: 'coldFilesPerSecond', unit: 'files/s', digits: 0 },
  { what: 'Cold index: chunks/s', name: 'coldChunksPerSecond', unit: 'chunks/s', digits: 0 },
  { what: 'Cold index: peak RSS (child process)', name: 'coldPeakRssMiB', unit: 'MiB', digits: 0 },
  { what: 'Cold index: CPU time (user+system)', name: 'coldCpuSeconds', unit: 's' },
  { what: 'Cold index: whole child process (start, open, index, close)', name: 'coldWallSeconds', unit: 's' },
  { what: 'Index size on disk', name: 'indexMiB', unit: 'MiB', digits: 1 },
  { what: 'No-change re-index: `ws.index()` in-process', name: 'noChangeSeconds', unit: 's', digits: 3 },
  { what: 'No-change re-index: `codeintent index PATH --db DIR` wall', name: 'noChangeCliSeconds', unit: 's' },
  { what: 'No-change re-index: `Workspace.open` (model + store)', name: 'noChangeOpenSeconds', unit: 's', digits: 3 },
  { what: 'No-change re-index: peak RSS', name: 'noChangePeakRssMiB', unit: 'MiB', digits: 0 },
  { what: 'Baseline: start Node (`node -e \'\'`)', name: 'nodeStartSeconds', unit: 's', digits: 3 },
  { what: 'Baseline: start Node + import the CLI modules', name: 'cliModulesSeconds', unit: 's', digits: 3 },
  { what: 'One-file change: `ws.index()` in-process', name: 'oneFileSeconds', unit: 's', digits: 3 },
  { what: 'One-file change: whole child process', name: 'oneFileWallSeconds', unit: 's' },
  { what: 'One-file change as the watcher reports it (`changed: [file]`, no crawl): `ws.index()`', name: 'oneFileWatchedSeconds', unit: 's', digits: 3 },
  { what: 'Query, hybrid: p50', name: 'hybridP50Ms', unit: 'ms', digits: 1 },
  { what: 'Query, hybrid: p95', name: 'hybridP95Ms', unit: 'ms', digits: 1 },
  { what: 'Query, vector: p50', name: 'vectorP50Ms', unit: 'ms', digits: 1 },
  { what: 'Query, vector: p95', name: 'vectorP95Ms', unit: 'ms', digits: 1 },
  { what: 'Query, lexical: p50', name: 'lexicalP50Ms', unit: 'ms', digits: 1 },
  { what: 'Query, lexical: p95', name: 'lexicalP95Ms', unit: 'ms', digits: 1 },
  { what: 'First query after open (hybrid, no warm-up)', name: 'firstQueryMs', unit: 'ms', digits: 0 },
  { what: 'Query process: peak RSS', name: 'queryPeakRssMiB', unit: 'MiB', digits: 0 },
  { what: 'Baseline: crawl only (walk + ignore rules + stat)', name: 'crawlSeconds', unit: 's', digits: 3 },
  { what: 'Baseline: crawl + read every file', name: 'crawlReadSeconds', unit: 's', digits: 3 },
  { what: 'Ratio: cold index / (crawl + read)', name: 'coldOverCrawlRead', unit: '×', digits: 0 },
  { what: 'Ratio: no-change re-index / crawl', name: 'noChangeOverCrawl', unit: '×', digits: 1 },
  { what: 'Ratio: hybrid p50 / lexical p50', name: 'hybridOverLexicalP50', unit: '×', digits: 2 },
  { what: 'Machine: 1-minute load average during the run', name: 'loadAverage', unit: '', digits: 1 },
];

function mainTable(report: Pick<Report, 'figures'>): string {
  const lines = ['| Measure | Median | Min | Max | Unit |', '| --- | ---: | ---: | ---: | --- |'];
  for (const row of ROWS) {
    const s = figure(report, row.name);
    lines.push(`| ${row.what} | ${fmt(s.median, row.digits)} | ${fmt(s.min, row.digits)} | ${fmt(s.max, row.digits)} | ${row.unit} |`);
  }
  return lines.join('\n');
}

const STEP_ORDER = ['lock', 'crawl', 'fileRows', 'prepare', 'embed', 'cacheGet', 'cacheSet', 'write', 'optimize', 'finish'];
const STEP_TEXT: Record<string, string> = {
  lock: 'take the index lock',
  crawl: 'crawl (walk, ignore rules, stat)',
  fileRows: 'read the files table (plan by mtime/size)',
  prepare: 'read, classify, hash, chunk (tree-sitter), lexical terms',
  embed: 'embed (incl. the cache lookups below)',
  cacheGet: '  of which: embedding-cache lookups',
  cacheSet: '  of which: embedding-cache writes',
  write: 'LanceDB writes (delete/add/merge rows)',
  replaceFiles: 'replace a batch of files (store.replaceFiles)',
  optimize: 'optimize (FTS index, compaction, cleanup)',
  finish: 'counts + index metadata',
};

function stepsTable(steps: Report['steps']): string {
  const lines = ['| Step of `ws.index()` | Cold | No change | One file |', '| --- | ---: | ---: | ---: |'];
  const cell = (table: StepTable, name: string) => {
    const s = table[name];
    return s ? fmt(s.median, s.median < 10 ? 1 : 0) : '—';
  };
  for (const name of STEP_ORDER) {
    if (!steps.cold[name] && !steps.noChange[name] && !steps.oneFile[name]) continue;
    lines.push(`| ${STEP_TEXT[name] ?? name} | ${cell(steps.cold, name)} | ${cell(steps.noChange, name)} | ${cell(steps.oneFile, name)} |`);
  }
  return lines.join('\n');
}

function growthTable(g: Report['growth']): string {
  const names = Object.keys(g);
  if (names.length === 0) return '';
  const lines = [
    '',
    'Per call, cold index (a cost that grows from the first tenth of the calls to the last grows with the index):',
    '',
    '| Step | Calls | First tenth, ms/call | Last tenth, ms/call |',
    '| --- | ---: | ---: | ---: |',
  ];
  for (const name of names) {
    const e = g[name];
    if (e) lines.push(`| ${STEP_TEXT[name]?.replace(/^\s*of which: /, '') ?? name} | ${fmt(e.calls, 0)} | ${fmt(e.firstMs, 1)} | ${fmt(e.lastMs, 1)} |`);
  }
  return `${lines.join('\n')}\n`;
}

function goals(report: Pick<Report, 'figures'>): Report['goals'] {
  const q = figure(report, 'hybridP50Ms').median;
  const inProcess = figure(report, 'noChangeSeconds').median;
  const cli = figure(report, 'noChangeCliSeconds').median;
  return [
    { name: 'Warm query p50 (hybrid, the default mode), in-process', target: `< ${GOALS.queryP50Ms} ms`, value: q, unit: 'ms', pass: q < GOALS.queryP50Ms },
    { name: 'No-change re-index, `ws.index()` in-process', target: `< ${GOALS.noChangeSeconds} s`, value: inProcess, unit: 's', pass: inProcess < GOALS.noChangeSeconds },
    { name: 'No-change re-index, whole `codeintent index` command', target: `< ${GOALS.noChangeSeconds} s`, value: cli, unit: 's', pass: cli < GOALS.noChangeSeconds },
  ];
}

function whatIfText(report: Report): string {
  const w = report.whatIfNoCache;
  if (!w) return '';
  const cold = figure(report, 'coldSeconds').median;
  const step = (name: string) => fmt((w.steps[name] ?? 0) / 1000, 1);
  return `
### What-if: cold index without the embedding cache (one run, profiling pass)

The same pipeline built from its public parts (\`createEmbedder\`, \`withBatching\`, \`IndexStore\`, \`createChunker\`,
\`updateIndex\`) but without \`withCache\`: **${fmt(w.seconds, 1)} s** against ${fmt(cold, 1)} s measured above
(embed ${step('embed')} s, writes ${step('write')} s, optimize ${step('optimize')} s; ${w.chunks.toLocaleString('en-US')} chunks).
`;
}

function profileText(profiles: readonly ProfileSummary[]): string {
  if (profiles.length === 0) return '';
  const parts: string[] = [];
  for (const p of profiles) {
    parts.push(`#### ${path.basename(p.file)} (${fmt(p.totalMs / 1000)} s of main-thread samples)`, '');
    parts.push('| Area (self time) | ms | share |', '| --- | ---: | ---: |');
    for (const e of p.byArea.slice(0, 10)) parts.push(`| ${e.name} | ${fmt(e.ms, 0)} | ${fmt(e.share * 100, 1)} % |`);
    parts.push('', '| Function (self time) | ms | share |', '| --- | ---: | ---: |');
    for (const e of p.topFunctions.slice(0, 10)) parts.push(`| \`${e.name.replace(/\|/g, '\\|')}\` | ${fmt(e.ms, 0)} | ${fmt(e.share * 100, 1)} % |`);
    parts.push('');
  }
  return parts.join('\n');
}

const ANALYSIS_START = '<!-- analysis:start (kept across runs of the script; edit by hand) -->';
const ANALYSIS_END = '<!-- analysis:end -->';

async function keptAnalysis(doc: string): Promise<string> {
  if (!existsSync(doc)) return '';
  const text = await readFile(doc, 'utf8');
  const start = text.indexOf(ANALYSIS_START);
  const end = text.indexOf(ANALYSIS_END);
  if (start < 0 || end < start) return '';
  return text.slice(start + ANALYSIS_START.length, end).trim();
}

function markdown(report: Report, analysis: string): string {
  const { machine: m, corpus: c, options: o, summaries: s } = report;
  const ext = Object.entries(c.byExtension)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${v.toLocaleString('en-US')} \`${k}\``)
    .join(', ');
  const skipped = Object.entries(s.cold.skipped)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
  const goalLines = report.goals.map((g) => `| ${g.name} | ${g.target} | ${fmt(g.value, g.unit === 's' ? 2 : 1)} ${g.unit} | **${g.pass ? 'PASS' : 'FAIL'}** |`);
  const hp = report.hybridParts;
  return `# Performance

Generated by \`npm run bench:perf\` (scripts/bench-perf.ts) on ${report.generatedAt.slice(0, 10)}; the JSON copy is
\`.cache/bench-results/perf.json\`. Model: \`${o.model}\`. ${o.runs} runs; each figure is the median of the runs (min and max beside it).
${o.model === 'default' ? '' : `\n**Not the product's figures: this run used the model \`${o.model}\`, not the default one.**\n`}
## Goals

| Goal | Target | Measured (median) | Verdict |
| --- | --- | ---: | --- |
${goalLines.join('\n')}

## Machine

- ${m.cpus} CPU cores (\`os.availableParallelism()\`, = \`nproc\`), ${m.cpuModel}, ${m.memoryGiB} GiB memory, ${m.os}
- Node ${m.node}, LanceDB ${m.lancedb}; repository at commit ${m.commit} plus the working tree of the day
- Other work on the machine: 1-minute load average ${fmt(figure(report, 'loadAverage').min, 1)}–${fmt(figure(report, 'loadAverage').max, 1)} during the runs
  (${m.cpus} would mean both cores busy); figures taken under load are slower than on an idle machine

## Corpus

${c.description}, fetched with \`npm pack\` (versions pinned in scripts/perf/corpus.ts) into \`.cache/perf/\` and laid
out as a monorepo: \`packages/<name>/src/…\`. Only TypeScript source is kept — the packages' own \`src/\` folders as
published (tests included), not their compiled \`lib/\` JavaScript or generated declarations.

- ${c.files.toLocaleString('en-US')} files (${ext}); ${c.testFiles} of them tests (\`*.spec.ts\`); ${(c.bytes / MiB).toFixed(1)} MiB; ${c.lines.toLocaleString('en-US')} lines
- Language: TypeScript only (the chunker's \`typescript\` and \`tsx\` grammars)
- Indexed by the cold run: ${s.cold.files.toLocaleString('en-US')} files, ${s.cold.chunks.toLocaleString('en-US')} chunks${skipped ? `; skipped: ${skipped}` : ''}${s.cold.failed.length > 0 ? `; failed: ${s.cold.failed.length}` : ''}

## Method

Each run uses a fresh index folder and these steps, each in a **fresh child process** (\`node out/scripts/perf/child.js\`),
so a process's peak RSS (\`process.resourceUsage().maxRSS\`) is that step's own:

1. **Baselines** (one child): the crawl alone (\`crawl()\` of src/core/crawl/index.ts: walk, ignore rules, stat), then the crawl
   again reading every file (8 reads at a time, as the indexer does). No chunking, no embedding.
2. **Cold index**: \`Workspace.open\` then \`ws.index()\` into the empty folder. The time is \`ws.index()\` measured with
   \`performance.now()\`; files/s and chunks/s divide the indexed files and chunks by it. The whole child's wall time
   (Node start, model load, index, close) is given too.
3. **No-change re-index**: the same in a new child on the now complete index — \`ws.index()\` in-process (what the
   extension, which keeps the workspace open, waits for) — then the wall time of the whole command a user types,
   \`node bin/codeintent.js index PATH --db DIR --model ${o.model} --no-progress\` (Node start, module loading, model load,
   store open, index, exit). Two more baselines split that command's time: \`node -e ''\` (starting Node) and a Node that
   only imports the CLI's modules (out/src/cli/main.js) and exits.
4. **One-file change**: a 9-line function is appended to \`${c.editFile}\`, a new child runs \`ws.index()\` (expected:
   1 file re-indexed), and the file is restored byte for byte with its mtime.
5. **Query latency**: a new child opens the workspace, times one first query (hybrid), warms up with ${o.warmup} queries in
   each mode, then times ${o.queries} realistic developer intents (scripts/perf/queries.ts: "parse command line arguments",
   "retry with exponential backoff", "register a command in the command palette", …) in each mode — hybrid, vector,
   lexical — the order of the modes rotating from query to query, top ${o.top}, \`performance.now()\` around each
   \`ws.search()\`. p50 and p95 are taken per run; the table gives their median over the runs.

Before the first run an untimed warm-up reads the corpus and indexes a 30-file copy, so that the corpus, the LanceDB
binary, the grammars and the model are in the OS cache for every measured run alike.

Where \`ws.index()\` spends its time is measured by wrapping the workspace's store and embedder methods from the
outside (scripts/perf/child.ts; nothing in src/ is changed for it). Steps are in milliseconds, medians over the runs;
\`prepare\` is what is left of \`ws.index()\` after the others.

## Figures

${mainTable(report)}

### Where \`ws.index()\` spends its time (ms)

${stepsTable(report.steps)}
${growthTable(report.growth)}
### Hybrid query parts (ms, median query; they run concurrently)

| Part | Median | Min run | Max run |
| --- | ---: | ---: | ---: |
| Embed the query (\`ws.embedder.embed\`, with its cache) | ${fmt(hp['embedMs']?.median ?? NaN, 2)} | ${fmt(hp['embedMs']?.min ?? NaN, 2)} | ${fmt(hp['embedMs']?.max ?? NaN, 2)} |
| of which: embedding-cache lookup | ${fmt(hp['cacheGetMs']?.median ?? NaN, 2)} | ${fmt(hp['cacheGetMs']?.min ?? NaN, 2)} | ${fmt(hp['cacheGetMs']?.max ?? NaN, 2)} |
| of which: embedding-cache write | ${fmt(hp['cacheSetMs']?.median ?? NaN, 2)} | ${fmt(hp['cacheSetMs']?.min ?? NaN, 2)} | ${fmt(hp['cacheSetMs']?.max ?? NaN, 2)} |
| Vector search (LanceDB, flat, cosine) | ${fmt(hp['vectorSearchMs']?.median ?? NaN, 1)} | ${fmt(hp['vectorSearchMs']?.min ?? NaN, 1)} | ${fmt(hp['vectorSearchMs']?.max ?? NaN, 1)} |
| Full-text search (LanceDB FTS) | ${fmt(hp['textSearchMs']?.median ?? NaN, 1)} | ${fmt(hp['textSearchMs']?.min ?? NaN, 1)} | ${fmt(hp['textSearchMs']?.max ?? NaN, 1)} |
${whatIfText(report)}${report.profiles.length > 0 ? `\n### CPU profiles (an extra, unmeasured run under \`node --cpu-prof\`)\n\nMain-thread self time. LanceDB's work runs on its own Rust threads and shows here as *(idle)* while the main thread awaits it.\n\n${profileText(report.profiles)}` : ''}
## Analysis

${ANALYSIS_START}
${analysis || '_(No analysis written yet.)_'}
${ANALYSIS_END}
`;
}

function printTable(report: Report): void {
  const out: string[] = [];
  const width = Math.max(...ROWS.map((r) => r.what.length));
  out.push(`${'Measure'.padEnd(width)}  ${'median'.padStart(10)} ${'min'.padStart(10)} ${'max'.padStart(10)}  unit`);
  for (const row of ROWS) {
    const s = figure(report, row.name);
    out.push(`${row.what.padEnd(width)}  ${fmt(s.median, row.digits).padStart(10)} ${fmt(s.min, row.digits).padStart(10)} ${fmt(s.max, row.digits).padStart(10)}  ${row.unit}`);
  }
  out.push('', 'Steps of ws.index() (ms, median):');
  for (const name of STEP_ORDER) {
    const c = report.steps.cold[name]?.median;
    const n = report.steps.noChange[name]?.median;
    const o = report.steps.oneFile[name]?.median;
    if (c === undefined && n === undefined && o === undefined) continue;
    out.push(`  ${name.padEnd(10)} cold ${fmt(c ?? NaN, 0).padStart(8)}   no-change ${fmt(n ?? NaN, 0).padStart(7)}   one-file ${fmt(o ?? NaN, 0).padStart(7)}`);
  }
  for (const [name, e] of Object.entries(report.growth)) {
    out.push(`  per call, ${name}: ${fmt(e.calls, 0)} calls, first tenth ${fmt(e.firstMs, 1)} ms, last tenth ${fmt(e.lastMs, 1)} ms`);
  }
  out.push('', 'Hybrid query parts (ms, median query):');
  for (const [name, e] of Object.entries(report.hybridParts)) out.push(`  ${name.padEnd(16)} ${fmt(e.median, 2)}`);
  out.push('', 'Goals:');
  for (const g of report.goals) out.push(`  ${g.pass ? 'PASS' : 'FAIL'}  ${g.name}: ${fmt(g.value, 2)} ${g.unit} (target ${g.target})`);
  process.stdout.write(`${out.join('\n')}\n`);
}

// ---------------------------------------------------------------------------------------------

async function profileRuns(corpus: Corpus, options: Options, queries: string[]): Promise<Pick<Report, 'profiles' | 'whatIfNoCache'>> {
  const dir = path.join(CACHE, 'profiles');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const indexDir = path.join(CACHE, 'index', 'profile');
  await rm(indexDir, { recursive: true, force: true });
  const target = { root: corpus.root, indexDir, model: options.model };
  log('profiling: cold index');
  await runChild<IndexResult>({ kind: 'index', ...target }, dir, 'cold-index');
  log('profiling: no-change re-index');
  await runChild<IndexResult>({ kind: 'index', ...target }, dir, 'no-change-index');
  log('profiling: the codeintent index command, no change');
  await spawnTimed(
    ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', 'no-change-cli.cpuprofile', CLI, 'index', corpus.root, '--db', indexDir, '--model', options.model, '--no-progress'],
    'codeintent index (profiled)',
  );
  log('profiling: queries');
  await runChild<QueryResult>({ kind: 'query', ...target, queries, warmup: options.warmup, modes: ['hybrid'], top: TOP }, dir, 'hybrid-queries');
  await rm(indexDir, { recursive: true, force: true });
  log('what-if: cold index without the embedding cache');
  const noCache = (await runChild<IndexResult>({ kind: 'index-no-cache', ...target })).result;
  await rm(indexDir, { recursive: true, force: true });
  const profiles: ProfileSummary[] = [];
  for (const name of ['cold-index', 'no-change-index', 'no-change-cli', 'hybrid-queries']) profiles.push(await summarizeProfile(path.join(dir, `${name}.cpuprofile`)));
  const steps: Record<string, number> = {};
  for (const [name, step] of Object.entries(noCache.steps)) steps[name] = step.ms;
  return { profiles, whatIfNoCache: { seconds: noCache.indexMs / 1000, steps, chunks: noCache.summary.chunks } };
}

async function main(): Promise<void> {
  let options: Options | undefined;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bench-perf: ${messageOf(error)}\n\n${helpText}`);
    process.exitCode = 2;
    return;
  }
  if (!options) return;
  checkBuilt();
  if (options.model === 'default' && !existsSync(path.join(DEFAULT_MODEL_DIR, 'model.json'))) {
    throw new Error(`${path.relative(PACKAGE_ROOT, DEFAULT_MODEL_DIR)}/model.json is missing: train the default model first, or pass --model use-lite or a model folder`);
  }
  const model = options.model === 'default' || options.model === 'use-lite' || options.model.includes(':') ? options.model : path.resolve(options.model);
  options = { ...options, model };

  await mkdir(CACHE, { recursive: true });
  await restorePendingEdit();
  const corpus = await ensureCorpus(corpusSpec(options.corpus), CACHE, log);
  log(`corpus ${corpus.manifest.name}: ${corpus.manifest.files} files, ${(corpus.manifest.bytes / MiB).toFixed(1)} MiB at ${corpus.root}`);
  const queries = Array.from({ length: options.queries }, (_, i) => PERF_QUERIES[i % PERF_QUERIES.length] ?? '');

  await warmUp(corpus, options.model);
  const runs: RunFigures[] = [];
  for (let run = 1; run <= options.runs; run++) runs.push(await oneRun(run, corpus, options, queries));
  await rm(path.join(CACHE, 'index'), { recursive: true, force: true });

  const aggregated = aggregate(runs);
  const goalList = goals(aggregated);
  const missed = goalList.some((g) => !g.pass);
  const profiled = options.profile === 'always' || (options.profile === 'on-miss' && missed) ? await profileRuns(corpus, options, queries) : { profiles: [] };
  const last = runs[runs.length - 1];
  if (!last) throw new Error('no run');
  const report: Report = {
    generatedAt: new Date().toISOString(),
    machine: machine(),
    corpus: corpus.manifest,
    options: { model: options.model, runs: options.runs, queries: options.queries, warmup: options.warmup, top: TOP },
    ...aggregated,
    summaries: { cold: last.cold.result.summary, noChange: last.noChange.result.summary, oneFile: last.oneFile.result.summary },
    goals: goalList,
    ...profiled,
    runs,
  };
  printTable(report);

  const slug = `${options.corpus}-${path.basename(options.model).replace(/[^A-Za-z0-9._-]/g, '_')}`;
  const json = path.join(RESULTS, options.standard ? 'perf.json' : `perf-${slug}.json`);
  await mkdir(RESULTS, { recursive: true });
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${path.relative(PACKAGE_ROOT, json)}`);
  if (options.doc) {
    await mkdir(path.dirname(options.doc), { recursive: true });
    await writeFile(options.doc, markdown(report, await keptAnalysis(options.doc)));
    log(`wrote ${path.relative(PACKAGE_ROOT, options.doc)}`);
  }
}

await main();

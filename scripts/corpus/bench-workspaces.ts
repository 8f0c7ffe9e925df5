// Stage 3: benchmark workspaces from held-out packages.
// For the test and validation splits (and, only on request, the train split, whose workspaces give
// a second-stage ranker its training candidates): choose packages (balanced across languages, within caps),
// write each as .cache/corpus/bench/<split>/<workspace>/… with the documentation of every
// documented definition removed (src/training/doc-removal.ts; line numbers unchanged; generated and minified
// files left out, as in the pairs), chunk every written file again, and keep only the queries whose
// answer is found there: a single chunk starting on the recorded line, same symbol, no
// documentation; its range is the one recorded in queries.jsonl (the end line of a collapsed
// container can move when a docstring becomes blank lines). Writes bench/<split>/queries.jsonl and
// bench/<split>/manifest.json.
// Per-package results are cached in bench/.state/<split>/<workspace>.json.

import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type BenchQuery,
  type CorpusLanguage,
  type CorpusPaths,
  type Deadline,
  type SourceFileLimits,
  type Split,
  formatBytes,
  readKeyedRecord,
  listSourceFiles,
  packageDirName,
  packageSlug,
  sha1,
  increment,
  sortByHash,
  writeJsonAtomic,
  writeJsonLines,
} from './common.js';
import { type Candidate, normaliseQuery } from './extract.js';
import { type PackagePairs, codeFingerprint } from './pairs.js';
import type { WorkerPool } from './pool.js';
import type { WorkspaceReply, WorkspaceTask } from './worker.js';
import { UsageError } from '../script-args.js';

/** The splits a benchmark can be built for, in the order they are built; train only on request. */
export const BENCH_SPLITS: readonly Split[] = ['test', 'valid', 'train'];
/** What `--bench-splits` defaults to: the held-out splits. */
export const DEFAULT_BENCH_SPLITS: readonly Split[] = ['test', 'valid'];

/**
 * The value of `--bench-splits` (comma-separated; undefined: the default), as the splits to
 * build in BENCH_SPLITS order, each once. An unknown split or an empty list is a UsageError.
 */
export function parseBenchSplits(raw: string | undefined): Split[] {
  if (raw === undefined) return [...DEFAULT_BENCH_SPLITS];
  const asked = new Set<string>();
  for (const s of raw.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
    if (!(BENCH_SPLITS as readonly string[]).includes(s)) throw new UsageError(`--bench-splits: unknown split ${s} (known: ${BENCH_SPLITS.join(', ')})`);
    asked.add(s);
  }
  if (asked.size === 0) throw new UsageError(`--bench-splits expects at least one of ${BENCH_SPLITS.join(', ')}`);
  return BENCH_SPLITS.filter((s) => asked.has(s));
}

/** How much of a split's packages its benchmark takes. */
export interface BenchCaps {
  /** Packages are added for a language until its queries reach this (where packages allow). */
  targetPerLanguage: number;
  /** Caps for the whole split. */
  maxFiles: number;
  maxQueries: number;
}

export interface BenchOptions {
  paths: CorpusPaths;
  packages: readonly PackagePairs[];
  pool: WorkerPool;
  limits: SourceFileLimits;
  deadline: Deadline;
  /** The splits to build, each with its caps, built in this order. */
  splits: ReadonlyArray<{ split: Split; caps: BenchCaps }>;
  /** Files per workspace (the first ones in path order) and queries per workspace (hash-sampled). */
  maxFilesPerWorkspace: number;
  maxQueriesPerWorkspace: number;
  log: (message: string) => void;
}

export interface BenchSplitSummary {
  split: Split;
  workspaces: number;
  files: number;
  bytes: number;
  queries: number;
  queriesPerLanguage: Record<string, number>;
  workspacesPerLanguage: Record<string, number>;
  removedDocs: number;
  docsNotFound: number;
  residualDocs: number;
  failedQueries: number;
}

/** Bump when the workspace output changes in a way the state key cannot see. */
const BENCH_VERSION = 2;

export async function buildBench(options: BenchOptions): Promise<BenchSplitSummary[]> {
  const summaries: BenchSplitSummary[] = [];
  for (const { split, caps } of options.splits) summaries.push(await buildSplit(split, caps, options));
  return summaries;
}

interface Plan {
  pkg: PackagePairs;
  workspace: string;
  queries: Candidate[];
  files: number;
}

async function buildSplit(split: Split, caps: BenchCaps, options: BenchOptions): Promise<BenchSplitSummary> {
  const { paths, log } = options;
  const splitDir = join(paths.bench, split);
  const stateDir = join(paths.bench, '.state', split);
  await mkdir(splitDir, { recursive: true });
  await mkdir(stateDir, { recursive: true });
  const workspaceLimits: SourceFileLimits = { ...options.limits, maxFiles: Math.min(options.limits.maxFiles, options.maxFilesPerWorkspace) };
  const plans = await choosePackages(split, caps, workspaceLimits, options);
  const fingerprint = codeFingerprint(['../../src/training/doc-removal.js', '../../src/core/tune/doc-spans.js', 'worker.js', 'common.js', 'extract.js', '../../src/core/crawl/classify.js']);

  const replies = new Map<string, WorkspaceReply>();
  await Promise.all(
    plans.map(async (plan) => {
      const outDir = join(splitDir, plan.workspace);
      const task: WorkspaceTask = {
        kind: 'workspace',
        entry: plan.pkg.entry,
        workspace: plan.workspace,
        filesDir: join(plan.pkg.dir, 'files'),
        limits: workspaceLimits,
        outDir,
        queries: plan.queries.map((c) => ({ id: c.id, query: c.query, path: c.path, startLine: c.startLine, endLine: c.endLine, symbol: c.symbol, language: c.language, bareSymbol: c.name })),
      };
      const key = sha1(JSON.stringify([BENCH_VERSION, packageDirName(plan.pkg.entry), task.limits, task.queries, fingerprint]));
      const statePath = join(stateDir, `${plan.workspace}.json`);
      const cached = readKeyedRecord<'reply', WorkspaceReply>(statePath, 'reply');
      if (cached !== undefined && cached.key === key && existsSync(outDir)) {
        replies.set(plan.workspace, cached.reply);
        return;
      }
      if (options.deadline.expired) return;
      try {
        const reply = await options.pool.run(task);
        await writeJsonAtomic(statePath, { key, reply });
        replies.set(plan.workspace, reply);
      } catch (error) {
        log(`bench: ${split}/${plan.workspace} failed: ${error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)}`);
      }
    }),
  );

  // Workspaces of packages no longer chosen are removed, so the split folder is exactly the benchmark.
  const chosen = new Set(plans.map((p) => p.workspace));
  for (const name of await readdir(splitDir)) {
    if (name.endsWith('.jsonl') || name.endsWith('.json')) continue;
    if (!chosen.has(name) || !replies.has(name)) await rm(join(splitDir, name), { recursive: true, force: true });
  }

  const queries: BenchQuery[] = [];
  const summary: BenchSplitSummary = {
    split,
    workspaces: 0,
    files: 0,
    bytes: 0,
    queries: 0,
    queriesPerLanguage: {},
    workspacesPerLanguage: {},
    removedDocs: 0,
    docsNotFound: 0,
    residualDocs: 0,
    failedQueries: 0,
  };
  const manifest: unknown[] = [];
  for (const plan of plans) {
    const reply = replies.get(plan.workspace);
    if (reply === undefined) continue;
    summary.workspaces++;
    summary.files += reply.files;
    summary.bytes += reply.bytes;
    summary.removedDocs += reply.removed;
    summary.docsNotFound += reply.notFound;
    summary.residualDocs += reply.residualDocs;
    summary.failedQueries += reply.failed;
    summary.workspacesPerLanguage[plan.pkg.entry.language] = (summary.workspacesPerLanguage[plan.pkg.entry.language] ?? 0) + 1;
    for (const q of reply.verified) {
      queries.push({ query: q.query, workspace: q.workspace, path: q.path, startLine: q.startLine, endLine: q.endLine, symbol: q.symbol, language: q.language });
      summary.queriesPerLanguage[q.language] = (summary.queriesPerLanguage[q.language] ?? 0) + 1;
    }
    manifest.push({
      workspace: plan.workspace,
      registry: plan.pkg.entry.registry,
      name: plan.pkg.entry.name,
      version: plan.pkg.entry.version,
      language: plan.pkg.entry.language,
      files: reply.files,
      queries: reply.verified.length,
      failedQueries: reply.failed,
    });
  }
  summary.queries = queries.length;
  await writeJsonLines(join(splitDir, 'queries.jsonl'), queries);
  await writeJsonAtomic(join(splitDir, 'manifest.json'), { generatedAt: new Date().toISOString(), summary, workspaces: manifest });
  log(
    `bench ${split}: ${summary.workspaces} workspaces, ${summary.files} files (${formatBytes(summary.bytes)}), ${summary.queries} queries ` +
      `(${Object.entries(summary.queriesPerLanguage).map(([l, n]) => `${l} ${n}`).join(', ')}); ${summary.failedQueries} dropped by verification`,
  );
  return summary;
}

/**
 * Deterministic choice of the split's packages: per language, packages in a hash order; the
 * language with the fewest queries so far takes its next package, until every language reaches
 * the target or runs out, without passing the split's file and query caps.
 */
async function choosePackages(split: Split, caps: BenchCaps, limits: SourceFileLimits, options: BenchOptions): Promise<Plan[]> {
  const byLanguage = new Map<CorpusLanguage, Plan[]>();
  for (const pkg of options.packages) {
    if (pkg.split !== split) continue;
    const plan = await planFor(pkg, limits, options);
    if (plan === undefined) continue;
    const list = byLanguage.get(pkg.entry.language) ?? [];
    list.push(plan);
    byLanguage.set(pkg.entry.language, list);
  }
  for (const [language, list] of byLanguage) byLanguage.set(language, sortByHash(list, (plan) => `codeintent-bench:${plan.pkg.entry.name}`));
  const totals = new Map<CorpusLanguage, number>([...byLanguage.keys()].map((l) => [l, 0]));
  const chosen: Plan[] = [];
  let files = 0;
  let queries = 0;
  for (;;) {
    let best: CorpusLanguage | undefined;
    for (const [language, list] of byLanguage) {
      const have = totals.get(language) ?? 0;
      if (list.length === 0 || have >= caps.targetPerLanguage) continue;
      if (best === undefined || have < (totals.get(best) ?? 0)) best = language;
    }
    if (best === undefined) break;
    const list = byLanguage.get(best) ?? [];
    const plan = list.shift();
    if (plan === undefined) continue;
    if (files + plan.files > caps.maxFiles || queries + plan.queries.length > caps.maxQueries) continue;
    chosen.push(plan);
    files += plan.files;
    queries += plan.queries.length;
    totals.set(best, (totals.get(best) ?? 0) + plan.queries.length);
  }
  return chosen;
}

/**
 * The package's workspace files (its first source files in path order) and benchmark queries:
 * answers in those files, in one piece, with a query no other definition of the package shares.
 */
async function planFor(pkg: PackagePairs, limits: SourceFileLimits, options: BenchOptions): Promise<Plan | undefined> {
  const files = await listSourceFiles(join(pkg.dir, 'files'), pkg.entry, limits);
  if (files.length === 0) return undefined;
  const inWorkspace = new Set(files.map((f) => f.path));
  const counts = new Map<string, number>();
  for (const c of pkg.candidates) increment(counts, normaliseQuery(c.query));
  const eligible = sortByHash(
    pkg.candidates.filter((c) => c.pieces === 1 && counts.get(normaliseQuery(c.query)) === 1 && inWorkspace.has(c.path)),
    (c) => `codeintent-bench-query:${c.id}`,
  );
  if (eligible.length === 0) return undefined;
  const queries = eligible.slice(0, options.maxQueriesPerWorkspace);
  return { pkg, workspace: packageSlug(pkg.entry.name), queries, files: files.length };
}


// Builds the CodeIntent corpus from open-source packages nobody on the team wrote:
//   fetch  → .cache/corpus/pkgs/      the packages of scripts/corpus/catalog.json, source files only
//            .cache/corpus/packages.jsonl  provenance (registry, version, licence) and split of each
//            .cache/corpus/fetch-failures.jsonl  what could not be fetched, and why
//   pairs  → .cache/corpus/pairs/     {train,valid,test}.jsonl (query, code) pairs + stats.json
//   bench  → .cache/corpus/bench/     <split>/<workspace>/… documentation-free workspaces of held-out
//                                     packages + <split>/queries.jsonl + <split>/manifest.json
//                                     (test and valid; train too with --bench-splits, for the
//                                     second-stage ranker's training candidates)
//
// Usage (after `npx tsc -p tsconfig.json`):
//   node out/scripts/corpus/build.js [options]
//
//   --max-packages N        at most N packages per language (catalog order; default: all)
//   --max-minutes M         no package is downloaded or extracted after M minutes (default 20);
//                           the benchmark is then built from what is there, within its caps
//   --languages a,b         only these languages: typescript javascript python go rust ruby php
//                           java csharp c cpp (default: all)
//   --stages s,t            fetch,pairs,bench (default: all three; later stages read what earlier
//                           runs left in the cache)
//   --workers N             chunking threads (default: available CPUs, at most 8)
//   --concurrency N         parallel downloads (default 6)
//   --max-archive-mb N      skip packages whose download is larger (default 40)
//   --max-total-mb N        stop downloading once the fetched sources reach this (default 4000)
//   --max-files-per-package N, --max-package-mb N, --max-file-kb N
//                           what is read of one package (defaults 400 files, 6 MB, 400 KB per file)
//   --bench-target N        queries per language the benchmark aims at (default 250)
//   --bench-max-files N     source files per benchmark split (default 3000)
//   --bench-max-queries N   queries per benchmark split (default 5000)
//   --bench-workspace-files N, --bench-workspace-queries N
//                           per workspace (defaults 250 files, 120 queries)
//   --bench-splits s,t      which splits get benchmark workspaces: test,valid,train (default test,valid;
//                           train only on request, for the second-stage ranker's training data; the
//                           other splits' output is the same whether or not train is built)
//   --bench-train-target N, --bench-train-files N, --bench-train-queries N
//                           the train split's caps, as the three above (defaults 500, 3000, 5000)
//   --keep-archives         keep downloaded archives (default: deleted once extracted)
//   --cache-dir DIR         default .cache/corpus under the repository
//
// Re-runnable and resumable: a fetched package (pkgs/*/provenance.json), a package's extracted
// pairs (pairs/by-pkg/, keyed by the chunker's and the filters' code) and a benchmark workspace
// (bench/.state/, keyed the same way) are each reused when nothing they depend on changed.
// Needs: npm (registry access), apt-get, dpkg-deb, tar; Debian source packages use a private
// deb-src list under the cache folder (nothing outside it is changed except apt's own caches).
// Exit codes: 0 done, 1 failed, 2 bad usage.

import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { type BenchCaps, buildBench, type BenchSplitSummary, parseBenchSplits } from './bench-workspaces.js';
import {
  type CatalogEntry,
  type CorpusLanguage,
  CORPUS_LANGUAGES,
  type Split,
  Deadline,
  DEFAULT_FILE_LIMITS,
  corpusPaths,
  formatBytes,
  isCorpusLanguage,
  loadCatalog,
  packageDirName,
  readProvenance,
  splitOf,
  writeJsonLines,
} from './common.js';
import { type FetchedPackage, fetchPackages, packagesPerLanguage } from './fetch.js';
import { buildPairs, type PairsStats } from './pairs.js';
import { WorkerPool } from './pool.js';
import { parseFlags, UsageError } from '../script-args.js';
import { folderBytes } from '../../src/core/files.js';

const helpText = `Usage: node out/scripts/corpus/build.js [--max-packages N] [--max-minutes M] [--languages a,b]
  [--stages fetch,pairs,bench] [--workers N] [--concurrency N] [--max-archive-mb N] [--max-total-mb N]
  [--max-files-per-package N] [--max-package-mb N] [--max-file-kb N] [--bench-target N]
  [--bench-max-files N] [--bench-max-queries N] [--bench-workspace-files N] [--bench-workspace-queries N]
  [--bench-splits test,valid,train] [--bench-train-target N] [--bench-train-files N] [--bench-train-queries N]
  [--keep-archives] [--cache-dir DIR]
See the top of scripts/corpus/build.ts.`;


const STAGES = ['fetch', 'pairs', 'bench'] as const;
type Stage = (typeof STAGES)[number];

interface BuildOptions {
  maxPackages: number;
  maxMinutes: number;
  languages: Set<CorpusLanguage> | undefined;
  stages: Set<Stage>;
  workers: number;
  concurrency: number;
  maxArchiveBytes: number;
  maxTotalBytes: number;
  maxFilesPerPackage: number;
  maxPackageBytes: number;
  maxFileBytes: number;
  benchWorkspaceFiles: number;
  benchWorkspaceQueries: number;
  /** The splits that get benchmark workspaces, each with its caps (test and valid by default). */
  benchSplits: Array<{ split: Split; caps: BenchCaps }>;
  keepArchives: boolean;
  cacheDir: string | undefined;
}

function parseOptions(argv: string[]): BuildOptions | 'help' {
  const numeric = [
    'max-packages', 'max-minutes', 'workers', 'concurrency', 'max-archive-mb', 'max-total-mb', 'max-files-per-package', 'max-package-mb',
    'max-file-kb', 'bench-target', 'bench-max-files', 'bench-max-queries', 'bench-workspace-files', 'bench-workspace-queries',
    'bench-train-target', 'bench-train-files', 'bench-train-queries',
  ] as const;
  const values = parseFlags(
    {
      ...Object.fromEntries(numeric.map((n) => [n, { type: 'string' as const }])),
      languages: { type: 'string' },
      stages: { type: 'string' },
      'bench-splits': { type: 'string' },
      'keep-archives': { type: 'boolean' },
      'cache-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    argv,
  );
  const v: Record<string, string | boolean | undefined> = values;
  if (v['help'] === true) return 'help';
  const num = (name: (typeof numeric)[number], fallback: number): number => {
    const raw = v[name];
    if (raw === undefined) return fallback;
    if (typeof raw !== 'string' || !/^\d+(?:\.\d+)?$/.test(raw) || Number(raw) <= 0) throw new UsageError(`--${name} expects a positive number, got ${String(raw)}`);
    return Number(raw);
  };
  const list = (name: 'languages' | 'stages'): string[] | undefined => {
    const raw = v[name];
    return typeof raw === 'string' ? raw.split(',').map((s) => s.trim()).filter((s) => s !== '') : undefined;
  };
  const languageList = list('languages');
  let languages: Set<CorpusLanguage> | undefined;
  if (languageList !== undefined) {
    languages = new Set();
    for (const l of languageList) {
      if (!isCorpusLanguage(l)) throw new UsageError(`--languages: unknown language ${l} (known: ${CORPUS_LANGUAGES.join(', ')})`);
      languages.add(l);
    }
  }
  const stageList = list('stages') ?? [...STAGES];
  const stages = new Set<Stage>();
  for (const s of stageList) {
    if (!(STAGES as readonly string[]).includes(s)) throw new UsageError(`--stages: unknown stage ${s} (known: ${STAGES.join(', ')})`);
    stages.add(s as Stage);
  }
  const benchSplitsRaw = v['bench-splits'];
  const heldOutCaps: BenchCaps = {
    targetPerLanguage: Math.floor(num('bench-target', 250)),
    maxFiles: Math.floor(num('bench-max-files', 3000)),
    maxQueries: Math.floor(num('bench-max-queries', 5000)),
  };
  const trainCaps: BenchCaps = {
    targetPerLanguage: Math.floor(num('bench-train-target', 500)),
    maxFiles: Math.floor(num('bench-train-files', 3000)),
    maxQueries: Math.floor(num('bench-train-queries', 5000)),
  };
  const benchSplits = parseBenchSplits(typeof benchSplitsRaw === 'string' ? benchSplitsRaw : undefined).map((split) => ({
    split,
    caps: split === 'train' ? trainCaps : heldOutCaps,
  }));
  const cacheDir = v['cache-dir'];
  return {
    maxPackages: num('max-packages', Number.POSITIVE_INFINITY),
    maxMinutes: num('max-minutes', 20),
    languages,
    stages,
    workers: Math.floor(num('workers', Math.min(8, Math.max(1, availableParallelism())))),
    concurrency: Math.floor(num('concurrency', 6)),
    maxArchiveBytes: num('max-archive-mb', 40) * 1_000_000,
    maxTotalBytes: num('max-total-mb', 4000) * 1_000_000,
    maxFilesPerPackage: Math.floor(num('max-files-per-package', DEFAULT_FILE_LIMITS.maxFiles)),
    maxPackageBytes: num('max-package-mb', DEFAULT_FILE_LIMITS.maxBytes / 1_000_000) * 1_000_000,
    maxFileBytes: num('max-file-kb', DEFAULT_FILE_LIMITS.maxFileBytes / 1000) * 1000,
    benchWorkspaceFiles: Math.floor(num('bench-workspace-files', 250)),
    benchWorkspaceQueries: Math.floor(num('bench-workspace-queries', 120)),
    benchSplits,
    keepArchives: v['keep-archives'] === true,
    cacheDir: typeof cacheDir === 'string' ? resolve(cacheDir) : undefined,
  };
}

/** The catalog entries to build from: the chosen languages, at most N per language, catalog order. */
function selectEntries(entries: readonly CatalogEntry[], options: BuildOptions): CatalogEntry[] {
  const perLanguage = new Map<CorpusLanguage, number>();
  const out: CatalogEntry[] = [];
  for (const e of entries) {
    if (options.languages !== undefined && !options.languages.has(e.language)) continue;
    const n = perLanguage.get(e.language) ?? 0;
    if (n >= options.maxPackages) continue;
    perLanguage.set(e.language, n + 1);
    out.push(e);
  }
  return out;
}

async function main(): Promise<void> {
  const parsed = parseOptions(process.argv.slice(2));
  if (parsed === 'help') {
    process.stdout.write(`${helpText}\n`);
    return;
  }
  const options = parsed;
  const started = Date.now();
  const log = (message: string): void => {
    process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
  };
  const paths = corpusPaths(options.cacheDir);
  const catalog = loadCatalog();
  const entries = selectEntries(catalog.packages, options);
  const deadline = new Deadline(options.maxMinutes);
  const limits = { maxFiles: options.maxFilesPerPackage, maxBytes: options.maxPackageBytes, maxFileBytes: options.maxFileBytes };
  log(`corpus: ${entries.length} catalog packages selected; cache ${paths.root}`);

  let fetched: FetchedPackage[];
  let failedFetches = 0;
  if (options.stages.has('fetch')) {
    const summary = await fetchPackages({
      paths,
      entries,
      deadline,
      concurrency: options.concurrency,
      maxArchiveBytes: options.maxArchiveBytes,
      maxTotalBytes: options.maxTotalBytes,
      keepArchives: options.keepArchives,
      log,
    });
    fetched = summary.fetched;
    failedFetches = summary.failed.length;
    // One line per package: provenance (registry, version, licence) and split, for anyone reusing the data.
    await writeJsonLines(join(paths.root, 'packages.jsonl'), fetched.map((f) => ({ ...f.provenance, split: splitOf(f.entry) })));
    await writeJsonLines(
      join(paths.root, 'fetch-failures.jsonl'),
      summary.failed.map((f) => ({ registry: f.entry.registry, name: f.entry.name, version: f.entry.version, language: f.entry.language, reason: f.reason.split('\n')[0] ?? '' })),
    );
    log(`fetch: ${fetched.length} packages (${summary.downloaded} downloaded, ${summary.cached} cached, ${summary.failed.length} failed, ${summary.skipped} skipped for time or size)`);
  } else {
    fetched = [];
    for (const entry of entries) {
      const dir = join(paths.packages, packageDirName(entry));
      const provenance = readProvenance(dir);
      if (provenance !== undefined) fetched.push({ entry, dir, provenance });
    }
  }

  let pairsStats: PairsStats | undefined;
  let bench: BenchSplitSummary[] = [];
  if (options.stages.has('pairs') || options.stages.has('bench')) {
    const pool = new WorkerPool(options.workers);
    try {
      // Pairs are needed by the benchmark; with their cache warm this costs seconds.
      const pairs = await buildPairs({ paths, fetched, pool, limits, deadline, languages: options.languages, log });
      pairsStats = pairs.stats;
      if (options.stages.has('bench')) {
        bench = await buildBench({
          paths,
          packages: pairs.packages,
          pool,
          limits,
          deadline: new Deadline(Number.POSITIVE_INFINITY),
          splits: options.benchSplits,
          maxFilesPerWorkspace: options.benchWorkspaceFiles,
          maxQueriesPerWorkspace: options.benchWorkspaceQueries,
          log,
        });
      }
    } finally {
      await pool.close();
    }
  }

  printSummary(fetched, failedFetches, pairsStats, bench, await folderBytes(paths.root), Date.now() - started);
}

function printSummary(fetched: readonly FetchedPackage[], failedFetches: number, pairs: PairsStats | undefined, bench: readonly BenchSplitSummary[], diskBytes: number, ms: number): void {
  const out: string[] = [];
  const byLanguage = packagesPerLanguage(fetched);
  out.push(`\nCorpus summary (${(ms / 60_000).toFixed(1)} min, cache ${formatBytes(diskBytes)})`);
  out.push(`packages: ${fetched.length}${failedFetches > 0 ? ` (+${failedFetches} failed)` : ''} — ${[...byLanguage].map(([l, n]) => `${l} ${n}`).join(', ')}`);
  if (pairs !== undefined) {
    out.push(`pairs: train ${pairs.totals.train}, valid ${pairs.totals.valid}, test ${pairs.totals.test}`);
    out.push(`  ${'language'.padEnd(12)} ${'pkgs t/v/t'.padEnd(14)} ${'train'.padStart(7)} ${'valid'.padStart(7)} ${'test'.padStart(7)}`);
    const languages = new Set([...Object.keys(pairs.pairs), ...Object.keys(pairs.packages)]);
    for (const l of [...languages].sort()) {
      const p = pairs.pairs[l] ?? { train: 0, valid: 0, test: 0 };
      const k = pairs.packages[l];
      const pk = k === undefined ? '' : `${k.train}/${k.valid}/${k.test}`;
      out.push(`  ${l.padEnd(12)} ${pk.padEnd(14)} ${String(p.train).padStart(7)} ${String(p.valid).padStart(7)} ${String(p.test).padStart(7)}`);
    }
    const e = pairs.extraction;
    out.push(`  extraction: ${e.files} files, ${e.definitions} definitions, ${e.documented} documented, ${e.kept} kept; rejected ${JSON.stringify(e.rejected)}; ${pairs.droppedAsCorpusDuplicates} corpus-wide duplicates`);
  }
  for (const b of bench) {
    out.push(`bench ${b.split}: ${b.workspaces} workspaces, ${b.files} files (${formatBytes(b.bytes)}), ${b.queries} queries`);
    out.push(`  queries per language: ${Object.entries(b.queriesPerLanguage).map(([l, n]) => `${l} ${n}`).join(', ')}`);
    out.push(`  docs removed ${b.removedDocs}, not located ${b.docsNotFound}, still documented after removal ${b.residualDocs}; queries dropped by verification ${b.failedQueries}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message}\n${helpText}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});

// Stage 2: (query, code) pairs from the fetched packages.
// Each package is chunked once in a worker thread (extract.ts) and its candidates are cached in
// pairs/by-pkg/<package>.jsonl, keyed by the code that made them (chunker, filters, limits), so a
// re-run only redoes packages that are new or whose inputs changed. Then, corpus-wide:
// - every package goes to the split its name hashes to (common.ts splitOf: ~80/10/10);
// - duplicates by normalised code are dropped, test packages first, then valid, then train, so
//   code seen in a held-out package never also appears in training;
// - pairs/{train,valid,test}.jsonl and pairs/stats.json are written.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LanguageId } from '../../src/core/types.js';
import {
  type CatalogEntry,
  type CorpusLanguage,
  type CorpusPaths,
  type Deadline,
  type Pair,
  type SourceFileLimits,
  type Split,
  SPLITS,
  entryKey,
  formatBytes,
  readKeyedRecord,
  packageDirName,
  readJsonLines,
  splitOf,
  writeJsonAtomic,
  writeJsonLines,
} from './common.js';
import { type Candidate, type ExtractStats, emptyStats } from './extract.js';
import type { FetchedPackage } from './fetch.js';
import type { WorkerPool } from './pool.js';
import { sha256Hex } from '../../src/core/util/hash.js';

export interface PairsOptions {
  paths: CorpusPaths;
  fetched: readonly FetchedPackage[];
  pool: WorkerPool;
  limits: SourceFileLimits;
  deadline: Deadline;
  /** Only pairs of these languages (tsx counts as typescript); all when undefined. */
  languages: ReadonlySet<CorpusLanguage> | undefined;
  log: (message: string) => void;
}

export interface PackagePairs {
  entry: CatalogEntry;
  dir: string;
  split: Split;
  /** After the corpus-wide deduplication. */
  candidates: Candidate[];
  stats: ExtractStats;
}

export interface PairsStats {
  packages: Record<string, Record<Split, number>>;
  pairs: Record<string, Record<Split, number>>;
  totals: Record<Split, number>;
  extraction: ExtractStats;
  droppedAsCorpusDuplicates: number;
  /** Packages not extracted (deadline) or whose extraction failed. */
  missing: string[];
}

/** Bump when extraction output changes in a way the fingerprint below cannot see. */
const EXTRACT_VERSION = 1;

export function corpusLanguageOf(language: LanguageId): CorpusLanguage | undefined {
  if (language === 'tsx') return 'typescript';
  if (language === 'text') return undefined;
  return language;
}

export async function buildPairs(options: PairsOptions): Promise<{ packages: PackagePairs[]; stats: PairsStats }> {
  const { paths, log } = options;
  const cacheDir = join(paths.pairs, 'by-pkg');
  const fingerprint = codeFingerprint(['extract.js', '../../src/core/tune/doc-query.js', 'common.js', '../../src/training/doc-removal.js', '../../src/core/tune/doc-spans.js', '../../src/core/crawl/classify.js']);
  const results = new Map<string, { candidates: Candidate[]; stats: ExtractStats }>();
  const missing: string[] = [];
  let extracted = 0;
  let reused = 0;
  const started = Date.now();
  const jobs = options.fetched.map(async (f) => {
    const name = packageDirName(f.entry);
    const outFile = join(cacheDir, `${name}.jsonl`);
    const metaFile = join(cacheDir, `${name}.meta.json`);
    const key = sha256Hex(JSON.stringify([EXTRACT_VERSION, fingerprint, options.limits, f.entry.include ?? null, f.entry.exclude ?? null, f.provenance.version]));
    const meta = readKeyedRecord<'stats', ExtractStats>(metaFile, 'stats');
    if (meta !== undefined && meta.key === key && existsSync(outFile)) {
      results.set(entryKey(f.entry), { candidates: await readJsonLines<Candidate>(outFile), stats: meta.stats });
      reused++;
      return;
    }
    if (options.deadline.expired) {
      missing.push(entryKey(f.entry));
      return;
    }
    try {
      const reply = await options.pool.run({ kind: 'extract', entry: f.entry, filesDir: join(f.dir, 'files'), limits: options.limits, outFile });
      await writeJsonAtomic(metaFile, { key, stats: reply.stats, count: reply.count });
      results.set(entryKey(f.entry), { candidates: await readJsonLines<Candidate>(outFile), stats: reply.stats });
      extracted++;
      if (extracted % 25 === 0) log(`pairs: extracted ${extracted} packages (${Math.round((Date.now() - started) / 1000)} s)`);
    } catch (error) {
      missing.push(entryKey(f.entry));
      log(`pairs: ${entryKey(f.entry)} failed: ${error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)}`);
    }
  });
  await Promise.all(jobs);
  log(`pairs: ${extracted} packages extracted, ${reused} from cache${missing.length > 0 ? `, ${missing.length} missing` : ''}`);

  // Corpus-wide: held-out splits claim code first.
  const packages: PackagePairs[] = [];
  for (const f of options.fetched) {
    const r = results.get(entryKey(f.entry));
    if (r === undefined) continue;
    const candidates = options.languages === undefined ? r.candidates : r.candidates.filter((c) => {
      const l = corpusLanguageOf(c.language);
      return l !== undefined && options.languages?.has(l) === true;
    });
    packages.push({ entry: f.entry, dir: f.dir, split: splitOf(f.entry), candidates, stats: r.stats });
  }
  const seen = new Set<string>();
  let dropped = 0;
  for (const split of ['test', 'valid', 'train'] as const) {
    for (const p of packages) {
      if (p.split !== split) continue;
      p.candidates = p.candidates.filter((c) => {
        if (seen.has(c.codeHash)) {
          dropped++;
          return false;
        }
        seen.add(c.codeHash);
        return true;
      });
    }
  }

  const stats: PairsStats = {
    packages: {},
    pairs: {},
    totals: { train: 0, valid: 0, test: 0 },
    extraction: emptyStats(),
    droppedAsCorpusDuplicates: dropped,
    missing,
  };
  const rows: Record<Split, Pair[]> = { train: [], valid: [], test: [] };
  for (const p of packages) {
    const perPackage = (stats.packages[p.entry.language] ??= { train: 0, valid: 0, test: 0 });
    perPackage[p.split]++;
    addStats(stats.extraction, p.stats);
    for (const c of p.candidates) {
      rows[p.split].push(toPair(c));
      const perLanguage = (stats.pairs[c.language] ??= { train: 0, valid: 0, test: 0 });
      perLanguage[p.split]++;
      stats.totals[p.split]++;
    }
  }
  for (const split of SPLITS) await writeJsonLines(join(paths.pairs, `${split}.jsonl`), rows[split]);
  await writeJsonAtomic(join(paths.pairs, 'stats.json'), { generatedAt: new Date().toISOString(), ...stats });
  const bytes = SPLITS.reduce((n, s) => n + rows[s].reduce((m, r) => m + r.code.length + r.query.length, 0), 0);
  log(`pairs: train ${stats.totals.train}, valid ${stats.totals.valid}, test ${stats.totals.test} (${formatBytes(bytes)} of text; ${dropped} corpus-wide duplicates dropped)`);
  return { packages, stats };
}

function toPair(c: Candidate): Pair {
  return { id: c.id, pkg: c.pkg, language: c.language, path: c.path, symbol: c.symbol, kind: c.kind, startLine: c.startLine, endLine: c.endLine, query: c.query, code: c.code };
}

function addStats(into: ExtractStats, from: ExtractStats): void {
  into.files += from.files;
  into.chunks += from.chunks;
  into.definitions += from.definitions;
  into.documented += from.documented;
  into.kept += from.kept;
  for (const [reason, n] of Object.entries(from.rejected)) {
    const key = reason as keyof ExtractStats['rejected'];
    into.rejected[key] = (into.rejected[key] ?? 0) + (n ?? 0);
  }
}

/**
 * Hash of the compiled chunker and of the named modules of this folder: cached results are reused
 * only while it is unchanged.
 */
export function codeFingerprint(modules: readonly string[]): string {
  const hash = createHash('sha256');
  const chunkDir = fileURLToPath(new URL('../../src/core/chunk/', import.meta.url));
  const files = existsSync(chunkDir) ? readdirSync(chunkDir).filter((f) => f.endsWith('.js')).sort().map((f) => join(chunkDir, f)) : [];
  for (const name of modules) files.push(fileURLToPath(new URL(`./${name}`, import.meta.url)));
  for (const file of files) {
    hash.update(file.slice(file.lastIndexOf('/') + 1));
    if (existsSync(file)) hash.update(readFileSync(file));
  }
  return hash.digest('hex');
}

// npm run bench:quality — retrieval quality on held-out code nobody on the team wrote.
//
// Queries are the first sentence of a function's documentation; the answer is that function, in a
// copy of its package with every documentation comment removed (scripts/corpus/ builds both, whole
// packages held out from training). Each package is indexed as its own workspace and searched the
// way a user searches their repository.
//
//   node out/scripts/bench-quality.js [--models default,use-lite,FOLDER] [--adapter default|FOLDER]
//                                     [--splits valid,test] [--max-workspace-files N] [--out FILE]
//                                     [--benchmarks docstring,intent]
//
// --benchmarks picks what runs (default both): `docstring` (above) and `intent`, hand-written
// developer queries over whole applications, each alone and beside a large distractor code base
// (scripts/intent-bench/run.ts); the intent tables follow the docstring ones in the same report.
//
// Each model is reported per language and overall as lexical; vector raw; vector + adapter; hybrid
// + adapter (MRR@10, R@1, R@10), where the adapter is the one --adapter names (default: the one
// shipped for that model, else identity), and with its indexing speed (chunks/s, cold indexes only).
//
// --max-workspace-files keeps only the packages with at most N files: slow models (USE-Lite embeds
// ~9 snippets/s) are compared with the others on that subset.
//
// Fusion weights are chosen on the validation split and reported on the test split, so the hybrid
// figure is not tuned on the data it is judged on.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT, SHIPPED_ADAPTERS_DIR } from '../src/core/models.js';
import { readJsonLines, type BenchQuery } from './corpus/common.js';
import { IDENTITY_ADAPTER, resolveAdapter, type Adapter } from '../src/core/adapter.js';
import { DEFAULT_FUSION, rank, SECOND_STAGE_POOL, type Candidates, type FusionWeights } from '../src/core/search.js';
import { stagedSearch } from './search-stages.js';
import type { SearchHit, SearchMode } from '../src/core/types.js';
import { Workspace } from '../src/core/workspace.js';
import { runIntentBenchmark } from './intent-bench/run.js';


const HELP = `node out/scripts/bench-quality.js [--models default,use-lite,FOLDER] [--adapter default|FOLDER]
    [--splits valid,test] [--max-workspace-files N] [--out FILE] [--benchmarks docstring,intent]
See the top of scripts/bench-quality.ts and docs/quality.md.`;

interface Metrics {
  n: number;
  mrr: number;
  r1: number;
  r5: number;
  r10: number;
}

const BENCH_DIR = path.join(PACKAGE_ROOT, '.cache', 'corpus', 'bench');
const INDEX_DIR = path.join(PACKAGE_ROOT, '.cache', 'bench-index');
const TOP = 10;
const VECTOR_WEIGHTS = [0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 6];
const RRF_KS = [5, 10, 20, 60];

/**
 * The hit is the answer when it is the same definition: same file, and the two ranges overlap by at
 * least half of each (a class that merely contains the function does not count), or it is the
 * first piece of the split function.
 */
function isAnswer(hit: Pick<SearchHit, 'path' | 'startLine' | 'endLine'>, answer: BenchQuery): boolean {
  if (hit.path !== answer.path) return false;
  if (hit.startLine === answer.startLine) return true;
  const overlap = Math.min(hit.endLine, answer.endLine) - Math.max(hit.startLine, answer.startLine) + 1;
  return overlap >= 0.5 * (hit.endLine - hit.startLine + 1) && overlap >= 0.5 * (answer.endLine - answer.startLine + 1);
}

function rankOf(hits: readonly SearchHit[], answer: BenchQuery): number {
  const index = hits.findIndex((hit) => isAnswer(hit, answer));
  return index < 0 ? Infinity : index + 1;
}

function metrics(ranks: readonly number[]): Metrics {
  const n = ranks.length;
  const share = (k: number) => (n === 0 ? 0 : ranks.filter((r) => r <= k).length / n);
  return { n, mrr: n === 0 ? 0 : ranks.reduce((sum, r) => sum + (r <= TOP ? 1 / r : 0), 0) / n, r1: share(1), r5: share(5), r10: share(10) };
}

function readQueries(split: string): Promise<BenchQuery[]> {
  return readJsonLines<BenchQuery>(path.join(BENCH_DIR, split, 'queries.jsonl'));
}

interface Evaluated {
  query: BenchQuery;
  /** First-stage candidates with raw query vectors (the query as typed). */
  raw: Candidates;
  /** First-stage candidates with query vectors through the adapter (the same object when it is the identity). */
  adapted: Candidates;
  /** Rank of the answer after the second stage over the query as typed, and in the product's search (undefined: no second stage). */
  secondStage?: number;
  product?: number;
  retrieveMs: number;
  secondStageMs: number;
}

interface ModelRun {
  model: string;
  modelId: string;
  /** Where the adapter came from: a folder, or 'identity'. */
  adapterSource: string;
  chunks: number;
  indexSeconds: number;
  bySplit: Map<string, Evaluated[]>;
  /** The second stage's ranker ('none' without one). */
  ranker: string;
}

async function fileCount(dir: string): Promise<number> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).length;
}

async function evaluateModel(model: string, adapterChoice: string, splits: readonly string[], maxFiles: number): Promise<ModelRun> {
  const run: ModelRun = { model, modelId: '', adapterSource: '', chunks: 0, indexSeconds: 0, bySplit: new Map(), ranker: 'none' };
  // Read once per model (its id is known once the first workspace is open).
  let adapter: Adapter | undefined;
  for (const split of splits) {
    const queries = await readQueries(split);
    const byWorkspace = new Map<string, BenchQuery[]>();
    for (const q of queries) {
      const list = byWorkspace.get(q.workspace) ?? [];
      list.push(q);
      byWorkspace.set(q.workspace, list);
    }
    const names: string[] = [];
    for (const name of [...byWorkspace.keys()].sort()) {
      if ((await fileCount(path.join(BENCH_DIR, split, name))) <= maxFiles) names.push(name);
    }
    const evaluated: Evaluated[] = [];
    for (const [i, name] of names.entries()) {
      const root = path.join(BENCH_DIR, split, name);
      const indexDir = path.join(INDEX_DIR, model.replace(/[^A-Za-z0-9_-]+/g, '_'), split, name);
      const workspace = await Workspace.open({ root, model, adapter: 'none', indexDir });
      try {
        run.modelId = workspace.store.info.embedderId;
        // Only shipped adapters (or the named one): a tuned adapter inside the bench index would not be held out.
        adapter ??= await resolveAdapter({ choice: adapterChoice, modelId: run.modelId, searchDirs: [SHIPPED_ADAPTERS_DIR] });
        run.adapterSource = adapter.source;
        const summary = await workspace.index();
        // Cold runs only: a cached index says nothing about speed.
        if (summary.indexed > 0) {
          run.chunks += summary.chunks;
          run.indexSeconds += summary.seconds;
        }
        const stage = await workspace.secondStage();
        run.ranker = stage?.ranker.source ?? 'none';
        for (const query of byWorkspace.get(name) ?? []) {
          const staged = await stagedSearch(workspace, adapter, stage, query.query, TOP);
          const raw = adapter === IDENTITY_ADAPTER ? staged.firstStage : (await stagedSearch(workspace, IDENTITY_ADAPTER, undefined, query.query, TOP)).firstStage;
          evaluated.push({
            query,
            raw,
            adapted: staged.firstStage,
            ...(staged.secondStage ? { secondStage: rankOf(staged.secondStage, query) } : {}),
            ...(staged.product ? { product: rankOf(staged.product, query) } : {}),
            retrieveMs: staged.retrieveMs,
            secondStageMs: staged.secondStageMs,
          });
        }
      } finally {
        await workspace.close();
      }
      process.stderr.write(`\r${model} (adapter ${adapterChoice}) ${split}: ${i + 1}/${names.length} workspaces, ${evaluated.length} queries`);
    }
    process.stderr.write('\n');
    run.bySplit.set(split, evaluated);
  }
  return run;
}

type Variant = 'raw' | 'adapted';

function score(evaluated: readonly Evaluated[], variant: Variant, mode: SearchMode, fusion?: FusionWeights): Metrics {
  return metrics(evaluated.map((e) => rankOf(rank(e[variant], mode, TOP, fusion), e.query)));
}

/** The fusion (vector weight against lexical 1, RRF k) with the best MRR on `evaluated`. */
function tune(evaluated: readonly Evaluated[]): FusionWeights {
  let best: { fusion: FusionWeights; mrr: number } | undefined;
  for (const vector of VECTOR_WEIGHTS) {
    for (const k of RRF_KS) {
      const fusion = { vector, lexical: 1, k };
      const { mrr } = score(evaluated, 'adapted', 'hybrid', fusion);
      if (!best || mrr > best.mrr) best = { fusion, mrr };
    }
  }
  return best?.fusion ?? DEFAULT_FUSION;
}

const f3 = (x: number) => x.toFixed(3);
const cells = (m: Metrics) => `${f3(m.mrr)} | ${f3(m.r1)} | ${f3(m.r10)}`;

/** Ranks of the answer in each set-up: the first stage's four, then the second stage's two (when there is one). */
function setupRanks(evaluated: readonly Evaluated[], fusion: FusionWeights): Array<[string, number[]]> {
  const first = (variant: Variant, mode: SearchMode, f?: FusionWeights): number[] => evaluated.map((e) => rankOf(rank(e[variant], mode, TOP, f), e.query));
  const setups: Array<[string, number[]]> = [
    ['lexical', first('raw', 'lexical')],
    ['vector', first('raw', 'vector')],
    ['vector + adapter', first('adapted', 'vector')],
    ['hybrid + adapter (fused first stage)', first('adapted', 'hybrid', fusion)],
  ];
  if (evaluated.every((e) => e.secondStage !== undefined && e.product !== undefined)) {
    setups.push(['+ second stage', evaluated.map((e) => e.secondStage ?? Infinity)], ['+ query reading (the product)', evaluated.map((e) => e.product ?? Infinity)]);
  }
  return setups;
}

/** One model's tables: a row per language and one for all (MRR@10, R@1, R@10 of each set-up), then each set-up overall with R@5 and its cost. */
function modelTable(run: ModelRun, evaluated: readonly Evaluated[], fusion: FusionWeights, split: string, tuned: boolean): string[] {
  const speed = run.indexSeconds > 0 ? `${Math.round(run.chunks / run.indexSeconds).toLocaleString('en-US')} chunks/s` : 'not measured (cached index)';
  const adapter = run.adapterSource === IDENTITY_ADAPTER.source ? 'identity (none shipped for this model)' : path.relative(PACKAGE_ROOT, run.adapterSource) || run.adapterSource;
  const ranker = run.ranker === 'none' ? 'none for this model' : path.relative(PACKAGE_ROOT, run.ranker) || run.ranker;
  const names = setupRanks(evaluated.slice(0, 1), fusion).map(([name]) => name);
  const lines = [
    `### ${run.model} (${run.modelId}) — ${split} split`,
    '',
    `Indexing: ${speed}. Adapter: ${adapter}. Hybrid: RRF k=${fusion.k}, vector weight ${fusion.vector}${tuned ? ' (tuned on the validation split)' : ''}. Second stage: ${ranker}.`,
    '',
    `| language | queries | ${names.map((n) => `${n} MRR | R@1 | R@10`).join(' | ')} |`,
    `|---|---|${names.map(() => '---|---|---|').join('')}`,
  ];
  const languages = [...new Set(evaluated.map((e) => e.query.language))].sort();
  const groups: [string, readonly Evaluated[]][] = [...languages.map((l) => [l, evaluated.filter((e) => e.query.language === l)] as [string, Evaluated[]]), ['**all**', evaluated]];
  for (const [label, subset] of groups) {
    lines.push(`| ${label} | ${subset.length} | ${setupRanks(subset, fusion).map(([, ranks]) => cells(metrics(ranks))).join(' | ')} |`);
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  lines.push('', '| set-up (all languages) | MRR@10 | R@1 | R@5 | R@10 |', '|---|---|---|---|---|');
  for (const [name, ranks] of setupRanks(evaluated, fusion)) {
    const m = metrics(ranks);
    lines.push(`| ${name} | ${f3(m.mrr)} | ${f3(m.r1)} | ${f3(m.r5)} | ${f3(m.r10)} |`);
  }
  if (names.length > 4) {
    lines.push('', `Query time in process, median over the queries: retrieving ${SECOND_STAGE_POOL} candidates per ranker ${median(evaluated.map((e) => e.retrieveMs)).toFixed(1)} ms, the second stage on them ${median(evaluated.map((e) => e.secondStageMs)).toFixed(1)} ms.`);
  }
  lines.push('');
  return lines;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      models: { type: 'string', default: 'default' },
      adapter: { type: 'string', default: 'default' },
      splits: { type: 'string', default: 'valid,test' },
      'max-workspace-files': { type: 'string', default: '1000000' },
      out: { type: 'string', default: path.join(PACKAGE_ROOT, '.cache', 'bench-results', 'quality.md') },
      benchmarks: { type: 'string', default: 'docstring,intent' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const benchmarks = values.benchmarks.split(',');
  const unknownBenchmark = benchmarks.find((b) => b !== 'docstring' && b !== 'intent');
  if (unknownBenchmark !== undefined) throw new Error(`--benchmarks takes docstring and/or intent, not ${JSON.stringify(unknownBenchmark)}`);
  const splits = values.splits.split(',');
  const maxFiles = Number(values['max-workspace-files']);
  if (benchmarks.includes('docstring') && !existsSync(path.join(BENCH_DIR, 'test', 'queries.jsonl'))) {
    process.stderr.write('No benchmark data yet: building it from npm and Debian packages (cached in .cache/corpus)…\n');
    const built = spawnSync(process.execPath, [path.join(PACKAGE_ROOT, 'out', 'scripts', 'corpus', 'build.js')], { stdio: 'inherit' });
    if (built.status !== 0) throw new Error('building the benchmark data failed; see above');
  }

  const lines: string[] = [];
  const evalSplit = splits.includes('test') ? 'test' : (splits[0] ?? 'test');
  const tuneSplit = splits.includes('valid') ? 'valid' : undefined;
  const docstringModels = benchmarks.includes('docstring') ? values.models.split(',') : [];
  for (const model of docstringModels) {
    const run = await evaluateModel(model, values.adapter, splits, maxFiles);
    const fusion = tuneSplit ? tune(run.bySplit.get(tuneSplit) ?? []) : DEFAULT_FUSION;
    lines.push(...modelTable(run, run.bySplit.get(evalSplit) ?? [], fusion, evalSplit, tuneSplit !== undefined));
  }
  if (benchmarks.includes('intent')) {
    const log = (line: string): void => void process.stderr.write(`${line}\n`);
    lines.push(...(await runIntentBenchmark({ models: values.models.split(','), adapter: values.adapter, splits, log })));
  }
  const report = lines.join('\n');
  process.stdout.write(`${report}\n`);
  await mkdir(path.dirname(values.out), { recursive: true });
  await writeFile(values.out, `${report}\n`);
  process.stderr.write(`written to ${values.out}\n`);
}

await main();

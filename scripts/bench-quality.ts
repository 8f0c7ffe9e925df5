// npm run bench:quality — retrieval quality on held-out code nobody on the team wrote.
//
// Queries are the first sentence of a function's documentation; the answer is that function, in a
// copy of its package with every documentation comment removed (scripts/corpus/ builds both, whole
// packages held out from training). Each package is indexed as its own workspace and searched the
// way a user searches their repository.
//
//   node out/scripts/bench-quality.js [--models default,use-lite] [--adapters default,none]
//                                     [--splits valid,test] [--max-workspace-files N] [--out FILE]
//
// --max-workspace-files keeps only the packages with at most N files: slow models (USE-Lite embeds
// ~9 snippets/s) are compared with the others on that subset.
//
// Fusion weights are chosen on the validation split and reported on the test split, so the hybrid
// figure is not tuned on the data it is judged on.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../src/core/models.js';
import type { BenchQuery } from './corpus/common.js';
import { DEFAULT_FUSION, rank, type Candidates, type FusionWeights } from '../src/core/search.js';
import type { SearchHit, SearchMode } from '../src/core/types.js';
import { Workspace } from '../src/core/workspace.js';


interface Metrics {
  n: number;
  mrr: number;
  r1: number;
  r5: number;
  r10: number;
}

const PACKAGE_ROOT = packageRoot();
const BENCH_DIR = path.join(PACKAGE_ROOT, '.cache', 'corpus', 'bench');
const INDEX_DIR = path.join(PACKAGE_ROOT, '.cache', 'bench-index');
const TOP = 10;
const VECTOR_WEIGHTS = [0.25, 0.5, 0.75, 1, 1.5, 2, 3];
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

async function readQueries(split: string): Promise<BenchQuery[]> {
  const text = await readFile(path.join(BENCH_DIR, split, 'queries.jsonl'), 'utf8');
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as BenchQuery);
}

interface Evaluated {
  query: BenchQuery;
  candidates: Candidates;
}

interface ModelRun {
  model: string;
  modelId: string;
  adapterSource: string;
  chunks: number;
  indexSeconds: number;
  bySplit: Map<string, Evaluated[]>;
}

async function fileCount(dir: string): Promise<number> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).length;
}

async function evaluateModel(model: string, adapter: string, splits: readonly string[], maxFiles: number): Promise<ModelRun> {
  const run: ModelRun = { model, modelId: '', adapterSource: '', chunks: 0, indexSeconds: 0, bySplit: new Map() };
  for (const split of splits) {
    const queries = await readQueries(split);
    const byWorkspace = new Map<string, BenchQuery[]>();
    for (const q of queries) byWorkspace.set(q.workspace, [...(byWorkspace.get(q.workspace) ?? []), q]);
    const names: string[] = [];
    for (const name of [...byWorkspace.keys()].sort()) {
      if ((await fileCount(path.join(BENCH_DIR, split, name))) <= maxFiles) names.push(name);
    }
    const evaluated: Evaluated[] = [];
    for (const [i, name] of names.entries()) {
      const root = path.join(BENCH_DIR, split, name);
      const indexDir = path.join(INDEX_DIR, model.replace(/[^A-Za-z0-9_-]+/g, '_'), split, name);
      const workspace = await Workspace.open({ root, model, adapter, indexDir });
      try {
        run.modelId = workspace.store.info.embedderId;
        run.adapterSource = (await workspace.queryAdapter()).source;
        const summary = await workspace.index();
        // Cold runs only: a cached index says nothing about speed.
        if (summary.indexed > 0) {
          run.chunks += summary.chunks;
          run.indexSeconds += summary.seconds;
        }
        for (const query of byWorkspace.get(name) ?? []) {
          evaluated.push({ query, candidates: await workspace.candidates(query.query, { mode: 'hybrid', top: TOP }) });
        }
      } finally {
        await workspace.close();
      }
      process.stderr.write(`\r${model} (adapter ${adapter}) ${split}: ${i + 1}/${names.length} workspaces, ${evaluated.length} queries`);
    }
    process.stderr.write('\n');
    run.bySplit.set(split, evaluated);
  }
  return run;
}

function score(evaluated: readonly Evaluated[], mode: SearchMode, fusion?: FusionWeights): Metrics {
  return metrics(evaluated.map(({ query, candidates }) => rankOf(rank(candidates, mode, TOP, fusion), query)));
}

function tune(evaluated: readonly Evaluated[]): FusionWeights {
  let best: { fusion: FusionWeights; mrr: number } | undefined;
  for (const vector of VECTOR_WEIGHTS) {
    for (const k of RRF_KS) {
      const fusion = { vector, lexical: 1, k };
      const { mrr } = score(evaluated, 'hybrid', fusion);
      if (!best || mrr > best.mrr) best = { fusion, mrr };
    }
  }
  return best?.fusion ?? DEFAULT_FUSION;
}

const f3 = (x: number) => x.toFixed(3);

function row(label: string, m: Metrics): string {
  return `| ${label} | ${f3(m.mrr)} | ${f3(m.r1)} | ${f3(m.r5)} | ${f3(m.r10)} | ${m.n} |`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      models: { type: 'string', default: 'default' },
      adapters: { type: 'string', default: 'default' },
      splits: { type: 'string', default: 'valid,test' },
      'max-workspace-files': { type: 'string', default: '1000000' },
      out: { type: 'string', default: path.join(PACKAGE_ROOT, '.cache', 'bench-results', 'quality.md') },
    },
  });
  const splits = values.splits.split(',');
  const maxFiles = Number(values['max-workspace-files']);
  if (!existsSync(path.join(BENCH_DIR, 'test', 'queries.jsonl'))) {
    process.stderr.write('No benchmark data yet: building it from npm and Debian packages (cached in .cache/corpus)…\n');
    const built = spawnSync(process.execPath, [path.join(PACKAGE_ROOT, 'out', 'scripts', 'corpus', 'build.js')], { stdio: 'inherit' });
    if (built.status !== 0) throw new Error('building the benchmark data failed; see above');
  }

  const lines: string[] = [];
  const evalSplit = splits.includes('test') ? 'test' : (splits[0] ?? 'test');
  const tuneSplit = splits.includes('valid') ? 'valid' : undefined;
  const perLanguage: string[] = [];
  for (const [model, adapter] of values.models.split(',').flatMap((m) => values.adapters.split(',').map((a) => [m, a] as const))) {
    const run = await evaluateModel(model, adapter, splits, maxFiles);
    const test = run.bySplit.get(evalSplit) ?? [];
    const fusion = tuneSplit ? tune(run.bySplit.get(tuneSplit) ?? []) : DEFAULT_FUSION;
    const speed = run.indexSeconds > 0 ? `${(run.chunks / run.indexSeconds).toFixed(0)} chunks/s` : 'cached';
    lines.push(`### ${model} (${run.modelId}), adapter: ${path.relative(PACKAGE_ROOT, run.adapterSource) || run.adapterSource} — ${evalSplit} split, indexing ${speed}`, '');
    lines.push('| mode | MRR@10 | R@1 | R@5 | R@10 | queries |', '|---|---|---|---|---|---|');
    lines.push(row('lexical', score(test, 'lexical')));
    lines.push(row('vector', score(test, 'vector')));
    lines.push(row(`hybrid (RRF k=${fusion.k}, vector weight ${fusion.vector}${tuneSplit ? ', tuned on valid' : ''})`, score(test, 'hybrid', fusion)));
    lines.push('');
    const languages = [...new Set(test.map((e) => e.query.language))].sort();
    perLanguage.push(`### ${model}, adapter ${adapter}: MRR@10 per language (${evalSplit})`, '', '| language | queries | lexical | vector | hybrid |', '|---|---|---|---|---|');
    for (const language of languages) {
      const subset = test.filter((e) => e.query.language === language);
      perLanguage.push(`| ${language} | ${subset.length} | ${f3(score(subset, 'lexical').mrr)} | ${f3(score(subset, 'vector').mrr)} | ${f3(score(subset, 'hybrid', fusion).mrr)} |`);
    }
    perLanguage.push('');
  }
  const report = [...lines, ...perLanguage].join('\n');
  process.stdout.write(`${report}\n`);
  await mkdir(path.dirname(values.out), { recursive: true });
  await writeFile(values.out, `${report}\n`);
  process.stderr.write(`written to ${values.out}\n`);
}

await main();

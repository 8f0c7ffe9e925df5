// Second-stage experiments on the candidate dumps (scripts/rerank/collect.ts): trains the ranker on
// the train sets and reports every evaluation set — the first stage's lexical, vector and fused
// rankings of the same candidates, then the second stage, and the second stage without each
// feature group (ablations). Nothing here is shipped; train.ts writes the ranker.
//
//   node out/scripts/rerank/experiment.js [--train docstring-train] [--eval docstring-valid,intent-valid-alone,intent-valid-distractors]
//        [--reading parsed|literal] [--ablate] [--l2 X] [--iterations N]

import { performance } from 'node:perf_hooks';
import { createEmbedder } from '../../src/core/embed/index.js';
import { resolveModel } from '../../src/core/models.js';
import { FEATURE_NAMES, candidateKey, featureTable, type FeatureName } from '../../src/core/rank/features.js';
import { pathRole } from '../../src/core/rank/paths.js';
import { dropOverlaps } from '../../src/core/fusion.js';
import { rank } from '../../src/core/search.js';
import type { TokenSpace } from '../../src/core/types.js';
import { trainLinearRanker, type TrainingList } from '../../src/training/ranker.js';
import { scoreRow, type RankerWeights } from '../../src/core/rank/model.js';
import { parseFlags } from '../script-args.js';
import { loadSet, type LoadedQuery, type QueryReading } from './dump.js';
import { modelSlug } from './sets.js';

export const TOP = 10;

/** A query with its feature table worked out. */
export interface Prepared {
  query: LoadedQuery;
  list: TrainingList;
  keys: string[];
  candidates: ReturnType<typeof featureTable>['candidates'];
}

export function prepare(queries: readonly LoadedQuery[], space: TokenSpace): { prepared: Prepared[]; msPerQuery: number } {
  const started = performance.now();
  const prepared = queries.map((query) => {
    const table = featureTable(query.parsed, query.candidates.queryVector, query.candidates, space);
    const keys = table.candidates.map((c) => candidateKey(c));
    const answers = Uint8Array.from(keys, (k) => (query.answers.has(k) ? 1 : 0));
    return { query, list: { values: table.values, count: table.candidates.length, answers }, keys, candidates: table.candidates };
  });
  return { prepared, msPerQuery: (performance.now() - started) / Math.max(1, queries.length) };
}

export interface Metrics {
  n: number;
  mrr: number;
  r1: number;
  r5: number;
  r10: number;
}

export function metrics(ranks: readonly number[]): Metrics {
  const n = ranks.length;
  const share = (k: number) => (n === 0 ? 0 : ranks.filter((r) => r <= k).length / n);
  return { n, mrr: n === 0 ? 0 : ranks.reduce((s, r) => s + (r <= TOP ? 1 / r : 0), 0) / n, r1: share(1), r5: share(5), r10: share(10) };
}

function rankIn(hits: ReadonlyArray<{ root?: string; path: string; startLine: number; endLine: number }>, answers: ReadonlySet<string>): number {
  const i = hits.findIndex((h) => answers.has(candidateKey(h)));
  return i < 0 ? Infinity : i + 1;
}

/** Ranks of the answer under a learned score (second stage), with overlaps dropped. */
export function secondStageRanks(prepared: readonly Prepared[], score: RankerWeights): number[] {
  return prepared.map(({ query, list, candidates }) => {
    const s = Array.from({ length: list.count }, (_, k) => scoreRow(score, list.values, k));
    const order = candidates.map((_, k) => k).sort((a, b) => s[b]! - s[a]!);
    const ranked = dropOverlaps(order.map((k) => candidates[k] as (typeof candidates)[number])).slice(0, TOP);
    return rankIn(ranked, query.answers);
  });
}

export function firstStageRanks(prepared: readonly Prepared[], mode: 'lexical' | 'vector' | 'hybrid'): number[] {
  return prepared.map(({ query }) => rankIn(rank(query.candidates, mode, TOP), query.answers));
}

const f3 = (x: number) => x.toFixed(3);
export const cells = (m: Metrics) => `${f3(m.mrr)} | ${f3(m.r1)} | ${f3(m.r5)} | ${f3(m.r10)}`;

/** Feature groups for ablations: each is switched off (weight 0) and the ranker retrained. */
export const GROUPS: Record<string, readonly FeatureName[]> = {
  'score-aware fusion': ['cos', 'cosZ', 'cosGap', 'bm25Norm', 'bm25Z'],
  'rank fusion': ['inVector', 'inLexical', 'rrfVector', 'rrfLexical'],
  'late interaction (MaxSim)': ['maxSim'],
  'exact body terms': ['bodyExact', 'unknownExact'],
  'name field': ['nameSoft', 'nameExact', 'namePrecision'],
  'container and path fields': ['containerSoft', 'pathSoft', 'pathExact'],
  'test / locale / example priors': ['test', 'locale', 'example'],
  'kind and length priors': ['kindFunction', 'kindType', 'kindLines', 'logLines', 'tiny', 'lineWindowDoc'],
  'file aggregation': ['fileCount', 'fileBestOther'],
  'query form': ['whereFunction', 'howFunction', 'typeType', 'nounType', 'verbFunction'],
  'named language': ['languageMatch', 'languageOther'],
};

export function indexesOf(names: readonly FeatureName[]): Set<number> {
  return new Set(names.map((n) => FEATURE_NAMES.indexOf(n)));
}

export async function tokenSpaceOf(model: string): Promise<TokenSpace> {
  const embedder = await createEmbedder(await resolveModel(model));
  if (!embedder.tokenSpace) throw new Error(`${model} has no token space: the second stage needs a static model`);
  return embedder.tokenSpace;
}

async function main(): Promise<void> {
  const v = parseFlags(
    { model: { type: 'string' }, train: { type: 'string' }, eval: { type: 'string' }, reading: { type: 'string' }, ablate: { type: 'boolean' }, 'keep-test-answers': { type: 'boolean' }, l2: { type: 'string' }, iterations: { type: 'string' }, 'intent-weight': { type: 'string' } },
    process.argv.slice(2),
  );
  const model = typeof v['model'] === 'string' ? v['model'] : 'default';
  const reading = (typeof v['reading'] === 'string' ? v['reading'] : 'parsed') as QueryReading;
  const trainSets = (typeof v['train'] === 'string' ? v['train'] : 'docstring-train').split(',');
  const evalSets = (typeof v['eval'] === 'string' ? v['eval'] : 'docstring-valid,intent-valid-alone,intent-valid-distractors').split(',');
  const l2 = typeof v['l2'] === 'string' ? Number(v['l2']) : 1e-3;
  const iterations = typeof v['iterations'] === 'string' ? Number(v['iterations']) : 300;
  const intentWeight = typeof v['intent-weight'] === 'string' ? Number(v['intent-weight']) : 1;
  const space = await tokenSpaceOf(model);
  const slug = modelSlug(model);

  const train: Prepared[] = [];
  for (const set of trainSets) train.push(...prepare(await loadSet(slug, reading, set), space).prepared);
  if (v['keep-test-answers'] !== true) {
    // Users look for the code that does the work: a docstring query whose answer is a test helper
    // would teach the ranker that tests are answers. Test chunks stay in as candidates (negatives).
    const before = train.length;
    train.splice(0, train.length, ...train.filter((p) => !p.candidates.some((c, k) => p.list.answers[k] === 1 && pathRole(c.path).test)));
    console.log(`left out ${before - train.length} training queries whose answer is in a test file`);
  }
  const evals = new Map<string, { prepared: Prepared[]; ms: number }>();
  for (const set of evalSets) {
    const { prepared, msPerQuery } = prepare(await loadSet(slug, reading, set), space);
    evals.set(set, { prepared, ms: msPerQuery });
  }
  const inPool = (p: readonly Prepared[]) => f3(p.filter((x) => x.list.answers.includes(1)).length / Math.max(1, p.length));
  console.log(`train: ${train.length} queries (${inPool(train)} with the answer among the candidates); reading ${reading}; l2 ${l2}; ${iterations} iterations`);

  // The few hand-written intent queries weigh as much as `intentWeight` docstring queries each.
  for (const p of train) if (p.query.set.startsWith('intent-')) p.list.weight = intentWeight;
  const t0 = performance.now();
  const full = trainLinearRanker(train.map((p) => p.list), { l2, iterations });
  console.log(`trained in ${((performance.now() - t0) / 1000).toFixed(1)} s, loss ${full.loss.toFixed(4)}`);
  console.log('weights (standardised features):', FEATURE_NAMES.map((n, j) => `${n}=${(full.linear[j] ?? 0).toFixed(3)}`).join(' '));

  const variants: [string, RankerWeights][] = [['second stage', full]];
  if (v['ablate'] === true) {
    for (const [group, names] of Object.entries(GROUPS)) variants.push([`  without ${group}`, trainLinearRanker(train.map((p) => p.list), { l2, iterations, disabled: indexesOf(names) })]);
  }
  for (const [set, { prepared, ms }] of evals) {
    console.log(`\n### ${set} (${prepared.length} queries, answer among candidates ${inPool(prepared)}, features ${ms.toFixed(1)} ms/query)\n`);
    console.log('| ranking | MRR@10 | R@1 | R@5 | R@10 |\n|---|---|---|---|---|');
    for (const mode of ['lexical', 'vector', 'hybrid'] as const) console.log(`| ${mode} (first stage) | ${cells(metrics(firstStageRanks(prepared, mode)))} |`);
    for (const [name, score] of variants) console.log(`| ${name} | ${cells(metrics(secondStageRanks(prepared, score)))} |`);
  }
}

if (process.argv[1]?.endsWith('experiment.js')) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}

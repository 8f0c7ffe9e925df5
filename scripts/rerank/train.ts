// Trains the second stage and writes rankers/<name>/ (ranker.json + README.md card).
//
//   node out/scripts/rerank/collect.js --reading parsed --sets docstring-train,docstring-valid,intent-train,intent-valid
//   node out/scripts/rerank/train.js [--model default] [--out rankers/<the model's folder name>] [--calibrate-only]
//
// Weights are learned on the train sets only: the docstring benchmark's train split and the
// hand-written intent queries over other apps (scripts/intent-bench/train-apps/, alone and with
// distractors). The regularisation and the weight of an intent query against a docstring one are
// chosen on the validation sets (the mean MRR@10 of docstring-valid, intent-valid alone and with
// distractors); the calibration is fitted on validation hits and the "no close match" threshold
// chosen on validation queries against other apps' queries (which have no answer). Test splits
// are not read.

import path from 'node:path';
import { createEmbedder } from '../../src/core/embed/index.js';
import { DEFAULT_MODEL_DIR, PACKAGE_ROOT, resolveModel } from '../../src/core/models.js';
import { FEATURE_COUNT, FEATURE_NAMES, type FeatureName } from '../../src/core/rank/features.js';
import { pathRole } from '../../src/core/rank/paths.js';
import { RANKER_FORMAT, readRanker, scoreRow, type RankerFile, type RankerWeights } from '../../src/core/rank/model.js';
import { dropOverlaps } from '../../src/core/fusion.js';
import { fitLogistic, trainLinearRanker, trainMlpRanker, writeRanker } from '../../src/training/ranker.js';
import { parseFlags } from '../script-args.js';
import { loadSet } from './dump.js';
import { cells, firstStageRanks, metrics, prepare, secondStageRanks, TOP, type Metrics, type Prepared } from './experiment.js';
import { modelSlug } from './sets.js';

const TRAIN_SETS = ['docstring-train', 'intent-train-alone', 'intent-train-distractors'];
const VALID_SETS = ['docstring-valid', 'intent-valid-alone', 'intent-valid-distractors'];
/** Validation queries searched where their answer is not (another package's, another app's). */
const FOREIGN_SETS = ['docstring-valid-foreign', 'intent-valid-foreign'];
/** What is tried, chosen on validation: hidden units (0: a linear score) and an intent query's weight. */
const HIDDEN = [0, 8];
const INTENT_WEIGHTS = [3, 6];
const L2 = 1e-3;

/** Absolute features the confidence reads beside the score (how well the hit's words match at all). */
const CALIBRATION_FEATURES: readonly FeatureName[] = ['cos', 'maxSim', 'bodyExact', 'nameSoft'];

/** The shown top of a list under `score` (overlaps dropped): each hit's calibration inputs and whether it is right. */
function shownTop(p: Prepared, score: RankerWeights): Array<{ x: number[]; right: boolean }> {
  const s = Array.from({ length: p.list.count }, (_, k) => scoreRow(score, p.list.values, k));
  const order = p.candidates.map((_, k) => k).sort((a, b) => s[b]! - s[a]!);
  const ranked = dropOverlaps(order.map((k) => ({ ...(p.candidates[k] as Prepared['candidates'][number]), k }))).slice(0, TOP);
  return ranked.map((hit) => ({
    x: [s[hit.k]!, ...CALIBRATION_FEATURES.map((f) => p.list.values[hit.k * FEATURE_COUNT + FEATURE_NAMES.indexOf(f)]!), Math.log(Math.max(1, p.list.count))],
    right: p.list.answers[hit.k] === 1,
  }));
}

/**
 * "No close match" on a right answer costs the user more than a missed flag on a query the code
 * cannot answer: the threshold keeps at least this share of right first hits.
 */
const MIN_RIGHT_KEPT = 0.85;

/**
 * The threshold with the best balance of right first hits kept (≥) and answerless queries flagged
 * (<), each benchmark's share weighing the same: Youden's J over (benchmark, kind) means, among the
 * thresholds that keep MIN_RIGHT_KEPT.
 */
function chooseThreshold(right: ReadonlyArray<readonly number[]>, answerless: ReadonlyArray<readonly number[]>): { threshold: number; kept: number; flagged: number } {
  const share = (groups: ReadonlyArray<readonly number[]>, keep: (c: number) => boolean): number => groups.reduce((sum, g) => sum + g.filter(keep).length / Math.max(1, g.length), 0) / Math.max(1, groups.length);
  let best = { threshold: 0, kept: 1, flagged: 0, j: -1 };
  for (const t of [...right.flat(), ...answerless.flat()].sort((a, b) => a - b)) {
    const kept = share(right, (c) => c >= t);
    const flagged = share(answerless, (c) => c < t);
    if (kept >= MIN_RIGHT_KEPT && kept + flagged - 1 > best.j) best = { threshold: t, kept, flagged, j: kept + flagged - 1 };
  }
  return best;
}

/** The weights with 6 significant digits (the file stays readable; scores move by far less than a tie). */
function rounded(w: RankerWeights): RankerWeights {
  const r = (x: number): number => Number(x.toPrecision(6));
  return { mean: w.mean.map(r), spread: w.spread.map(r), linear: w.linear.map(r), bias: r(w.bias), hidden: w.hidden.map((row) => row.map(r)), hiddenBias: w.hiddenBias.map(r), out: w.out.map(r) };
}

async function main(): Promise<void> {
  const v = parseFlags({ model: { type: 'string' }, out: { type: 'string' }, 'calibrate-only': { type: 'boolean' } }, process.argv.slice(2));
  const model = typeof v['model'] === 'string' ? v['model'] : 'default';
  // A model's ranker is named after it: rankers/code-static-v3 for models/code-static-v3.
  const out = typeof v['out'] === 'string' ? path.resolve(v['out']) : path.join(PACKAGE_ROOT, 'rankers', path.basename(model === 'default' ? DEFAULT_MODEL_DIR : model));
  const embedder = await createEmbedder(await resolveModel(model));
  const space = embedder.tokenSpace;
  if (!space) throw new Error(`${model} has no token space: the second stage needs a static model`);
  const slug = modelSlug(model);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);

  const load = async (set: string): Promise<Prepared[]> => prepare(await loadSet(slug, 'parsed', set), space).prepared;
  const train: Prepared[] = [];
  for (const set of TRAIN_SETS) train.push(...(await load(set)));
  // Users look for the code that does the work: a docstring query answered by a test helper would
  // teach that tests are answers. Test chunks stay in as candidates.
  const kept = train.filter((p) => !p.candidates.some((c, k) => p.list.answers[k] === 1 && pathRole(c.path).test));
  const valid = new Map<string, Prepared[]>();
  for (const set of VALID_SETS) valid.set(set, await load(set));
  const foreign = new Map<string, Prepared[]>();
  for (const set of FOREIGN_SETS) foreign.set(set, await load(set));
  log(`train: ${kept.length} queries (${train.length - kept.length} answered by test files left out); valid: ${VALID_SETS.map((s) => `${s} ${valid.get(s)?.length}`).join(', ')}`);

  let best: { score: RankerWeights; hidden: number; intentWeight: number; mean: number; byset: Map<string, Metrics> } | undefined;
  if (v['calibrate-only'] === true) {
    // The weights as they are; only the confidence and the threshold are fitted again.
    const { file } = await readRanker(out);
    const byset = new Map(VALID_SETS.map((set) => [set, metrics(secondStageRanks(valid.get(set) ?? [], file))]));
    best = { score: file, hidden: file.hidden.length, intentWeight: Number(file.training?.['intentWeight'] ?? 1), mean: Number(file.training?.['validMeanMrr'] ?? 0), byset };
  }
  for (const hidden of best ? [] : HIDDEN) {
    for (const intentWeight of INTENT_WEIGHTS) {
      for (const p of kept) p.list.weight = p.query.set.startsWith('intent-') ? intentWeight : 1;
      const lists = kept.map((p) => p.list);
      const score = hidden === 0 ? trainLinearRanker(lists, { l2: L2 }) : trainMlpRanker(lists, { hidden, l2: L2, iterations: 200 });
      const byset = new Map(VALID_SETS.map((set) => [set, metrics(secondStageRanks(valid.get(set) ?? [], score))]));
      // The docstring benchmark and the intent benchmark weigh the same.
      const intent = ((byset.get('intent-valid-alone')?.mrr ?? 0) + (byset.get('intent-valid-distractors')?.mrr ?? 0)) / 2;
      const mean = ((byset.get('docstring-valid')?.mrr ?? 0) + intent) / 2;
      log(`hidden ${hidden}, intent weight ${intentWeight}: ${VALID_SETS.map((s) => `${s} ${byset.get(s)?.mrr.toFixed(3)}`).join(', ')}; mean ${mean.toFixed(3)}`);
      if (!best || mean > best.mean) best = { score, hidden, intentWeight, mean, byset };
    }
  }
  if (!best) throw new Error('nothing was trained');

  // Calibration on validation hits, each benchmark weighing the same; then the threshold. Two ways
  // of calibrating are tried, the score alone or with absolute features, and the one that tells
  // right first hits from answerless queries better is kept.
  const samples: Array<{ x: number[]; right: boolean; weight: number }> = [];
  for (const set of VALID_SETS) {
    const list = valid.get(set) ?? [];
    const weight = 1 / Math.max(1, list.length) / (set.startsWith('intent-') ? 2 : 1);
    for (const p of list) for (const hit of shownTop(p, best.score)) samples.push({ ...hit, weight });
  }
  const firstOf = (p: Prepared) => shownTop(p, best.score)[0];
  const byBenchmark = (prefix: string): Prepared[] => VALID_SETS.filter((s) => s.startsWith(prefix)).flatMap((s) => valid.get(s) ?? []);
  const rightFirsts = ['docstring', 'intent'].map((b) => byBenchmark(b).map(firstOf).filter((h) => h?.right).map((h) => h?.x ?? []));
  const answerlessFirsts = FOREIGN_SETS.map((s) => (foreign.get(s) ?? []).map(firstOf).flatMap((h) => (h ? [h.x] : [])));
  let chosen: { inputs: number; fit: { weights: number[]; bias: number }; threshold: number; kept: number; flagged: number } | undefined;
  for (const inputs of [1, CALIBRATION_FEATURES.length + 2]) {
    const fit = fitLogistic(samples.map((s) => ({ ...s, x: s.x.slice(0, inputs) })));
    const confidence = (x: readonly number[]): number => 1 / (1 + Math.exp(-(fit.bias + x.slice(0, inputs).reduce((sum, v, i) => sum + v * fit.weights[i]!, 0))));
    const picked = chooseThreshold(rightFirsts.map((g) => g.map(confidence)), answerlessFirsts.map((g) => g.map(confidence)));
    log(`calibration on ${inputs === 1 ? 'the score' : 'the score and absolute features'}: keeps ${picked.kept.toFixed(3)} of right first hits, flags ${picked.flagged.toFixed(3)} of answerless queries`);
    if (!chosen || picked.kept + picked.flagged > chosen.kept + chosen.flagged) chosen = { inputs, fit, ...picked };
  }
  if (!chosen) throw new Error('no calibration');
  const { fit, threshold, kept: keptRight, flagged } = chosen;
  const r6 = (x: number): number => Number(x.toPrecision(6));
  const calibration = {
    scale: r6(fit.weights[0]!),
    shift: r6(fit.bias),
    ...(chosen.inputs > 1
      ? { features: Object.fromEntries(CALIBRATION_FEATURES.map((f, i) => [f, r6(fit.weights[i + 1]!)])), logCandidates: r6(fit.weights[CALIBRATION_FEATURES.length + 1]!) }
      : {}),
  };
  const term = (w: number, what: string): string => ` ${w < 0 ? '−' : '+'} ${Math.abs(w)}${what}`;
  const formula = `σ(${calibration.scale} · score${CALIBRATION_FEATURES.map((f) => (calibration.features ? term(calibration.features[f] ?? 0, ` · ${f}`) : '')).join('')}${calibration.logCandidates !== undefined ? term(calibration.logCandidates, ' · ln(candidates)') : ''}${term(calibration.shift, '')})`;

  const lines: string[] = [];
  for (const set of VALID_SETS) {
    const list = valid.get(set) ?? [];
    lines.push(`| ${set} | ${list.length} | ${cells(metrics(firstStageRanks(list, 'hybrid')))} | ${cells(best.byset.get(set) ?? metrics([]))} |`);
  }
  const file: RankerFile = {
    format: RANKER_FORMAT,
    version: 1,
    modelId: embedder.id,
    features: [...FEATURE_NAMES],
    ...rounded(best.score),
    calibration,
    noMatchBelow: Number(threshold.toPrecision(4)),
    training: {
      trainSets: TRAIN_SETS,
      trainQueries: kept.length,
      l2: L2,
      hidden: best.hidden,
      intentWeight: best.intentWeight,
      validMeanMrr: Number(best.mean.toFixed(4)),
      noMatch: { rightFirstKept: Number(keptRight.toFixed(3)), answerlessFlagged: Number(flagged.toFixed(3)) },
    },
  };
  const card = [
    `# ${path.basename(out)} — the second stage for ${model} (${embedder.id})`,
    '',
    'A learned score over the features of `src/core/rank/features.ts` (first-stage scores',
    'made comparable across queries, late interaction in the model\'s token space, name / container / path',
    'fields, test / locale / example / kind / length priors, file aggregation, query form, named language),',
    'trained listwise on each query\'s vector and lexical candidates (100 each).',
    '',
    '## Data',
    `- Train: the docstring benchmark's train split (scripts/corpus/, packages held out from validation and test) and`,
    `  the hand-written intent queries over other applications than the benchmark's (scripts/intent-bench/train-apps/),`,
    `  each app alone and beside Eclipse Theia; ${kept.length} queries. Queries answered by test files are left out.`,
    `- Chosen on validation (the mean of the docstring MRR and the intent MRR): ${best.hidden === 0 ? 'a linear score' : `${best.hidden} hidden tanh units beside the linear part`}, an intent query weighing ${best.intentWeight} docstring queries; L2 ${L2}.`,
    `- Confidence: ${formula}, fitted on validation hits (each benchmark weighing half); down a list it never rises.`,
    `- No close match below confidence ${file.noMatchBelow}: on validation it keeps ${(keptRight * 100).toFixed(0)}% of right first hits and flags`,
    `  ${(flagged * 100).toFixed(0)}% of queries searched in a package or app that does not contain their answer (each benchmark weighing half).`,
    '',
    '## Validation (MRR@10 | R@1 | R@5 | R@10)',
    '',
    '| set | queries | fused first stage | | | | second stage | | | |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...lines,
    '',
    'Test-split figures: docs/quality.md (`npm run bench:quality`).',
    '',
    '## Rebuild',
    '```sh',
    'node out/scripts/corpus/build.js --max-minutes 40 --max-total-mb 20000 --bench-splits test,valid,train   # the whole catalogue; the docstring benchmark with its train split',
    'node out/scripts/intent-bench/fetch.js                               # the intent apps and train apps',
    'node out/scripts/rerank/collect.js --reading parsed --sets docstring-train,docstring-valid,intent-train,intent-valid',
    'node out/scripts/rerank/train.js                                     # this folder',
    '```',
  ].join('\n');
  await writeRanker(out, file, card);
  log(`written ${path.relative(PACKAGE_ROOT, out)}: valid mean MRR ${best.mean.toFixed(3)}, no close match below ${file.noMatchBelow}`);
  await embedder.dispose();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

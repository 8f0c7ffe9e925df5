// The second stage's learned part: a linear score over FEATURE_NAMES, and the calibration that turns
// a score into a confidence. Trained by src/training/ranker.ts; shipped in rankers/<name>/ranker.json,
// and fitted to one embedding model (its features read that model's vectors and tokens).

import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { messageOf, UserError } from '../errors.js';
import { firstSubfolder, writeFileAtomic } from '../files.js';
import { FEATURE_COUNT, FEATURE_NAMES } from './features.js';

export const RANKER_FORMAT = 'codeintent-ranker';
export const RANKER_FILE = 'ranker.json';
const RANKER_CARD_FILE = 'README.md';

/**
 * The learned score of a candidate's feature row x, standardised as z = (x − mean) / spread:
 * s = bias + linear·z + Σ_h out_h · tanh(hidden_h·z + hiddenBias_h). No hidden units: a linear score.
 */
export interface RankerWeights {
  mean: number[];
  spread: number[];
  linear: number[];
  bias: number;
  hidden: number[][];
  hiddenBias: number[];
  out: number[];
}

export interface RankerFile extends RankerWeights {
  format: typeof RANKER_FORMAT;
  version: 1;
  /** The embedder id (Embedder.id) whose vectors and tokens the features read. */
  modelId: string;
  /** The features the weights are for, in order (FEATURE_NAMES when trained). */
  features: string[];
  /**
   * confidence = σ(scale · score + Σ features[f] · x_f + logCandidates · ln(candidates) + shift),
   * x_f the hit's raw feature values: the probability that a hit is a right answer, fitted on
   * validation. The score says how the hit compares with the other candidates, so its scale
   * depends on how many there are (a small workspace has few); the absolute features say how well
   * its words match at all.
   */
  calibration: { scale: number; shift: number; features?: Record<string, number>; logCandidates?: number };
  /** Below this confidence the best hit is "no close match" (chosen on validation). */
  noMatchBelow: number;
  /** Free-form provenance (data, figures); not read at search time. */
  training?: Record<string, unknown>;
}

/** The score of row k of `values` (FEATURE_COUNT numbers a row). */
export function scoreRow(w: RankerWeights, values: Float32Array, k: number, z = new Float64Array(FEATURE_COUNT)): number {
  const base = k * FEATURE_COUNT;
  for (let j = 0; j < FEATURE_COUNT; j++) z[j] = (values[base + j]! - w.mean[j]!) / w.spread[j]!;
  let s = w.bias;
  for (let j = 0; j < FEATURE_COUNT; j++) s += w.linear[j]! * z[j]!;
  for (let h = 0; h < w.out.length; h++) {
    const row = w.hidden[h]!;
    let a = w.hiddenBias[h]!;
    for (let j = 0; j < FEATURE_COUNT; j++) a += row[j]! * z[j]!;
    s += w.out[h]! * Math.tanh(a);
  }
  return s;
}

export interface Ranker {
  readonly source: string;
  readonly file: RankerFile;
  /** The score of each candidate row of `values`. */
  score(values: Float32Array, count: number): Float64Array;
  /** The confidence of the candidate in row k of `values` (of `count` candidates) whose score is `score`. */
  confidence(score: number, values: Float32Array, k: number, count: number): number;
}

export class RankerError extends UserError {
  override readonly name = 'RankerError';
}

export function createRanker(file: RankerFile, source: string): Ranker {
  if (file.features.length !== FEATURE_COUNT || file.features.some((name, i) => name !== FEATURE_NAMES[i])) {
    throw new RankerError(`${source}: its features (${file.features.length}) are not this version's (${FEATURE_COUNT}); retrain it`);
  }
  const { scale, shift } = file.calibration;
  const calibrated = Object.entries(file.calibration.features ?? {}).map(([name, weight]) => {
    const j = FEATURE_NAMES.indexOf(name as (typeof FEATURE_NAMES)[number]);
    if (j < 0) throw new RankerError(`${source}: its calibration reads an unknown feature ${name}; retrain it`);
    return { j, weight };
  });
  const z = new Float64Array(FEATURE_COUNT);
  return {
    source,
    file,
    score(values, count) {
      const out = new Float64Array(count);
      for (let k = 0; k < count; k++) out[k] = scoreRow(file, values, k, z);
      return out;
    },
    confidence(score, values, k, count) {
      let t = scale * score + shift + (file.calibration.logCandidates ?? 0) * Math.log(Math.max(1, count));
      for (const { j, weight } of calibrated) t += weight * values[k * FEATURE_COUNT + j]!;
      return 1 / (1 + Math.exp(-t));
    },
  };
}

const finite = (v: unknown, n: number): boolean => Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && Number.isFinite(x));

function isRankerFile(value: unknown): value is RankerFile {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const calibration = v['calibration'] as Record<string, unknown> | undefined;
  const features = v['features'];
  if (v['format'] !== RANKER_FORMAT || v['version'] !== 1 || typeof v['modelId'] !== 'string' || !Array.isArray(features)) return false;
  const n = features.length;
  const hidden = v['hidden'];
  const h = Array.isArray(hidden) ? hidden.length : -1;
  return (
    finite(v['mean'], n) &&
    finite(v['spread'], n) &&
    (v['spread'] as number[]).every((x) => x !== 0) &&
    finite(v['linear'], n) &&
    typeof v['bias'] === 'number' &&
    h >= 0 &&
    (hidden as unknown[]).every((row) => finite(row, n)) &&
    finite(v['hiddenBias'], h) &&
    finite(v['out'], h) &&
    typeof calibration?.['scale'] === 'number' &&
    typeof calibration['shift'] === 'number' &&
    typeof v['noMatchBelow'] === 'number'
  );
}

/** Reads a ranker folder (or its ranker.json). */
export async function readRanker(location: string): Promise<Ranker> {
  const file = location.endsWith('.json') ? location : path.join(location, RANKER_FILE);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new RankerError(`cannot read the ranker at ${file}: ${messageOf(error)}. --ranker takes default, none, or a folder holding a ranker.json (as rankers/code-static-v2/)`);
  }
  if (!isRankerFile(parsed)) throw new RankerError(`${file} is not a CodeIntent ranker (expected format "${RANKER_FORMAT}", version 1)`);
  return createRanker(parsed, file);
}

/** The first ranker for this exact model in `searchDirs` (sub-folders in name order), or undefined. */
export function findRanker(modelId: string, searchDirs: readonly string[]): Promise<Ranker | undefined> {
  return firstSubfolder(searchDirs, readRanker, (ranker) => ranker.file.modelId === modelId);
}

/**
 * 'none' → no second stage; a path → that ranker, which must fit the model; 'default' → the first
 * ranker found for this exact model in `searchDirs`, else none.
 */
export async function resolveRanker({ choice, modelId, searchDirs }: { choice: string; modelId: string; searchDirs: readonly string[] }): Promise<Ranker | undefined> {
  if (choice === 'none') return undefined;
  if (choice !== 'default') {
    const ranker = await readRanker(choice);
    if (ranker.file.modelId !== modelId) {
      throw new RankerError(`the ranker at ${choice} was trained for model ${ranker.file.modelId}, but the index uses ${modelId}; use --ranker none or train one for this model`);
    }
    return ranker;
  }
  return findRanker(modelId, searchDirs);
}

/** Writes a ranker folder: its card (README.md), then ranker.json, each whole or not at all. */
export async function writeRanker(dir: string, file: RankerFile, card: string): Promise<void> {
  createRanker(file, dir); // refuses a file this version cannot use
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(path.join(dir, RANKER_CARD_FILE), card.endsWith('\n') ? card : `${card}\n`);
  await writeFileAtomic(path.join(dir, RANKER_FILE), `${JSON.stringify(file, null, 2)}\n`);
}

/** Deletes a ranker folder (ranker.json first, so it stops counting at once). */
export async function removeRanker(dir: string): Promise<void> {
  await rm(path.join(dir, RANKER_FILE), { force: true });
  await rm(dir, { recursive: true, force: true });
}

/** Where `codeintent tune` keeps a workspace's own second stage: beside its index (and its tuned adapter). */
export function tunedRankersDir(indexDir: string): string {
  return path.join(indexDir, 'rankers');
}

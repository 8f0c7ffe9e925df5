// The query-adapter trainer on synthetic embedded pairs whose true relation is a known rotation of
// the space: training must undo it, deterministically, and the written adapter must load and apply
// the very same matrix.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { readAdapter, resolveAdapter, writeAdapter } from '../src/core/adapter.js';
import { BatchObjective, applyMatrix, identityMatrix, mineHardNegatives, rankAgainst, trainAdapter } from '../src/core/tune/adapter-training.js';
import type { EmbeddedPairs } from '../src/core/tune/adapter-training.js';
import { tempDir } from './helpers/fs.js';
import { createRng } from '../src/core/util/random.js';
import { metricsFromRanks, answerRanks, metricsFromScores } from '../src/core/tune/metrics.js';

const D = 24;

function gaussian(rng: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(rng() || 1e-12)) * Math.cos(2 * Math.PI * rng());
}

function normalise(rows: Float32Array, d: number): Float32Array {
  for (let i = 0; i < rows.length; i += d) {
    let norm = 0;
    for (let k = 0; k < d; k++) norm += (rows[i + k] ?? 0) ** 2;
    norm = Math.sqrt(norm);
    for (let k = 0; k < d; k++) rows[i + k] = (rows[i + k] ?? 0) / norm;
  }
  return rows;
}

/** A random orthogonal matrix (Gram-Schmidt on Gaussian rows). */
function rotation(d: number, next: () => number): Float32Array {
  const m = new Float64Array(d * d).map(() => next());
  for (let r = 0; r < d; r++) {
    for (let p = 0; p < r; p++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += (m[r * d + k] ?? 0) * (m[p * d + k] ?? 0);
      for (let k = 0; k < d; k++) m[r * d + k] = (m[r * d + k] ?? 0) - dot * (m[p * d + k] ?? 0);
    }
    let norm = 0;
    for (let k = 0; k < d; k++) norm += (m[r * d + k] ?? 0) ** 2;
    norm = Math.sqrt(norm);
    for (let k = 0; k < d; k++) m[r * d + k] = (m[r * d + k] ?? 0) / norm;
  }
  return Float32Array.from(m);
}

/** Codes are random; each query is the rotated code plus noise: q = normalise(R·c + σ·ε). */
function makePairs(n: number, R: Float32Array, next: () => number, noise = 0.25): EmbeddedPairs {
  const codes = normalise(Float32Array.from({ length: n * D }, next), D);
  const queries = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < D; r++) {
      let s = 0;
      for (let k = 0; k < D; k++) s += (R[r * D + k] ?? 0) * (codes[i * D + k] ?? 0);
      queries[i * D + r] = s + (noise * next()) / Math.sqrt(D);
    }
  }
  return { dimension: D, queries: normalise(queries, D), codes };
}

function validMrr(pairs: EmbeddedPairs, matrix?: Float32Array): number {
  const n = pairs.queries.length / D;
  return metricsFromRanks(rankAgainst(pairs.queries, pairs.codes, D, Array.from({ length: n }, (_, i) => [i]), matrix)).mrr;
}

let train: EmbeddedPairs;
let valid: EmbeddedPairs;
let scratch: { dir: string; cleanup: () => Promise<void> };

before(async () => {
  const next = gaussian(createRng(11));
  const R = rotation(D, next);
  train = makePairs(800, R, next);
  valid = makePairs(200, R, next);
  scratch = await tempDir('codeintent-adapter-');
});
after(() => scratch.cleanup());

describe('trainAdapter', () => {
  test('undoes a rotation of the space: validation MRR rises far above the identity', () => {
    const identity = validMrr(valid);
    const { matrix, report } = trainAdapter(train, valid, { seed: 3, epochs: 12, patience: 3, learningRate: 0.02, l2: 0.001 });
    const trained = validMrr(valid, matrix);
    assert.ok(identity < 0.2, `the rotation hides the answers from the identity (MRR ${identity.toFixed(3)})`);
    assert.ok(trained > identity + 0.5, `MRR ${identity.toFixed(3)} → ${trained.toFixed(3)}`);
    assert.ok(report.bestEpoch >= 1 && report.bestEpoch <= report.epochs);
    assert.ok(Math.abs(report.validBefore.mrr - identity) < 1e-9, 'the report measures the identity on the same pool');
    assert.ok(Math.abs(report.validAfter.mrr - trained) < 1e-9, 'the report measures the kept matrix');
    assert.equal(report.history.length, report.epochs);
    assert.ok(report.history.every((e) => Number.isFinite(e.loss)));
  });

  test('is deterministic for a seed (same bytes), and the seed matters', () => {
    const options = { seed: 5, epochs: 2 };
    const a = trainAdapter(train, valid, options).matrix;
    const b = trainAdapter(train, valid, options).matrix;
    const c = trainAdapter(train, valid, { ...options, seed: 6 }).matrix;
    assert.ok(Buffer.from(a.buffer).equals(Buffer.from(b.buffer)));
    assert.ok(!Buffer.from(a.buffer).equals(Buffer.from(c.buffer)));
  });

  test('keeps the starting matrix (bestEpoch 0) when training cannot beat it', () => {
    // Queries unrelated to their codes: nothing to learn that carries over to validation.
    const next = gaussian(createRng(2));
    const noise = (n: number): EmbeddedPairs => ({ dimension: D, queries: normalise(Float32Array.from({ length: n * D }, next), D), codes: normalise(Float32Array.from({ length: n * D }, next), D) });
    const start = identityMatrix(D);
    const { matrix, report } = trainAdapter(noise(200), valid, { seed: 1, epochs: 3, patience: 1, initial: start });
    assert.equal(report.bestEpoch, 0);
    assert.deepEqual(report.validAfter, report.validBefore);
    assert.deepEqual(matrix, start);
    assert.notEqual(matrix, start, "a copy, not the caller's array");
  });

  test('names a bad option', () => {
    assert.throws(() => trainAdapter(train, valid, { batchSize: 0 }), /`batchSize` must be a positive integer/);
    assert.throws(() => trainAdapter(train, valid, { temperature: -1 }), /`temperature` must be a positive number/);
    assert.throws(() => trainAdapter(train, { ...valid, dimension: 8 }, {}), /dimension 8/);
  });

  test('the batch gradient matches finite differences', () => {
    const n = 12;
    const pairs: EmbeddedPairs = {
      dimension: 6,
      queries: normalise(Float32Array.from({ length: n * 6 }, gaussian(createRng(4))), 6),
      codes: normalise(Float32Array.from({ length: n * 6 }, gaussian(createRng(5))), 6),
      hardNegatives: Array.from({ length: n }, (_, i) => [(i + 1) % n, (i + 7) % n]),
    };
    const anchor = identityMatrix(6);
    const objective = new BatchObjective(pairs, 6, 2, 0.1, 0.05, anchor);
    const perturb = gaussian(createRng(6));
    const W = Float32Array.from(anchor, (x) => x + 0.1 * perturb());
    const batch = [0, 2, 4, 5, 9];
    const grad = new Float64Array(36);
    objective.evaluate(batch, W, grad);
    for (const p of [0, 1, 7, 20, 35]) {
      const eps = 1e-2;
      const plus = Float32Array.from(W);
      const minus = Float32Array.from(W);
      plus[p] = (plus[p] ?? 0) + eps;
      minus[p] = (minus[p] ?? 0) - eps;
      const numeric = (objective.evaluate(batch, plus, new Float64Array(36)) - objective.evaluate(batch, minus, new Float64Array(36))) / (2 * eps);
      assert.ok(Math.abs(numeric - (grad[p] ?? 0)) < 1e-3 * Math.max(1, Math.abs(numeric)), `∂/∂W[${p}]: numeric ${numeric}, analytic ${grad[p]}`);
    }
  });
});

describe('evaluation helpers', () => {
  test('answerRanks agrees with metricsFromScores on a square pool, ties included', () => {
    const n = 5;
    const scores = Float32Array.from({ length: n * n }, (_, p) => [0.1, 0.5, 0.5, 0.2, 0.9][p % 7 % 5] ?? 0);
    const ranks = answerRanks(scores, n, Array.from({ length: n }, (_, i) => [i]));
    assert.deepEqual(metricsFromRanks(ranks), metricsFromScores(scores, n));
  });

  test('several right answers: the best-scored one counts, the others are not competitors', () => {
    const scores = Float32Array.from([0.9, 0.8, 0.7, 0.95]);
    assert.deepEqual([...answerRanks(scores, 4, [[1, 2]])], [3]);
    assert.deepEqual([...answerRanks(scores, 4, [[0, 1]])], [2]);
  });

  test('mineHardNegatives: the top-scoring other codes, never the own code or a copy of it, within the group', () => {
    const codes = normalise(Float32Array.from([1, 0, 0, 1, 0, 0, 0.9, 0.1, 0, 0, 1, 0]), 3);
    const pairs: EmbeddedPairs = { dimension: 3, queries: Float32Array.from(codes), codes };
    assert.deepEqual(mineHardNegatives(pairs, 2), [[2, 3], [2, 3], [0, 1], [2, 0]]);
    assert.deepEqual(mineHardNegatives(pairs, 2, { groups: ['a', 'a', 'a', 'b'] }), [[2], [2], [0, 1], []]);
  });
});

describe('writeAdapter', () => {
  test('writes what readAdapter loads, and the loaded adapter applies the same matrix', async () => {
    const { matrix } = trainAdapter(train, valid, { seed: 3, epochs: 2 });
    const dir = path.join(scratch.dir, 'adapters', 'synthetic');
    await writeAdapter(dir, { modelId: 'test:model', dimension: D, matrix, card: '# synthetic' });
    const loaded = await readAdapter(dir);
    assert.deepEqual(loaded.info, { format: 'codeintent-adapter', version: 1, modelId: 'test:model', dimension: D, matrixFile: 'matrix.f32' });
    assert.ok(Buffer.from(loaded.matrix.buffer, loaded.matrix.byteOffset, loaded.matrix.byteLength).equals(Buffer.from(matrix.buffer)));
    const query = valid.queries.subarray(0, D);
    const expected = applyMatrix(matrix, query, D);
    const applied = loaded.adapter.apply(query);
    for (let k = 0; k < D; k++) assert.ok(Math.abs((applied[k] ?? 0) - (expected[k] ?? 0)) < 1e-6);

    const chosen = await resolveAdapter({ choice: 'default', modelId: 'test:model', searchDirs: [path.dirname(dir)] });
    assert.equal(chosen.source, dir);
    const other = await resolveAdapter({ choice: 'default', modelId: 'other:model', searchDirs: [path.dirname(dir)] });
    assert.equal(other.source, 'identity');
  });

  test('refuses a matrix of the wrong size', async () => {
    await assert.rejects(writeAdapter(path.join(scratch.dir, 'bad'), { modelId: 'm', dimension: 3, matrix: new Float32Array(8), card: '' }), /expected 3×3/);
  });
});

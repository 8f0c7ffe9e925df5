// The ONNX export of our static model (scripts/export-static-onnx.ts) run by the transformers.js
// backend must embed like the native model: same vectors for texts whose identifiers are single
// words, the query-side weights for queries.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { exportStaticOnnx } from '../scripts/export-static-onnx.js';
import { createEmbedder } from '../src/core/embed/index.js';
import { DEFAULT_MODEL_DIR, resolveModel } from '../src/core/models.js';
import type { Embedder } from '../src/core/types.js';

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, i) => sum + x * (b[i] ?? 0), 0);

const TEXTS = [
  'parse the http response body and return the status',
  'def add(a, b):\n    return a + b\n',
  'retry failed webhook deliveries with exponential backoff',
  'the the the file file',
];

describe('ONNX export of the default model', () => {
  let dir = '';
  let native: Embedder;
  let onnx: Embedder;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'codeintent-onnx-'));
    await exportStaticOnnx(DEFAULT_MODEL_DIR, dir);
    native = await createEmbedder(await resolveModel('default'));
    onnx = await createEmbedder(await resolveModel(dir));
  });
  after(async () => {
    await native?.dispose();
    await onnx?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('the folder is a transformers.js model with the same dimension', () => {
    assert.match(onnx.id, /^transformers:/);
    assert.equal(onnx.dimension, native.dimension);
  });

  for (const kind of ['document', 'query'] as const) {
    test(`${kind} vectors equal the native model's`, async () => {
      const [a, b] = await Promise.all([native.embed(TEXTS, kind), onnx.embed(TEXTS, kind)]);
      a.forEach((v, i) => assert.ok(cosine(v, b[i] ?? new Float32Array()) > 0.999, `${kind} ${JSON.stringify(TEXTS[i])}: cosine ${cosine(v, b[i] ?? new Float32Array())}`));
    });
  }

  test('queries use the query-side weights', async () => {
    const [doc] = await onnx.embed([TEXTS[0] ?? ''], 'document');
    const [query] = await onnx.embed([TEXTS[0] ?? ''], 'query');
    assert.ok(doc && query && cosine(doc, query) < 0.999, 'a query and a document of the same words differ');
  });

  test('a camelCase identifier still meets its words', async () => {
    const [code] = await onnx.embed(['function getUserById(id) { return users.find(id); }'], 'document');
    const [near, far] = await onnx.embed(['get user by id', 'compress an image'], 'query');
    assert.ok(code && near && far && cosine(code, near) > cosine(code, far));
  });
});

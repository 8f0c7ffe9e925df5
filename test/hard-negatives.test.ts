import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mineHardNegatives, neighbourOrder } from '../src/training/hard-negatives.js';
import type { TrainingPair } from '../src/training/static-model.js';
import { createRng } from '../src/core/util/random.js';

const pair = (pkg: string, symbol: string, query: string, code: string): TrainingPair => ({ pkg, language: 'javascript', path: `lib/${symbol}.js`, symbol, query, code });

// Shapes of real library functions (express, cookie, ms): look-alikes share the query's words.
const PAIRS: TrainingPair[] = [
  pair('express', 'getHeader', 'Return request header', 'function getHeader(req, name) {\n  const lc = name.toLowerCase();\n  return req.headers[lc];\n}'),
  pair('express', 'setHeader', 'Set response header field to value', 'function setHeader(res, field, value) {\n  res.headers[field.toLowerCase()] = String(value);\n  return res;\n}'),
  pair('undici', 'parseHeaders', 'Parse raw request headers into an object', 'function parseHeaders(raw) {\n  const headers = {};\n  for (const line of raw.split("\\r\\n")) { const [k, v] = line.split(": "); headers[k.toLowerCase()] = v; }\n  return headers;\n}'),
  pair('cookie', 'parse', 'Parse a cookie header', 'function parse(header) {\n  const out = {};\n  for (const part of header.split(";")) { const [k, v] = part.trim().split("="); out[k] = decodeURIComponent(v); }\n  return out;\n}'),
  pair('ms', 'fmtShort', 'Short format for milliseconds', 'function fmtShort(ms) {\n  if (ms >= 86400000) return Math.round(ms / 86400000) + "d";\n  return ms + "ms";\n}'),
  // The same code under another query: a second answer, never a negative of the first.
  pair('express-copy', 'getHeader', 'Get the value of a request header', 'function getHeader(req, name) {\n  const lc = name.toLowerCase();\n  return req.headers[lc];\n}'),
  pair('koa', 'vary', 'Return request header', 'function vary(res, field) {\n  res.append("Vary", field);\n}'),
];

test('mined negatives rank the look-alikes first and are never the answer (same code or same query)', () => {
  const neighbours = mineHardNegatives(PAIRS, { shardSize: 64, perPair: 2, alpha: 0.7, seed: 1 });
  assert.equal(neighbours.length, PAIRS.length);
  neighbours.forEach((list, i) => {
    const self = PAIRS[i] as TrainingPair;
    assert.ok(list.length <= 2);
    assert.equal(new Set(list).size, list.length);
    for (const j of list) {
      const other = PAIRS[j] as TrainingPair;
      assert.notEqual(j, i);
      assert.notEqual(other.code, self.code, `pair ${i}: ${j} has the same code`);
      assert.notEqual(other.query, self.query, `pair ${i}: ${j} has the same query`);
    }
  });
  // "Return request header": the header setters and parsers, not the milliseconds formatter.
  assert.ok(!(neighbours[0] ?? []).includes(4));
  assert.deepEqual([...(neighbours[0] ?? [])].sort(), [1, 3]);
  assert.ok(!(neighbours[0] ?? []).includes(5) && !(neighbours[0] ?? []).includes(6));
});

test('a model scorer is fused with BM25, and mining is deterministic for a seed', () => {
  // A scorer that prefers the milliseconds formatter for every query moves it into the lists.
  const prefersMs = (shard: readonly number[]): Float32Array => {
    const n = shard.length;
    const s = new Float32Array(n * n);
    for (let q = 0; q < n; q++) for (let d = 0; d < n; d++) s[q * n + d] = shard[d] === 4 ? 10 : 0;
    return s;
  };
  const fused = mineHardNegatives(PAIRS, { shardSize: 64, perPair: 2, alpha: 0.9, seed: 1 }, prefersMs);
  assert.ok((fused[0] ?? []).includes(4));
  assert.deepEqual(mineHardNegatives(PAIRS, { shardSize: 3, perPair: 2, alpha: 0.7, seed: 5 }), mineHardNegatives(PAIRS, { shardSize: 3, perPair: 2, alpha: 0.7, seed: 5 }));
  // Shards of 3: neighbours come from the pair's own shard only.
  const sharded = mineHardNegatives(PAIRS, { shardSize: 3, perPair: 5, alpha: 0.7, seed: 5 });
  assert.ok(sharded.every((list) => list.length <= 2));
});

test('the batch order places every pair once, each followed by its unplaced neighbours', () => {
  const neighbours = mineHardNegatives(PAIRS, { shardSize: 64, perPair: 3, alpha: 0.7, seed: 1 });
  const order = neighbourOrder(neighbours, 3, createRng(2));
  assert.deepEqual([...order].sort((a, b) => a - b), PAIRS.map((_, i) => i));
  const first = order[0] ?? 0;
  const next = order.slice(1, 3);
  assert.ok(next.every((j) => (neighbours[first] ?? []).includes(j)) || (neighbours[first] ?? []).length < 2);
});

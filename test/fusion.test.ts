import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dropOverlaps, reciprocalRankFusion } from '../src/core/fusion.js';

const hit = (path: string, startLine: number, endLine: number) => ({ path, startLine, endLine });

test('a hit ranked well by both lists beats hits ranked first by only one', () => {
  const both = hit('a.ts', 1, 10);
  const vectorOnly = hit('b.ts', 1, 10);
  const lexicalOnly = hit('c.ts', 1, 10);
  const fused = reciprocalRankFusion([
    { hits: [vectorOnly, both], weight: 1 },
    { hits: [lexicalOnly, both], weight: 1 },
  ]);
  assert.deepEqual(fused.map((f) => f.hit.path), ['a.ts', 'b.ts', 'c.ts']);
});

test('weights decide between lists, and a zero weight ignores a list', () => {
  const a = hit('a.ts', 1, 2);
  const b = hit('b.ts', 1, 2);
  assert.equal(reciprocalRankFusion([{ hits: [a], weight: 1 }, { hits: [b], weight: 2 }])[0]?.hit.path, 'b.ts');
  assert.deepEqual(reciprocalRankFusion([{ hits: [a], weight: 1 }, { hits: [b], weight: 0 }]).map((f) => f.hit.path), ['a.ts']);
});

test('near-duplicate ranges of one file are dropped, nested small ranges and other files kept', () => {
  const kept = dropOverlaps([
    hit('a.ts', 1, 100), // a class
    hit('a.ts', 2, 99), // the same lines again: dropped
    hit('a.ts', 10, 20), // a method inside the class: kept
    hit('b.ts', 1, 100), // another file: kept
  ]);
  assert.deepEqual(kept, [hit('a.ts', 1, 100), hit('a.ts', 10, 20), hit('b.ts', 1, 100)]);
});

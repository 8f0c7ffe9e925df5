// The corpus's (query, code) pairs as the training scripts read them: scripts/corpus writes one
// JSON line per pair into <pairs>/<split>.jsonl.

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { MAX_EMBEDDED_CHARS } from '../src/core/embedding-text.js';
import type { TrainingPair } from '../src/training/static-model.js';

export { SPLITS, type Split } from './corpus/common.js';

function asPair(value: unknown, where: string): TrainingPair {
  if (typeof value !== 'object' || value === null) throw new Error(`${where}: not an object`);
  const record = value as Record<string, unknown>;
  const field = (name: string): string => {
    const v = record[name];
    if (typeof v !== 'string') throw new Error(`${where}: field ${name} must be a string`);
    return v;
  };
  // documentText cuts at MAX_EMBEDDED_CHARS, so longer code is never seen; keep memory bounded.
  return { pkg: field('pkg'), language: field('language'), path: field('path'), symbol: field('symbol'), query: field('query'), code: field('code').slice(0, MAX_EMBEDDED_CHARS) };
}

/** The pairs of one split file; pairs with an empty query or code are left out. */
export async function readPairs(file: string): Promise<TrainingPair[]> {
  const pairs: TrainingPair[] = [];
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    const pair = asPair(JSON.parse(line) as unknown, `${file}:${n}`);
    if (pair.query.trim() === '' || pair.code.trim() === '') continue;
    pairs.push(pair);
  }
  return pairs;
}

/** How many items have each key, most first (ties by key). */
export function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return new Map([...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
}

// One-off evidence for docs/performance.md: why the embedding-cache lookups of a cold index slow
// down as it runs. It rebuilds the cache table's access pattern on LanceDB alone (no CodeIntent
// code): ~28k rows of (key, 256-d vector) written by one mergeInsert per 64 texts, as withCache
// does during a cold index, then 64-key `IN (...)` lookups on the table with many fragments, after
// compaction, and with a BTree index on the key.
//
//   node out/scripts/perf/cache-experiment.js [DIR]   (default: .cache/perf/cache-experiment)

import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import * as arrow from 'apache-arrow';
import { median } from './stats.js';

const DIMENSION = 256;
const ROWS = 28_416;
const BATCH = 64;

const key = (i: number): string => createHash('sha256').update(String(i)).digest('hex');
const row = (i: number): Record<string, unknown> => ({ key: key(i), vector: Array.from({ length: DIMENSION }, (_, j) => Math.sin(i + j)) });
const rows = (from: number, count: number) => Array.from({ length: count }, (_, j) => row(from + j));
const keyIn = (keys: readonly string[]) => `key IN (${keys.map((k) => `'${k}'`).join(', ')})`;

/** Median ms of 20 lookups of 64 keys, half of them present. */
async function lookupMs(table: lancedb.Table): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < 20; r++) {
    const keys = Array.from({ length: BATCH }, (_, j) => key((r * 997 + j * 131) % (ROWS * 2)));
    const start = performance.now();
    await table.query().where(keyIn(keys)).select(['key', 'vector']).toArray();
    times.push(performance.now() - start);
  }
  return median(times);
}

async function main(): Promise<void> {
  const dir = path.resolve(process.argv[2] ?? path.join('.cache', 'perf', 'cache-experiment'));
  await rm(dir, { recursive: true, force: true });
  const db = await lancedb.connect(dir);
  const schema = new arrow.Schema([
    new arrow.Field('key', new arrow.Utf8()),
    new arrow.Field('vector', new arrow.FixedSizeList(DIMENSION, new arrow.Field('item', new arrow.Float32()))),
  ]);
  const say = (line: string) => process.stdout.write(`${line}\n`);

  const table = await db.createEmptyTable('fragmented', schema);
  let start = performance.now();
  for (let i = 0; i < ROWS; i += BATCH) await table.mergeInsert('key').whenNotMatchedInsertAll().execute(rows(i, BATCH));
  say(`fill with ${ROWS / BATCH} mergeInserts of ${BATCH} rows: ${((performance.now() - start) / 1000).toFixed(1)} s`);
  say(`lookup of ${BATCH} keys, ${ROWS / BATCH} fragments, no index: ${(await lookupMs(table)).toFixed(1)} ms`);
  await table.optimize({ cleanupOlderThan: new Date(Date.now() + 1000) });
  say(`lookup of ${BATCH} keys, compacted, no index: ${(await lookupMs(table)).toFixed(1)} ms`);
  await table.createIndex('key', { config: lancedb.Index.btree() });
  say(`lookup of ${BATCH} keys, compacted, BTree index on key: ${(await lookupMs(table)).toFixed(1)} ms`);

  const bulk = await db.createEmptyTable('bulk', schema);
  start = performance.now();
  await bulk.add(rows(0, ROWS));
  say(`fill with one add() of ${ROWS} rows: ${((performance.now() - start) / 1000).toFixed(1)} s`);
  db.close();
  await rm(dir, { recursive: true, force: true });
}

await main();

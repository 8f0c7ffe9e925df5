// node out/scripts/bench-ann.js --root R --db D [--runs 3]   (BENCH_ANN_ONLY=IVF_FLAT,HNSW… picks candidates)
//
// Which approximate (ANN) vector index a large CodeIntent index should get, by measurement: on the
// chunks table of an existing index (D, built by `codeintent index R --db D`), each candidate index
// type is built, then every query of scripts/perf/queries.ts is run through it at several nprobes /
// refine / ef settings and compared with the exact (flat) scan of the same table: recall@10 and @100 (the
// second stage reads the top 100) and the median latency (HNSW needs ef ≥ rows asked × refine). The table's vector index is replaced by
// each candidate in turn and dropped at the end. Figures: docs/performance.md, "The vector index".

import path from 'node:path';
import { parseArgs } from 'node:util';
import * as lancedb from '@lancedb/lancedb';
import { Workspace } from '../src/core/workspace.js';
import { PERF_QUERIES } from './perf/queries.js';
import { median } from './perf/stats.js';

const { values } = parseArgs({ options: { root: { type: 'string' }, db: { type: 'string' }, runs: { type: 'string', default: '3' } } });
if (!values.root || !values.db) {
  console.error('usage: node out/scripts/bench-ann.js --root FOLDER --db INDEX_FOLDER [--runs 3]');
  process.exit(2);
}
const runs = Number(values.runs);

interface Setting {
  nprobes: number;
  refine: number;
  /** HNSW's candidate list while searching (LanceDB's default when absent). */
  ef?: number;
}

interface Candidate {
  name: string;
  config: (rows: number, dimension: number) => lancedb.Index;
  settings: Setting[];
}

const sqrtPartitions = (rows: number) => Math.max(16, Math.round(Math.sqrt(rows)));
const grid = (nprobes: number[], refine: number[], ef: (number | undefined)[] = [undefined]): Setting[] =>
  nprobes.flatMap((n) => refine.flatMap((r) => ef.map((e) => ({ nprobes: n, refine: r, ...(e === undefined ? {} : { ef: e }) }))));
const CANDIDATES: Candidate[] = [
  { name: 'IVF_FLAT, √n partitions', config: (rows) => lancedb.Index.ivfFlat({ numPartitions: sqrtPartitions(rows), distanceType: 'cosine' }), settings: grid([10, 20, 40], [1]) },
  { name: 'IVF_FLAT, 64 partitions', config: () => lancedb.Index.ivfFlat({ numPartitions: 64, distanceType: 'cosine' }), settings: grid([8, 16, 32], [1]) },
  { name: 'IVF_PQ, √n partitions', config: (rows, d) => lancedb.Index.ivfPq({ numPartitions: sqrtPartitions(rows), numSubVectors: d / 8, distanceType: 'cosine' }), settings: grid([10, 20, 40], [5, 10]) },
  { name: 'IVF_RQ, √n partitions', config: (rows) => lancedb.Index.ivfRq({ numPartitions: sqrtPartitions(rows), distanceType: 'cosine' }), settings: grid([10, 20, 40], [5, 10]) },
  { name: 'IVF_HNSW_SQ, 1 partition per 100k', config: (rows) => lancedb.Index.hnswSq({ numPartitions: Math.max(1, Math.round(rows / 100_000)), distanceType: 'cosine' }), settings: grid([1, 2], [1, 5]) },
  { name: 'HNSW_SQ, 1 partition', config: () => lancedb.Index.hnswSq({ numPartitions: 1, distanceType: 'cosine' }), settings: grid([1], [1], [100, 200, 400]) },
];
const only = process.env['BENCH_ANN_ONLY']?.split(',');

const ws = await Workspace.open({ root: values.root, indexDir: values.db });
const adapter = await ws.queryAdapter();
const queries: Float32Array[] = [];
for (const query of PERF_QUERIES) {
  const [vector] = await ws.embedder.embed([query], 'query');
  if (vector) queries.push(adapter.apply(vector));
}
await ws.close();

const lanceDir = path.join(values.db, 'lance');
const db = await lancedb.connect(lanceDir);
const name = (await db.tableNames()).find((n) => n.startsWith('chunks_'));
if (!name) throw new Error(`no chunks table in ${lanceDir}`);
const table = await db.openTable(name);
const rows = await table.countRows();
const dimension = queries[0]?.length ?? 0;
console.log(`${name}: ${rows} chunks, ${dimension} dimensions, ${queries.length} queries`);

async function top(vector: Float32Array, limit: number, setting: Setting | 'flat'): Promise<bigint[]> {
  let query = table.vectorSearch(Array.from(vector)).distanceType('cosine').select(['path', '_distance']).withRowId().limit(limit);
  if (setting === 'flat') query = query.bypassVectorIndex();
  else {
    query = query.nprobes(setting.nprobes).refineFactor(setting.refine);
    if (setting.ef !== undefined) query = query.ef(setting.ef);
  }
  const found = (await query.toArray()) as { _rowid: bigint }[];
  return found.map((row) => row._rowid);
}

/** Each query's top 100, and the median latency over `runs` passes. */
async function measure(setting: Setting | 'flat'): Promise<{ ids: bigint[][]; p50: number }> {
  const times: number[] = [];
  let ids: bigint[][] = [];
  for (let run = 0; run < runs; run++) {
    ids = [];
    for (const vector of queries) {
      const started = performance.now();
      ids.push(await top(vector, 100, setting));
      times.push(performance.now() - started);
    }
  }
  return { ids, p50: median(times) };
}

function recall(found: bigint[][], exact: bigint[][], k: number): number {
  let hit = 0;
  let total = 0;
  found.forEach((ids, i) => {
    const truth = new Set((exact[i] ?? []).slice(0, k));
    hit += ids.slice(0, k).filter((id) => truth.has(id)).length;
    total += truth.size;
  });
  return total === 0 ? 1 : hit / total;
}

const dropVectorIndex = async () => {
  for (const index of await table.listIndices()) if (index.columns.includes('vector')) await table.dropIndex(index.name);
};
await dropVectorIndex();
const flat = await measure('flat');
console.log(`| index | build s | nprobes | refine | ef | recall@10 | recall@100 | p50 ms |`);
console.log(`| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`);
console.log(`| flat scan | — | — | — | — | 1.000 | 1.000 | ${flat.p50.toFixed(1)} |`);
for (const candidate of CANDIDATES.filter((c) => !only || only.some((word) => c.name.startsWith(word)))) {
  await dropVectorIndex();
  const started = performance.now();
  try {
    await table.createIndex('vector', { config: candidate.config(rows, dimension), replace: true });
  } catch (error) {
    console.log(`| ${candidate.name} | failed: ${(error as Error).message.split('\n')[0]} |`);
    continue;
  }
  const build = (performance.now() - started) / 1000;
  for (const setting of candidate.settings) {
    const { ids, p50 } = await measure(setting);
    console.log(`| ${candidate.name} | ${build.toFixed(1)} | ${setting.nprobes} | ${setting.refine} | ${setting.ef ?? 'default'} | ${recall(ids, flat.ids, 10).toFixed(3)} | ${recall(ids, flat.ids, 100).toFixed(3)} | ${p50.toFixed(1)} |`);
  }
}
await dropVectorIndex();
db.close();

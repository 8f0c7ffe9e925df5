// What the index costs on disk: vectors in half precision (searched as before) and no files left
// behind by the versions a run replaced. Real LanceDB on disk, real files.

import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as lancedb from '@lancedb/lancedb';
import { listManifests, readManifest } from '../src/core/lance-manifest.js';
import { IndexStore, type ChunkRow, type FileRow } from '../src/core/store.js';
import { fromHalfBits, toHalfBits } from '../src/core/util/half.js';
import { Workspace } from '../src/core/workspace.js';
import { tempDir, writeTree } from './helpers/fs.js';
import { makeRandomStaticModel } from './helpers/model.js';
import { BILLING_TS, UTIL_PY } from './helpers/sources.js';

let scratch: { dir: string; cleanup: () => Promise<void> };
let model: string;

before(async () => {
  scratch = await tempDir();
  model = await makeRandomStaticModel(path.join(scratch.dir, 'model'));
});
after(() => scratch.cleanup());

describe('half precision', () => {
  test('every half value survives a round trip, and no finite float becomes NaN', () => {
    const every = Uint16Array.from({ length: 0x10000 }, (_, i) => i);
    const back = toHalfBits(fromHalfBits(every));
    for (let bits = 0; bits < 0x10000; bits++) {
      const nan = (bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0;
      if (!nan) assert.equal(back[bits], bits, `bits ${bits.toString(16)}`);
    }
    // Values whose rounding carries into the exponent (apache-arrow's own conversion made NaN of some).
    const edge = Float32Array.from([0.0999994, 0.12499999, 0.24999999, 0.9999999, 65503.9, 65519, 65520, 1e6, 1e-8, -0.062499996, 2 ** -24 * 0.5]);
    const halves = fromHalfBits(toHalfBits(edge));
    assert.deepEqual(Array.from(halves), [0.0999755859375, 0.125, 0.25, 1, 65504, 65504, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, 0, -0.0625, 0]);
  });

  test('rounds to the nearest value, ties to even, within 2^-11 relative', () => {
    assert.equal(fromHalfBits(toHalfBits(Float32Array.from([1 + 2 ** -11])))[0], 1, 'a tie goes to the even mantissa');
    assert.equal(fromHalfBits(toHalfBits(Float32Array.from([1 + 3 * 2 ** -11])))[0], 1 + 2 ** -9, 'and up from an odd one');
    const values = Float32Array.from({ length: 10_000 }, (_, i) => Math.sin(i * 12.9898) * 0.3);
    const back = fromHalfBits(toHalfBits(values));
    values.forEach((v, i) => assert.ok(Math.abs((back[i] ?? 0) - v) <= Math.max(Math.abs(v), 2 ** -14) * 2 ** -11, `${v} → ${back[i]}`));
  });
});

async function openWorkspace(name: string, files: Record<string, string>, options: { versionGraceMs?: number } = {}) {
  const root = path.join(scratch.dir, name);
  await writeTree(root, files);
  const indexDir = path.join(scratch.dir, `${name}-index`);
  const ws = await Workspace.open({ root, indexDir, model, ...options });
  return { root, indexDir, ws };
}

async function fullTextIndexStats(indexDir: string): Promise<lancedb.IndexStatistics> {
  const db = await lancedb.connect(path.join(indexDir, 'lance'));
  const table = await db.openTable(path.basename(await chunksTableDir(indexDir), '.lance'));
  try {
    const fts = (await table.listIndices()).find((index) => index.columns.includes('terms'));
    assert.ok(fts, 'a full-text index');
    const stats = await table.indexStats(fts.name);
    assert.ok(stats);
    return stats;
  } finally {
    table.close();
    db.close();
  }
}

async function chunksTableDir(indexDir: string): Promise<string> {
  const lance = path.join(indexDir, 'lance');
  const table = (await readdir(lance)).find((name) => name.startsWith('chunks_'));
  assert.ok(table, 'a chunks table');
  return path.join(lance, table);
}

describe('the index on disk', () => {
  test('vectors are stored in half precision and a chunk is still its own nearest neighbour', async () => {
    const { indexDir, ws } = await openWorkspace('half', { 'src/billing.ts': BILLING_TS, 'tools/util.py': UTIL_PY });
    try {
      await ws.index();
      const db = await lancedb.connect(path.join(indexDir, 'lance'));
      const table = await db.openTable(path.basename(await chunksTableDir(indexDir), '.lance'));
      const vectorField = (await table.schema()).fields.find((f) => f.name === 'vector');
      assert.match(String(vectorField?.type), /^FixedSizeList\[\d+\]<Float16>$/);
      table.close();
      db.close();

      const [hit] = await ws.search('retry failed webhook', { mode: 'vector', top: 1 });
      assert.equal(hit?.symbol, 'retryFailedWebhook');
      const dimension = ws.store.info.dimension;
      const stored = (await ws.store.vectorSearch(new Float32Array(dimension).fill(1 / Math.sqrt(dimension)), 50)).find((h) => h.symbol === 'retryFailedWebhook');
      assert.ok(stored, 'the chunk is among the candidates');
      const norm = Math.hypot(...stored.vector);
      assert.ok(Math.abs(norm - 1) < 1e-3, `a stored vector is still of unit length (${norm})`);
      const [self] = await ws.store.vectorSearch(stored.vector, 1);
      assert.equal(self?.symbol, 'retryFailedWebhook');
      assert.ok((self?.score ?? 0) > 0.999, `its own vector scores ${self?.score}`);
    } finally {
      await ws.close();
    }
  });

  test("old versions' files outlive them by the grace period for readers, then the next run deletes them", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 20; i++) files[`src/m${i}.ts`] = `export function step${i}(x: number) {\n  return x + ${i};\n}\n`;
    // Long enough that the run which compacts is over before its replaced files' grace is.
    const graceMs = 4000;
    const { root, indexDir, ws } = await openWorkspace('prune', files, { versionGraceMs: graceMs });
    const dir = await chunksTableDir(indexDir);
    const filesOnDisk = async () => (await readdir(path.join(dir, 'data'))).sort();
    const filesOf = async (version: { file: string; version: number }) =>
      (await readManifest(version.file, version.version)).fragments.flatMap((f) => f.dataFiles.map((d) => path.basename(d.path))).sort();
    const filesNeeded = async () => filesOf((await listManifests(dir))[0]!);
    try {
      await ws.index();
      // One changed file a run adds a small fragment; the 16th makes the run compact them all.
      for (let round = 0; round < 17; round++) {
        await writeFile(path.join(root, `src/m${round}.ts`), `export function changed${round}() {\n  return ${round};\n}\n`);
        await ws.index();
      }
      assert.ok((await filesOnDisk()).length > (await filesNeeded()).length, 'the replaced fragments are kept for a while');
      await new Promise((resolve) => setTimeout(resolve, graceMs + 200));
      const summary = await ws.index();
      assert.equal(summary.indexed, 0, 'a run that changed nothing');
      // Left: the newest version and the few this run wrote a moment ago (its pruning compacted the
      // last small fragments and folded them into the indexes), and only their files.
      const versions = await listManifests(dir);
      assert.ok(versions.length <= 3, `${versions.length} versions left`);
      assert.deepEqual(await filesOnDisk(), [...new Set((await Promise.all(versions.map((v) => filesOf(v)))).flat())].sort());
      const [hit] = await ws.search('changed 16', { mode: 'lexical', top: 1 });
      assert.equal(hit?.symbol, 'changed16', 'and the index answers');
    } finally {
      await ws.close();
    }
  });

  test('a changed file in a large table is searched beside the indexes, not merged into them by pruning', async () => {
    // LanceDB calls a fragment small below 100k rows; a table whose rows are one large fragment and a
    // changed file's small one is what a big workspace has after an edit.
    const dir = path.join(scratch.dir, 'large-table-index');
    const store = await IndexStore.open({ dir, root: scratch.dir, embedderId: 'test:large', dimension: 4, versionGraceMs: 0, vectorIndexMinRows: Number.MAX_SAFE_INTEGER });
    const file = (name: string, chunks: number): FileRow => ({ path: name, hash: name, size: 1, mtimeMs: 1, ctimeMs: 1, chunks });
    const chunk = (name: string, i: number, terms: string): ChunkRow => ({ path: name, language: 'typescript', kind: 'function', symbol: `f${i}`, container: '', startLine: i + 1, endLine: i + 1, text: terms, doc: '', terms, vector: Float32Array.from([1, i % 7, 0, 1]) });
    try {
      await store.replaceFiles([file('big.ts', 120_000)], Array.from({ length: 120_000 }, (_, i) => chunk('big.ts', i, `step w${i % 5000}`)), []);
      await store.optimize();
      await store.pruneVersions();
      const fts = await fullTextIndexStats(dir);
      assert.equal(fts.numUnindexedRows, 0, 'the full-text index covers the table');
      await store.replaceFiles([file('edit.ts', 1)], [chunk('edit.ts', 0, 'refund late invoices')], []);
      await store.pruneVersions();
      assert.equal((await fullTextIndexStats(dir)).numUnindexedRows, 1, "the changed file's row is not merged into the full-text index");
      const [hit] = await store.textSearch('refund invoices', 1);
      assert.equal(hit?.path, 'edit.ts', 'and is found beside it');
    } finally {
      store.close();
    }
  });
});

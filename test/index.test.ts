// The index on a real LanceDB on disk, over real files: incremental updates, resume after an
// interruption, recovery from a corrupt or outdated index, and the lock between writers.

import assert from 'node:assert/strict';
import { readdir, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeTinyBertModel } from '../scripts/make-tiny-model.js';
import { IndexBusyError, lockIndex } from '../src/core/lock.js';
import { IndexStore } from '../src/core/store.js';
import { indexStatus, Workspace, type WorkspaceOptions } from '../src/core/workspace.js';
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

let counter = 0;
async function workspace(files: Record<string, string | Uint8Array>, extra: Partial<WorkspaceOptions> = {}) {
  const root = path.join(scratch.dir, `ws${++counter}`);
  await writeTree(root, files);
  const warnings: string[] = [];
  const options: WorkspaceOptions = { root, indexDir: path.join(root, '..', `index${counter}`), model, warn: (m) => warnings.push(m), ...extra };
  return { root, options, warnings, open: () => Workspace.open(options) };
}

describe('indexing a workspace', () => {
  test('finds functions by their words, with exact line ranges, in every mode', async () => {
    const ws = await workspace({ 'src/billing.ts': BILLING_TS, 'tools/util.py': UTIL_PY });
    const w = await ws.open();
    try {
      const summary = await w.index();
      assert.equal(summary.files, 2);
      assert.equal(summary.indexed, 2);
      assert.ok(summary.chunks >= 5, `expected at least 5 chunks, got ${summary.chunks}`);
      for (const mode of ['lexical', 'vector', 'hybrid'] as const) {
        const [top] = await w.search('retry failed webhook', { mode, top: 3 });
        assert.deepEqual(
          top && { path: top.path, symbol: top.symbol, startLine: top.startLine, endLine: top.endLine },
          { path: 'src/billing.ts', symbol: 'retryFailedWebhook', startLine: 7, endLine: 11 },
          `mode ${mode}`,
        );
      }
      const [py] = await w.search('slugify title', { mode: 'hybrid', top: 1, language: 'python' });
      assert.equal(py?.symbol, 'slugify_title');
      // A folder filter keeps that folder's hits and only those ("webhook" is in src/billing.ts, "path" in tools/util.py).
      const everywhere = await w.search('path webhook', { mode: 'lexical', top: 5 });
      assert.ok(everywhere.some((h) => h.path === 'tools/util.py'), 'without a filter tools/util.py matches');
      const inSrc = await w.search('path webhook', { mode: 'lexical', top: 5, pathPrefix: 'src' });
      assert.ok(inSrc.length > 0, 'the folder filter must keep the files under src/');
      assert.deepEqual(inSrc.map((x) => x.path).filter((p) => !p.startsWith('src/')), []);
    } finally {
      await w.close();
    }
  });

  test('a run told which paths changed checks only those; an ignore file among them makes it crawl', async () => {
    const ws = await workspace({ 'a.ts': 'export function alpha() {\n  return 1;\n}\n', 'lib/b.ts': 'export const b = 2;\n', 'lib/c.ts': 'export const c = 3;\n' });
    const w = await ws.open();
    try {
      await w.index();
      await writeFile(path.join(ws.root, 'a.ts'), 'export function settleInvoiceLedger() {\n  return 1;\n}\n');
      await writeFile(path.join(ws.root, 'new.ts'), 'export function reconcilePayouts() {\n  return 2;\n}\n');
      await writeFile(path.join(ws.root, '.env'), 'TOKEN=abc\n');
      const one = await w.index({ changed: ['a.ts', '.env'] });
      assert.deepEqual([one.indexed, one.unchanged, one.removed, one.files], [1, 0, 0, 3], 'a.ts re-indexed; new.ts not looked at; .env never taken');
      assert.equal((await w.search('settle invoice ledger', { mode: 'lexical', top: 1 }))[0]?.path, 'a.ts');

      await rm(path.join(ws.root, 'lib'), { recursive: true });
      const gone = await w.index({ changed: ['lib'] });
      assert.deepEqual([gone.removed, gone.files], [2, 1], 'a deleted folder takes its files with it');

      await writeFile(path.join(ws.root, '.codeintentignore'), 'a.ts\n');
      const crawled = await w.index({ changed: ['.codeintentignore'] });
      assert.deepEqual([...(await w.store.fileRows()).keys()].sort(), ['.codeintentignore', 'new.ts'], 'the crawl saw the new rule and the file no event named');
      assert.equal(crawled.removed, 1);
    } finally {
      await w.close();
    }
  });

  test('a second run with no change reads nothing; a touched file costs no re-embedding', async () => {
    const ws = await workspace({ 'src/billing.ts': BILLING_TS, 'tools/util.py': UTIL_PY });
    const w = await ws.open();
    try {
      await w.index();
      const again = await w.index();
      assert.deepEqual([again.indexed, again.unchanged, again.removed], [0, 2, 0]);
      const later = new Date(Date.now() + 5000);
      await utimes(path.join(ws.root, 'tools/util.py'), later, later);
      const touched = await w.index();
      assert.deepEqual([touched.indexed, touched.files], [0, 2], 'same content under a new mtime is not re-chunked');
      const third = await w.index();
      assert.equal(third.unchanged, 2, 'the new mtime was recorded');
    } finally {
      await w.close();
    }
  });

  test('an edited file is re-indexed alone, and a deleted one disappears from results', async () => {
    const ws = await workspace({ 'src/billing.ts': BILLING_TS, "src/it's quoted.ts": 'export function refundOrder(id: string) {\n  return id;\n}\n', 'tools/util.py': UTIL_PY });
    const w = await ws.open();
    try {
      await w.index();
      await writeFile(path.join(ws.root, 'tools/util.py'), UTIL_PY.replace('slugify_title', 'kebab_case_heading'));
      const edited = await w.index();
      assert.deepEqual([edited.indexed, edited.unchanged], [1, 2]);
      const hits = await w.search('kebab case heading', { mode: 'lexical', top: 3 });
      assert.equal(hits[0]?.symbol, 'kebab_case_heading');
      assert.ok(!(await w.search('slugify', { mode: 'lexical', top: 10 })).some((h) => h.symbol === 'slugify_title'), 'the old function is gone');

      await unlink(path.join(ws.root, "src/it's quoted.ts"));
      const removed = await w.index();
      assert.deepEqual([removed.removed, removed.files], [1, 2]);
      assert.ok(!(await w.search('refund order', { mode: 'hybrid', top: 10 })).some((h) => h.path.includes('quoted')));
    } finally {
      await w.close();
    }
  });

  test('an interrupted run keeps its finished batches and the next run resumes', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 450; i++) files[`pkg/file${String(i).padStart(3, '0')}.ts`] = `export function handler${i}(input: number) {\n  return input * ${i};\n}\n`;
    const ws = await workspace(files);
    const w = await ws.open();
    try {
      const controller = new AbortController();
      await assert.rejects(
        w.index({
          signal: controller.signal,
          onProgress: (p) => {
            if (p.phase === 'store' && p.done > 0) controller.abort(new Error('stop'));
          },
        }),
        /stop/,
      );
      const resumed = await w.index();
      assert.ok(resumed.unchanged >= 200, `finished batches are kept (unchanged: ${resumed.unchanged})`);
      assert.equal(resumed.unchanged + resumed.indexed, 450);
      assert.equal(resumed.files, 450);
      assert.equal(resumed.chunks, 450, 'no chunk is duplicated or lost');
    } finally {
      await w.close();
    }
  });

  test('an empty workspace indexes to nothing and searches to nothing', async () => {
    const ws = await workspace({});
    const w = await ws.open();
    try {
      const summary = await w.index();
      assert.deepEqual([summary.files, summary.chunks], [0, 0]);
      assert.deepEqual(await w.search('anything at all', { mode: 'hybrid', top: 5 }), []);
    } finally {
      await w.close();
    }
  });

  test('binary and oversized files are skipped; invalid UTF-8 is indexed, not dropped', async () => {
    const big = 'x'.repeat(2 * 1024 * 1024);
    const latin1 = Buffer.concat([Buffer.from('def caf'), Buffer.from([0xe9]), Buffer.from('_menu_price():\n    return 1\n')]);
    const ws = await workspace({ 'image.dat': new Uint8Array([0, 1, 2, 0, 255, 0]), 'huge.ts': big, 'menu.py': latin1 });
    const w = await ws.open();
    try {
      const summary = await w.index();
      assert.equal(summary.files, 1);
      assert.equal(summary.skipped['too-large'], 1);
      assert.equal(summary.skipped['binary'], 1);
      const [hit] = await w.search('menu price', { mode: 'lexical', top: 1 });
      assert.equal(hit?.path, 'menu.py');
    } finally {
      await w.close();
    }
  });
});

describe('a damaged or outdated index', () => {
  test('garbage in meta.json: the index is rebuilt, with a message', async () => {
    const ws = await workspace({ 'src/billing.ts': BILLING_TS });
    let w = await ws.open();
    await w.index();
    await w.close();
    await writeFile(path.join(ws.options.indexDir ?? '', 'meta.json'), '{ not json');
    w = await ws.open();
    try {
      assert.match(ws.warnings.join('\n'), /could not be read.*rebuilding/);
      const summary = await w.index();
      assert.equal(summary.indexed, 1, 'everything is indexed again');
      assert.equal((await w.search('init stripe client', { mode: 'hybrid', top: 1 }))[0]?.symbol, 'initStripeClient');
    } finally {
      await w.close();
    }
  });

  test('missing data files: what they held is indexed again, with a message', async () => {
    const ws = await workspace({ 'src/billing.ts': BILLING_TS });
    let w = await ws.open();
    await w.index();
    await w.close();
    const lance = path.join(ws.options.indexDir ?? '', 'lance');
    for (const table of await readdir(lance)) await rm(path.join(lance, table, 'data'), { recursive: true, force: true });
    w = await ws.open();
    try {
      assert.match(ws.warnings.join('\n'), /repaired the index at .*data\/.*\.lance is missing.*: what was lost will be indexed again/);
      assert.equal((await w.index()).indexed, 1);
    } finally {
      await w.close();
    }
  });

  test('an index of another schema version is rebuilt, with a message', async () => {
    const ws = await workspace({ 'src/billing.ts': BILLING_TS });
    let w = await ws.open();
    await w.index();
    await w.close();
    const metaFile = path.join(ws.options.indexDir ?? '', 'meta.json');
    const { readFile } = await import('node:fs/promises');
    const meta = JSON.parse(await readFile(metaFile, 'utf8')) as { schemaVersion: number };
    await writeFile(metaFile, JSON.stringify({ ...meta, schemaVersion: 0 }));
    w = await ws.open();
    try {
      assert.match(ws.warnings.join('\n'), /schema version 0.*rebuilding/);
      assert.equal((await w.index()).indexed, 1);
    } finally {
      await w.close();
    }
  });
});

describe('two writers on one index', () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 60; i++) files[`m${i}.ts`] = `export function step${i}() {\n  return ${i};\n}\n`;

  test('a writer waits while another holds the lock, then finds its work', async () => {
    const ws = await workspace(files);
    const w = await ws.open();
    const release = await lockIndex(w.indexDir, { waitMs: 0 });
    try {
      await assert.rejects(lockIndex(w.indexDir, { waitMs: 0 }), IndexBusyError, 'a second lock is refused at once');
      let waiting = false;
      let finished = false;
      const run = w.index({ onWait: () => (waiting = true) }).finally(() => (finished = true));
      for (let i = 0; i < 100 && !waiting; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.ok(waiting, 'the writer was told to wait');
      assert.equal(finished, false, 'it does not write while the lock is held');
      await release();
      assert.equal((await run).files, 60);
    } finally {
      await w.close();
    }
  });

  test('two writers at once: each file is indexed once and the index stays consistent', async () => {
    const ws = await workspace(files);
    const [a, b] = await Promise.all([ws.open(), ws.open()]);
    try {
      const [first, second] = await Promise.all([a.index(), b.index()]);
      assert.equal(first.indexed + second.indexed, 60, 'each file indexed once');
      assert.deepEqual([second.files, second.chunks], [60, 60]);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('the vector index of a large table', () => {
  test('past the threshold the vectors get an ANN index; rows added later are found before it is rebuilt', async () => {
    const words = ['ledger', 'invoice', 'payout', 'refund', 'webhook', 'session', 'upload', 'thumbnail', 'cursor', 'quota', 'tenant', 'billing'];
    const files: Record<string, string> = {};
    for (let i = 0; i < 300; i++) {
      const [a, b, c] = [words[i % 12], words[(i * 5 + 1) % 12], words[(i * 7 + 3) % 12]];
      files[`src/m${i}.ts`] = `export function ${a}${b}${i}(x: number) {\n  return x + ${i};\n}\n\nexport function ${c}${a}Step${i}() {\n  return '${b} ${c}';\n}\n`;
    }
    const ws = await workspace(files, { vectorIndexMinRows: 500 });
    const w = await ws.open();
    try {
      const first = await w.index();
      const stats = await w.store.vectorIndexStats();
      assert.equal(stats?.numIndexedRows, first.chunks, 'every chunk is in the index');
      const [hit] = await w.search('ledger invoice 0', { mode: 'vector', top: 1 });
      assert.equal(hit?.symbol, 'ledgerinvoice0');

      await writeFile(path.join(ws.root, 'src/late.ts'), 'export function reconcileQuarterlyTaxReturns() {\n  return 1;\n}\n');
      const second = await w.index();
      assert.equal((await w.store.vectorIndexStats())?.numIndexedRows, first.chunks, 'one new file does not rebuild the index');
      assert.equal(second.chunks, first.chunks + 1);
      const [late] = await w.search('reconcile quarterly tax returns', { mode: 'vector', top: 1 });
      assert.equal(late?.symbol, 'reconcileQuarterlyTaxReturns', 'a row the index does not cover yet is still searched');
    } finally {
      await w.close();
    }
  });

  test('below the threshold there is no ANN index: the exact scan', async () => {
    const ws = await workspace({ 'a.ts': 'export function alpha() {\n  return 1;\n}\n' });
    const w = await ws.open();
    try {
      await w.index();
      assert.equal(await w.store.vectorIndexStats(), undefined);
    } finally {
      await w.close();
    }
  });
});

describe('reading the status while indexing', () => {
  test('the status reads without failing while runs write, rename and delete files in the index folder', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 40; i++) files[`m${i}.ts`] = `export function step${i}() {\n  return ${i};\n}\n`;
    const ws = await workspace(files);
    const w = await ws.open();
    let running = true;
    const failures: string[] = [];
    let reads = 0;
    const reader = (async () => {
      while (running) {
        try {
          await indexStatus(ws.options);
          reads++;
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    })();
    try {
      // Each run adds fragments; every few runs the table is compacted and old files deleted.
      for (let run = 0; run < 15; run++) {
        await writeFile(path.join(ws.root, `m${run}.ts`), `export function step${run}() {\n  return ${run + 100};\n}\n`);
        await w.index();
      }
    } finally {
      running = false;
      await reader;
      await w.close();
    }
    assert.ok(reads > 0, 'the status was read');
    assert.deepEqual(failures, []);
  });
});

describe('embedding cache', () => {
  test('vectors stored in the index cache come back by key, quotes and all', async () => {
    const dir = path.join(scratch.dir, 'cache-store');
    const store = await IndexStore.open({ dir, root: scratch.dir, embedderId: 'test:model', dimension: 3 });
    try {
      await store.cacheVectors(new Map([["it's", Float32Array.of(1, 0, 0)], ['b', Float32Array.of(0, 1, 0)]]));
      await store.cacheVectors(new Map([['b', Float32Array.of(9, 9, 9)]]));
      const found = await store.cachedVectors(["it's", 'b', 'missing']);
      assert.deepEqual([...found.keys()].sort(), ['b', "it's"]);
      assert.deepEqual(Array.from(found.get("it's") ?? []), [1, 0, 0]);
      assert.deepEqual(Array.from(found.get('b') ?? []), [0, 1, 0], 'a cached vector is never overwritten');
    } finally {
      store.close();
    }
  });

  test('a transformers.js model folder indexes and searches through the cache; a restored file is not embedded again', async () => {
    const modelDir = path.join(scratch.dir, 'tiny-bert');
    await makeTinyBertModel(modelDir);
    const ws = await workspace({ 'src/billing.ts': BILLING_TS, 'tools/util.py': UTIL_PY }, { model: modelDir });
    const w = await ws.open();
    try {
      assert.match(w.embedder.id, /^transformers:tiny-bert:/);
      const first = await w.index();
      assert.equal(first.files, 2);
      const hits = await w.search('slugify title', { mode: 'hybrid', top: 3 });
      assert.ok(hits.some((h) => h.symbol === 'slugify_title'));

      const counting = countEmbedded(w);
      await unlink(path.join(ws.root, 'tools/util.py'));
      await w.index();
      await writeFile(path.join(ws.root, 'tools/util.py'), UTIL_PY);
      const restored = await w.index();
      assert.equal(restored.indexed, 1);
      assert.equal(counting.documents(), 0, 'every chunk of the restored file came from the cache');
    } finally {
      await w.close();
    }
  });
});

/** Counts document vectors written to the cache: every text the model had to embed is written once. */
function countEmbedded(w: Workspace): { documents: () => number } {
  let documents = 0;
  const original = w.store.cacheVectors.bind(w.store);
  w.store.cacheVectors = async (entries) => {
    documents += entries.size;
    return original(entries);
  };
  return { documents: () => documents };
}

// Indexing on worker threads (src/core/index-pool.ts): the same index as one thread on a real tree,
// an interrupted run that resumes, a file that kills its worker costing only itself, and the
// thread setting (--jobs) capping the pool. Real files, real LanceDB on disk, real workers.

import assert from 'node:assert/strict';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as lancedb from '@lancedb/lancedb';
import { createChunker } from '../src/core/chunk/index.js';
import { createEmbedder } from '../src/core/embed/index.js';
import { INDEX_WORKER_SCRIPT, updateIndex } from '../src/core/indexer.js';
import { PACKAGE_ROOT } from '../src/core/models.js';
import { IndexStore } from '../src/core/store.js';
import { Workspace } from '../src/core/workspace.js';
import { runCodeintent } from './helpers/cli.js';
import { tempDir, writeTree } from './helpers/fs.js';
import { makeRandomStaticModel } from './helpers/model.js';

let scratch: { dir: string; cleanup: () => Promise<void> };
let model: string;

before(async () => {
  scratch = await tempDir();
  model = await makeRandomStaticModel(path.join(scratch.dir, 'model'));
});
after(() => scratch.cleanup());

/** Every chunk row of an index, in a stable order, as plain values (vectors as arrays). */
async function chunkRows(indexDir: string): Promise<Record<string, unknown>[]> {
  const db = await lancedb.connect(path.join(indexDir, 'lance'));
  try {
    const name = (await db.tableNames()).find((n) => n.startsWith('chunks_'));
    assert.ok(name, 'the index has a chunks table');
    const table = await db.openTable(name);
    const rows = (await table.query().toArray()) as Record<string, unknown>[];
    table.close();
    const plain = rows.map((row) => ({ ...row, vector: Array.from(row['vector'] as Iterable<number>) }));
    const key = (row: Record<string, unknown>) => `${String(row['path'])}\0${String(row['start_line']).padStart(8, '0')}\0${String(row['end_line']).padStart(8, '0')}\0${String(row['text'])}`;
    return plain.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  } finally {
    db.close();
  }
}

/** `count` small TypeScript files, one function each. */
function handlers(count: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++) files[`pkg/file${String(i).padStart(4, '0')}.ts`] = `export function handler${i}(input: number) {\n  return input * ${i};\n}\n`;
  return files;
}

describe('indexing on worker threads', () => {
  test('four threads give the same index as one on a real tree: files, chunks, terms and vectors', async () => {
    // This repository's own source, tests and scripts: two batches of real, varied code.
    const root = path.join(scratch.dir, 'repo');
    for (const folder of ['src', 'test', 'scripts']) await cp(path.join(PACKAGE_ROOT, folder), path.join(root, folder), { recursive: true });
    const indexes: Record<string, unknown>[][] = [];
    for (const threads of [1, 4]) {
      const indexDir = path.join(scratch.dir, `repo-index-${threads}`);
      const log: string[] = [];
      const w = await Workspace.open({ root, indexDir, model, indexingThreads: threads, log: (m) => log.push(m) });
      try {
        const summary = await w.index();
        assert.deepEqual(summary.failed, []);
        assert.ok(summary.files > 200, `more than one batch of files (${summary.files})`);
        assert.equal(log.some((m) => /on \d+ worker threads/.test(m)), threads > 1, `threads ${threads}: ${log.filter((m) => m.includes('worker')).join('; ')}`);
      } finally {
        await w.close();
      }
      indexes.push(await chunkRows(indexDir));
    }
    const [sequential, parallel] = indexes;
    assert.ok(sequential && sequential.length > 1000, `a real tree's worth of chunks (${sequential?.length})`);
    assert.deepEqual(parallel, sequential);
  });

  test('a run stopped part-way keeps its finished batches, and none after the stop; the next run resumes', async () => {
    const root = path.join(scratch.dir, 'stopped');
    await writeTree(root, handlers(1200));
    const w = await Workspace.open({ root, indexDir: path.join(scratch.dir, 'stopped-index'), model, indexingThreads: 3 });
    try {
      const controller = new AbortController();
      let committed = 0;
      await assert.rejects(
        w.index({
          signal: controller.signal,
          onProgress: (p) => {
            if (p.phase !== 'store' || p.done === 0 || controller.signal.aborted) return;
            committed = p.done;
            if (p.done >= 400) controller.abort(new Error('stop'));
          },
        }),
        /stop/,
      );
      // What was committed is a prefix of the batches: exactly the files reported done, nothing after the stop.
      const kept = await w.store.fileRows();
      assert.equal(kept.size, committed, 'the index holds the files reported stored, and no batch committed after the stop');
      const resumed = await w.index();
      assert.equal(resumed.unchanged, committed, 'finished batches are not indexed again');
      assert.equal(resumed.unchanged + resumed.indexed, 1200);
      assert.equal(resumed.files, 1200);
      assert.equal(resumed.chunks, 1200, 'no chunk is duplicated or lost');
    } finally {
      await w.close();
    }
  });

  test('a file that exhausts its worker\'s heap costs only that file; the rest of its batch is indexed', async () => {
    const root = path.join(scratch.dir, 'heavy');
    const files = handlers(400);
    // 6.7 MB of short lines: its text, chunks and terms are far past a 16 MB worker heap.
    files['pkg/file0100.ts'] = Array.from({ length: 150_000 }, (_, i) => `const value${i} = compute(${i}); // ${i}`).join('\n');
    await writeTree(root, files);
    const embedder = await createEmbedder({ kind: 'static', modelPath: model });
    const store = await IndexStore.open({ dir: path.join(scratch.dir, 'heavy-index'), root, embedderId: embedder.id, dimension: embedder.dimension });
    try {
      assert.ok(INDEX_WORKER_SCRIPT);
      const summary = await updateIndex({
        root,
        store,
        embedder,
        chunker: () => createChunker(),
        crawl: { maxFileBytes: 8 * 1024 * 1024 },
        threads: 2,
        workers: { script: INDEX_WORKER_SCRIPT, chunker: {}, embedder: { kind: 'static', modelPath: model }, dimension: embedder.dimension, resourceLimits: { maxOldGenerationSizeMb: 16 } },
      });
      assert.deepEqual(summary.failed.map((f) => f.path), ['pkg/file0100.ts']);
      assert.match(summary.failed[0]?.error ?? '', /^chunking stopped its worker thread \(.*memory/i);
      assert.equal(summary.files, 399);
      assert.equal(summary.chunks, 399);
    } finally {
      store.close();
      await embedder.dispose();
    }
  });

  test('--jobs caps the threads; --jobs 1 indexes on the command\'s own thread', async () => {
    const root = path.join(scratch.dir, 'capped');
    await writeTree(root, handlers(1050)); // six batches
    for (const [jobs, expected] of [['3', /^codeintent: chunking and embedding on 3 worker threads$/m], ['1', undefined]] as const) {
      const run = await runCodeintent(['index', root, '--db', path.join(scratch.dir, `capped-index-${jobs}`), '--model', model, '--jobs', jobs, '--verbose', '--no-progress'], { cwd: scratch.dir, cacheDir: path.join(scratch.dir, 'cache') });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^Indexed 1050 files, 1050 chunks/);
      if (expected) assert.match(run.stderr, expected);
      else assert.doesNotMatch(run.stderr, /worker threads/);
    }
    const bad = await runCodeintent(['index', root, '--jobs', 'many'], { cwd: scratch.dir, cacheDir: path.join(scratch.dir, 'cache') });
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.split('\n')[0], 'codeintent: --jobs takes a whole number from 1 up, not "many"');
  });
});


// Issue 11, cases 10 and 11: a damaged index is found and repaired without losing what is intact,
// and one huge file neither stops a run nor blows up its memory. Real CLI processes, a real LanceDB
// on disk, real files.

import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { appendFile, cp, open, readdir, readFile, rm, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCodeintent, type Run } from '../helpers/cli.js';
import { tempDir, writeTree } from '../helpers/fs.js';
import { makeRandomStaticModel } from '../helpers/model.js';
import { smallDisk } from '../helpers/mounts.js';
import { peakMemory, writeLargeSource } from '../helpers/large-source.js';

let scratch: { dir: string; cleanup: () => Promise<void> };
let model: string;

function codeintent(args: readonly string[], onStart?: (child: ChildProcess) => void): Promise<Run> {
  return runCodeintent([...args, '--model', model], { cwd: scratch.dir, cacheDir: path.join(scratch.dir, 'cache'), ...(onStart ? { onStart } : {}) });
}

function status(project: string, db: string): Promise<Run> {
  return runCodeintent(['status', project, '--db', db], { cwd: scratch.dir, cacheDir: path.join(scratch.dir, 'cache') });
}

before(async () => {
  scratch = await tempDir('codeintent-hostile-store-');
  model = await makeRandomStaticModel(path.join(scratch.dir, 'model'));
});
after(() => scratch.cleanup());

/** A user-facing failure is one line: no stack trace, no Rust panic. */
function assertNoTrace(stderr: string): void {
  assert.doesNotMatch(stderr, /\n\s+at |panicked|stack backtrace|triggerUncaughtException/, stderr);
}

const SERVICES = Object.fromEntries(
  Array.from({ length: 12 }, (_, i) => [`src/service${i}.ts`, `export function computeInvoiceTotal${i}(amount: number) {\n  return amount * ${i + 2};\n}\n`]),
);

/** Every file in a table folder, by path relative to the index, with its bytes. */
async function snapshot(db: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(db, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name.endsWith('.lock')) continue;
    const file = path.join(entry.parentPath, entry.name);
    out.set(path.relative(db, file), (await readFile(file)).toString('base64'));
  }
  return out;
}

/** The chunks table's newest data file: written by the second run, it holds only the changed file's chunks. */
async function newestChunkData(db: string): Promise<string> {
  const lance = path.join(db, 'lance');
  const table = (await readdir(lance)).find((name) => name.startsWith('chunks_'));
  assert.ok(table);
  const data = path.join(lance, table, 'data');
  const files = await Promise.all((await readdir(data)).map(async (name) => ({ file: path.join(data, name), mtime: (await stat(path.join(data, name))).mtimeMs })));
  return files.sort((a, b) => b.mtime - a.mtime)[0]!.file;
}

async function newestChunkManifest(db: string): Promise<string> {
  const lance = path.join(db, 'lance');
  const table = (await readdir(lance)).find((name) => name.startsWith('chunks_'));
  assert.ok(table);
  const versions = path.join(lance, table, '_versions');
  const manifests = (await readdir(versions)).filter((name) => name.endsWith('.manifest'));
  // Lance names manifests u64::MAX - version: the smallest name is the newest version.
  return path.join(versions, manifests.sort()[0]!);
}

async function overwriteMiddle(file: string): Promise<void> {
  const { size } = await stat(file);
  const handle = await open(file, 'r+');
  try {
    await handle.write(Buffer.alloc(Math.min(256, size >> 2), 0x5a), 0, undefined, size >> 1);
  } finally {
    await handle.close();
  }
}

const DAMAGE: Record<string, (db: string) => Promise<void>> = {
  'deleted data file': async (db) => unlink(await newestChunkData(db)),
  'truncated data file': async (db) => truncate(await newestChunkData(db), 100),
  'garbage bytes in a data file': async (db) => overwriteMiddle(await newestChunkData(db)),
  'garbage in the latest manifest': async (db) => overwriteMiddle(await newestChunkManifest(db)),
};

/**
 * SERVICES indexed into a fresh index in two runs, so that the second run's changed file has its
 * chunks in a fragment of their own (the newest data file, which the damage cases hit).
 */
async function indexedTwice(name: string): Promise<{ project: string; db: string }> {
  const project = path.join(scratch.dir, `${name}-project`);
  await writeTree(project, SERVICES);
  const db = path.join(scratch.dir, `${name}-db`);
  assert.equal((await codeintent(['index', project, '--db', db])).code, 0);
  await appendFile(path.join(project, 'src/service3.ts'), 'export function refundLateShipment(order: string) {\n  return order;\n}\n');
  assert.equal((await codeintent(['index', project, '--db', db])).code, 0);
  return { project, db };
}

test('case 10: a damaged data file or manifest is reported (status deletes nothing) and repaired, redoing only what was lost', async (t) => {
  await t.test('status reports it, deletes nothing; index repairs it', async () => {
    const { project, db: pristine } = await indexedTwice('damage');

    for (const [damage, apply] of Object.entries(DAMAGE)) {
      const db = path.join(scratch.dir, `damage-db-${damage.replaceAll(' ', '-')}`);
      await cp(pristine, db, { recursive: true, preserveTimestamps: true });
      await apply(db);
      const damaged = await snapshot(db);

      const reported = await status(project, db);
      assert.equal(reported.code, 1, `${damage}: status fails\n${reported.stdout}`);
      assert.match(reported.stderr, /^codeintent: the index at .* is damaged \(.+\); run `codeintent index` \(in VS Code: CodeIntent: Reindex Workspace\) to repair it\n$/, damage);
      assertNoTrace(reported.stderr);
      assert.deepEqual(await snapshot(db), damaged, `${damage}: status changed nothing on disk`);

      const repaired = await codeintent(['index', project, '--db', db]);
      assert.equal(repaired.code, 0, `${damage}: ${repaired.stderr}`);
      assert.match(repaired.stderr, /^codeintent: repaired the index at .*\n$/, damage);
      assertNoTrace(repaired.stderr);
      assert.match(repaired.stdout, /Indexed 12 files, \d+ chunks .*\(1 new or changed, 11 unchanged/, `${damage}: only the file whose chunks were lost is indexed again`);

      const found = await codeintent(['search', 'refund late shipment', '--root', project, '--db', db, '--json']);
      assert.equal(found.code, 0, found.stderr);
      assert.equal(found.stderr, '', `${damage}: nothing left to repair`);
      const hits = JSON.parse(found.stdout) as { symbol: string }[];
      assert.equal(hits[0]?.symbol, 'refundLateShipment', damage);
      const all = await codeintent(['search', 'compute invoice total', '--root', project, '--db', db, '--json', '--top', '50']);
      const symbols = new Set((JSON.parse(all.stdout) as { symbol: string }[]).map((h) => h.symbol));
      for (let i = 0; i < 12; i++) assert.ok(symbols.has(`computeInvoiceTotal${i}`), `${damage}: computeInvoiceTotal${i} is still indexed`);
      assert.match((await status(project, db)).stdout, /Contents: +12 files, 13 chunks/, damage);
    }
  });

  await t.test('search repairs it (it refreshes the index anyway) and answers correctly', async () => {
    const { project, db } = await indexedTwice('search');
    await overwriteMiddle(await newestChunkData(db));
    const found = await codeintent(['search', 'refund late shipment', '--root', project, '--db', db, '--json']);
    assert.equal(found.code, 0, found.stderr);
    assert.match(found.stderr, /^codeintent: repaired the index at .*\n$/);
    assert.equal((JSON.parse(found.stdout) as { symbol: string }[])[0]?.symbol, 'refundLateShipment');
  });

  await t.test('a deleted chunks table: status reports it; index indexes again the files it held', async () => {
    const project = path.join(scratch.dir, 'table-project');
    await writeTree(project, SERVICES);
    const db = path.join(scratch.dir, 'table-db');
    assert.equal((await codeintent(['index', project, '--db', db])).code, 0);
    const lance = path.join(db, 'lance');
    await rm(path.join(lance, (await readdir(lance)).find((name) => name.startsWith('chunks_'))!), { recursive: true });
    const reported = await status(project, db);
    assert.equal(reported.code, 1);
    assert.match(reported.stderr, /is damaged \(chunks_\w+: the table is missing\); run `codeintent index`/);
    const repaired = await codeintent(['index', project, '--db', db]);
    assert.equal(repaired.code, 0, repaired.stderr);
    assert.match(repaired.stderr, /^codeintent: repaired the index at .*: 12 files will be indexed again\n$/);
    assert.match(repaired.stdout, /Indexed 12 files, 12 chunks .*\(12 new or changed/);
  });

  await t.test('a full disk (an error that is not damage) is shown as it is and deletes nothing', async (t) => {
    const project = path.join(scratch.dir, 'disk-project');
    await writeTree(project, SERVICES);
    const disk = path.join(scratch.dir, 'disk');
    const mounted = await smallDisk(disk, 2 * 1024 * 1024);
    if (mounted.skip) return t.skip(mounted.skip);
    try {
      const db = path.join(disk, 'db');
      assert.equal((await codeintent(['index', project, '--db', db])).code, 0);
      await writeFile(path.join(disk, 'filler'), Buffer.alloc(4 * 1024 * 1024)).catch((error: NodeJS.ErrnoException) => assert.equal(error.code, 'ENOSPC'));
      const before = await snapshot(db);
      // Another model needs tables of its own: creating them fails for want of space.
      const other = await makeRandomStaticModel(path.join(scratch.dir, 'other-model'), { seed: 8 });
      const full = await runCodeintent(['index', project, '--db', db, '--model', other], { cwd: scratch.dir, cacheDir: path.join(scratch.dir, 'cache') });
      assert.equal(full.code, 1, full.stderr);
      assert.doesNotMatch(full.stderr, /rebuilding|repaired/);
      assertNoTrace(full.stderr);
      const after = await snapshot(db);
      for (const [file, bytes] of before) assert.equal(after.get(file), bytes, `${file} is as it was`);
      await rm(path.join(disk, 'filler'));
      const found = await codeintent(['search', 'compute invoice total', '--root', project, '--db', db, '--json']);
      assert.equal(found.code, 0, found.stderr);
      assert.equal(found.stderr, '', 'nothing was rebuilt or repaired');
      assert.match((JSON.parse(found.stdout) as { symbol: string }[])[0]?.symbol ?? '', /^computeInvoiceTotal\d+$/);
    } finally {
      mounted.release();
    }
  });

  await t.test('garbage in meta.json: status reports it and deletes nothing', async () => {
    const project = path.join(scratch.dir, 'meta-project');
    await writeTree(project, SERVICES);
    const db = path.join(scratch.dir, 'meta-db');
    assert.equal((await codeintent(['index', project, '--db', db])).code, 0);
    await writeFile(path.join(db, 'meta.json'), '{ not json');
    const before = await snapshot(db);
    const reported = await status(project, db);
    assert.equal(reported.code, 1);
    assert.match(reported.stderr, /is damaged \(meta\.json is not valid JSON\); run `codeintent index` \(in VS Code: CodeIntent: Reindex Workspace\) to repair it/);
    assert.deepEqual(await snapshot(db), before);
  });
});

test('case 11: a file too big to parse is indexed as line windows, one too big to index is skipped, the others are indexed, in under 500 MB', async () => {
  const project = path.join(scratch.dir, 'large-project');
  await writeTree(project, SERVICES);
  // 3 MB: past the parser's bound (1 MiB); 9 MB: past the largest file indexed (8 MiB).
  await writeLargeSource(path.join(project, 'src/generated.ts'), 3_000_000, 'export function reconcileLedgerDrift(ledger: string) {\n  return ledger;\n}\n');
  await writeLargeSource(path.join(project, 'src/bundle.ts'), 9_000_000);
  let peak = (): number => 0;
  const started = performance.now();
  const run = await codeintent(['index', project, '--db', path.join(scratch.dir, 'large-db'), '--max-file-size', '100000000', '--verbose'], (child) => {
    peak = peakMemory(child);
  });
  const seconds = (performance.now() - started) / 1000;
  assert.equal(run.code, 0, run.stderr);
  assertNoTrace(run.stderr);
  assert.match(run.stderr, /src\/generated\.ts: \d+ characters is more than the parser takes \(1048576\); chunked as line windows/);
  assert.match(run.stderr, /skipped src\/bundle\.ts: too-large \(\d+ bytes \(limit 8388608\)\)/);
  assert.match(run.stdout, /Indexed 13 files, .*Skipped: 1 too-large\./s);
  assert.ok(peak() < 500 * 2 ** 20, `peak memory ${Math.round(peak() / 2 ** 20)} MB, ${seconds.toFixed(1)} s`);

  const search = async (query: string) => {
    // The same --max-file-size: the search's refresh would otherwise drop the files above the default.
    const found = await codeintent(['search', query, '--root', project, '--db', path.join(scratch.dir, 'large-db'), '--max-file-size', '100000000', '--json', '--top', '50']);
    assert.equal(found.code, 0, found.stderr);
    return JSON.parse(found.stdout) as { path: string; symbol: string; kind: string; endLine: number }[];
  };
  const symbols = new Set((await search('compute invoice total')).map((h) => h.symbol));
  for (let i = 0; i < 12; i++) assert.ok(symbols.has(`computeInvoiceTotal${i}`), `computeInvoiceTotal${i} is indexed`);
  const lines = (await readFile(path.join(project, 'src/generated.ts'), 'utf8')).trimEnd().split('\n').length;
  const hits = await search('reconcileLedgerDrift');
  const window = hits.find((h) => h.path === 'src/generated.ts' && h.endLine === lines);
  assert.equal(window?.kind, 'lines', `the last line window of src/generated.ts is found: ${JSON.stringify(hits.slice(0, 3))}`);
});

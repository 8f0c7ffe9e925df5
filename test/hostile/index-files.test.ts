// Hostile workspaces for the indexer, through the real `codeintent` command: a file swapped for a
// FIFO mid-run, symlink amplification, a writer killed with SIGKILL, an index folder inside the
// workspace, links and pipes that --verbose must name, and an edit that hides behind a restored mtime.

import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdir, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCodeintent, type Run } from '../helpers/cli.js';
import { committedBatches, tempDir, writeTree } from '../helpers/fs.js';
import { makeRandomStaticModel } from '../helpers/model.js';

let scratch: { dir: string; cleanup: () => Promise<void> };
let model: string;

/** What a user sees when a run waits for another process's lock. */
const WAITING = /another CodeIntent process is (indexing|updating)/;

before(async () => {
  scratch = await tempDir('codeintent-hostile-index-');
  model = await makeRandomStaticModel(path.join(scratch.dir, 'model'));
});
after(() => scratch.cleanup());

/**
 * Runs `codeintent ARGS --model M`; `during` gets the child while it runs. A run still going after
 * `limitMs` is killed with SIGKILL (the result then has `signal: 'SIGKILL'`).
 */
function codeintent(args: readonly string[], { limitMs = 60_000, during }: { limitMs?: number; during?: (child: ChildProcess) => void } = {}): Promise<Run> {
  return runCodeintent([...args, '--model', model], {
    cwd: scratch.dir,
    cacheDir: path.join(scratch.dir, 'cache'),
    onStart: (child) => {
      const limit = setTimeout(() => child.kill('SIGKILL'), limitMs);
      child.on('close', () => clearTimeout(limit));
      during?.(child);
    },
  });
}

/** Calls `act` once `ready()` holds (checked every 10 ms while the child runs). */
function when(child: ChildProcess, ready: () => Promise<boolean>, act: () => Promise<void> | void): void {
  let busy = false;
  const poll = setInterval(async () => {
    if (busy) return;
    busy = true;
    if (await ready()) {
      clearInterval(poll);
      await act();
    }
    busy = false;
  }, 10);
  child.on('close', () => clearInterval(poll));
}


async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** `count` small TypeScript files lib/m0000.ts … (200 make one indexing batch). */
function modules(count: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++) files[`lib/m${String(i).padStart(4, '0')}.ts`] = `export function compute${i}(x: number) {\n  return x + ${i};\n}\n`;
  return files;
}

function mkfifo(file: string): void {
  execFileSync('mkfifo', [file]);
}

test('case 9: a file replaced by a FIFO while indexing is skipped, SIGINT and SIGTERM end the run, and the next search does not wait', async () => {
  const project = path.join(scratch.dir, 'fifo');
  await writeTree(project, modules(2000));
  // lib/m1400.ts is read in the eighth batch: swapped for a FIFO once the first batch is committed
  // (the crawl, which saw a regular file, is over by then). With --jobs 2 three batches are read
  // ahead of the commits, so the eighth is still unread then.
  const victim = path.join(project, 'lib', 'm1400.ts');
  const swapAfterFirstBatch = (db: string, child: ChildProcess, then?: () => void) =>
    when(child, async () => (await committedBatches(db)) >= 1, async () => {
      await rm(victim);
      mkfifo(victim);
      then?.();
    });
  const restore = async () => {
    await rm(victim, { force: true });
    await writeFile(victim, 'export function compute1400(x: number) {\n  return x + 1400;\n}\n');
  };

  const db = path.join(scratch.dir, 'db-fifo');
  const left = await codeintent(['index', project, '--db', db, '--verbose', '--jobs', '2'], { limitMs: 60_000, during: (child) => swapAfterFirstBatch(db, child) });
  assert.notEqual(left.signal, 'SIGKILL', 'the run ended by itself (it was still blocked on the FIFO after 60 s)');
  assert.equal(left.code, 0, left.stderr);
  assert.match(left.stderr, /skipped lib\/m1400\.ts: .*FIFO/);
  assert.match(left.stdout, /^Indexed 1999 files/);

  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    await restore();
    const signalled = path.join(scratch.dir, `db-fifo-${signal}`);
    const started = { at: 0 };
    const run = await codeintent(['index', project, '--db', signalled], {
      limitMs: 60_000,
      during: (child) =>
        swapAfterFirstBatch(signalled, child, () =>
          // Once the third batch is being read (two committed), the old reader is stuck in open().
          when(child, async () => (await committedBatches(signalled)) >= 2, () => {
            started.at = Date.now();
            child.kill(signal);
          }),
        ),
    });
    assert.ok(started.at > 0, `the signal was sent during the run (stderr: ${run.stderr})`);
    const seconds = (Date.now() - started.at) / 1000;
    assert.notEqual(run.signal, 'SIGKILL', `${signal} ended the run (still running after 60 s)`);
    assert.equal(run.code, code, `exit status after ${signal} (stderr: ${run.stderr})`);
    assert.ok(seconds < 10, `${signal} ended the run in ${seconds.toFixed(1)} s`);

    const search = await codeintent(['search', 'compute', '--root', project, '--db', signalled, '--json'], { limitMs: 60_000 });
    assert.equal(search.code, 0, search.stderr);
    assert.doesNotMatch(search.stderr, WAITING);
    assert.ok((JSON.parse(search.stdout) as unknown[]).length > 0, 'the search found the indexed code');
  }
});

test('case 12: 15 folders, each linking twice to the next, index the one real file once', async () => {
  const project = path.join(scratch.dir, 'amplified');
  const levels = 15;
  await writeTree(project, { [`d${levels - 1}/leaf.ts`]: 'export function fetchLeafRecord(id: string) {\n  return id;\n}\n' });
  for (let level = 0; level < levels - 1; level++) {
    const folder = path.join(project, `d${level}`);
    await mkdir(folder, { recursive: true });
    // 2^15 - 1 = 32,767 paths lead to leaf.ts.
    for (const name of ['a', 'b']) await symlink(path.join('..', `d${level + 1}`), path.join(folder, name));
  }
  const db = path.join(scratch.dir, 'db-amplified');
  const run = await codeintent(['index', project, '--db', db], { limitMs: 60_000 });
  assert.notEqual(run.signal, 'SIGKILL', 'indexing ended within 60 s');
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^Indexed 1 files, 1 chunks/);
  const search = await codeintent(['search', 'fetch leaf record', '--root', project, '--db', db, '--json']);
  assert.equal(search.code, 0, search.stderr);
  assert.deepEqual(
    (JSON.parse(search.stdout) as { path: string }[]).map((hit) => hit.path),
    [`d${levels - 1}/leaf.ts`],
    'one hit, under the real path',
  );
});

test('case 13: after kill -9 of an indexing run, the next run takes the dead process\'s lock over at once', async () => {
  const project = path.join(scratch.dir, 'killed');
  await writeTree(project, { 'src/start.ts': 'export function start() {\n  return 1;\n}\n' });
  const db = path.join(scratch.dir, 'db-killed');
  const first = await codeintent(['index', project, '--db', db]);
  assert.equal(first.code, 0, first.stderr);
  await writeTree(project, modules(2000));

  const lock = path.join(db, 'index.lock');
  let lockedWhenKilled = false;
  const killed = await codeintent(['index', project, '--db', db], {
    during: (child) =>
      when(child, () => exists(lock), async () => {
        await new Promise((resolve) => setTimeout(resolve, 200)); // well inside the run, the lock written
        lockedWhenKilled = await exists(lock);
        child.kill('SIGKILL');
      }),
  });
  assert.equal(killed.signal, 'SIGKILL');
  assert.ok(lockedWhenKilled && (await exists(lock)), 'the killed run left its lock behind');

  const next = await codeintent(['index', project, '--db', db], { limitMs: 60_000 });
  assert.equal(next.code, 0, next.stderr);
  assert.doesNotMatch(next.stderr, WAITING, 'the next run did not wait for the dead process');
  assert.match(next.stdout, /^Indexed 2001 files/);
});

test('case 14: --db inside the workspace is not indexed; --verbose names FIFOs and links leaving the workspace; a same-size edit with the mtime restored is re-indexed', async () => {
  const project = path.join(scratch.dir, 'inside');
  const source = path.join(project, 'src', 'limits.ts');
  await writeTree(project, { 'src/limits.ts': 'export function clampRetries(n: number) {\n  return Math.min(n, 5);\n}\n' });
  const outside = path.join(scratch.dir, 'outside-secrets');
  await writeTree(outside, { 'keys.ts': 'export const key = 1;\n' });
  await symlink(outside, path.join(project, 'elsewhere'));
  mkfifo(path.join(project, 'events.pipe'));
  const restoredTime = 1_700_000_000; // seconds: a whole value, so the restore is exact
  await utimes(source, restoredTime, restoredTime);

  const db = path.join(project, '.codeintent-index');
  const first = await codeintent(['index', project, '--db', db, '--verbose']);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^Indexed 1 files/);
  assert.match(first.stderr, /skipped events\.pipe: .*FIFO/);
  assert.match(first.stderr, /skipped elsewhere: .*outside the workspace/);
  assert.match(first.stderr, /skipped \.codeintent-index: .*index/);
  const again = await codeintent(['index', project, '--db', db]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /^Indexed 1 files, \d+ chunks in [\d.]+ s \(0 new or changed, 1 unchanged, 0 removed\)/, 'the index folder does not index itself');

  // Same size, new content, the mtime put back: as a checkout or a sync tool might leave it.
  const edited = 'export function clampBackoff(n: number) {\n  return Math.min(n, 5);\n}\n';
  assert.equal(Buffer.byteLength(edited), (await stat(source)).size);
  await writeFile(source, edited);
  await utimes(source, restoredTime, restoredTime);
  const afterEdit = await codeintent(['index', project, '--db', db]);
  assert.equal(afterEdit.code, 0, afterEdit.stderr);
  assert.match(afterEdit.stdout, /\(1 new or changed, 0 unchanged/);
  const search = await codeintent(['search', 'clamp backoff', '--root', project, '--db', db, '--json']);
  assert.equal((JSON.parse(search.stdout) as { symbol: string }[])[0]?.symbol, 'clampBackoff');
});

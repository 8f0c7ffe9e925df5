// Issue 11, case 14: bad input and failing disks end the CLI with one line that says what to do
// (exit 1, or 2 for a usage error), never a stack trace.

import assert from 'node:assert/strict';
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCodeintent, type Run, type RunOptions } from '../helpers/cli.js';
import { tempDir, writeTree } from '../helpers/fs.js';
import { makeRandomStaticModel } from '../helpers/model.js';
import { readOnlyFolder, smallDisk } from '../helpers/mounts.js';

let scratch: { dir: string; cleanup: () => Promise<void> };
let model: string;
let project: string;

function codeintent(args: readonly string[], options: Partial<RunOptions> = {}): Promise<Run> {
  return runCodeintent(['--model', model, ...args], { cwd: project, cacheDir: path.join(scratch.dir, 'cache'), ...options });
}

/** The run failed with `code` and said so in one line (a usage error adds the pointer to --help). */
function assertOneLineFailure(run: Run, code: number, says: RegExp): void {
  assert.equal(run.code, code, `exit code ${run.code}; stderr: ${run.stderr}`);
  const lines = run.stderr.trim().split('\n').filter((line) => line !== 'Run `codeintent --help` for usage.');
  assert.equal(lines.length, 1, `one line expected, got:\n${run.stderr}`);
  assert.match(lines[0] ?? '', /^codeintent: /);
  assert.match(lines[0] ?? '', says);
}

before(async () => {
  scratch = await tempDir('codeintent-hostile-cli-');
  await chmod(scratch.dir, 0o755); // the unprivileged user of the unreadable-root case must reach the model
  model = await makeRandomStaticModel(path.join(scratch.dir, 'model'));
  project = path.join(scratch.dir, 'project');
  await writeTree(project, {
    'src/retry.ts': 'export function retryWithBackoff(task: () => Promise<void>, attempts: number) {\n  return task().catch(() => (attempts > 1 ? retryWithBackoff(task, attempts - 1) : undefined));\n}\n',
  });
  const indexed = await codeintent(['index', '.']);
  assert.equal(indexed.code, 0, indexed.stderr);
});

after(() => scratch.cleanup());

describe('case 14: one-line failures', () => {
  test('--top past 32 bits is refused as a usage error in every mode', async () => {
    for (const mode of ['vector', 'lexical', 'hybrid']) {
      assertOneLineFailure(await codeintent(['search', 'retry', '--top', '4294967296', '--mode', mode]), 2, /--top takes a whole number from 1 to 1000/);
    }
  });

  test('an adapter whose matrix has the wrong size names the file', async () => {
    const adapter = path.join(scratch.dir, 'bad-adapter');
    await writeTree(adapter, {
      'adapter.json': JSON.stringify({ format: 'codeintent-adapter', version: 1, modelId: 'any', dimension: 4, matrixFile: 'matrix.f32' }),
      'matrix.f32': new Uint8Array(10),
    });
    assertOneLineFailure(await codeintent(['search', 'retry', '--adapter', adapter]), 1, /matrix\.f32 holds 10 bytes, but a 4×4 adapter needs 64/);
  });

  test('an unwritable --db says which folder', async (t) => {
    const locked = path.join(scratch.dir, 'read-only');
    const mounted = await readOnlyFolder(locked);
    if (mounted.skip) return t.skip(mounted.skip);
    try {
      assertOneLineFailure(await codeintent(['index', '.', '--db', path.join(locked, 'db')]), 1, new RegExp(`cannot create ${path.join(locked, 'db')}`));
    } finally {
      mounted.release();
    }
  });

  test('an unreadable workspace folder says so', async () => {
    const unreadable = path.join(scratch.dir, 'unreadable');
    await writeTree(unreadable, { 'a.ts': 'export const a = 1;\n' });
    await chmod(unreadable, 0o000);
    // Root reads everything: the CLI then runs as an unprivileged user, with a cache it may write.
    const asRoot = process.getuid?.() === 0;
    const cacheDir = path.join(scratch.dir, 'user-cache');
    await mkdir(cacheDir, { recursive: true });
    if (asRoot) await chown(cacheDir, 65534, 65534);
    const run = await codeintent(['index', unreadable], { cacheDir, ...(asRoot ? { user: { uid: 65534, gid: 65534 } } : {}) });
    await chmod(unreadable, 0o755);
    assertOneLineFailure(run, 1, new RegExp(`cannot list ${unreadable}: permission denied`));
  });

  test('a full disk under the index says so', async (t) => {
    const disk = path.join(scratch.dir, 'small-disk');
    const mounted = await smallDisk(disk, 40 * 1024);
    if (mounted.skip) return t.skip(mounted.skip);
    try {
      await writeFile(path.join(project, 'src', 'more.ts'), 'export const filler = `' + 'x'.repeat(60_000) + '`;\n');
      assertOneLineFailure(await codeintent(['index', '.', '--db', path.join(disk, 'db')]), 1, /no space left on the disk/);
    } finally {
      mounted.release();
    }
  });
});

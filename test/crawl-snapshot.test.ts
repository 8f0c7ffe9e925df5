// The start-up check from the last walk's snapshot (src/core/crawl/snapshot.ts): whatever changed
// between two crawls, a crawl that starts from the snapshot must yield what a walk of the tree
// yields (the oracle: the same crawl without a snapshot), with the same skips reported.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { crawl, type CrawlOptions } from '../src/core/crawl/index.js';
import { tempDir, writeTree } from './helpers/fs.js';

interface Seen {
  files: string[];
  skips: string[];
}

async function crawlOf(options: CrawlOptions): Promise<Seen> {
  const skips: string[] = [];
  const files: string[] = [];
  for await (const file of crawl({ ...options, onSkip: (p, reason) => skips.push(`${p} ${reason}`) })) files.push(`${file.path} ${file.size} ${file.mtimeMs}`);
  return { files: files.sort(), skips: skips.sort() };
}

/** Folders dated a minute back, so that the snapshot trusts their times (a fresh folder is "racy" and listed again). */
async function ageFolders(root: string): Promise<void> {
  const past = new Date(Date.now() - 60_000);
  const folders = [root, ...(await readdir(root, { recursive: true, withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => path.join(d.parentPath, d.name))];
  for (const folder of folders) await utimes(folder, past, past);
}

/** A small workspace; with `links`, a link to a file in an ignored folder (taken) and a broken one. */
async function fixture(t: { after: (fn: () => Promise<void>) => void }, { links = false } = {}) {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const root = path.join(dir, 'ws');
  await writeTree(root, {
    '.gitignore': 'build/\n*.log\n',
    'src/app.ts': 'export function start() { return 1; }\n',
    'src/util/strings.ts': 'export const trim = (s: string) => s.trim();\n',
    'src/util/big.ts': `// ${'x'.repeat(3000)}\n`,
    'docs/readme.md': '# Hello\n',
    'build/out.js': 'compiled();\n',
    'debug.log': 'log line\n',
    '.env': 'API_KEY=secret\n',
  });
  if (links) {
    await symlink('build/out.js', path.join(root, 'app-link.js'));
    await symlink('docs/missing.md', path.join(root, 'dangling.md'));
  }
  await ageFolders(root);
  const snapshotFile = path.join(dir, 'index', 'crawl-snapshot.json');
  const options: CrawlOptions = { root, maxFileBytes: 2000, snapshotFile };
  return { root, snapshotFile, options };
}

/** Crawls from the snapshot and checks the result against a walk of the tree as it is now. */
async function assertSameAsWalk(options: CrawlOptions, what: string): Promise<Seen> {
  const fromSnapshot = await crawlOf(options);
  const { snapshotFile: _ignored, ...withoutSnapshot } = options;
  const walked = await crawlOf(withoutSnapshot);
  assert.deepEqual(fromSnapshot, walked, what);
  return fromSnapshot;
}

test('a walk leaves a snapshot; after no change the crawl from it yields what a walk does, skips included', async (t) => {
  const { options, snapshotFile } = await fixture(t, { links: true });
  const first = await crawlOf(options);
  assert.ok(existsSync(snapshotFile), 'the walk left a snapshot in the index folder');
  const second = await assertSameAsWalk(options, 'no change');
  assert.deepEqual(second, first);
  assert.ok(second.files.some((f) => f.startsWith('app-link.js ')), 'the link to a file is still there');
  for (const skip of ['src/util/big.ts too-large', '.env secret', 'build ignored', 'debug.log ignored', 'dangling.md unreadable']) assert.ok(second.skips.includes(skip), `${skip} in ${second.skips.join(', ')}`);
});

test('files edited in place, added, deleted or grown past the size limit are seen by the next crawl', async (t) => {
  const { root, options } = await fixture(t);
  await crawlOf(options);
  // In place: the folder's time does not change, only the file's.
  await appendFile(path.join(root, 'src/app.ts'), 'export const more = 2;\n');
  await writeFile(path.join(root, 'src/util/big.ts'), 'export const small = 1;\n');
  await writeFile(path.join(root, 'docs/readme.md'), `# ${'y'.repeat(2500)}\n`);
  let seen = await assertSameAsWalk(options, 'edited in place');
  assert.ok(seen.files.some((f) => f.startsWith('src/util/big.ts ')), 'a file that shrank under the limit is taken');
  assert.ok(seen.skips.includes('docs/readme.md too-large'));
  await writeFile(path.join(root, 'src/util/new.ts'), 'export const fresh = true;\n');
  await rm(path.join(root, 'src/util/strings.ts'));
  await writeFile(path.join(root, 'src/notes.log'), 'ignored by *.log\n');
  await writeFile(path.join(root, 'src/.env.local'), 'TOKEN=1\n');
  seen = await assertSameAsWalk(options, 'added and deleted');
  assert.ok(seen.files.some((f) => f.startsWith('src/util/new.ts ')));
  assert.ok(!seen.files.some((f) => f.startsWith('src/util/strings.ts ') || f.startsWith('src/notes.log ') || f.startsWith('src/.env.local ')));
});

test('a deleted folder, a new folder and a renamed folder are seen by the next crawl', async (t) => {
  const { root, options } = await fixture(t);
  await crawlOf(options);
  await rm(path.join(root, 'docs'), { recursive: true });
  let seen = await assertSameAsWalk(options, 'a folder deleted');
  assert.ok(!seen.files.some((f) => f.startsWith('docs/')));
  await mkdir(path.join(root, 'lib/deep'), { recursive: true });
  await writeFile(path.join(root, 'lib/deep/found.ts'), 'export const found = 1;\n');
  seen = await assertSameAsWalk(options, 'a folder added');
  assert.ok(seen.files.some((f) => f.startsWith('lib/deep/found.ts ')));
  await ageFolders(root);
  await crawlOf(options); // a walk after the new folder: the snapshot knows it now
  const { rename } = await import('node:fs/promises');
  await rename(path.join(root, 'src/util'), path.join(root, 'src/helpers'));
  seen = await assertSameAsWalk(options, 'a folder renamed');
  assert.ok(seen.files.some((f) => f.startsWith('src/helpers/strings.ts ')) && !seen.files.some((f) => f.startsWith('src/util/')));
});

test('an ignore file edited in place, or other settings, take effect at the next crawl', async (t) => {
  const { root, options } = await fixture(t);
  await crawlOf(options);
  await appendFile(path.join(root, '.gitignore'), 'docs/\n');
  let seen = await assertSameAsWalk(options, '.gitignore edited in place');
  assert.ok(!seen.files.some((f) => f.startsWith('docs/')));
  await writeFile(path.join(root, 'src/.codeintentignore'), 'util/\n');
  seen = await assertSameAsWalk(options, 'a .codeintentignore added');
  assert.ok(!seen.files.some((f) => f.startsWith('src/util/')));
  seen = await assertSameAsWalk({ ...options, exclude: ['src/app.ts'], indexSecrets: true }, 'other settings');
  assert.ok(!seen.files.some((f) => f.startsWith('src/app.ts ')) && seen.files.some((f) => f.startsWith('.env ')));
});

test('a link retargeted, or a link whose target appears, is seen by the next crawl', async (t) => {
  const { root, options } = await fixture(t, { links: true });
  await crawlOf(options);
  await writeFile(path.join(root, 'docs/missing.md'), '# Here now\n');
  let seen = await assertSameAsWalk(options, 'the target of a broken link appeared');
  assert.ok(seen.skips.includes('dangling.md duplicate'), 'the link is now a second path to docs/missing.md');
  await ageFolders(root);
  await crawlOf(options);
  await rm(path.join(root, 'app-link.js'));
  await symlink('/etc/hostname', path.join(root, 'app-link.js'));
  seen = await assertSameAsWalk(options, 'a link retargeted out of the workspace');
  assert.ok(!seen.files.some((f) => f.startsWith('app-link.js ')));
});

test('a file replaced under the same name is judged again: a file turned into a link to outside the workspace is left out', async (t) => {
  const { root, options } = await fixture(t);
  await crawlOf(options);
  await rm(path.join(root, 'src/app.ts'));
  await symlink('/etc/hostname', path.join(root, 'src/app.ts'));
  const seen = await assertSameAsWalk(options, 'a file replaced by a link');
  assert.ok(!seen.files.some((f) => f.startsWith('src/app.ts ')));
});

// The crawl's verdict on single paths (src/core/crawl, pathFilter) against the crawl itself, and the
// indexing worker's file filter that asks it (src/extension/fileFilter.ts), on real files.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { crawl, pathFilter, type PathRuleOptions } from '../src/core/crawl/index.js';
import { changesForIndex } from '../src/extension/fileFilter.js';
import type { FolderConfig } from '../src/shared/worker-protocol.js';
import { tempDir, writeTree } from './helpers/fs.js';

/** Ignored files, secrets and excluded folders, by every kind of rule. */
const FILES: Record<string, string> = {
  '.git/info/exclude': 'private/\n',
  '.gitignore': ['*.log', '!keep.log', '/generated/', 'node_modules/', '!dist/'].join('\n'),
  '.codeintentignore': ['!build/', 'fixtures/'].join('\n'),
  'src/a.ts': 'x',
  'src/b.log': 'x',
  'src/keep.log': 'x',
  'src/.gitignore': 'local-*.ts\n',
  'src/local-x.ts': 'x',
  'src/deep/c.ts': 'x',
  'src/deep/local-y.ts': 'x',
  'src/a.test.ts': 'x',
  'locales/de.json': 'x',
  'generated/g.ts': 'x',
  'private/p.ts': 'x',
  'build/make.ts': 'x',
  'dist/out.js': 'x',
  'node_modules/m/index.js': 'x',
  'fixtures/f.ts': 'x',
  '.env': 'x',
  '.env.example': 'x',
  'config/.env.local': 'x',
  'certs/server.pem': 'x',
  'docs/guide.md': 'x',
  'docs/keep.md': 'x',
  'app.sqlite': 'x',
  'yarn.lock': 'x',
  'Data.Sqlite/Connection.cs': 'x',
};

/** Every folder that holds a file of FILES. */
const FOLDERS = [...new Set(Object.keys(FILES).flatMap((file) => file.split('/').slice(0, -1).map((_, i, names) => names.slice(0, i + 1).join('/'))))];

let scratch: { dir: string; cleanup: () => Promise<void> };
let root: string;

before(async () => {
  scratch = await tempDir('codeintent-path-filter-');
  root = path.join(scratch.dir, 'project');
  await writeTree(root, FILES);
});
after(() => scratch.cleanup());

/** What the crawl yields, and the folders it walks into (those neither skipped nor under a skipped one). */
async function crawled(options: PathRuleOptions): Promise<{ files: Set<string>; folders: Set<string> }> {
  const files = new Set<string>();
  const skipped: string[] = [];
  for await (const file of crawl({ root, ...options, onSkip: (p) => skipped.push(p) })) files.add(file.path);
  const folders = FOLDERS.filter((folder) => !skipped.some((skip) => folder === skip || folder.startsWith(`${skip}/`)));
  return { files, folders: new Set(folders) };
}

describe('pathFilter', () => {
  const cases: Record<string, PathRuleOptions> = {
    'no options': {},
    'exclude and include options, negations too': { exclude: ['docs/*', '!docs/keep.md', 'src/deep/'], include: ['src/', '*.md', 'dist/', '*.js'] },
    indexSecrets: { indexSecrets: true },
    'tests and translations left out': { indexTestsAndTranslations: false },
  };
  for (const [name, options] of Object.entries(cases)) {
    test(`agrees with the crawl on every file and folder: ${name}`, async () => {
      const { files, folders } = await crawled(options);
      assert.ok(files.size > 0 && files.size < Object.keys(FILES).length, 'the fixture keeps some files and drops others');
      const judge = pathFilter(root, options);
      for (const file of Object.keys(FILES)) assert.equal(await judge(file, false), files.has(file), file);
      for (const folder of FOLDERS) assert.equal(await judge(folder, true), folders.has(folder), `${folder}/`);
    });
  }

  test('the rules it agrees on: ignore files at every level, re-includes, secrets, default excludes', async () => {
    const { files } = await crawled({});
    assert.deepEqual(
      [...files].sort(),
      ['.codeintentignore', '.env.example', '.gitignore', 'Data.Sqlite/Connection.cs', 'build/make.ts', 'docs/guide.md', 'docs/keep.md', 'locales/de.json', 'src/.gitignore', 'src/a.test.ts', 'src/a.ts', 'src/deep/c.ts', 'src/keep.log'],
    );
  });
});

describe("the indexing worker's file filter", () => {
  const config = (crawl: Partial<FolderConfig['crawl']> = {}): FolderConfig => ({
    root,
    indexDir: path.join(root, '.index'),
    model: 'default',
    adapter: 'default',
    crawl: { include: [], exclude: [], maxFileBytes: 1_048_576, indexTestsAndTranslations: true, ...crawl },
    indexingThreads: 0,
    env: {},
  });
  const touches = async (paths: string[], crawl?: Partial<FolderConfig['crawl']>) => (await changesForIndex(config(crawl), paths.map((p) => path.join(root, p)))).length > 0;

  test('a change matters when the crawl would take the file', async () => {
    for (const file of ['src/a.ts', 'build/make.ts', 'src/keep.log']) assert.equal(await touches([file]), true, file);
    for (const file of ['node_modules/m/index.js', 'src/b.log', 'src/deep/local-y.ts', 'private/p.ts', '.env', 'app.sqlite', 'dist/out.js']) {
      assert.equal(await touches([file]), false, file);
    }
    assert.equal(await touches(['src/b.log', 'node_modules/m/index.js', 'src/deep/c.ts']), true, 'one that matters is enough');
    assert.equal(await touches(['.index/lance/x.lance']), false, "the index's own writes");
    assert.deepEqual(await changesForIndex(config(), [path.join(scratch.dir, 'elsewhere.ts')]), [], 'outside the folder');
    assert.equal(await touches(['dist/out.js'], { exclude: ['!dist/'] }), true, 'the exclude setting re-includes');
  });

  test('a path that is gone may have been a folder', async () => {
    const include = ['*.ts'];
    assert.equal(await touches(['docs/guide.md'], { include }), false, 'a file outside include');
    assert.equal(await touches(['docs'], { include }), true, 'a folder that may hold included files');
    assert.equal(await touches(['src/removed'], { include }), true, 'gone: a file outside include, or a folder');
    assert.equal(await touches(['removed.sqlite']), true, 'gone: a database file, or a folder so named');
    assert.equal(await touches(['node_modules/removed']), false, 'under an excluded folder, either way');
  });
});

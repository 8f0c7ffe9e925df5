import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, link, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SkipReason } from '../src/core/types.js';
import type { CrawlOptions } from '../src/core/crawl/index.js';
import { classifyContent, crawl, DEFAULT_EXCLUDES, isSecretPath } from '../src/core/crawl/index.js';

let scratch = '';
before(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'codeintent-crawl-'));
});
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

let counter = 0;
/** A fresh directory under the scratch dir, filled with `files` (path -> content). */
async function tree(files: Record<string, string | Uint8Array>): Promise<string> {
  const root = path.join(scratch, `t${counter++}`);
  await mkdir(root, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(root, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }
  return root;
}

interface Result {
  paths: string[];
  skips: Map<string, SkipReason>;
  details: Map<string, string | undefined>;
}

async function collect(options: Omit<CrawlOptions, 'onSkip'>): Promise<Result> {
  const paths: string[] = [];
  const skips = new Map<string, SkipReason>();
  const details = new Map<string, string | undefined>();
  for await (const file of crawl({
    ...options,
    onSkip: (p, reason, detail) => {
      assert.ok(!skips.has(p), `${p} reported twice`);
      skips.set(p, reason);
      details.set(p, detail);
    },
  })) {
    paths.push(file.path);
  }
  return { paths, skips, details };
}

const sorted = (values: Iterable<string>): string[] => [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

describe('ignore files', () => {
  test('nested .gitignore: negation, anchoring, directory-only patterns, relative to their own directory', async () => {
    const root = await tree({
      '.gitignore': ['*.log', '!keep.log', '/top-only.txt', 'tmp/', 'generated/', '# a comment', ''].join('\n'),
      'a.ts': 'a',
      'debug.log': 'x',
      'keep.log': 'x',
      'top-only.txt': 'x',
      'local.txt': 'x',
      'tmp/x.ts': 'x',
      'other/tmp': 'a file named tmp: a directory-only pattern does not match it',
      'generated/z.ts': 'x',
      'sub/.gitignore': ['*.gen.ts', '!debug.log', '/local.txt'].join('\n'),
      'sub/top-only.txt': 'not anchored here',
      'sub/a.gen.ts': 'x',
      'sub/debug.log': 're-included by the deeper file',
      'sub/local.txt': 'x',
      'sub/deeper/local.txt': 'anchored patterns only match next to their file',
      'sub/deeper/b.gen.ts': 'x',
      'sub/tmp/y.ts': 'x',
      // A deeper file re-includes a directory the root ignores: its files are then judged one by one.
      'pkg/.gitignore': '!generated/\n',
      'pkg/generated/a.ts': 'x',
      'pkg/generated/trace.log': 'still *.log from the root file',
      '.git/info/exclude': 'notes.private.md\n',
      '.git/HEAD': 'ref: refs/heads/main\n',
      'notes.private.md': 'x',
    });
    const { paths, skips, details } = await collect({ root });
    assert.deepEqual(paths, [
      '.gitignore',
      'a.ts',
      'keep.log',
      'local.txt',
      'other/tmp',
      'pkg/.gitignore',
      'pkg/generated/a.ts',
      'sub/.gitignore',
      'sub/debug.log',
      'sub/deeper/local.txt',
      'sub/top-only.txt',
    ]);
    assert.deepEqual(
      new Map(sorted(skips.keys()).map((k) => [k, skips.get(k)])),
      new Map(
        [
          '.git', // the directory, once; nothing under it
          'debug.log',
          'generated',
          'notes.private.md',
          'pkg/generated/trace.log',
          'sub/a.gen.ts',
          'sub/deeper/b.gen.ts',
          'sub/local.txt',
          'sub/tmp',
          'tmp',
          'top-only.txt',
        ].map((p) => [p, 'ignored' as SkipReason]),
      ),
    );
    assert.equal(details.get('sub/a.gen.ts'), 'sub/.gitignore: *.gen.ts');
    assert.equal(details.get('notes.private.md'), '.git/info/exclude: notes.private.md');
    assert.equal(details.get('pkg/generated/trace.log'), '.gitignore: *.log');
  });

  test('.codeintentignore at any level and the exclude option; only they can re-include a default exclude', async () => {
    const root = await tree({
      '.gitignore': ['*.gen.ts', '!node_modules/', '!dist/', '/third_party/', '/third_party/*.tmp'].join('\n'),
      '.codeintentignore': ['fixtures/', '!build/', '!*.gen.ts', '!/third_party/'].join('\n'),
      'third_party/lib.ts': 're-included with its directory',
      'third_party/scratch.tmp': 'still matched by its own .gitignore pattern',
      'src/a.ts': 'x',
      'src/b.gen.ts': 'ignored by git, re-included by .codeintentignore',
      'src/__snapshots__/.codeintentignore': '*.snap\n',
      'src/__snapshots__/a.snap': 'x',
      'src/__snapshots__/a.txt': 'x',
      'fixtures/f.ts': 'x',
      'build/make.ts': 'build scripts the user asked for',
      'node_modules/x/index.js': 'a .gitignore negation cannot re-include a default exclude',
      'dist/out.js': 'x',
      'docs/guide.md': 'x',
      'docs/keep.md': 'x',
      'coverage/lcov.info': 'x',
    });
    const { paths, skips, details } = await collect({ root, exclude: ['docs/*', '!docs/keep.md', '!coverage/'] });
    assert.deepEqual(paths, [
      '.codeintentignore',
      '.gitignore',
      'build/make.ts',
      'coverage/lcov.info',
      'docs/keep.md',
      'src/__snapshots__/.codeintentignore',
      'src/__snapshots__/a.txt',
      'src/a.ts',
      'src/b.gen.ts',
      'third_party/lib.ts',
    ]);
    assert.deepEqual(sorted(skips.keys()), [
      'dist',
      'docs/guide.md',
      'fixtures',
      'node_modules',
      'src/__snapshots__/a.snap',
      'third_party/scratch.tmp',
    ]);
    assert.equal(details.get('third_party/scratch.tmp'), '.gitignore: /third_party/*.tmp');
    assert.equal(details.get('node_modules'), 'default exclude node_modules/');
    assert.ok([...skips.values()].every((reason) => reason === 'ignored'));
  });

  test('default excludes apply without any ignore file; a skipped directory is reported once', async () => {
    const root = await tree({
      'src/main.ts': 'x',
      'README.md': 'x',
      Makefile: 'x',
      'weird.xyz': 'unknown extensions are allowed',
      'bin/run.sh': 'a plain bin/ is often scripts',
      'bin/Debug/app.dll': 'x',
      'bin/Release/app.exe': 'x',
      'obj/project.assets.json': 'x',
      'node_modules/a/index.js': 'x',
      'node_modules/a/node_modules/b/index.js': 'x',
      'packages/p/node_modules/c/index.js': 'x',
      'packages/p/dist/index.js': 'x',
      'packages/p/src/index.ts': 'x',
      'build/b.js': 'x',
      'out/c.js': 'x',
      'target/d.rs': 'x',
      'vendor/e.go': 'x',
      '__pycache__/f.cpython-312.pyc': 'x',
      '.venv/lib/site.py': 'x',
      '.hg/store': 'x',
      '.next/cache': 'x',
      'x.egg-info/PKG-INFO': 'x',
      'package-lock.json': '{}',
      'yarn.lock': 'x',
      'go.sum': 'x',
      'Cargo.lock': 'x',
      'app.min.js': 'x',
      'style.min.css': 'x',
      'app.js.map': 'x',
      'msg.pb.go': 'x',
      'msg_pb2.py': 'x',
      'api.generated.ts': 'x',
      'logo.png': 'x',
      'LOGO.PNG': 'extensions are case-insensitive',
      'font.woff2': 'x',
      'a.zip': 'x',
      'libx.so.1': 'x',
      'model.onnx': 'x',
      'data.sqlite': 'x',
      'Main.class': 'x',
    });
    const { paths, skips } = await collect({ root });
    assert.deepEqual(paths, ['Makefile', 'README.md', 'bin/run.sh', 'packages/p/src/index.ts', 'src/main.ts', 'weird.xyz']);
    assert.deepEqual(sorted(skips.keys()), [
      '.hg',
      '.next',
      '.venv',
      'Cargo.lock',
      'LOGO.PNG',
      'Main.class',
      '__pycache__',
      'a.zip',
      'api.generated.ts',
      'app.js.map',
      'app.min.js',
      'bin/Debug',
      'bin/Release',
      'build',
      'data.sqlite',
      'font.woff2',
      'go.sum',
      'libx.so.1',
      'logo.png',
      'model.onnx',
      'msg.pb.go',
      'msg_pb2.py',
      'node_modules',
      'obj',
      'out',
      'package-lock.json',
      'packages/p/dist',
      'packages/p/node_modules',
      'style.min.css',
      'target',
      'vendor',
      'x.egg-info',
      'yarn.lock',
    ]);
    assert.ok([...skips.values()].every((reason) => reason === 'ignored'));
    assert.ok(DEFAULT_EXCLUDES.includes('node_modules/'));
  });

  test('extension excludes match files, not folders named like them', async () => {
    const root = await tree({ 'Hyena.Data.Sqlite/Connection.cs': 'x', 'app.sqlite': 'x', 'libfoo.so.1/readme.md': 'x' });
    const { paths, skips } = await collect({ root });
    assert.deepEqual(paths, ['Hyena.Data.Sqlite/Connection.cs', 'libfoo.so.1/readme.md']);
    assert.deepEqual(sorted(skips.keys()), ['app.sqlite']);
  });

  test('include keeps only matching files and reports nothing for the rest', async () => {
    const root = await tree({ 'src/a.ts': 'x', 'src/b.py': 'x', 'lib/c.ts': 'x', 'README.md': 'x', 'node_modules/m/d.ts': 'x' });
    const { paths, skips } = await collect({ root, include: ['src/', '*.md'] });
    assert.deepEqual(paths, ['README.md', 'src/a.ts', 'src/b.py']);
    assert.deepEqual(sorted(skips.keys()), ['node_modules']);
  });

  test('indexTestsAndTranslations false leaves out the files the ranking calls tests or translations, and only those', async () => {
    const tests = ['src/cart.test.ts', 'src/__tests__/cart.ts', 'tests/test_cart.py', 'pkg/cart_test.go', 'src/test/java/CartTest.java', 'spec/fixtures/cart.json', 'src/Cart.stories.tsx'];
    const translations = ['locales/de.json', 'src/i18n/fr.ts', 'po/es.po', 'Resources/Strings.resx', 'config/en-GB.yml'];
    const code = ['src/cart.ts', 'src/testing-utils.ts', 'examples/demo.ts', 'docs/guide.md', 'README.md', 'src/languages.ts'];
    const root = await tree(Object.fromEntries([...tests, ...translations, ...code].map((file) => [file, 'x'])));
    assert.deepEqual((await collect({ root })).paths, sorted([...tests, ...translations, ...code]), 'indexed by default');
    const { paths, skips } = await collect({ root, indexTestsAndTranslations: false });
    assert.deepEqual(paths, sorted(code));
    assert.deepEqual(sorted(skips.keys()), [], 'left out as asked: nothing to report');
  });
});

describe('secrets and size', () => {
  const secrets = [
    '.env',
    '.env.local',
    '.env.production',
    '.envrc',
    'config/.env.test',
    'certs/server.pem',
    'tls.key',
    'store.p12',
    'store.pfx',
    'app.jks',
    'release.keystore',
    'id_rsa',
    'id_ed25519.pub',
    '.npmrc',
    '.pypirc',
    '.netrc',
    '.git-credentials',
    '.htpasswd',
    'credentials.json',
    'credentials-prod.json',
    'my-secrets.yaml',
    'client_secret.json',
    'service-account-prod.json',
    'prod.tfvars',
    '.aws/credentials',
    'home/.docker/config.json',
  ];
  const harmless = ['.env.example', '.env.sample', '.env.template', 'config/app.json', 'src/secretary.ts', 'keys.ts', 'docker/config.json'];

  test('secret-looking files are skipped by default and indexed with indexSecrets', async () => {
    const root = await tree(Object.fromEntries([...secrets, ...harmless].map((p) => [p, 'x'])));
    const byDefault = await collect({ root });
    assert.deepEqual(byDefault.paths, sorted(harmless));
    assert.deepEqual(sorted(byDefault.skips.keys()), sorted(secrets));
    assert.ok([...byDefault.skips.values()].every((reason) => reason === 'secret'));

    const all = await collect({ root, indexSecrets: true });
    assert.deepEqual(all.paths, sorted([...secrets, ...harmless]));
    assert.equal(all.skips.size, 0);
  });

  test('isSecretPath', () => {
    for (const p of secrets) assert.equal(isSecretPath(p), true, p);
    for (const p of harmless) assert.equal(isSecretPath(p), false, p);
    assert.equal(isSecretPath('deploy\\.ENV'), true);
    assert.equal(isSecretPath('home/.ssh/config'), true);
  });

  test('files over maxFileBytes are reported as too-large, files at the limit are kept', async () => {
    const root = await tree({ 'at-limit.ts': 'x'.repeat(100), 'over.ts': 'x'.repeat(101), 'empty.ts': '' });
    const { paths, skips, details } = await collect({ root, maxFileBytes: 100 });
    assert.deepEqual(paths, ['at-limit.ts', 'empty.ts']);
    assert.deepEqual([...skips], [['over.ts', 'too-large']]);
    assert.match(details.get('over.ts') ?? '', /101 bytes/);
  });

  test('each yielded file carries its size, mtime and absolute path', async () => {
    const root = await tree({ 'dir/a.ts': 'hello' });
    const files = [];
    for await (const file of crawl({ root: path.relative(process.cwd(), root) })) files.push(file);
    assert.equal(files.length, 1);
    const [file] = files;
    assert.equal(file?.path, 'dir/a.ts');
    assert.equal(file?.absPath, path.join(root, 'dir', 'a.ts'));
    assert.equal(file?.size, 5);
    assert.ok((file?.mtimeMs ?? 0) > 0);
  });
});

describe('symlinks and errors', () => {
  test('symlink loops terminate and are reported once each; links inside the root are duplicates of the real path, or followed when it is not walked', { timeout: 10_000 }, async () => {
    const root = await tree({ 'sub/real.ts': 'x', 'sub/.gitignore': '', '.gitignore': 'hidden/\n', 'hidden/inner.ts': 'x' });
    await symlink('..', path.join(root, 'sub', 'up')); // -> root: an enclosing directory
    await symlink('.', path.join(root, 'sub', 'self'));
    await symlink('knot', path.join(root, 'knot')); // resolves to itself (ELOOP)
    await symlink('sub', path.join(root, 'linked')); // a directory inside the root
    await symlink(path.join('sub', 'real.ts'), path.join(root, 'alias.ts')); // a file inside the root
    await symlink('hidden', path.join(root, 'shown')); // a link is judged by its own path
    const { paths, skips, details } = await collect({ root });
    assert.deepEqual(paths, ['.gitignore', 'sub/.gitignore', 'sub/real.ts', 'shown/inner.ts']);
    assert.deepEqual(
      [...skips],
      [
        ['hidden', 'ignored'],
        ['knot', 'symlink-loop'],
        ['sub/self', 'symlink-loop'],
        ['sub/up', 'symlink-loop'],
        ['alias.ts', 'duplicate'],
        ['linked', 'duplicate'],
      ],
    );
    assert.equal(details.get('alias.ts'), 'the same file as sub/real.ts');
    assert.equal(details.get('linked'), 'the same folder as sub');
  });

  test('a file with several hard links is yielded once, under its first path', async () => {
    const root = await tree({ 'a/one.ts': 'x' });
    await link(path.join(root, 'a', 'one.ts'), path.join(root, 'b.ts'));
    const { paths, skips } = await collect({ root });
    assert.deepEqual(paths, ['a/one.ts']);
    assert.deepEqual([...skips], [['b.ts', 'duplicate']]);
  });

  test('FIFOs are skipped, named as such; the index folder inside the root is left out', async () => {
    const root = await tree({ 'a.ts': 'x', '.index/meta.json': '{}' });
    execFileSync('mkfifo', [path.join(root, 'events.pipe')]);
    const { paths, skips, details } = await collect({ root, indexDir: path.join(root, '.index') });
    assert.deepEqual(paths, ['a.ts']);
    assert.deepEqual([...skips], [['.index', 'ignored'], ['events.pipe', 'ignored']]);
    assert.match(details.get('events.pipe') ?? '', /FIFO/);
  });

  test('symlinks that leave the root are skipped as ignored; broken links are unreadable', async () => {
    const outside = await tree({ 'x.ts': 'x', 'lib/y.ts': 'y' });
    const root = await tree({ 'a.ts': 'x' });
    await symlink(outside, path.join(root, 'outdir'));
    await symlink(path.join(outside, 'x.ts'), path.join(root, 'outfile.ts'));
    await symlink('missing.ts', path.join(root, 'broken.ts'));
    const { paths, skips, details } = await collect({ root });
    assert.deepEqual(paths, ['a.ts']);
    assert.deepEqual(
      [...skips],
      [
        ['broken.ts', 'unreadable'],
        ['outdir', 'ignored'],
        ['outfile.ts', 'ignored'],
      ],
    );
    assert.match(details.get('outdir') ?? '', /outside/);
  });

  test('an unreadable directory is reported and the walk goes on', async () => {
    const root = await tree({ 'locked/a.ts': 'x', 'open/b.ts': 'x' });
    await chmod(path.join(root, 'locked'), 0o000);
    try {
      const { paths, skips } = await collect({ root });
      if (process.getuid?.() === 0) {
        // root reads through permissions: nothing to report
        assert.deepEqual(paths, ['locked/a.ts', 'open/b.ts']);
        assert.equal(skips.size, 0);
      } else {
        assert.deepEqual(paths, ['open/b.ts']);
        assert.deepEqual([...skips], [['locked', 'unreadable']]);
      }
    } finally {
      await chmod(path.join(root, 'locked'), 0o755);
    }
  });

  test('a root that is missing or not a directory rejects; bad options throw a TypeError naming the option', async () => {
    const root = await tree({ 'file.ts': 'x' });
    await assert.rejects(collect({ root: path.join(root, 'nope') }), { code: 'ENOENT' });
    await assert.rejects(collect({ root: path.join(root, 'file.ts') }), /not a directory/);
    assert.throws(() => crawl({ root: '' }), { name: 'TypeError', message: /`root`/ });
    assert.throws(() => crawl({ root, maxFileBytes: -1 }), { name: 'TypeError', message: /`maxFileBytes`/ });
    assert.throws(() => crawl({ root, exclude: 'dist/' as unknown as string[] }), { name: 'TypeError', message: /`exclude`/ });
    assert.throws(() => crawl({ root, excludes: [] } as CrawlOptions), { name: 'TypeError', message: /`excludes`/ });
  });
});

describe('order and abort', () => {
  test('paths come out sorted by path, whatever the directory structure', async () => {
    const names = ['a.ts', 'a-b.ts', 'a/x.ts', 'a/b/c.ts', 'a0.ts', 'B.ts', 'b/z.ts', 'a/x-y/z.ts', 'a/x.y.ts', 'é.ts', 'z/a/b/c/d.ts'];
    const root = await tree(Object.fromEntries(names.map((n) => [n, 'x'])));
    const { paths } = await collect({ root });
    assert.deepEqual(paths, sorted(names));
    // and deterministically so
    assert.deepEqual((await collect({ root })).paths, paths);
  });

  test('an abort stops the walk with the signal reason', async () => {
    const files: Record<string, string> = {};
    for (let d = 0; d < 20; d++) for (let f = 0; f < 20; f++) files[`d${d}/f${f}.ts`] = 'x';
    const root = await tree(files);

    const before = new AbortController();
    before.abort();
    await assert.rejects(collect({ root, signal: before.signal }), { name: 'AbortError' });

    const during = new AbortController();
    let seen = 0;
    await assert.rejects(
      (async () => {
        for await (const file of crawl({ root, signal: during.signal })) {
          assert.ok(file.path);
          seen++;
          if (seen === 5) during.abort();
        }
      })(),
      (error: unknown) => error === during.signal.reason,
    );
    assert.equal(seen, 5);

    const custom = new AbortController();
    custom.abort(new Error('stop'));
    await assert.rejects(collect({ root, signal: custom.signal }), /stop/);
  });
});

describe('classifyContent', () => {
  const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

  test('binary: a NUL byte in the first 8 KiB, or mostly control characters', () => {
    assert.equal(classifyContent('logo.dat', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x1a, 0x0a])), 'binary');
    assert.equal(classifyContent('a.ts', bytes(`export const a = 1;\u0000\n${'const b = 2;\n'.repeat(100)}`)), 'binary');
    assert.equal(classifyContent('a.ts', bytes(`const a = 1;\n${'\u0001\u0002\u0003'.repeat(100)}`)), 'binary');
    const lateNul = new Uint8Array(9000).fill(0x61);
    lateNul[8500] = 0;
    assert.equal(classifyContent('a.txt', lateNul), 'text');
  });

  test('minified: a huge line or a long average line in a .js/.css/.json-like file', () => {
    const bundle = `!function(e){${'var a=1,b=2;'.repeat(600)}}();\n`;
    assert.equal(classifyContent('dist/app.js', bytes(bundle)), 'minified');
    assert.equal(classifyContent('vendor.css', bytes(Array.from({ length: 10 }, () => 'a{b:c}'.repeat(60)).join('\n'))), 'minified');
    const oneHugeLine = `${'const a = 1;\n'.repeat(200)}var data = "${'x'.repeat(6000)}";\n`; // average ~40
    assert.equal(classifyContent('data.json', bytes(oneHugeLine)), 'minified');
    assert.equal(classifyContent('notes.md', bytes(bundle)), 'text'); // long lines in prose are fine
    assert.equal(classifyContent('tsconfig.json', bytes(`{"compilerOptions":{${'"x":1,'.repeat(60)}"y":2}}`)), 'text'); // small
    const code = Array.from({ length: 200 }, (_, i) => `export const value${i} = compute(${i});`).join('\n');
    assert.equal(classifyContent('src/app.js', bytes(code)), 'text');
  });

  test('generated: a header comment in the first lines', () => {
    assert.equal(classifyContent('api.pb.go', bytes('// Code generated by protoc-gen-go. DO NOT EDIT.\npackage api\n')), 'generated');
    assert.equal(classifyContent('Schema.js', bytes('/**\n * Copyright\n *\n * @generated SignedSource<<abc>>\n */\nexport {};\n')), 'generated');
    assert.equal(classifyContent('models.py', bytes('# This file is auto-generated by the schema tool.\nclass A: pass\n')), 'generated');
    assert.equal(classifyContent('Form.Designer.cs', bytes('//------\n// <auto-generated>\n//     This code was generated by a tool.\n')), 'generated');
    const late = `${'const x = 1;\n'.repeat(30)}// @generated\n`;
    assert.equal(classifyContent('late.ts', bytes(late)), 'text');
    assert.equal(classifyContent('check.ts', bytes('const marker = "auto-generated";\nexport default marker;\n')), 'text');
  });

  test('plain code and empty files are text', () => {
    assert.equal(classifyContent('src/index.ts', bytes('export function add(a: number, b: number) {\n  return a + b;\n}\n')), 'text');
    assert.equal(classifyContent('main.py', bytes('def main():\n    print("héllo")\n')), 'text');
    assert.equal(classifyContent('empty.js', new Uint8Array(0)), 'text');
  });
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createChunker } from '../src/core/chunk/index.js';
import type { Chunk } from '../src/core/types.js';
import { removeDocs } from '../src/training/doc-removal.js';
import { globToRegExp, isSourcePath, loadCatalog, splitOf } from '../scripts/corpus/common.js';
import { cleanMarkup, copiesName, firstProseParagraph, firstSentence, isBoilerplate, queryFromDoc } from '../src/core/tune/doc-query.js';
import { candidatesFromChunks, rawDocText } from '../scripts/corpus/extract.js';
import { debianLicence } from '../scripts/corpus/fetch.js';
import { parseBenchSplits } from '../scripts/corpus/bench-workspaces.js';
import { UsageError } from '../scripts/script-args.js';

function query(doc: string, symbol = 'someSymbol'): string | undefined {
  const r = queryFromDoc(doc, symbol);
  return 'query' in r ? r.query : undefined;
}

// ---------------------------------------------------------------------------------------------
// First sentence and markup

test('the query is the first sentence of the first prose paragraph, without its final period', () => {
  assert.equal(
    query("Creates an array of elements split into groups the length of `size`.\nIf `array` can't be split evenly, the final chunk is the rest."),
    'Creates an array of elements split into groups the length of size',
  );
  assert.equal(firstSentence('Parses a value, e.g. a number or a date. Then more.'), 'Parses a value, e.g. a number or a date.');
  assert.equal(firstSentence('Reads version 1.2 of the format. Then more.'), 'Reads version 1.2 of the format.');
  assert.equal(query('Return the thing we need\n\nArgs:\n    x: the input.\n'), 'Return the thing we need');
  assert.equal(query('Summary line without a period\nReturns:\n    int: the count'), 'Summary line without a period');
  assert.equal(query('Compute the mean of the values.\n\nParameters\n----------\nx : array'), 'Compute the mean of the values');
});

test('tags, gtk-doc headers, call-seq blocks and leading sections are not prose', () => {
  assert.equal(query('g_strdup:\n@str: (nullable): the string to duplicate\n\nDuplicates a string. If @str is %NULL it returns %NULL.'), 'Duplicates a string');
  assert.equal(query('call-seq:\n  cookie.expires = time\n\nSets the expiration time of the cookie.'), 'Sets the expiration time of the cookie');
  assert.equal(firstProseParagraph('@param x the value\n@returns the result'), undefined);
  assert.deepEqual(queryFromDoc('Args:\n    x: the value to use here', 'f'), { rejected: 'no-prose' });
  assert.equal(query('\\returns the number of rows of the matrix', 'rows'), 'Returns the number of rows of the matrix');
  assert.equal(query('\\internal \\brief Packs the coefficients into a packet.'), 'Packs the coefficients into a packet');
});

test('markup is removed and the words are kept', () => {
  assert.equal(cleanMarkup('Returns the {@link Observable} for {@link Foo#bar the bar} and {@code x + 1}.'), 'Returns the Observable for the bar and x + 1.');
  assert.equal(cleanMarkup('Converts a [`Foo`] into a [`Bar`](crate::Bar), see [docs](https://x.y).'), 'Converts a Foo into a Bar, see docs.');
  assert.equal(cleanMarkup('Return a :class:`~pkg.mod.Option` for the :func:`parse` call.'), 'Return a Option for the parse call.');
  assert.equal(cleanMarkup('Gets the <see cref="T:System.String"/> for <paramref name="key"/>.'), 'Gets the System.String for key.');
  assert.equal(cleanMarkup('Keeps <code>List&lt;String&gt;</code> and List<String> intact.'), 'Keeps List<String> and List<String> intact.');
  assert.equal(cleanMarkup('The base implementation of `_.sortedUniq` and **bold** *it*.'), 'The base implementation of _.sortedUniq and bold it.');
  assert.equal(cleanMarkup('Returns %TRUE if #GObject @obj is +frozen+.'), 'Returns TRUE if GObject obj is frozen.');
  assert.equal(query('<summary>\nGets the value stored under the given key\n</summary>\n<param name="key">The key.</param>'), 'Gets the value stored under the given key');
});

test("a leading copy of the name goes (Go's convention), an imperative stays", () => {
  assert.equal(query('NewReader returns a new Reader reading from r.', 'NewReader'), 'Returns a new Reader reading from r');
  assert.equal(query('Reader is an io.Reader that decompresses its input.', 'Reader'), 'An io.Reader that decompresses its input');
  assert.equal(query('foo_bar - frees the buffers held by a pool', 'foo_bar'), 'Frees the buffers held by a pool');
  assert.equal(query('Parse the input into tokens.', 'Parse'), 'Parse the input into tokens');
  assert.equal(query('Horde_Share_Kolab:: Responsible for sharing calendars.', 'Horde_Share_Kolab'), 'Responsible for sharing calendars');
  assert.equal(query('Public: Initializes a client for the REST API.', 'initialize'), 'Initializes a client for the REST API');
});

// ---------------------------------------------------------------------------------------------
// Filters

test('boilerplate and restatements of the name are rejected', () => {
  for (const s of ['Constructor', 'Default constructor.', 'Creates a new instance.', 'TODO: make this faster', 'Use the other one, @deprecated', 'Returns the value.', 'Getter for the name', 'Copyright 2020 The Authors', 'Main entry point']) {
    assert.equal(isBoilerplate(s), true, s);
  }
  for (const s of ['Returns the value of the header with the given name', 'Creates a new HTTP client with retry support', 'Default values for the retry policy']) {
    assert.equal(isBoilerplate(s), false, s);
  }
  assert.equal(copiesName('Gets the user name', 'getUserName'), true);
  assert.equal(copiesName('Returns the user names', 'getUserName'), true);
  assert.equal(copiesName('Gets the user name from the session cookie', 'getUserName'), false);
  assert.deepEqual(queryFromDoc('Constructor.', 'Foo'), { rejected: 'too-short' });
  assert.deepEqual(queryFromDoc('Creates a new instance of this class.', 'Foo'), { rejected: 'boilerplate' });
  assert.deepEqual(queryFromDoc('Gets the user name.', 'getUserName'), { rejected: 'name-copy' });
  assert.deepEqual(queryFromDoc('See https://example.com/spec for details.', 'f'), { rejected: 'has-url' });
  assert.equal(query('Implements the token bucket algorithm (http://en.wikipedia.org/wiki/Token_bucket).'), 'Implements the token bucket algorithm');
  assert.deepEqual(queryFromDoc(`Does ${'many things '.repeat(30)}`, 'f'), { rejected: 'too-long' });
});

test('tests, vendored code, builds and generated files are not source', () => {
  assert.equal(isSourcePath('src/core/map.ts'), true);
  assert.equal(isSourcePath('requests/api.py'), true);
  for (const p of ['src/__tests__/map.ts', 'pkg/foo_test.go', 'tests/test_api.py', 'lib/vendor/x.js', 'dist/index.js', 'types/index.d.ts', 'a/b.min.js', 'docs/conf.py', 'spec/foo_spec.rb', 'README.md']) {
    assert.equal(isSourcePath(p), false, p);
  }
  assert.ok(globToRegExp('src/**/locales/**').test('src/v4/locales/en.ts'));
  assert.ok(globToRegExp('**/*.mjs').test('a/b/c.mjs'));
  assert.ok(!globToRegExp('fp/**').test('src/fp/x.js'));
});

test('the catalog loads, and licences are read from Debian copyright files', () => {
  const catalog = loadCatalog();
  assert.ok(catalog.packages.length > 100);
  assert.equal(new Set(catalog.packages.map((p) => `${p.registry}:${p.name}`)).size, catalog.packages.length);
  const dep5 = 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: 2020 A\nLicense: Apache-2.0\n\nFiles: debian/*\nLicense: GPL-2+\n';
  assert.equal(debianLicence(dep5), 'Apache-2.0');
  assert.equal(debianLicence('This package was debianized by X.\n\nPermission is hereby granted, free of charge, to any person'), 'MIT');
  assert.equal(debianLicence(''), 'UNKNOWN');
});

// ---------------------------------------------------------------------------------------------
// Split

test('the split of a package depends on its registry and name only, and is about 80/10/10', () => {
  assert.equal(splitOf({ registry: 'npm', name: 'rxjs' }), splitOf({ registry: 'npm', name: 'rxjs' }));
  // Binary and source Debian packages share a namespace: the same name never lands in two splits.
  assert.equal(splitOf({ registry: 'debian', name: 'zlib' }), splitOf({ registry: 'debian-source', name: 'zlib' }));
  // Pinned, so that a change of the hash is noticed (it would move packages between splits).
  assert.deepEqual(
    ['lodash-es', 'rxjs', 'python3-requests', 'golang-github-spf13-cobra-dev', 'eigen3'].map((name) => splitOf({ registry: name.includes('-') && !name.startsWith('lodash') ? 'debian' : 'npm', name })),
    PINNED_SPLITS,
  );
  const counts = { train: 0, valid: 0, test: 0 };
  for (let i = 0; i < 20_000; i++) counts[splitOf({ registry: 'debian', name: `python3-pkg${i}` })]++;
  assert.ok(Math.abs(counts.train / 20_000 - 0.8) < 0.02, JSON.stringify(counts));
  assert.ok(Math.abs(counts.valid / 20_000 - 0.1) < 0.02, JSON.stringify(counts));
  assert.ok(Math.abs(counts.test / 20_000 - 0.1) < 0.02, JSON.stringify(counts));
});

const PINNED_SPLITS = ['train', 'train', 'test', 'train', 'train'];

test('--bench-splits: test and valid by default, train only on request, built in a fixed order', () => {
  assert.deepEqual(parseBenchSplits(undefined), ['test', 'valid']);
  assert.deepEqual(parseBenchSplits('train,valid,test'), ['test', 'valid', 'train']);
  assert.deepEqual(parseBenchSplits(' train , train '), ['train']);
  assert.deepEqual(parseBenchSplits('valid'), ['valid']);
  assert.throws(() => parseBenchSplits('training'), UsageError);
  assert.throws(() => parseBenchSplits(' , '), UsageError);
});

// ---------------------------------------------------------------------------------------------
// Removing documentation keeps every answer where it was (real chunker, real files)

const FILES: Record<string, string> = {
  'billing.ts': [
    "import { x } from './x.js';",
    '',
    '/**',
    ' * Charges the customer for the given invoice.',
    ' * @param id the invoice',
    ' */',
    'export function charge(id: string): number {',
    '  return id.length;',
    '}',
    '',
    '// Refunds a payment that was captured earlier.',
    '// Partial refunds are allowed.',
    'export class Refunder {',
    '  /** Sends the refund to the payment provider. */',
    '  @Traced()',
    '  send(amount: number): void {',
    '    console.log(amount);',
    '  }',
    '}',
    '',
  ].join('\n'),
  'store.py': [
    'import os',
    '',
    '',
    'def load(path):',
    '    """Load the settings file from disk.',
    '',
    '    Args:',
    '        path: where it is.',
    '    """',
    '    with open(path) as f:',
    '        return f.read()',
    '',
    '',
    'class Store:',
    '    """A key-value store kept in memory."""',
    '',
    '    def get(self, key):',
    "        '''Return the value stored under key.'''",
    '',
    '    @property',
    '    def size(self):',
    '        """Number of keys in the store."""',
    '        # counted lazily',
    '        return len(self.keys)',
    '',
    '    def close(self): """Close the store and flush pending writes."""',
    '',
  ].join('\n'),
  'pool.go': [
    'package pool',
    '',
    '// Pool keeps a set of reusable connections.',
    'type Pool struct {',
    '\tconns []int',
    '}',
    '',
    '// Get takes a connection out of the pool,',
    '// creating one when the pool is empty.',
    '//',
    '//go:noinline',
    'func (p *Pool) Get() int {',
    '\treturn len(p.conns)',
    '}',
    '',
  ].join('\n'),
  'lib.rs': [
    '/// A point in the plane with integer coordinates.',
    '#[derive(Debug, Clone)]',
    'pub struct Point {',
    '    x: i32,',
    '}',
    '',
    '/* Computes the squared distance between two points. */',
    'pub fn dist2(a: &Point, b: &Point) -> i32 {',
    '    (a.x - b.x) * (a.x - b.x)',
    '}',
    '',
  ].join('\n'),
  'cookie.rb': [
    'module Web',
    '  # Parses the cookie header of a request',
    '  # into a hash of names to values.',
    '  def self.parse_cookies(header)',
    "    header.split(';')",
    '  end',
    'end',
    '',
  ].join('\n'),
  'Cache.cs': [
    'namespace Demo {',
    '    /// <summary>',
    '    /// Evicts the least recently used entries from the cache.',
    '    /// </summary>',
    '    [Obsolete]',
    '    public class Cache {',
    '        /// <summary>Looks up an entry by its key.</summary>',
    '        public int Find(string key) { return key.Length; }',
    '    }',
    '}',
    '',
  ].join('\n'),
  'ring.c': [
    '#include <stdlib.h>',
    '',
    '/**',
    ' * ring_push:',
    ' * @r: the ring',
    ' *',
    ' * Appends a byte to the ring buffer, overwriting the oldest.',
    ' */',
    'void ring_push(struct ring *r, char c)',
    '{',
    '    r->buf[r->head++] = c;',
    '}',
    '',
  ].join('\n'),
};

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'codeintent-corpus-'));
});
after(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

test('removing documentation keeps every documented answer at its exact range, now undocumented', async () => {
  const chunker = await createChunker();
  for (const [name, text] of Object.entries(FILES)) {
    const before = await chunker.chunk(name, text);
    const documented = before.filter((c) => c.doc !== '' && c.kind !== 'lines');
    assert.ok(documented.length >= 1, `${name}: the chunker finds documentation`);
    const language = before[0]?.language ?? 'text';
    const removal = removeDocs(text, language, before);
    assert.deepEqual(removal.notFound.map((c) => c.symbol), [], `${name}: every doc located`);
    assert.equal(removal.text.split('\n').length, text.split('\n').length, `${name}: line count unchanged`);
    await writeFile(join(dir, name), removal.text);
    const after = await chunker.chunk(name, removal.text);
    for (const d of documented) {
      const same = after.find((c: Chunk) => c.startLine === d.startLine && c.endLine === d.endLine && c.symbol === d.symbol);
      assert.ok(same !== undefined, `${name}: ${d.symbol} still at ${d.startLine}-${d.endLine}`);
      assert.equal(same.doc, '', `${name}: ${d.symbol} has no documentation left`);
    }
    assert.deepEqual(after.filter((c) => c.doc !== '').map((c) => c.symbol), [], `${name}: nothing documented remains`);
    // The code itself is untouched: every line that is not blank now was there before.
    const was = text.split('\n');
    removal.text.split('\n').forEach((line, i) => {
      const code = line.replace(/\.\.\.\s*$/, '').trim();
      if (code !== '') assert.ok((was[i] ?? '').includes(code), `${name}:${i + 1} changed: ${line}`);
    });
  }
});

test('a Python file stays valid when docstrings go (blank lines, or `...` where the docstring was the body)', async (t) => {
  const chunker = await createChunker();
  const text = FILES['store.py'] ?? '';
  const removal = removeDocs(text, 'python', await chunker.chunk('store.py', text));
  const lines = removal.text.split('\n');
  assert.equal(lines[4], '', 'docstring with statements after it: blank');
  assert.equal(lines[17], '        ...', 'docstring that was the whole body: an Ellipsis');
  assert.equal(lines[25], '    def close(self): ...', 'docstring on the def line: an Ellipsis');
  const python = spawnSync('python3', ['-c', 'import ast, sys; ast.parse(sys.stdin.read())'], { input: removal.text });
  if (python.error !== undefined) {
    t.skip('python3 not available');
    return;
  }
  assert.equal(python.status, 0, python.stderr.toString());
});

test('pairs: the query comes from the documentation, the code is the definition without it', async () => {
  const chunker = await createChunker();
  const text = FILES['store.py'] ?? '';
  const chunks = await chunker.chunk('store.py', text);
  const entry = { registry: 'debian' as const, name: 'python3-demo', version: '1', language: 'python' as const };
  const pairs = candidatesFromChunks(entry, 'demo/store.py', text, chunks);
  const load = pairs.find((p) => p.symbol === 'load');
  assert.ok(load !== undefined);
  assert.equal(load.query, 'Load the settings file from disk');
  assert.ok(!load.code.includes('Load the settings'), load.code);
  assert.ok(load.code.includes('return f.read()'));
  assert.equal(pairs.find((p) => p.symbol === 'Store.size')?.query, 'Number of keys in the store');
  const lines = (FILES['ring.c'] ?? '').split('\n');
  const ring = (await chunker.chunk('ring.c', FILES['ring.c'] ?? '')).find((c) => c.symbol === 'ring_push');
  assert.ok(ring !== undefined);
  assert.equal(query(rawDocText(lines, ring) ?? ring.doc, ring.symbol), 'Appends a byte to the ring buffer, overwriting the oldest');
});

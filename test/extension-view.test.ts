// The sidebar's parts that need no VS Code: the validator every webview message goes through, the
// preview's token colouring, and how the folders' states read as one.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { adapterName, markMatches, matchedWords, modelName, overall, previewLine, previewOffsets, sizeLabel } from '../src/shared/presentation.js';
import { parseViewMessage } from '../src/shared/view-protocol.js';
import type { TuneReport } from '../src/core/tune/index.js';
import { tuneSummary } from '../src/shared/report.js';
import { highlight, type Token } from '../src/webview/highlight.js';
import { fileGroups, moveThrough } from '../src/webview/list-order.js';

const location = { root: '/work/project', path: 'src/billing.ts', startLine: 3, endLine: 9, symbol: 'retry' };

describe('parseViewMessage', () => {
  test('accepts each well-formed message, rebuilt without extra fields', () => {
    assert.deepEqual(parseViewMessage({ type: 'ready', extra: 1 }), { type: 'ready' });
    assert.deepEqual(parseViewMessage({ type: 'search', seq: 4, query: 'retry webhooks', language: 'python', folder: 'src', x: 'y' }), {
      type: 'search',
      seq: 4,
      query: 'retry webhooks',
      language: 'python',
      folder: 'src',
    });
    assert.deepEqual(parseViewMessage({ type: 'search', seq: 5, query: '', language: '', folder: '' })?.type, 'search');
    assert.deepEqual(parseViewMessage({ type: 'open', location: { ...location, html: '<b>' } }), { type: 'open', location, beside: false });
    assert.deepEqual(parseViewMessage({ type: 'open', location, beside: true }), { type: 'open', location, beside: true });
    assert.deepEqual(parseViewMessage({ type: 'open', location, beside: 'yes' }), { type: 'open', location, beside: false });
    assert.deepEqual(parseViewMessage({ type: 'run', action: 'reindex' }), { type: 'run', action: 'reindex' });
    assert.deepEqual(parseViewMessage({ type: 'act', location, query: 'retry webhooks', extra: 1 }), { type: 'act', location, query: 'retry webhooks' });
  });

  test('rejects anything else', () => {
    const bad: unknown[] = [
      null,
      'ready',
      [],
      { type: 'eval', code: '1' },
      { type: 'run', action: 'workbench.action.terminal.new' },
      { type: 'run', action: 'toString' },
      { type: 'search', seq: '1', query: 'x', language: '', folder: '' },
      { type: 'search', seq: 1, query: 'x', language: 'cobol', folder: '' },
      { type: 'search', seq: 1, query: 'x'.repeat(5000), language: '', folder: '' },
      { type: 'search', seq: 1, query: 'x', language: 'toString', folder: '' },
      { type: 'open', location: { ...location, path: '../../etc/passwd' } },
      { type: 'open', location: { ...location, path: '/etc/passwd' } },
      { type: 'open', location: { ...location, path: 'C:/Windows/win.ini' } },
      { type: 'open', location: { ...location, path: 'src\\..\\..\\x' } },
      { type: 'open', location: { ...location, path: 'src//x.ts' } },
      { type: 'open', location: { ...location, path: 'src/x\0.ts' } },
      { type: 'open', location: { ...location, startLine: 0 } },
      { type: 'open', location: { ...location, startLine: 1.5 } },
      { type: 'open', location: { ...location, endLine: 2 } },
      { type: 'open', location: { ...location, root: '' } },
      { type: 'open', location: { ...location, symbol: 7 } },
      { type: 'open' },
      { type: 'act', location: { ...location, path: '../secrets.env' }, query: 'x' },
      { type: 'act', location, query: 42 },
      { type: 'act', location, query: 'x'.repeat(5000) },
      { type: 'act', query: 'x' },
    ];
    for (const message of bad) assert.equal(parseViewMessage(message), undefined, JSON.stringify(message));
  });
});

function classes(tokens: Token[][]): [string, string | undefined][][] {
  return tokens.map((line) => line.map((t) => [t.text, t.cls]));
}

describe('highlight', () => {
  test('colours keywords, names, strings, numbers and comments, and keeps every character', () => {
    const code = 'export function retry(id: string, n = 3): Promise<void> { // try again\n  return send("a \\" b", Retry);\n}';
    const lines = highlight(code, 'typescript');
    assert.equal(lines.map((l) => l.map((t) => t.text).join('')).join('\n'), code);
    const first = classes(lines)[0] ?? [];
    assert.deepEqual(first.slice(0, 4), [['export', 'keyword'], [' ', undefined], ['function', 'keyword'], [' ', undefined]]);
    assert.ok(first.some(([text, cls]) => text === 'retry' && cls === 'function'));
    assert.ok(first.some(([text, cls]) => text === '3' && cls === 'number'));
    assert.ok(first.some(([text, cls]) => text === 'Promise' && cls === 'type'));
    assert.deepEqual(first.at(-1), ['// try again', 'comment']);
    assert.ok((classes(lines)[1] ?? []).some(([text, cls]) => text === '"a \\" b"' && cls === 'string'));
  });

  test('carries block comments and Python docstrings across lines; each language has its own comments', () => {
    assert.deepEqual(classes(highlight('/* a\nb */ x', 'c')), [[['/* a', 'comment']], [['b */', 'comment'], [' x', undefined]]]);
    assert.deepEqual(classes(highlight('"""Doc\nmore"""\n# note', 'python')), [[['"""Doc', 'string']], [['more"""', 'string']], [['# note', 'comment']]]);
    assert.deepEqual(classes(highlight('# not a comment', 'typescript'))[0]?.[0], ['# ', undefined]);
  });

  test("an unclosed quote is a character, not a string to the end of the line (Rust's lifetimes)", () => {
    const [line] = classes(highlight("fn f<'a>(x: &'a str)", 'rust'));
    assert.ok(!(line ?? []).some(([, cls]) => cls === 'string'));
    assert.ok((classes(highlight("let c = '\\n';", 'rust'))[0] ?? []).some(([text, cls]) => text === "'\\n'" && cls === 'string'));
  });
});

describe('presentation', () => {
  test('overall: errors first, then indexing (with a percentage once files are listed), then ready', () => {
    assert.deepEqual(overall([]), { kind: 'noFolder' });
    assert.deepEqual(overall([{ kind: 'none' }]), { kind: 'none' });
    assert.deepEqual(overall([{ kind: 'ready', files: 1, chunks: 2, complete: true }, { kind: 'error', message: 'm' }]), { kind: 'error', message: 'm' });
    assert.deepEqual(overall([{ kind: 'indexing', phase: 'embed', done: 1, total: 4 }, { kind: 'indexing', phase: 'store', done: 1, total: 4 }]), { kind: 'indexing', percent: 25 });
    assert.deepEqual(overall([{ kind: 'indexing', phase: 'crawl', done: 0, total: 0 }]), { kind: 'indexing', percent: undefined });
    assert.deepEqual(overall([{ kind: 'ready', files: 1, chunks: 2, complete: true }, { kind: 'ready', files: 3, chunks: 4, complete: true }]), {
      kind: 'ready',
      files: 4,
      chunks: 6,
      complete: true,
    });
    assert.equal(overall([{ kind: 'ready', files: 1, chunks: 2, complete: true }, { kind: 'none' }]).kind, 'ready');
  });

  test('previewLine: the first telling line, collapsed and cut', () => {
    assert.equal(previewLine('\n  @Injectable()\n  export   class Foo {\n}'), 'export class Foo {');
    assert.equal(previewLine('x'.repeat(200), 10), `${'x'.repeat(9)}…`);
  });
});

describe('why a result matched, as the sidebar and the quick pick show it', () => {
  const text = ['export async function syncCustomers(client: Client) {', '  const page = await client.list();', '  log(page);', '  audit(page);', '  cache(page);', '  await retryWithBackoff(() => client.push(page));', '}'].join('\n');

  test('a long hit previews its signature, then its best-matching line onwards; a short one its first lines', () => {
    assert.deepEqual(previewOffsets({ text, startLine: 10, why: { terms: [], lines: [15, 11] } }, 3), [0, 5, 6]);
    assert.deepEqual(previewOffsets({ text, startLine: 10, why: { terms: [], lines: [11] } }, 3), [0, 1, 2]);
    assert.deepEqual(previewOffsets({ text, startLine: 10 }, 8), [0, 1, 2, 3, 4, 5, 6], 'never past the hit');
  });

  test("the query's words and the identifier parts they met are marked inside identifiers, case aside", () => {
    const words = matchedWords({ terms: [{ term: 'retry', matched: ['retry', 'backoff'] }, { term: 'of', matched: ['of'] }], lines: [] });
    assert.deepEqual(words, ['backoff', 'retry'], 'longest first; two-letter words are not marked');
    const pieces = markMatches('  await retryWithBackoff(() => client.push(page));', words);
    assert.deepEqual(pieces.filter((p) => p.match).map((p) => p.text), ['retry', 'Backoff']);
    assert.equal(pieces.map((p) => p.text).join(''), '  await retryWithBackoff(() => client.push(page));', 'nothing lost or added');
    assert.deepEqual(markMatches('a+b (c)', ['+b (']), [{ text: 'a', match: false }, { text: '+b (', match: true }, { text: 'c)', match: false }], 'words are matched literally');
  });
});

describe('the sidebar\'s rows, in the order shown', () => {
  const hits = ['a.ts', 'b.ts', 'a.ts', 'c.ts', 'b.ts'].map((path) => ({ root: '/w', path }));

  test('results are grouped by file, each file where its best result ranks', () => {
    assert.deepEqual(
      fileGroups(hits).map((g) => g.indices),
      [[0, 2], [1, 4], [3]],
    );
  });

  test('↑/↓, Home/End and page moves go through the rows as shown, and stop at the ends', () => {
    const shown = fileGroups(hits).flatMap((g) => g.indices);
    assert.equal(moveThrough(shown, 0, 1), 2, 'below the first a.ts result is the second, not b.ts');
    assert.equal(moveThrough(shown, 2, 1), 1);
    assert.equal(moveThrough(shown, 4, -1), 1);
    assert.equal(moveThrough(shown, 2, 10), 3);
    assert.equal(moveThrough(shown, 1, -10), 0);
    assert.equal(moveThrough(shown, 1, 'last'), 3);
    assert.equal(moveThrough(shown, 3, 'first'), 0);
    assert.equal(moveThrough(shown, -1, 1), 0, 'nothing selected: ↓ starts at the top');
    assert.equal(moveThrough([], -1, 1), -1);
  });
});

describe('the index and tuning in plain words', () => {
  test('a model, an adapter and a size read as people say them, without hashes', () => {
    assert.equal(modelName('static:code-static-v2:a697fe70f240'), "code-static-v2 (CodeIntent's code model)");
    assert.equal(modelName('openai:text-embedding-3-small'), 'text-embedding-3-small (at the endpoint)');
    assert.equal(adapterName('identity'), 'none');
    assert.equal(adapterName('/home/u/.cache/codeintent/indexes/shop-1a2b/adapters/tuned'), 'tuned to this workspace');
    assert.equal(adapterName('/opt/codeintent/adapters/use-lite'), 'use-lite (shipped)');
    assert.deepEqual([sizeLabel(29_000), sizeLabel(12_345_678), sizeLabel(1_400_000_000)], ['29 KB', '12.3 MB', '1.4 GB']);
  });

  test('tuning says how often the right function now comes first, not an MRR', () => {
    // Only the fields the summary reads.
    const report = (over: object) => ({ improved: false, adapter: null, ranker: null, verdict: 'no gain', pairs: { heldOut: 120 }, before: { r1: 0.35 }, after: { r1: 0.41 }, ...over }) as unknown as TuneReport;
    assert.equal(
      tuneSummary(report({ improved: true, ranker: '/c/rankers/tuned' }), 'shop'),
      'Search is now tuned to shop. On 120 questions from your own documentation that tuning did not see, the right function now comes first 41% of the time, up from 35%.',
    );
    assert.match(tuneSummary(report({ after: { r1: 0.351 } }), 'shop'), /^Search is unchanged: no gain\. .* first 35% of the time, as before \(35%\)\.$/);
    assert.equal(tuneSummary(report({ before: undefined, after: undefined, verdict: 'too little documented code' }), 'shop'), 'Search is unchanged: too little documented code.');
    assert.doesNotMatch(tuneSummary(report({}), 'shop'), /MRR/);
  });
});

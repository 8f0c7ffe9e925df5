// The intent benchmark's offline parts (scripts/intent-bench/): reading and checking an apps file,
// the rule that says whether a hit answers a query, the metrics, and one evaluation of a tiny real
// workspace with the real core Workspace and LanceDB on disk (no network, no fetch).

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AppFileError, answers, goldWarnings, loadApp, parseApp, rankOfAnswer, type AppFile } from '../scripts/intent-bench/apps.js';
import { resolveRoot } from '../scripts/intent-bench/fetch.js';
import { evaluateWorkspace, intentMetrics, intentTables, type EvaluatedQuery } from '../scripts/intent-bench/run.js';
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

/** An apps file's contents: the two queries the end-to-end test searches, one per split. */
function appJson(overrides: { queries?: unknown[] } = {}): Record<string, unknown> {
  return {
    app: 'shop',
    stack: 'TypeScript and Python service',
    source: { registry: 'npm', name: 'shop', version: '1.0.0', licence: 'MIT', root: 'package' },
    queries: overrides.queries ?? [
      { id: 'shop-001', split: 'valid', query: 'retry a failed webhook delivery', gold: [{ path: 'src/billing.ts', symbol: 'retryFailedWebhook', line: 7 }] },
      { id: 'shop-002', split: 'test', query: 'slugify a title', gold: [{ path: 'tools/util.py', symbol: 'slugify_title', line: 6 }] },
    ],
  };
}

async function writeApp(name: string, content: unknown): Promise<string> {
  const file = path.join(scratch.dir, 'apps', name, 'shop.json');
  await writeTree(path.dirname(file), { 'shop.json': JSON.stringify(content) });
  return file;
}

async function problemsOf(promise: Promise<unknown>): Promise<readonly string[]> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof AppFileError, `expected an AppFileError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail('expected the apps file to be rejected');
}

describe('apps files', () => {
  test('a well-formed file is read, and its gold checked against the workspace', async () => {
    const root = path.join(scratch.dir, 'apps-ws');
    await writeTree(root, { 'src/billing.ts': BILLING_TS, 'tools/util.py': UTIL_PY });
    const app = await loadApp(await writeApp('ok', appJson()), root);
    assert.equal(app.app, 'shop');
    assert.deepEqual(app.queries.map((q) => [q.id, q.split]), [['shop-001', 'valid'], ['shop-002', 'test']]);
    assert.deepEqual(await goldWarnings(app, root), []);
  });

  test('rejects a gold path that is not in the workspace, and a line past the end of its file', async () => {
    const root = path.join(scratch.dir, 'apps-ws-missing');
    await writeTree(root, { 'src/billing.ts': BILLING_TS });
    const queries = [
      { id: 'shop-001', split: 'valid', query: 'retry a failed webhook', gold: [{ path: 'src/billing.ts', symbol: 'retryFailedWebhook', line: 400 }] },
      { id: 'shop-002', split: 'test', query: 'slugify a title', gold: [{ path: 'tools/util.py', symbol: 'slugify_title', line: 6 }] },
    ];
    const file = await writeApp('missing', appJson({ queries }));
    await loadApp(file); // the shape is fine: only the workspace shows what is wrong
    const problems = await problemsOf(loadApp(file, root));
    assert.equal(problems.length, 2);
    assert.match(problems[0] ?? '', /shop-001: gold line 400 is past the end of src\/billing\.ts/);
    assert.match(problems[1] ?? '', /shop-002: gold path tools\/util\.py does not exist/);
  });

  test('rejects duplicate ids and a split other than valid/test/train, listing every problem', async () => {
    const gold = [{ path: 'a.ts', symbol: 'a', line: 1 }];
    const queries = [
      { id: 'shop-001', split: 'valid', query: 'one', gold },
      { id: 'shop-001', split: 'test', query: 'two', gold },
      { id: 'shop-003', split: 'training', query: 'three', gold },
    ];
    const problems = await problemsOf(loadApp(await writeApp('dup', appJson({ queries }))));
    assert.deepEqual(problems, ['duplicate query id shop-001', 'shop-003: split must be valid, test, train, not "training"']);
  });

  test('rejects other malformed contents', () => {
    const file = '/x/shop.json';
    const bad = (raw: unknown): readonly string[] => {
      try {
        parseApp(raw, file);
      } catch (error) {
        assert.ok(error instanceof AppFileError);
        return error.problems;
      }
      return [];
    };
    assert.match(bad({ ...appJson(), app: 'other' }).join(), /must equal the file's name/);
    assert.match(bad({ ...appJson(), source: { ...(appJson()['source'] as object), registry: 'pypi' } }).join(), /source\.registry/);
    assert.match(bad(appJson({ queries: [{ id: 'q', split: 'valid', query: 'x', gold: [{ path: '../etc/passwd', symbol: 'x', line: 1 }] }] })).join(), /must be relative/);
    assert.match(bad(appJson({ queries: [{ id: 'q', split: 'valid', query: 'x', gold: [] }] })).join(), /gold must be a non-empty list/);
    assert.match(bad(appJson({ queries: [{ id: 'q', split: 'valid', query: 'x', gold: [{ path: 'a.ts', symbol: 'x', line: 0 }] }] })).join(), /line must be a 1-based/);
  });

  test('a gold line that does not name its symbol is a warning', async () => {
    const root = path.join(scratch.dir, 'apps-ws-warn');
    await writeTree(root, { 'src/billing.ts': BILLING_TS, 'tools/util.py': UTIL_PY });
    const app = parseApp(appJson({ queries: [{ id: 'q1', split: 'valid', query: 'x', gold: [{ path: 'src/billing.ts', symbol: 'retryFailedWebhook', line: 8 }] }] }), '/x/shop.json');
    assert.deepEqual(await goldWarnings(app, root), ['q1: src/billing.ts:8 does not name retryFailedWebhook']);
  });

  test('the workspace root is found with or without the package\'s top folder', async () => {
    const extract = path.join(scratch.dir, 'extract');
    await writeTree(extract, { 'package/src/a.ts': 'export const a = 1;\n' });
    assert.equal(await resolveRoot(extract, 'package/src'), 'package/src');
    assert.equal(await resolveRoot(extract, 'src'), 'package/src');
    assert.equal(await resolveRoot(extract, 'pkg-1.0/src'), 'package/src');
    assert.equal(await resolveRoot(extract, ''), '');
    assert.equal(await resolveRoot(extract, 'lib'), undefined);
  });
});

describe('the gold-matching rule and the metrics', () => {
  const gold = { path: 'src/billing.ts', line: 7 };

  test('a hit answers when it is in the gold file and its range contains the gold line', () => {
    assert.ok(answers({ path: 'src/billing.ts', startLine: 7, endLine: 11 }, gold));
    assert.ok(answers({ path: 'src/billing.ts', startLine: 1, endLine: 7 }, gold), 'the last line counts');
    assert.ok(answers({ path: 'src/billing.ts', startLine: 1, endLine: 16 }, gold), 'a chunk around the definition counts');
    assert.ok(!answers({ path: 'src/billing.ts', startLine: 8, endLine: 11 }, gold), 'a range after the line does not');
    assert.ok(!answers({ path: 'src/billing.ts', startLine: 3, endLine: 6 }, gold), 'a range before the line does not');
    assert.ok(!answers({ path: 'app/src/billing.ts', startLine: 7, endLine: 11 }, gold), 'another path does not');
  });

  test('the rank is that of the first hit answering any gold definition', () => {
    const hits = [
      { path: 'a.ts', startLine: 1, endLine: 5 },
      { path: 'b.ts', startLine: 10, endLine: 20 },
      { path: 'src/billing.ts', startLine: 7, endLine: 11 },
    ];
    assert.equal(rankOfAnswer(hits, [gold]), 3);
    assert.equal(rankOfAnswer(hits, [gold, { path: 'b.ts', line: 12 }]), 2);
    assert.equal(rankOfAnswer(hits, [{ path: 'c.ts', line: 1 }]), Infinity);
    assert.equal(rankOfAnswer([], [gold]), Infinity);
  });

  test('MRR@10 and recall at 1, 5 and 10', () => {
    const m = intentMetrics([1, 3, 7, Infinity, 12]);
    assert.equal(m.n, 5);
    assert.ok(Math.abs(m.mrr - (1 + 1 / 3 + 1 / 7) / 5) < 1e-12, `mrr ${m.mrr}`);
    assert.equal(m.r1, 0.2);
    assert.equal(m.r5, 0.4);
    assert.equal(m.r10, 0.6);
    assert.deepEqual(intentMetrics([]), { n: 0, mrr: 0, r1: 0, r5: 0, r10: 0 });
  });
});

describe('evaluating a real workspace', () => {
  test('indexes the app alone and beside a distractor, and finds both queries in each', async () => {
    const appFiles = { 'src/billing.ts': BILLING_TS, 'tools/util.py': UTIL_PY };
    const alone = path.join(scratch.dir, 'e2e', 'workspace');
    const nested = path.join(scratch.dir, 'e2e', 'nested');
    await writeTree(alone, appFiles);
    await writeTree(path.join(nested, 'app'), appFiles);
    // The distractor: the same words in another folder, for the app's hits to compete with.
    await writeTree(path.join(nested, 'theia'), { 'hooks.ts': 'export function retryHook(hook: string): string {\n  return hook;\n}\n' });
    const file = path.join(scratch.dir, 'e2e', 'shop.json');
    await writeFile(file, JSON.stringify(appJson()));
    const app: AppFile = await loadApp(file, alone);

    const evaluated: EvaluatedQuery[] = [];
    for (const [setting, root, goldPrefix] of [['alone', alone, ''], ['distractors', nested, 'app']] as const) {
      const run = await evaluateWorkspace({ app: 'shop', setting, root, indexDir: path.join(scratch.dir, 'e2e', `index-${setting}`), model, adapter: 'default', queries: app.queries, goldPrefix });
      assert.equal(run.files, setting === 'alone' ? 2 : 3);
      assert.ok(run.chunks >= 5, `chunks ${run.chunks}`);
      assert.deepEqual(run.goldFilesNotIndexed, []);
      assert.equal(run.adapterSource, 'identity');
      assert.deepEqual(run.queries.map((q) => [q.id, q.split, q.setting]), [['shop-001', 'valid', setting], ['shop-002', 'test', setting]]);
      for (const q of run.queries) {
        assert.equal(q.ranks.lexical, 1, `${setting} ${q.id} lexical`);
        assert.equal(q.ranks.hybrid, 1, `${setting} ${q.id} hybrid`);
        assert.ok(q.ranks.vector <= 10, `${setting} ${q.id} vector rank ${q.ranks.vector}`);
        assert.ok(q.inSearchPool && q.inWidePool);
      }
      evaluated.push(...run.queries);
    }

    const table = intentTables(evaluated, ['valid'], ['shop']).join('\n');
    assert.match(table, /\| alone \| 1 \| 1\.000 \| 1\.000 \| 1\.000 \| 1\.000 \|/);
    assert.match(table, /\| with distractors \| 1 \|/);
    assert.match(table, /\| \*\*all apps\*\* \| 1 \|/);
    assert.doesNotMatch(table, /test split/);
  });
});

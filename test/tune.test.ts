// `codeintent tune` as a user runs it: a real process on a generated workspace whose doc comments
// and code use different words for the same things (docs say "removes the customer", code says
// `deleteClient`), consistently across files: exactly what a query adapter can learn from one part
// of a code base and carry over to held-out files.

import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCodeintent, type Run } from './helpers/cli.js';
import { tempDir, writeTree } from './helpers/fs.js';
import { makeRandomStaticModel } from './helpers/model.js';

let scratch: { dir: string; cleanup: () => Promise<void> };
let model: string;
let project: string;

function codeintent(args: readonly string[]): Promise<Run> {
  return runCodeintent(args, { cwd: scratch.dir, cacheDir: path.join(scratch.dir, 'cache') });
}

// Doc word → code word: the adapter has to learn these.
const VERBS: [string, string][] = [
  ['Removes', 'delete'],
  ['Fetches', 'load'],
  ['Creates', 'make'],
  ['Updates', 'patch'],
  ['Verifies', 'check'],
  ['Archives', 'stash'],
  ['Duplicates', 'clone'],
  ['Publishes', 'emit'],
  ['Encrypts', 'seal'],
  ['Counts', 'tally'],
];
const NOUNS: [string, string][] = [
  ['customer', 'client'],
  ['invoice', 'bill'],
  ['message', 'note'],
  ['picture', 'image'],
  ['shipment', 'parcel'],
  ['password', 'secret'],
  ['meeting', 'event'],
  ['warehouse', 'depot'],
  ['employee', 'staff'],
  ['vehicle', 'car'],
];

function capitalised(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** 100 documented functions, 4 per file, in 25 files. */
function workspaceFiles(): Record<string, string> {
  const functions: string[] = [];
  VERBS.forEach(([docVerb, codeVerb], v) => {
    NOUNS.forEach(([docNoun, codeNoun], n) => {
      functions.push(
        [
          `/** ${docVerb} the ${docNoun} record in the shared storage layer. */`,
          `export function ${codeVerb}${capitalised(codeNoun)}(${codeNoun}Id: string, store: Store): Result {`,
          `  const found = store.${codeVerb}(${codeNoun}Id, ${v * 10 + n});`,
          `  return found ?? store.fallback(${codeNoun}Id);`,
          '}',
        ].join('\n'),
      );
    });
  });
  const files: Record<string, string> = {};
  for (let f = 0; f < 25; f++) {
    const body = [0, 1, 2, 3].map((k) => functions[(k * 25 + f) % functions.length] ?? '');
    files[`src/module${String(f).padStart(2, '0')}.ts`] = `import type { Result, Store } from './types';\n\n${body.join('\n\n')}\n`;
  }
  files['src/types.ts'] = 'export interface Store { fallback(id: string): Result }\nexport type Result = string | undefined;\n';
  return files;
}

before(async () => {
  scratch = await tempDir('codeintent-tune-');
  model = await makeRandomStaticModel(path.join(scratch.dir, 'model'));
  project = path.join(scratch.dir, 'project');
  await writeTree(project, workspaceFiles());
});
after(() => scratch.cleanup());

describe('codeintent tune', () => {
  test('trains on the documented functions, reports held-out metrics, and keeps the adapter only when it helps', async () => {
    const db = path.join(scratch.dir, 'db');
    const run = await codeintent(['tune', project, '--db', db, '--model', model]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Workspace: .*project\n/);
    assert.match(run.stdout, /^Data: +25 of 26 files have usable doc comments; split by file:$/m);
    assert.match(run.stdout, /training \d+ pairs \(\d+ files\), early stopping \d+ \(\d+ files\), held out \d+ \(\d+ files\)/);
    assert.match(run.stdout, /^Held out: +each query searched as search runs it, in an index of the \d+ chunks of the held-out files/m);
    const metric = (name: string): number[] => {
      const m = new RegExp(`^  ${name}.*?([\\d.]+) +([\\d.]+) +([\\d.]+)$`, 'm').exec(run.stdout);
      assert.ok(m, `a "${name}" row in\n${run.stdout}`);
      return m.slice(1).map(Number);
    };
    const [beforeMrr = 0] = metric('before \\(untuned\\)');
    const [afterMrr = 0] = metric('after \\(adapter\\)');
    assert.match(run.stdout, /^  factor ×[\d.]+ on MRR \(z -?[\d.]+\)$/m);
    assert.match(run.stdout, /^Adapter: +\d+ epochs, kept epoch \d+/m);
    assert.match(run.stdout, /^2nd stage: none for this model, nothing to fit$/m);
    assert.match(run.stdout, /^Time: +[\d.]+ s \(index/m);

    const adapterDir = path.join(db, 'adapters', 'tuned');
    const status = await codeintent(['status', project, '--db', db]);
    assert.equal(status.code, 0, status.stderr);
    if (/^Saved: /m.test(run.stdout)) {
      assert.ok(afterMrr > beforeMrr, `${beforeMrr} → ${afterMrr}`);
      assert.deepEqual((await readdir(adapterDir)).sort(), ['README.md', 'adapter.json', 'matrix.f32']);
      assert.match(status.stdout, new RegExp(`^Adapter: +${adapterDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    } else {
      assert.match(run.stdout, /^Not saved: /m);
      assert.match(status.stdout, /^Adapter: +identity$/m);
    }
    // This workspace is built so that the mapping can be learnt: it must have helped.
    assert.match(run.stdout, /^Saved: /m, 'the synonyms carry over to held-out files');
  });

  test('--json prints one object with the documented fields', async () => {
    const run = await codeintent(['tune', project, '--db', path.join(scratch.dir, 'db-json'), '--model', model, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as Record<string, unknown>;
    for (const key of ['root', 'indexDir', 'modelId', 'dimension', 'files', 'pairs', 'candidates', 'baseline', 'rankerBaseline', 'validation', 'choice', 'before', 'after', 'factor', 'z', 'improved', 'adapter', 'ranker', 'removed', 'verdict', 'training', 'rankerTraining', 'seconds']) {
      assert.ok(key in report, `${key} in the JSON report`);
    }
    assert.equal(report['baseline'], 'identity');
    assert.deepEqual(Object.keys(report['before'] as object).sort(), ['mrr', 'n', 'r1', 'r10']);
  });

  test('too little documented code: exit 0, no adapter, and it says why', async () => {
    const small = path.join(scratch.dir, 'small');
    await writeTree(small, { 'a.ts': '/** Removes the customer record from storage. */\nexport function deleteClient(id: string) {\n  return id.trim();\n}\n' });
    const db = path.join(scratch.dir, 'db-small');
    const run = await codeintent(['tune', small, '--db', db, '--model', model]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Not saved: too little documented code to tune/m);
    await assert.rejects(readdir(path.join(db, 'adapters', 'tuned')), /ENOENT/);
  });

  test('--mode is a search option, not a tune one', async () => {
    const run = await codeintent(['tune', project, '--mode', 'vector']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--mode belongs to search, not tune/);
  });
});

// The second stage, fitted with the default model and its shipped ranker. A samples repository: the
// documented functions live in examples/, and undocumented one-line drafts in src/ share their words.
// The shipped ranker rightly demotes example code in general, so here it puts the drafts first;
// what the workspace's own documentation shows is that its examples are the answers.
const ACTIONS = ['send', 'archive', 'validate', 'export', 'import', 'delete', 'render', 'schedule', 'encrypt', 'count'];
const THINGS = ['invoice', 'customer', 'shipment', 'report', 'meeting', 'password', 'vehicle', 'employee', 'warehouse', 'message'];

function samplesRepository({ drafts }: { drafts: number }): Record<string, string> {
  const functions = ACTIONS.flatMap((action, a) =>
    THINGS.map((thing, t) => ({
      name: `${action}${capitalised(thing)}`,
      code: [
        `/** ${capitalised(action)}s the ${thing} record through the shared storage layer. */`,
        `export async function ${action}${capitalised(thing)}(${thing}Id: string, store: Store): Promise<Result> {`,
        `  const record = await store.read(${thing}Id);`,
        `  if (!record) throw new Error('no ${thing} ' + ${thing}Id);`,
        `  const checked = store.check(record, ${a * 10 + t});`,
        `  for (const step of store.steps('${action}')) {`,
        '    await step(checked);',
        '  }',
        `  store.audit('${action}', ${thing}Id);`,
        `  return store.write(${thing}Id, checked);`,
        '}',
      ].join('\n'),
    })),
  );
  const files: Record<string, string> = { 'src/types.ts': 'export interface Store { read(id: string): Promise<unknown> }\nexport type Result = string | undefined;\nexport const drafts = {} as Record<string, (id: string, n: number) => string>;\n' };
  for (let f = 0; f < 25; f++) {
    const body = [0, 1, 2, 3].map((k) => functions[(k * 25 + f) % functions.length]?.code ?? '');
    files[`examples/module${String(f).padStart(2, '0')}.ts`] = `import type { Result, Store } from '../src/types';\n\n${body.join('\n\n')}\n`;
  }
  for (let k = 0; k < drafts; k++) {
    files[`src/drafts/part${k}.ts`] = `import { drafts } from '../types';\n\n${functions.map((f) => `export function ${f.name}Draft${k}(id: string) {\n  return drafts.${f.name}(id, ${k});\n}`).join('\n\n')}\n`;
  }
  return files;
}

/** Where the example that answers `query` ranks among the first 30 hits (Infinity: not among them). */
async function exampleRank(root: string, db: string, query: string, extra: readonly string[] = []): Promise<number> {
  const run = await codeintent(['search', query, '--root', root, '--db', db, '--top', '30', '--json', ...extra]);
  assert.equal(run.code, 0, run.stderr);
  const at = (JSON.parse(run.stdout) as { path: string }[]).findIndex((hit) => hit.path.startsWith('examples/'));
  return at < 0 ? Infinity : at + 1;
}

describe('codeintent tune: the second stage', () => {
  test('fits the second stage when held-out files rank better with it; search then ranks with it, and --adapter none turns it off', async () => {
    const root = path.join(scratch.dir, 'samples');
    await writeTree(root, samplesRepository({ drafts: 20 }));
    const db = path.join(scratch.dir, 'db-samples');
    const run = await codeintent(['tune', root, '--db', db]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^2nd stage: fine-tuned from .*ranker\.json on \d+ queries, \d+ steps, kept step [1-9]\d*/m);
    assert.match(run.stdout, /^  after \(second stage\) /m);
    const saved = /^Saved: +second stage (.+) \(second stage: held-out MRR ([\d.]+) → ([\d.]+), ×([\d.]+), z ([\d.]+)\)/m.exec(run.stdout);
    assert.ok(saved, run.stdout);
    assert.equal(saved[1], path.join(db, 'rankers', 'tuned'));
    assert.ok(Number(saved[3]) > Number(saved[2]) && Number(saved[5]) >= 1.64, saved[0]);
    assert.deepEqual((await readdir(path.join(db, 'rankers', 'tuned'))).sort(), ['README.md', 'ranker.json']);
    const status = await codeintent(['status', root, '--db', db]);
    assert.match(status.stdout, new RegExp(`^Ranker: +${path.join(db, 'rankers', 'tuned').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'), 'status names the tuned second stage');

    const query = 'send the invoice';
    const tuned = await exampleRank(root, db, query);
    const untuned = await exampleRank(root, db, query, ['--adapter', 'none']);
    assert.ok(tuned < untuned, `the example that sends the invoice ranks ${tuned} tuned, ${untuned} untuned`);
  });

  test('keeps nothing when the shipped second stage already ranks each held-out answer first', async () => {
    const root = path.join(scratch.dir, 'samples-alone');
    await writeTree(root, samplesRepository({ drafts: 0 }));
    const db = path.join(scratch.dir, 'db-samples-alone');
    const run = await codeintent(['tune', root, '--db', db]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^  before \(untuned\) +1\.000 /m);
    assert.match(run.stdout, /^Not saved: neither the adapter nor the second stage beat the baseline on the early-stopping files; nothing tuned is kept$/m);
    await assert.rejects(readdir(path.join(db, 'rankers', 'tuned')), /ENOENT/);
  });
});

// The `codeintent` command as a user runs it: a real process, real files, a real index on disk.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCodeintent, type Run, type RunOptions } from './helpers/cli.js';
import { committedBatches, tempDir, writeTree } from './helpers/fs.js';
import { makeRandomStaticModel } from './helpers/model.js';

let scratch: { dir: string; cleanup: () => Promise<void> };
let model: string;
let project: string;

function codeintent(args: readonly string[], options: Pick<RunOptions, 'onStart'> = {}): Promise<Run> {
  return runCodeintent(args, { cwd: scratch.dir, cacheDir: path.join(scratch.dir, 'cache'), ...options });
}

const withModel = () => ['--model', model];

before(async () => {
  scratch = await tempDir('codeintent-cli-');
  model = await makeRandomStaticModel(path.join(scratch.dir, 'model'));
  project = path.join(scratch.dir, 'project');
  await writeTree(project, {
    'src/payments/stripe.ts': [
      "import Stripe from 'stripe';",
      '',
      'export function initStripeClient(apiKey: string) {',
      '  return new Stripe(apiKey);',
      '}',
      '',
      'export class WebhookRetrier {',
      '  retryFailedWebhook(eventId: string) {',
      '    return eventId;',
      '  }',
      '}',
      '',
    ].join('\n'),
    'scripts/deploy.py': 'def upload_release_artifacts(bucket):\n    return bucket\n',
    '.env': 'STRIPE_SECRET=sk_live_do_not_index\n',
  });
});
after(() => scratch.cleanup());

describe('codeintent search', () => {
  test('--json prints the documented shape, best match first, relative forward-slash paths', async () => {
    const run = await codeintent(['search', 'retry failed webhook', '--root', project, '--json', ...withModel()]);
    assert.equal(run.code, 0, run.stderr);
    const hits = JSON.parse(run.stdout) as Record<string, unknown>[];
    assert.deepEqual(Object.keys(hits[0] ?? {}).sort(), ['endLine', 'kind', 'language', 'path', 'score', 'startLine', 'symbol']);
    assert.deepEqual(
      { ...hits[0], score: undefined },
      { path: 'src/payments/stripe.ts', startLine: 8, endLine: 10, symbol: 'retryFailedWebhook', kind: 'method', language: 'typescript', score: undefined },
    );
    assert.ok(!hits.some((h) => String(h['path']).includes('.env')), 'secrets are not indexed');
  });

  test('the readable list shows path:lines, the symbol and a preview', async () => {
    const run = await codeintent(['search', 'stripe client', '--root', project, '--top', '2', ...withModel()]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^1\. src\/payments\/stripe\.ts:3-5 {2}initStripeClient {2}\(function, typescript\)/);
    assert.match(run.stdout, /3 \| export function initStripeClient/);
  });

  test('--queries runs each line in order with --json, one array per line', async () => {
    const file = path.join(scratch.dir, 'queries.txt');
    await writeFile(file, 'upload release artifacts\nretry failed webhook\n\ninit stripe client\n');
    const run = await codeintent(['search', '--queries', file, '--root', project, '--json', '--top', '3', ...withModel()]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { symbol: string }[]);
    assert.deepEqual(lines.map((hits) => hits[0]?.symbol), ['upload_release_artifacts', 'retryFailedWebhook', undefined, 'initStripeClient']);
  });

  test('an empty workspace is not an error: no results, exit 0', async () => {
    const empty = path.join(scratch.dir, 'empty');
    await writeTree(empty, { 'README': '' });
    const run = await codeintent(['search', 'anything', '--root', empty, '--json', ...withModel()]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), '[]');
  });
});

describe('codeintent index and status', () => {
  test('index prints a summary; status tells model, size and contents', async () => {
    const db = path.join(scratch.dir, 'db-status');
    const indexed = await codeintent(['index', project, '--db', db, ...withModel()]);
    assert.equal(indexed.code, 0, indexed.stderr);
    assert.match(indexed.stdout, /^Indexed 2 files, \d+ chunks in [\d.]+ s/);
    const status = await codeintent(['status', project, '--db', db]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /Model: +static:model:[0-9a-f]{12} \(64 dimensions\)/);
    assert.match(status.stdout, /Contents: +2 files, \d+ chunks/);
    assert.match(status.stdout, /^Ranker: +none \(no second stage for this model\)$/m, 'a generated model has no ranker');
    const none = await codeintent(['status', project, '--db', path.join(scratch.dir, 'db-none')]);
    assert.equal(none.code, 0);
    assert.match(none.stdout, /has no index yet: run `codeintent index/);
  });

  test('a corrupt index is rebuilt with a message, and the search still answers', async () => {
    const db = path.join(scratch.dir, 'db-corrupt');
    assert.equal((await codeintent(['index', project, '--db', db, ...withModel()])).code, 0);
    await writeFile(path.join(db, 'meta.json'), 'garbage');
    const run = await codeintent(['search', 'upload release artifacts', '--root', project, '--db', db, '--json', ...withModel()]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /could not be read.*rebuilding/);
    assert.equal((JSON.parse(run.stdout) as { symbol: string }[])[0]?.symbol, 'upload_release_artifacts');
  });

  test('two processes indexing one workspace both succeed and leave one consistent index', async () => {
    const db = path.join(scratch.dir, 'db-race');
    const [a, b] = await Promise.all([0, 1].map(() => codeintent(['index', project, '--db', db, ...withModel()])));
    assert.equal(a?.code, 0, a?.stderr);
    assert.equal(b?.code, 0, b?.stderr);
    const status = await codeintent(['status', project, '--db', db]);
    assert.match(status.stdout, /Contents: +2 files/);
  });

  test('Ctrl-C during indexing stops cleanly and the next run resumes', async () => {
    const big = path.join(scratch.dir, 'big');
    const files: Record<string, string> = {};
    for (let i = 0; i < 1500; i++) files[`lib/mod${i}.ts`] = `export function compute${i}(x: number) {\n  return x + ${i};\n}\n`;
    await writeTree(big, files);
    const db = path.join(scratch.dir, 'db-interrupt');
    const interrupted = await codeintent(['index', big, '--db', db, ...withModel()], {
      onStart: (child) => {
        // One Ctrl-C: under load two polls can be in flight at once, and a second SIGINT is the user insisting.
        let sent = false;
        const poll = setInterval(async () => {
          if (!sent && (await committedBatches(db)) > 0 && !sent) {
            sent = true;
            clearInterval(poll);
            child.kill('SIGINT');
          }
        }, 20);
        child.on('close', () => clearInterval(poll));
      },
    });
    assert.equal(interrupted.code, 130, `exit code after Ctrl-C (stderr: ${interrupted.stderr})`);
    assert.match(interrupted.stderr, /run the command again to resume/);
    const resumed = await codeintent(['index', big, '--db', db, ...withModel()]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const [, unchanged] = /(\d+) unchanged/.exec(resumed.stdout) ?? [];
    assert.ok(Number(unchanged) > 0 && Number(unchanged) < 1500, `the second run resumed (${resumed.stdout.trim()})`);
    assert.match(resumed.stdout, /^Indexed 1500 files, 1500 chunks/);
  });
});

describe('bad input', () => {
  const usage = [
    ['an unknown flag', ['search', 'x', '--colour']],
    ['no query', ['search']],
    ['an unknown mode', ['search', 'x', '--mode', 'fuzzy']],
    ['a zero --top', ['search', 'x', '--top', '0']],
    ['an unknown command', ['find', 'x']],
    ['no command', []],
  ] as const;
  for (const [what, args] of usage) {
    test(`${what}: exit 2 with a pointer to --help`, async () => {
      const run = await codeintent(args);
      assert.equal(run.code, 2);
      assert.match(run.stderr, /codeintent --help/);
      assert.equal(run.stdout, '');
    });
  }

  const said = [
    ['an option by another name', ['search', 'x', '--path', '.'], /^codeintent: unknown option --path; did you mean --root\?$/m],
    ['a misspelt option', ['search', 'x', '--jsn'], /^codeintent: unknown option --jsn; did you mean --json\?$/m],
    ['a negative --top', ['search', 'x', '--top', '-2'], /^codeintent: --top needs a value; to give it one that starts with "-", write --top=-2$/m],
    ['--top=-2', ['search', 'x', '--top=-2'], /^codeintent: --top takes a whole number from 1 to 1000, not "-2"$/m],
  ] as const;
  for (const [what, args, message] of said) {
    test(`${what}: said in the CLI's words`, async () => {
      const run = await codeintent(args);
      assert.equal(run.code, 2);
      assert.match(run.stderr, message);
    });
  }

  test('a missing path: exit 1 saying what to pass', async () => {
    const run = await codeintent(['index', path.join(scratch.dir, 'nope'), ...withModel()]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /nope does not exist: pass the folder of the code to search/);
  });

  test('an unreadable queries file: exit 1 naming it', async () => {
    const run = await codeintent(['search', '--queries', path.join(scratch.dir, 'missing.txt'), '--root', project, ...withModel()]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /cannot read the queries file .*missing\.txt: ENOENT/);
  });

  test('a ranker folder without a ranker: exit 1 saying what --ranker takes', async () => {
    const run = await codeintent(['search', 'x', '--root', project, '--ranker', path.join(scratch.dir, 'no-ranker'), ...withModel()]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /cannot read the ranker at .*no-ranker.*--ranker takes default, none, or a folder holding a ranker\.json/);
  });

  test('an unknown model: exit 1 listing the choices', async () => {
    const run = await codeintent(['search', 'x', '--root', project, '--model', path.join(scratch.dir, 'no-model')]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /unknown model .*expected 'default', 'use-lite'/);
  });
});

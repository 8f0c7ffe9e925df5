// A team's shared index on object storage, against a real S3-protocol server (s3rver) on
// 127.0.0.1: a CI checkout publishes it at a commit, a laptop's checkout searches it read-only
// with its own changes in a local overlay.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as arrow from 'apache-arrow';
import * as lancedb from '@lancedb/lancedb';
import { overlayIndexDir } from '../src/core/paths.js';
import { IndexStore, SCHEMA_VERSION } from '../src/core/store.js';
import { storageOptionsFor } from '../src/core/storage-uri.js';
import { Workspace } from '../src/core/workspace.js';
import { runCodeintent, type Run } from './helpers/cli.js';
import { tempDir, writeTree } from './helpers/fs.js';
import { makeRandomStaticModel } from './helpers/model.js';
import { startReadOnlyProxy, startS3Server, type S3Server } from './helpers/s3-server.js';

const URI = 's3://team/idx';
let scratch: { dir: string; cleanup: () => Promise<void> };
let s3: S3Server;
let model: string;
let ci: string;
let laptop: string;

const cacheDir = () => path.join(scratch.dir, 'cache');

function codeintent(args: readonly string[], env: Record<string, string> = s3.env): Promise<Run> {
  return runCodeintent([...args, '--model', model, '--no-progress'], { cwd: scratch.dir, cacheDir: cacheDir(), env });
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=ci', '-c', 'user.email=ci@example.com', ...args], { cwd, encoding: 'utf8' }).trim();
}

/** Every object in the bucket with a digest of its bytes: what a write would change. */
async function bucketSnapshot(): Promise<string[]> {
  const root = path.join(scratch.dir, 's3');
  const out: string[] = [];
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out.push(`${path.relative(root, file)} ${createHash('sha256').update(await readFile(file)).digest('hex')}`);
  }
  return out.sort();
}

/** Each query's hits (paths and symbols), one `--queries` run in lexical mode: exact names. */
async function lexicalHits(root: string, queries: readonly string[], env?: Record<string, string>): Promise<{ run: Run; hits: string[][] }> {
  const file = path.join(scratch.dir, 'queries.txt');
  await writeFile(file, `${queries.join('\n')}\n`);
  const run = await codeintent(['search', '--queries', file, '--root', root, '--db', URI, '--mode', 'lexical', '--json'], env);
  const hits = run.code === 0 ? run.stdout.trimEnd().split('\n').map((line) => (JSON.parse(line) as { path: string; symbol: string }[]).map((h) => `${h.path}#${h.symbol}`)) : [];
  return { run, hits };
}

function assertOneLineFailure(run: Run, pattern: RegExp): void {
  assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stderr, pattern);
  assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
}

before(async () => {
  scratch = await tempDir('codeintent-team-');
  s3 = await startS3Server(path.join(scratch.dir, 's3'));
  model = await makeRandomStaticModel(path.join(scratch.dir, 'model'));
  ci = path.join(scratch.dir, 'ci');
  await writeTree(ci, {
    'src/invoice.ts': 'export function parseInvoiceTotal(text: string) {\n  return Number(text.split(",")[1]);\n}\n',
    'src/mail.py': 'def send_welcome_email(user):\n    return user.email\n',
    'src/legacy.js': 'export function zebraCrossingTimer() {\n  return 30;\n}\n',
    'src/retry.go': 'package retry\n\nfunc BackoffDelay(attempt int) int {\n\treturn attempt * 2\n}\n',
  });
  git(ci, 'init', '-q');
  git(ci, 'add', '.');
  git(ci, 'commit', '-qm', 'first');
});
after(async () => {
  await s3?.close();
  await scratch?.cleanup();
});

describe('a team index on object storage (s3rver on 127.0.0.1)', () => {
  test('index --db s3://… publishes the checkout at its commit; status reads it back; no local folder "s3:"', async () => {
    const run = await codeintent(['index', ci, '--db', URI]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Indexed 4 files/);
    const status = await codeintent(['status', ci, '--db', URI]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /Index: +s3:\/\/team\/idx\n/);
    assert.match(status.stdout, new RegExp(`Commit: +${git(ci, 'rev-parse', 'HEAD')}`));
    assert.match(status.stdout, /Contents: +4 files, 4 chunks/);
    assert.deepEqual((await readdir(scratch.dir)).filter((name) => name.startsWith('s3:')), []);
  });

  test('publishing again at a new commit re-indexes only the changed file and records that commit', async () => {
    await writeFile(path.join(ci, 'src/retry.go'), 'package retry\n\nfunc JitteredBackoffDelay(attempt int) int {\n\treturn attempt * 3\n}\n');
    git(ci, 'commit', '-qam', 'second');
    const run = await codeintent(['index', ci, '--db', URI]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /\(1 new or changed, 3 unchanged, 0 removed\)/);
    const status = await codeintent(['status', ci, '--db', URI]);
    assert.match(status.stdout, new RegExp(`Commit: +${git(ci, 'rev-parse', 'HEAD')}`));
  });

  test('a laptop searches it read-only: its changed and deleted files masked, its new file found, only its changes indexed locally', async () => {
    laptop = path.join(scratch.dir, 'laptop');
    await cp(ci, laptop, { recursive: true });
    await rm(path.join(laptop, 'src/legacy.js'));
    await writeFile(path.join(laptop, 'src/mail.py'), 'def send_welcome_sms(user):\n    return user.phone\n');
    await writeFile(path.join(laptop, 'src/webhook.ts'), 'export function retryFailedWebhook(id: string) {\n  return id;\n}\n');
    const bucket = await bucketSnapshot();

    const { run, hits } = await lexicalHits(laptop, ['zebraCrossingTimer', 'send_welcome_email user.email', 'send_welcome_sms', 'retryFailedWebhook', 'parseInvoiceTotal', 'JitteredBackoffDelay']);
    assert.equal(run.code, 0, run.stderr);
    const [deleted, oldContent, newContent, newFile, unchanged, published] = hits.map((found) => found ?? []);
    assert.ok(!deleted?.some((hit) => hit.startsWith('src/legacy.js')), `the deleted file is masked: ${deleted}`);
    assert.ok(!oldContent?.includes('src/mail.py#send_welcome_email'), `the changed file's published chunk is masked: ${oldContent}`);
    assert.equal(oldContent?.[0], 'src/mail.py#send_welcome_sms', 'its new content answers instead');
    assert.equal(newContent?.[0], 'src/mail.py#send_welcome_sms');
    assert.equal(newFile?.[0], 'src/webhook.ts#retryFailedWebhook');
    assert.equal(unchanged?.[0], 'src/invoice.ts#parseInvoiceTotal', 'an unchanged file, from the shared index');
    assert.equal(published?.[0], 'src/retry.go#JitteredBackoffDelay', 'the second commit, from the shared index');

    assert.deepEqual(await bucketSnapshot(), bucket, 'nothing was written to the bucket');
    const overlay = await IndexStore.openForReading(overlayIndexDir(laptop, URI, { CODEINTENT_CACHE_DIR: cacheDir() }), laptop);
    assert.ok(overlay);
    try {
      const own = [...(await overlay.fileRows({ own: true })).values()].filter((row) => row.chunks > 0).map((row) => row.path).sort();
      assert.deepEqual(own, ['src/mail.py', 'src/webhook.ts'], 'only the changed and the new file were chunked and embedded locally');
    } finally {
      overlay.close();
    }
  });

  test('with read-only credentials (writes refused) search still works and publishing fails in one line', async () => {
    const proxy = await startReadOnlyProxy(s3.endpoint);
    try {
      const env = { ...s3.env, AWS_ENDPOINT_URL: proxy.endpoint };
      const { run, hits } = await lexicalHits(laptop, ['parseInvoiceTotal'], env);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(hits, [['src/invoice.ts#parseInvoiceTotal']]);
      assertOneLineFailure(await codeintent(['index', ci, '--db', URI], env), /^codeintent: no permission to write to s3:\/\/team\/idx .*searching needs only read access$/m);
    } finally {
      await proxy.close();
    }
  });

  test('bad input: no credentials, a wrong endpoint, an index of a newer schema, an unknown scheme: one line each, exit 1', async () => {
    assertOneLineFailure(await codeintent(['search', 'x', '--root', laptop, '--db', URI], { ...s3.env, AWS_ACCESS_KEY_ID: '' }), /needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
    const gone = await startS3Server(path.join(scratch.dir, 's3-gone'));
    await gone.close();
    assertOneLineFailure(await codeintent(['search', 'x', '--root', laptop, '--db', URI], gone.env), /cannot reach the storage server for s3:\/\/team\/idx \(http:\/\/127\.0\.0\.1:\d+\): check AWS_ENDPOINT_URL/);

    const newer = await lancedb.connect('s3://team/newer', { storageOptions: storageOptionsFor('s3://team/newer', s3.env) });
    const meta = { schemaVersion: SCHEMA_VERSION + 1, root: ci, embedderId: 'x', dimension: 64, createdAt: '', updatedAt: '' };
    (await newer.createTable('codeintent_meta', [{ json: JSON.stringify(meta) }], { schema: new arrow.Schema([new arrow.Field('json', new arrow.Utf8(), false)]) })).close();
    newer.close();
    for (const command of ['search', 'index']) {
      const args = command === 'search' ? ['search', 'x', '--root', laptop] : ['index', ci];
      assertOneLineFailure(await codeintent([...args, '--db', 's3://team/newer']), /written by a newer CodeIntent \(schema \d+; this one reads \d+\): update CodeIntent/);
    }
    assertOneLineFailure(await codeintent(['search', 'x', '--root', laptop, '--db', 'ftp://team/idx']), /ftp:\/\/team\/idx is not a storage location CodeIntent can use/);
    const secret = await codeintent(['search', 'x', '--root', laptop, '--db', URI, '--storage-option', 'aws_secret_access_key=S3RVER']);
    assert.equal(secret.code, 2, 'a usage error');
    assert.match(secret.stderr, /storage option aws_secret_access_key is a secret: set it in the environment/);
  });

  test('when the server goes away between queries the search says so once and the local overlay still answers', async () => {
    const server = await startS3Server(path.join(scratch.dir, 's3-vanishing'));
    const env = { ...process.env, ...server.env, CODEINTENT_CACHE_DIR: cacheDir() };
    const publisher = await Workspace.open({ root: ci, indexDir: URI, publish: true, model, env });
    await publisher.index();
    await publisher.close();
    const warnings: string[] = [];
    const workspace = await Workspace.open({ root: laptop, indexDir: URI, model, env, warn: (m) => warnings.push(m) });
    try {
      await workspace.index();
      const symbols = async (query: string) => (await workspace.search(query, { mode: 'lexical', top: 5 })).map((hit) => hit.symbol);
      assert.deepEqual(await symbols('parseInvoiceTotal'), ['parseInvoiceTotal']);
      assert.deepEqual(warnings, []);
      await server.close();
      assert.deepEqual(await symbols('parseInvoiceTotal'), [], 'the shared index is out of reach');
      assert.deepEqual(await symbols('retryFailedWebhook'), ['retryFailedWebhook'], 'the overlay answers');
      assert.equal(warnings.length, 1, warnings.join('\n'));
      assert.match(warnings[0] ?? '', /^cannot reach the storage server for s3:\/\/team\/idx \(http:\/\/127\.0\.0\.1:\d+\).*; searching only this checkout's changes$/);
    } finally {
      await workspace.close();
    }
  });
});

// The extension's indexing worker outside VS Code: bundled by esbuild to CommonJS exactly as the
// extension ships it (no import.meta.url, shipped files passed in), driven through the host's
// IndexClient over a real worker thread, on real files, a real index and the shipped model.

import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bundleForExtensionHost } from '../scripts/bundle.js';
import { IndexClient, RequestError } from '../src/extension/indexClient.js';
import type { FolderConfig, IndexState } from '../src/shared/worker-protocol.js';
import { tempDir, writeTree } from './helpers/fs.js';
import { PACKAGE_ROOT } from '../src/core/models.js';
import { pathExists } from '../src/core/files.js';
import { overlayIndexDir } from '../src/core/paths.js';
import { Workspace } from '../src/core/workspace.js';
import { startS3Server } from './helpers/s3-server.js';

let scratch: { dir: string; cleanup: () => Promise<void> };
let client: IndexClient;
let project: string;
const states: { root: string; state: IndexState }[] = [];
const logs: string[] = [];

function folderConfig(root: string, overrides: Partial<FolderConfig> = {}): FolderConfig {
  return {
    root,
    indexDir: path.join(scratch.dir, 'index'),
    model: 'default',
    adapter: 'default',
    crawl: { include: [], exclude: [], maxFileBytes: 1_048_576, indexTestsAndTranslations: true },
    indexingThreads: 0,
    env: {},
    ...overrides,
  };
}

before(async () => {
  scratch = await tempDir('codeintent-worker-');
  // Inside the repository, so the externals resolve from its node_modules as they do from dist/.
  const outdir = path.join(PACKAGE_ROOT, 'out', 'bundle-test', String(process.pid));
  await bundleForExtensionHost({ worker: path.join(PACKAGE_ROOT, 'src', 'extension', 'worker.ts'), 'index-worker': path.join(PACKAGE_ROOT, 'src', 'core', 'index-worker.ts') }, outdir);
  const outfile = path.join(outdir, 'worker.cjs');
  project = path.join(scratch.dir, 'project');
  await writeTree(project, {
    'src/billing.ts': [
      'export function retryFailedWebhook(eventId: string, attempts = 3): boolean {',
      '  for (let i = 0; i < attempts; i++) if (deliverWebhook(eventId)) return true;',
      '  return false;',
      '}',
      '',
      'function deliverWebhook(eventId: string): boolean {',
      '  return eventId.length > 0;',
      '}',
      '',
    ].join('\n'),
    'scripts/release.py': 'def upload_release_artifacts(bucket):\n    """Upload the built release files to the bucket."""\n    return bucket\n',
  });
  client = new IndexClient({
    workerPath: outfile,
    assets: {
      packageRoot: PACKAGE_ROOT,
      grammarDir: path.join(PACKAGE_ROOT, 'node_modules', '@repomix', 'tree-sitter-wasms', 'out'),
      treeSitterWasm: path.join(PACKAGE_ROOT, 'node_modules', 'web-tree-sitter', 'web-tree-sitter.wasm'),
      indexWorker: path.join(outdir, 'index-worker.cjs'),
    },
    onState: (root, state) => states.push({ root, state }),
    onLog: (_level, message) => logs.push(message),
  });
  await client.configure([folderConfig(project)]);
});

after(async () => {
  client.dispose();
  await scratch.cleanup();
});

describe('the indexing worker, bundled', () => {
  test('indexes a folder, reporting progress, and answers a search with the right function', async () => {
    assert.equal((await client.request('status', {}))[0]?.index, undefined, 'no index before the first run');
    assert.deepEqual(await client.request('indexed', {}), [{ root: project, indexed: false }], 'so start-up announces a first index');
    const [result] = await client.request('index', {});
    assert.equal(result?.root, project);
    assert.equal(result?.summary.files, 2);
    const kinds = states.filter((s) => s.root === project).map((s) => s.state.kind);
    assert.equal(kinds[0], 'indexing');
    assert.deepEqual(states.at(-1)?.state, { kind: 'ready', files: 2, chunks: result?.summary.chunks, complete: true });

    const { hits } = await client.request('search', { query: 'retry a webhook delivery that failed', top: 5 });
    assert.equal(hits[0]?.symbol, 'retryFailedWebhook');
    assert.equal(hits[0]?.root, project);
    assert.equal(hits[0]?.path, 'src/billing.ts');
    assert.equal(hits[0]?.startLine, 1);

    const python = await client.request('search', { query: 'upload release files', top: 5, language: 'python' });
    assert.deepEqual(python.hits.map((h) => h.symbol), ['upload_release_artifacts']);

    assert.deepEqual(await client.request('indexed', {}), [{ root: project, indexed: true }]);
    const [status] = await client.request('status', {});
    assert.equal(status?.index?.files, 2);
    assert.match(status?.index?.meta.embedderId ?? '', /code-static-v3/);
    assert.equal(status?.adapter, 'identity', 'the shipped model has no shipped adapter');
  });

  test('a changed file is re-indexed; a change under a default-excluded folder starts no run', async () => {
    const before = states.length;
    await mkdir(path.join(project, 'node_modules', 'left-pad'), { recursive: true });
    const ignored = path.join(project, 'node_modules', 'left-pad', 'index.js');
    await writeFile(ignored, 'module.exports = function leftPad() {};\n');
    await client.request('fileChanged', { paths: [ignored] });
    assert.equal(states.length, before, 'no index run for node_modules');

    const added = path.join(project, 'src', 'invoice.ts');
    await writeFile(added, 'export function computeInvoiceTotal(lines: number[]): number {\n  return lines.reduce((a, b) => a + b, 0);\n}\n');
    await client.request('fileChanged', { paths: [added] });
    const { hits } = await client.request('search', { query: 'sum of the invoice lines', top: 3 });
    assert.equal(hits[0]?.symbol, 'computeInvoiceTotal');

    // A reported change is checked alone, the tree is not crawled: a file no event named waits for a full run.
    await writeFile(path.join(project, 'src', 'ledger.ts'), 'export function settleLedgerAccounts(): void {}\n');
    await writeFile(added, 'export function computeInvoiceTotalWithTax(lines: number[]): number {\n  return lines.reduce((a, b) => a + b, 0) * 1.2;\n}\n');
    await client.request('fileChanged', { paths: [added] });
    const symbols = async (query: string) => (await client.request('search', { query, top: 5 })).hits.map((hit) => hit.symbol);
    assert.ok((await symbols('invoice total with tax')).includes('computeInvoiceTotalWithTax'));
    assert.ok(!(await symbols('settle ledger accounts')).includes('settleLedgerAccounts'), 'not crawled');
    await client.request('index', {});
    assert.ok((await symbols('settle ledger accounts')).includes('settleLedgerAccounts'), 'a full run crawls');
  });

  test('tune reports its progress and verdict, and keeps no adapter when there is too little documented code', async () => {
    const phases = new Set<string>();
    const report = await client.request('tune', { root: project }, { onProgress: (p) => phases.add(p.phase) });
    assert.equal(report.adapter, null);
    assert.match(report.verdict, /too little documented code/);
    assert.ok(phases.has('chunk'), [...phases].join());
    assert.equal(states.at(-1)?.state.kind, 'ready');
    assert.equal((await client.request('search', { query: 'retry a webhook delivery that failed', top: 1 })).hits[0]?.symbol, 'retryFailedWebhook');
  });

  test('a cancelled request rejects as cancelled; the worker goes on answering', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(client.request('search', { query: 'webhook', top: 3 }, { signal: controller.signal }), (e: unknown) => e instanceof RequestError && e.kind === 'cancelled');
    assert.ok((await client.request('search', { query: 'webhook', top: 3 })).hits.length > 0);
  });

  test('a settings change reopens the folder: an exclude takes effect on the next index', async () => {
    await client.configure([folderConfig(project, { crawl: { include: [], exclude: ['scripts/'], maxFileBytes: 1_048_576, indexTestsAndTranslations: true } })]);
    await client.request('index', {});
    const { hits } = await client.request('search', { query: 'upload release files', top: 5, language: 'python' });
    assert.deepEqual(hits, []);
  });

  test('several folders: one search over all of them, or over the ones asked for', async () => {
    const other = path.join(scratch.dir, 'other');
    await writeTree(other, { 'mail.py': 'def send_invoice_email(customer, invoice):\n    """Email the invoice to the customer."""\n    return customer\n' });
    await client.configure([folderConfig(project), folderConfig(other, { indexDir: path.join(scratch.dir, 'index-other') })]);
    await client.request('index', {});
    const { hits } = await client.request('search', { query: 'email the invoice to the customer', top: 5 });
    assert.deepEqual([hits[0]?.root, hits[0]?.symbol], [other, 'send_invoice_email']);
    assert.ok(hits.some((hit) => hit.root === project));
    const { hits: onlyProject } = await client.request('search', { query: 'email the invoice to the customer', top: 5, roots: [project] });
    assert.ok(onlyProject.length > 0 && onlyProject.every((hit) => hit.root === project));
    assert.equal((await client.request('status', {})).length, 2);
  });

  test('clear deletes the index; file changes do not rebuild it until the next index', async () => {
    await client.request('clear', {});
    const [status] = await client.request('status', {});
    assert.equal(status?.index, undefined);
    assert.deepEqual(status?.state, { kind: 'none' });
    await client.request('fileChanged', { paths: [path.join(project, 'src', 'billing.ts')] });
    assert.equal((await client.request('status', {}))[0]?.index, undefined);
  });

  test('a large folder is chunked and embedded by the bundled index workers, as many as the setting allows', async () => {
    const large = path.join(scratch.dir, 'large');
    const files: Record<string, string> = {};
    for (let i = 0; i < 650; i++) files[`pkg/file${String(i).padStart(3, '0')}.ts`] = `export function handler${i}(input: number) {\n  return input * ${i};\n}\n`;
    await writeTree(large, files);
    await client.configure([folderConfig(large, { indexDir: path.join(scratch.dir, 'index-large'), indexingThreads: 3 })]);
    logs.length = 0;
    const [result] = await client.request('index', {});
    assert.deepEqual([result?.summary.files, result?.summary.chunks, result?.summary.failed], [650, 650, []]);
    assert.ok(logs.includes(`${large}: chunking and embedding on 3 worker threads`), logs.join('\n'));
    const { hits } = await client.request('search', { query: 'handler417', top: 1 });
    assert.equal(hits[0]?.symbol, 'handler417');
  });

  test('a user error comes back as such', async () => {
    await client.configure([folderConfig(project, { model: path.join(scratch.dir, 'no-such-model') })]);
    await assert.rejects(client.request('index', {}), (e: unknown) => e instanceof RequestError && e.kind === 'user' && /unknown model/.test(e.message));
    assert.equal(states.at(-1)?.state.kind, 'error');
  });

  test('codeintent.indexLocation set to an s3:// URI: the shared index is searched with the folder\'s changes overlaid; clear deletes only the overlay', async () => {
    const s3 = await startS3Server(path.join(scratch.dir, 's3'));
    try {
      const uri = 's3://team/shared';
      const published = path.join(scratch.dir, 'published');
      await writeTree(published, {
        'src/billing.ts': 'export function retryFailedWebhook(eventId: string): boolean {\n  return eventId.length > 0;\n}\n',
        'src/ledger.ts': 'export function settleLedgerAccounts(): void {}\n',
      });
      const publisher = await Workspace.open({ root: published, indexDir: uri, publish: true, env: { ...process.env, ...s3.env } });
      await publisher.index();
      await publisher.close();
      const checkout = path.join(scratch.dir, 'checkout');
      await writeTree(checkout, {
        'src/billing.ts': 'export function retryFailedWebhook(eventId: string): boolean {\n  return eventId.length > 0;\n}\n',
        'src/refunds.ts': 'export function refundDuplicateCharge(chargeId: string): string {\n  return chargeId;\n}\n',
      });
      await client.configure([folderConfig(checkout, { indexDir: uri, env: { ...s3.env, CODEINTENT_CACHE_DIR: path.join(scratch.dir, 'cache') } })]);
      await client.request('index', {});
      const symbols = async (query: string) => (await client.request('search', { query, top: 5 })).hits.map((hit) => hit.symbol);
      assert.equal((await symbols('retry a failed webhook'))[0], 'retryFailedWebhook', 'from the shared index');
      assert.equal((await symbols('refund a duplicate charge'))[0], 'refundDuplicateCharge', 'from the overlay');
      assert.ok(!(await symbols('settle the ledger accounts')).includes('settleLedgerAccounts'), 'a file this checkout does not have is masked');
      const [status] = await client.request('status', {});
      assert.equal(status?.index?.indexDir, uri);
      assert.equal(status?.index?.files, 2, 'the shared index as published');

      await client.request('clear', {});
      assert.equal(await pathExists(overlayIndexDir(checkout, uri, { CODEINTENT_CACHE_DIR: path.join(scratch.dir, 'cache') })), false, 'the overlay is deleted');
      await client.request('index', {});
      assert.equal((await symbols('retry a failed webhook'))[0], 'retryFailedWebhook', 'the shared index was not cleared');
    } finally {
      await s3.close();
    }
  });
});

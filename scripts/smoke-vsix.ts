// node out/scripts/smoke-vsix.js VSIX — runs what a VSIX ships, outside VS Code: unpacks it, starts
// its indexing worker (dist/worker.cjs, with its own LanceDB addon, grammars and model) as the
// extension does, indexes a two-file project and checks that search (vector and full-text, fused)
// finds the right function, also with a language filter. On another processor's VSIX, run it with that processor's Node
// under an emulator (README: "Platform VSIXs"), e.g. linux-arm64 under qemu-aarch64.

import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { IndexClient } from '../src/extension/indexClient.js';
import { messageOf } from '../src/core/errors.js';

const PROJECT: Record<string, string> = {
  'src/billing.ts': 'export function retryFailedWebhook(eventId: string, attempts = 3): boolean {\n  for (let i = 0; i < attempts; i++) if (eventId) return true;\n  return false;\n}\n',
  'scripts/release.py': 'def upload_release_artifacts(bucket):\n    """Upload the built release files to the bucket."""\n    return bucket\n',
};

async function unzip(vsix: string, into: string): Promise<void> {
  const zip = await yauzl.openPromise(vsix);
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName.endsWith('/')) continue;
      const file = path.join(into, entry.fileName);
      await mkdir(path.dirname(file), { recursive: true });
      await pipeline(await zip.openReadStreamPromise(entry), createWriteStream(file));
    }
  } finally {
    zip.close();
  }
}

async function smoke(vsix: string): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'codeintent-smoke-'));
  const client = { current: undefined as IndexClient | undefined };
  try {
    const started = performance.now();
    await unzip(vsix, path.join(dir, 'vsix'));
    const extension = path.join(dir, 'vsix', 'extension');
    const project = path.join(dir, 'project');
    for (const [name, text] of Object.entries(PROJECT)) {
      await mkdir(path.dirname(path.join(project, name)), { recursive: true });
      await writeFile(path.join(project, name), text);
    }
    client.current = new IndexClient({
      workerPath: path.join(extension, 'dist', 'worker.cjs'),
      assets: { packageRoot: extension, grammarDir: path.join(extension, 'dist', 'grammars'), treeSitterWasm: path.join(extension, 'dist', 'web-tree-sitter.wasm'), indexWorker: path.join(extension, 'dist', 'index-worker.cjs') },
      onState: () => {},
      onLog: (level, message) => {
        if (level === 'error') console.error(message);
      },
    });
    await client.current.configure([
      { root: project, indexDir: path.join(dir, 'index'), model: 'default', adapter: 'default', crawl: { include: [], exclude: [], maxFileBytes: 1_048_576, indexTestsAndTranslations: true }, indexingThreads: 0, env: {} },
    ]);
    const [result] = await client.current.request('index', {});
    assert.equal(result?.summary.files, 2, 'both files indexed');
    const { hits } = await client.current.request('search', { query: 'retry a failed webhook', top: 2 });
    assert.equal(hits[0]?.symbol, 'retryFailedWebhook', 'search');
    const python = await client.current.request('search', { query: 'upload release files', top: 2, language: 'python' });
    assert.deepEqual(python.hits.map((h) => h.symbol), ['upload_release_artifacts'], 'search in Python only');
    console.log(`${path.basename(vsix)} on ${process.platform}-${process.arch}: indexed ${result.summary.chunks} chunks and found both functions, in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    client.current?.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

const vsix = process.argv[2];
if (vsix === undefined) {
  console.error('usage: node out/scripts/smoke-vsix.js VSIX');
  process.exitCode = 2;
} else {
  smoke(path.resolve(vsix)).catch((error: unknown) => {
    console.error(`smoke test of ${vsix} failed: ${messageOf(error)}`);
    process.exitCode = 1;
  });
}

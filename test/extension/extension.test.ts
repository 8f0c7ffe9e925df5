// The extension in a real VS Code (code-server's extension host), on a copy of
// test/fixtures/e2e-workspace: activation, the shipped files, the first index, search by intent,
// the file watcher and a settings change. Bundled and run by scripts/e2e/run.ts.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import { grammarFile } from '../../src/core/chunk/languages.js';
import type { CodeIntentApi } from '../../src/extension/main.js';

const EXTENSION_ID = 'codeintent.codeintent';

function ourExtension(): vscode.Extension<CodeIntentApi> {
  const extension = vscode.extensions.getExtension<CodeIntentApi>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not loaded`);
  return extension;
}

function workspaceFolder(): vscode.WorkspaceFolder {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'no workspace folder is open');
  return folder;
}

/**
 * Polls until `check` holds (the watcher hears of a file change some time after it happened; idle()
 * covers what it has already heard of), or fails after `timeoutMs`.
 */
async function eventually(api: CodeIntentApi, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await api.idle();
    if (await check()) return;
    if (Date.now() > deadline) assert.fail(`not within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The workspace-relative paths of the top hits for `query`. */
async function topPaths(api: CodeIntentApi, query: string, top = 3): Promise<string[]> {
  return (await api.search(query, { top })).map((hit) => hit.path);
}

suite('the extension in a real VS Code', () => {
  let api: CodeIntentApi;

  suiteSetup(async () => {
    const started = performance.now();
    api = await ourExtension().activate();
    // Printed for docs/performance.md: activate() returns before any indexing starts.
    console.log(`activation: ${(performance.now() - started).toFixed(1)} ms`);
  });

  test('registers every command it contributes', async () => {
    const contributed = (ourExtension().packageJSON as { contributes: { commands: { command: string }[] } }).contributes.commands.map((c) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(contributed.filter((id) => !registered.has(id)), []);
  });

  test('runs with a private cache folder, never the user’s', () => {
    const cache = process.env['CODEINTENT_CACHE_DIR'];
    assert.ok(cache && path.resolve(cache).startsWith(path.resolve(os.tmpdir())), `${cache} is not a temporary folder`);
  });

  test('ships what the worker and the sidebar load', () => {
    const root = ourExtension().extensionPath;
    const needed = [
      'dist/worker.cjs',
      'dist/webview.js',
      'dist/web-tree-sitter.wasm',
      'dist/codicons/codicon.css',
      'models/code-static-v2/model.json',
      ...Object.values(grammarFile).map((file) => `dist/grammars/${file}`),
    ];
    assert.deepEqual(needed.filter((file) => !existsSync(path.join(root, file))), []);
  });

  test('indexes the workspace in the background', async () => {
    await api.ready;
    const state = api.indexState(workspaceFolder().uri);
    assert.equal(state?.kind, 'ready');
    assert.ok(state.kind === 'ready' && state.files >= 4 && state.chunks >= 4, JSON.stringify(state));
  });

  test('a search by intent finds the function', async () => {
    const [hit] = await api.search('retry an operation, waiting longer after each failure');
    assert.equal(hit?.path, 'src/retry.ts');
    assert.equal(hit?.symbol, 'retryWithBackoff');
    assert.equal(hit?.startLine, 2);
  });

  test('the file watcher indexes a new file', async () => {
    const file = path.join(workspaceFolder().uri.fsPath, 'src', 'invoice.ts');
    const query = 'add the sales tax to an invoice total';
    assert.ok(!(await topPaths(api, query, 1)).includes('src/invoice.ts'));
    await writeFile(file, 'export function invoiceTotalWithTax(subtotal: number, taxRate: number): number {\n  return subtotal * (1 + taxRate);\n}\n');
    try {
      await eventually(api, async () => (await topPaths(api, query, 1))[0] === 'src/invoice.ts');
    } finally {
      await rm(file, { force: true });
    }
    await eventually(api, async () => !(await topPaths(api, query)).includes('src/invoice.ts'));
  });

  test('an exclude setting takes effect without a reload', async () => {
    const query = 'turn a title into a url slug';
    const settings = vscode.workspace.getConfiguration('codeintent', workspaceFolder().uri);
    assert.ok((await topPaths(api, query)).includes('scripts/slugify.py'));
    await settings.update('exclude', ['scripts/**'], vscode.ConfigurationTarget.Workspace);
    try {
      await api.idle();
      assert.ok(!(await topPaths(api, query)).some((p) => p.startsWith('scripts/')));
    } finally {
      await settings.update('exclude', undefined, vscode.ConfigurationTarget.Workspace);
      await api.idle();
    }
    assert.ok((await topPaths(api, query)).includes('scripts/slugify.py'));
  });
});

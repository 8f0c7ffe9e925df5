// The extension in a real VS Code (code-server's extension host), on a copy of
// test/fixtures/e2e-workspace: activation, the shipped files, the first index, search by intent,
// the file watcher and a settings change. Bundled and run by scripts/e2e/run.ts.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import { grammarFile } from '../../src/core/chunk/languages.js';
import type { EditProposal } from '../../src/core/edit/propose.js';
import { ProposalDocuments } from '../../src/extension/edits.js';
import type { CodeIntentApi } from '../../src/extension/main.js';
import { ourExtension, topPaths, workspaceFolder } from './helpers.js';

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

/**
 * The OpenAI-protocol test server (test/helpers/chat-server.ts run directly: it answers edit prompts
 * with a logging edit), as a child process on 127.0.0.1; resolves with it and its base URL.
 */
function startChatServer(): Promise<{ child: ChildProcess; baseURL: string }> {
  const script = path.join(ourExtension().extensionPath, 'out', 'test', 'helpers', 'chat-server.js');
  const child = spawn(process.execPath, [script, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (data: Buffer) => {
      out += data.toString();
      const url = /OPENAI_BASE_URL=(\S+)/.exec(out)?.[1];
      if (url) resolve({ child, baseURL: url });
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`the chat server exited with ${code}`)));
  });
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
      'models/code-static-v3/model.json',
      'rankers/code-static-v3/ranker.json',
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

  test('paused, automatic indexing leaves a new file out until it is resumed (issue 13, item 8)', async () => {
    const file = path.join(workspaceFolder().uri.fsPath, 'src', 'shipping.ts');
    const query = 'the shipping cost of a parcel by its weight';
    await vscode.commands.executeCommand('codeintent.pauseIndexing');
    try {
      await api.idle();
      assert.equal(vscode.workspace.getConfiguration('codeintent').get('autoIndex'), false);
      await writeFile(file, 'export function parcelShippingCost(weightKg: number): number {\n  return 4.5 + weightKg * 1.2;\n}\n');
      // The watcher reports a change within about a second (the test above waits for it): give it five.
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      await api.idle();
      assert.ok(!(await topPaths(api, query)).includes('src/shipping.ts'), 'indexed while paused');
    } finally {
      await vscode.commands.executeCommand('codeintent.resumeIndexing');
    }
    try {
      await eventually(api, async () => (await topPaths(api, query, 1))[0] === 'src/shipping.ts');
    } finally {
      await rm(file, { force: true });
      await eventually(api, async () => !(await topPaths(api, query)).includes('src/shipping.ts'));
    }
  });

  test("Search by Intent's key is none of VS Code's own (issue 13, item 7)", async () => {
    const ours = (ourExtension().packageJSON as { contributes: { keybindings: Array<{ command: string; key: string; mac: string }> } }).contributes.keybindings.find((k) => k.command === 'codeintent.search');
    assert.ok(ours, 'a default key for Search by Intent');
    await vscode.commands.executeCommand('workbench.action.openDefaultKeybindingsFile');
    const text = vscode.window.activeTextEditor?.document.getText() ?? '';
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    // The file lists every default binding as `{ "key": "…", "command": "…" }`, ours among them.
    const bindings = [...text.matchAll(/"key":\s*"([^"]+)",\s*"command":\s*"([^"]+)"/g)].map(([, key, command]) => ({ key: key!, command: command! }));
    assert.ok(bindings.length > 500, `read ${bindings.length} default bindings`);
    // VS Code writes modifiers in its own order ("ctrl+shift+alt+i"): compare them as sets.
    const normal = (key: string) => key.split(' ').map((chord) => chord.split('+').sort().join('+')).join(' ');
    const same = bindings.filter((b) => normal(b.key) === normal(ours.key));
    assert.deepEqual(same.filter((b) => b.command !== 'codeintent.search'), [], `${ours.key} is taken`);
    assert.ok(same.some((b) => b.command === 'codeintent.search'), 'ours is listed among the defaults');
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

  test('codeintent.indexTestsAndTranslations off takes the tests out of the index, without a reload (issue 13, item 8)', async () => {
    const file = path.join(workspaceFolder().uri.fsPath, 'src', 'cart.test.ts');
    const query = 'a cart total adds up the price of every line';
    const settings = vscode.workspace.getConfiguration('codeintent', workspaceFolder().uri);
    await writeFile(file, "import { cartTotal } from './cart';\n\nexport function testCartTotalAddsEveryLine(): boolean {\n  return cartTotal([{ sku: 'a', unitPriceCents: 200, quantity: 3 }]) === 600;\n}\n");
    try {
      await eventually(api, async () => (await topPaths(api, query, 5)).includes('src/cart.test.ts'));
      await settings.update('indexTestsAndTranslations', false, vscode.ConfigurationTarget.Workspace);
      try {
        await api.idle();
        const paths = await topPaths(api, query, 5);
        assert.ok(!paths.includes('src/cart.test.ts'), `still indexed: ${paths.join(', ')}`);
        assert.ok(paths.includes('src/cart.ts'), 'the code it tests is still found');
      } finally {
        await settings.update('indexTestsAndTranslations', undefined, vscode.ConfigurationTarget.Workspace);
        await api.idle();
      }
      assert.ok((await topPaths(api, query, 5)).includes('src/cart.test.ts'), 'back once the setting is on again');
    } finally {
      await rm(file, { force: true });
    }
    await eventually(api, async () => !(await topPaths(api, query, 5)).includes('src/cart.test.ts'));
  });

  test('a quick action proposes a logging edit; applying is one undoable edit, and nothing is saved', async () => {
    const server = await startChatServer();
    const settings = vscode.workspace.getConfiguration('codeintent', workspaceFolder().uri);
    const file = vscode.Uri.joinPath(workspaceFolder().uri, 'src', 'retry.ts');
    const before = (await vscode.workspace.fs.readFile(file)).toString();
    try {
      await settings.update('llm.baseUrl', server.baseURL, vscode.ConfigurationTarget.Workspace);
      await settings.update('llm.model', 'test-model', vscode.ConfigurationTarget.Workspace);
      await api.idle();
      const streamed = new Map<string, number>();
      const outcome = await api.proposeEdits('retry an operation, waiting longer after each failure', 'add-logging', (progress) => {
        if (progress.phase === 'answer') streamed.set(progress.path, progress.chars);
      });
      assert.ok((streamed.get('src/retry.ts') ?? 0) > 0, 'the answer was streamed');
      // The test server inserts a log line after the first "{" of each hit: inside cart.ts's interface
      // that does not parse, so the flow refuses it (after one retry) instead of proposing it.
      for (const failure of outcome.failures) assert.match(failure.reason, /no longer parses/);
      const proposal = outcome.proposals.find((p) => p.path === 'src/retry.ts');
      assert.ok(proposal, JSON.stringify(outcome.failures));
      assert.match(proposal.diff, /^\+\s+console\.info\('retryWithBackoff: start'\);$/m);
      assert.ok(outcome.usage.promptTokens > 0);

      const document = await vscode.workspace.openTextDocument(file);
      const editor = await vscode.window.showTextDocument(document);
      // A proposal whose file is gone is skipped, saying so; the others still apply (issue 11, case 4).
      assert.deepEqual(await api.applyProposals([{ ...proposal, path: 'src/gone.ts' }, proposal]), { applied: ['src/retry.ts'], skipped: [{ path: 'src/gone.ts', reason: 'no longer exists' }] });
      assert.equal(document.getText(), proposal.newText);
      assert.ok(document.isDirty, 'applied to the editor, not saved');
      assert.equal((await vscode.workspace.fs.readFile(file)).toString(), before, 'the file on disk is untouched');

      await vscode.window.showTextDocument(editor.document);
      await vscode.commands.executeCommand('undo');
      assert.equal(document.getText(), before, 'one Undo restores the file');

      // A proposal for a file that has changed since is skipped, not applied over the change.
      const changed = new vscode.WorkspaceEdit();
      changed.insert(file, new vscode.Position(0, 0), '// edited meanwhile\n');
      await vscode.workspace.applyEdit(changed);
      assert.deepEqual(await api.applyProposals([proposal]), { applied: [], skipped: [{ path: 'src/retry.ts', reason: 'changed since the proposal' }] });
    } finally {
      await vscode.commands.executeCommand('workbench.action.files.revert');
      await settings.update('llm.baseUrl', undefined, vscode.ConfigurationTarget.Workspace);
      await settings.update('llm.model', undefined, vscode.ConfigurationTarget.Workspace);
      server.child.kill();
    }
  });

  test('the review keeps a bounded number of proposed texts, the newest', () => {
    const documents = new ProposalDocuments();
    try {
      const proposal = (n: number): EditProposal => ({
        path: `src/f${n}.ts`,
        ranges: [],
        originalText: '',
        newText: `// proposal ${n}\n`,
        diff: '+x',
        explanation: '',
        logger: { name: 'console', importLine: '', source: '', example: '' },
        masked: 0,
        checks: [],
        attempts: 1,
      });
      const uris = Array.from({ length: ProposalDocuments.MAX_KEPT + 6 }, (_, n) => documents.add(proposal(n)));
      assert.equal(documents.provideTextDocumentContent(uris[0]!), '', 'the oldest proposal is let go');
      assert.equal(documents.provideTextDocumentContent(uris.at(-1)!), `// proposal ${uris.length - 1}\n`);
      assert.equal(documents.provideTextDocumentContent(uris[6]!), '// proposal 6\n', 'MAX_KEPT proposals stay readable');
      assert.equal(documents.provideTextDocumentContent(uris[5]!), '');
    } finally {
      documents.dispose();
    }
  });
});

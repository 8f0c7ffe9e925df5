import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import { grammarFile } from '../../src/core/chunk/languages.js';
import { extensionFiles, type CodeIntentApi } from '../../src/extension/main.js';

const EXTENSION_ID = 'codeintent.codeintent';

function ourExtension(): vscode.Extension<CodeIntentApi> {
  const extension = vscode.extensions.getExtension<CodeIntentApi>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not loaded`);
  return extension;
}

suite('activation', () => {
  test('activates and registers its commands', async () => {
    const started = performance.now();
    const api = await ourExtension().activate();
    await api.ready;
    // Printed: docs/performance.md is to report the activation time (issue 4).
    console.log(`activation time: ${(performance.now() - started).toFixed(1)} ms`);
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('codeintent.showIndexStatus'));
  });

  test('runs with a private cache folder, never the user’s', () => {
    const cache = process.env['CODEINTENT_CACHE_DIR'];
    assert.ok(cache, 'CODEINTENT_CACHE_DIR is not set in the extension host');
    assert.ok(path.resolve(cache).startsWith(path.resolve(os.tmpdir())), `${cache} is not a temporary folder`);
  });

  test('finds the model, the adapters and the grammars where the core looks', () => {
    const files = extensionFiles(ourExtension().extensionPath);
    const needed = [
      path.join(files.defaultModel, 'model.json'),
      files.adapters,
      files.treeSitterWasm ?? '',
      ...Object.values(grammarFile).map((file) => path.join(files.grammars ?? '', file)),
    ];
    assert.deepEqual(needed.filter((file) => !existsSync(file)), []);
  });
});

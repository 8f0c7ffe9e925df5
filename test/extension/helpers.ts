// What the extension-host test suites share: our extension, the open folder, search results by path.

import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { CodeIntentApi } from '../../src/extension/main.js';
import { EXTENSION_ID } from '../../src/extension/settings-scope.js';

export function ourExtension(): vscode.Extension<CodeIntentApi> {
  const extension = vscode.extensions.getExtension<CodeIntentApi>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not loaded`);
  return extension;
}

export function workspaceFolder(): vscode.WorkspaceFolder {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'no workspace folder is open');
  return folder;
}

/** The workspace-relative paths of the top hits for `query`. */
export async function topPaths(api: CodeIntentApi, query: string, top = 3): Promise<string[]> {
  return (await api.search(query, { top })).map((hit) => hit.path);
}

// The extension's entry point, for now a minimal shell that proves the packaging and the
// real-VS-Code tests end to end: one command over the core. The features replace it.

import path from 'node:path';
import * as vscode from 'vscode';
import { packageFiles, type PackageFiles } from '../core/models.js';

/** What `activate` returns to other extensions and to our tests. */
export interface CodeIntentApi {
  /** Settles once activation's work is done. */
  ready: Promise<void>;
}

export function activate(context: vscode.ExtensionContext): CodeIntentApi {
  context.subscriptions.push(vscode.commands.registerCommand('codeintent.showIndexStatus', showIndexStatus));
  return { ready: Promise.resolve() };
}

/** The model, adapters and grammars inside the installed extension (laid out by scripts/package.ts). */
export function extensionFiles(extensionPath: string): PackageFiles {
  const dist = path.join(extensionPath, 'dist');
  return { ...packageFiles(extensionPath), grammars: path.join(dist, 'grammars'), treeSitterWasm: path.join(dist, 'web-tree-sitter.wasm') };
}

async function showIndexStatus(): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (folder === undefined) {
    void vscode.window.showInformationMessage('CodeIntent: open a folder to see its index.');
    return;
  }
  try {
    // Loaded on first use, not at activation: the core brings LanceDB's native module.
    const { indexStatus } = await import('../core/workspace.js');
    const status = await indexStatus({ root: folder.uri.fsPath });
    void vscode.window.showInformationMessage(
      status === undefined
        ? `CodeIntent: ${folder.name} is not indexed yet.`
        : `CodeIntent: ${folder.name} has ${status.files} files and ${status.chunks} chunks indexed.`,
    );
  } catch (error) {
    void vscode.window.showErrorMessage(`CodeIntent: ${error instanceof Error ? error.message : String(error)}`);
  }
}

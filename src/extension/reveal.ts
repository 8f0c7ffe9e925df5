// Opening a search result: the file at the definition, centred, its name selected and the whole
// definition highlighted for a moment.

import * as vscode from 'vscode';
import type { ViewLocation } from '../shared/view-protocol.js';

const HIGHLIGHT_MS = 1_500;

export class Revealer implements vscode.Disposable {
  private readonly highlight = vscode.window.createTextEditorDecorationType({
    backgroundColor: new vscode.ThemeColor('editor.rangeHighlightBackground'),
    isWholeLine: true,
  });
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** `beside`: in the editor group beside the active one, as Ctrl+Enter does in Quick Open. */
  async open(location: ViewLocation, options: { preview?: boolean; preserveFocus?: boolean; beside?: boolean } = {}): Promise<vscode.TextEditor> {
    const uri = vscode.Uri.joinPath(vscode.Uri.file(location.root), ...location.path.split('/'));
    const document = await vscode.workspace.openTextDocument(uri);
    // The file may have changed since it was indexed: keep the range inside it.
    const last = document.lineCount - 1;
    const start = Math.min(location.startLine - 1, last);
    const end = Math.min(Math.max(location.endLine - 1, start), last);
    const range = new vscode.Range(start, 0, end, document.lineAt(end).text.length);
    const editor = await vscode.window.showTextDocument(document, {
      preview: options.preview ?? true,
      preserveFocus: options.preserveFocus ?? false,
      ...(options.beside ? { viewColumn: vscode.ViewColumn.Beside } : {}),
    });
    editor.selection = nameSelection(document, range, location.symbol);
    editor.revealRange(range, vscode.TextEditorRevealType.InCenter);
    editor.setDecorations(this.highlight, [range]);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => editor.setDecorations(this.highlight, []), HIGHLIGHT_MS);
    return editor;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.highlight.dispose();
  }
}

/** The definition's name where it first appears in the range, else the range's start. */
function nameSelection(document: vscode.TextDocument, range: vscode.Range, symbol: string): vscode.Selection {
  if (symbol !== '') {
    const name = new RegExp(`(?<![\\w$])${symbol.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w$])`);
    for (let line = range.start.line; line <= Math.min(range.end.line, range.start.line + 20); line++) {
      const match = name.exec(document.lineAt(line).text);
      if (match) return new vscode.Selection(line, match.index, line, match.index + symbol.length);
    }
  }
  return new vscode.Selection(range.start, range.start);
}

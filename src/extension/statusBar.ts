// The status bar item: every folder's index state in a few words; a click opens CodeIntent's menu.

import * as vscode from 'vscode';
import { readSettings } from './config.js';
import { tuneProgressText } from '../shared/presentation.js';
import type { Session } from './session.js';

export function createStatusBar(session: Session): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('codeintent.status', vscode.StatusBarAlignment.Left, 0);
  item.name = 'CodeIntent';
  item.command = 'codeintent.statusMenu';
  const count = new Intl.NumberFormat();

  const update = () => {
    const tuning = session.tuning();
    item.backgroundColor = undefined;
    if (tuning) {
      // A tune starts with an index run: its "indexing 100%" would stay up while the tune trains.
      item.text = '$(sync~spin) CodeIntent: tuning';
      item.tooltip = `Tuning search to ${tuning.folder}: ${tuneProgressText(tuning.progress)}. Click for the menu.`;
      item.show();
      return;
    }
    const now = session.overall();
    // Read here, not from the session: this listener may run before the session has re-read them.
    const paused = readSettings().autoIndex ? '' : ' (paused)';
    switch (now.kind) {
      case 'noFolder':
        item.hide();
        return;
      case 'none':
        item.text = `$(search) CodeIntent: not indexed${paused}`;
        item.tooltip = 'Run "CodeIntent: Reindex Workspace" to build the index';
        break;
      case 'indexing':
        item.text = `$(search) CodeIntent: indexing${now.percent === undefined ? '…' : ` ${now.percent}%`}`;
        item.tooltip = 'Indexing in the background; search already answers from what is indexed';
        break;
      case 'ready':
        item.text = `$(search) CodeIntent: ${now.complete ? 'ready' : 'partly indexed,'} ${count.format(now.chunks)} chunks${paused}`;
        item.tooltip = `${count.format(now.files)} files indexed${now.complete ? '' : '; run "CodeIntent: Reindex Workspace" to finish'}${paused ? '; automatic indexing is paused' : ''}. Click for the menu.`;
        break;
      case 'error':
        item.text = '$(error) CodeIntent: error';
        item.tooltip = `${now.message}\nClick for the menu.`;
        item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        break;
    }
    item.show();
  };

  update();
  return vscode.Disposable.from(
    item,
    session.onDidChangeState(update),
    session.onDidChangeTuning(update),
    vscode.workspace.onDidChangeWorkspaceFolders(update),
    vscode.workspace.onDidChangeConfiguration((event) => event.affectsConfiguration('codeintent.autoIndex') && update()),
  );
}

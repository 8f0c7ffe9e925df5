// Keeps the index current: file events are collected for a moment and sent to the worker in one
// message, which re-indexes what changed (the crawl decides what is ignored; unchanged files cost a
// stat). A branch switch or a pull becomes one incremental run, not hundreds.

import * as vscode from 'vscode';
import type { Session } from './session.js';

/** Quiet time that ends a burst of events. */
const DEBOUNCE_MS = 750;
/** A burst that never goes quiet (a long checkout) is still sent this often. */
const MAX_WAIT_MS = 5_000;

export function watchFiles(session: Session): vscode.Disposable {
  const watcher = vscode.workspace.createFileSystemWatcher('**/*');
  let changed = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let burstStart = 0;
  /** Settles the promise `session.idle()` waits on for the current burst. */
  let settle: (() => void) | undefined;

  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    const paths = [...changed];
    const done = settle;
    changed = new Set();
    settle = undefined;
    void session.fileChanged(paths).finally(done);
  };

  const onEvent = (uri: vscode.Uri) => {
    if (uri.scheme !== 'file') return;
    changed.add(uri.fsPath);
    if (!settle) {
      burstStart = Date.now();
      void session.track(new Promise<void>((resolve) => (settle = resolve)));
    }
    clearTimeout(timer);
    timer = setTimeout(flush, Date.now() - burstStart >= MAX_WAIT_MS ? 0 : DEBOUNCE_MS);
  };

  return vscode.Disposable.from(
    watcher,
    watcher.onDidCreate(onEvent),
    watcher.onDidChange(onEvent),
    watcher.onDidDelete(onEvent),
    {
      dispose: () => {
        clearTimeout(timer);
        settle?.();
      },
    },
  );
}

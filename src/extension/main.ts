// The extension's entry point: builds the session, registers every command, view, watcher and
// listener, starts the first index in the background (activation never waits for it) and returns
// the API the end-to-end tests drive.

import * as vscode from 'vscode';
import type { EditOutcome, EditProposal } from '../core/edit/propose.js';
import type { LanguageId } from '../core/types.js';
import { registerCommands } from './commands.js';
import { applyProposals, propose, PROPOSAL_SCHEME, ProposalDocuments, type ApplyResult } from './edits.js';
import { changeEffect, readSettings } from './config.js';
import { createLog, reportError } from './log.js';
import type { Hit, IndexState, RequestProgress, WorkerAssets } from '../shared/worker-protocol.js';
import { Revealer } from './reveal.js';
import { API_KEY_SECRET, Session, type StateChange } from './session.js';
import { SearchView } from './sidebar.js';
import { createStatusBar } from './statusBar.js';
import { watchFiles } from './watcher.js';
import { messageOf } from '../core/errors.js';

export interface CodeIntentApi {
  /** Settles when the first index of every workspace folder has; rejects when it failed or was cancelled. */
  readonly ready: Promise<void>;
  /** `folder`: see Session's SearchOptions. */
  search(query: string, options?: { top?: number; language?: LanguageId; folder?: string }): Promise<Hit[]>;
  indexState(folder: vscode.Uri | string): IndexState | undefined;
  readonly onDidChangeIndexState: vscode.Event<StateChange>;
  /** Settles once no settings change, file change or index run is pending (after an edit or a settings update). */
  idle(): Promise<void>;
  /** What a quick action proposes for `query` (the first folder): nothing is written. `onProgress` streams the answers. */
  proposeEdits(query: string, instruction: string, onProgress?: (progress: RequestProgress) => void): Promise<EditOutcome>;
  /** Applies proposals as the review's "apply" does: one undoable edit, files changed since skipped. */
  applyProposals(proposals: readonly EditProposal[]): Promise<ApplyResult>;
}

/** The shipped files as packaging lays them out: models/ and adapters/ at the root, the rest in dist/. */
function shippedAssets(extension: vscode.Uri): WorkerAssets {
  const at = (...parts: string[]) => vscode.Uri.joinPath(extension, ...parts).fsPath;
  return { packageRoot: at(), grammarDir: at('dist', 'grammars'), treeSitterWasm: at('dist', 'web-tree-sitter.wasm'), indexWorker: at('dist', 'index-worker.cjs') };
}

/** The API's quick actions work in the first workspace folder. */
function firstFolder(session: Session): vscode.Uri {
  const folder = session.folders()[0];
  if (!folder) throw new Error('CodeIntent: open a folder first');
  return folder.uri;
}

export function activate(context: vscode.ExtensionContext): CodeIntentApi {
  const log = createLog();
  context.subscriptions.push(log);
  try {
    const session = new Session(context, log, shippedAssets(context.extensionUri));
    const revealer = new Revealer();
    const proposals = new ProposalDocuments();
    const view = new SearchView(session, revealer, context.extensionUri, proposals);
    context.subscriptions.push(
      session,
      revealer,
      proposals,
      view,
      vscode.window.registerWebviewViewProvider(SearchView.viewType, view),
      ...registerCommands({ session, revealer, proposals }),
      vscode.workspace.registerTextDocumentContentProvider(PROPOSAL_SCHEME, proposals),
      createStatusBar(session),
      watchFiles(session),
      vscode.workspace.onDidChangeConfiguration((event) => {
        const effect = changeEffect(event);
        if (effect === 'apply') session.settings = readSettings();
        else if (effect) void session.reconfigure(effect === 'reindex');
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => void session.reconfigure(true)),
      context.secrets.onDidChange((event) => {
        if (event.key === API_KEY_SECRET) void session.reconfigure(true);
      }),
    );
    const ready = session.track(session.start());
    ready.catch((error: unknown) => reportError(log, 'indexing', error));
    return {
      ready,
      search: async (query, options = {}) => (await session.search(query, options)).hits,
      indexState: (folder) => session.state(typeof folder === 'string' ? folder : folder.fsPath),
      onDidChangeIndexState: session.onDidChangeState,
      idle: () => session.idle(),
      proposeEdits: async (query, instruction, onProgress) => propose(session, firstFolder(session).fsPath, query, instruction, onProgress ? { onProgress } : {}),
      applyProposals: async (list) => applyProposals(firstFolder(session), list),
    };
  } catch (error) {
    // VS Code shows no notification when an extension fails to activate: say it ourselves.
    log.error(`activation failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    void vscode.window
      .showErrorMessage(`CodeIntent could not start: ${messageOf(error)}`, 'Show Log')
      .then((choice) => choice && log.show());
    throw error;
  }
}

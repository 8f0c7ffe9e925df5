// Every command in one table; the ids match package.json's contributes.commands. A command never
// rejects: failures reach the user through reportError (VS Code would add a second, vaguer toast).

import * as vscode from 'vscode';
import { tuneSummary, tuneText } from '../shared/report.js';
import { adapterName, modelName, sizeLabel, tuneProgressText } from '../shared/presentation.js';
import { toPosixRelative } from '../core/paths.js';
import type { TuneReport } from '../core/tune/index.js';
import { editHit, findAndEdit, type ProposalDocuments } from './edits.js';
import { reportError } from './log.js';
import type { FolderStatus, Hit, IndexState } from '../shared/worker-protocol.js';
import { searchQuickPick } from './quickPick.js';
import type { Revealer } from './reveal.js';
import { API_KEY_SECRET, type Session } from './session.js';

export interface Services {
  session: Session;
  revealer: Revealer;
  proposals: ProposalDocuments;
}

/** Longest query "Find Code Like This" sends: the start of a long selection says what it is. */
const MAX_SELECTION_QUERY = 1000;

const COMMANDS: Readonly<Record<string, (services: Services) => unknown>> = {
  'codeintent.search': (services) => searchQuickPick(services.session, services.revealer, { act: quickAction(services) }),
  'codeintent.reindex': ({ session }) => reindex(session),
  'codeintent.findAndEdit': ({ session, proposals }) => findAndEdit(session, proposals),
  'codeintent.showIndexStatus': ({ session }) => showIndexStatus(session),
  'codeintent.tune': ({ session }) => tune(session),
  'codeintent.clearIndex': ({ session }) => clearIndex(session),
  'codeintent.findSimilar': (services) => findSimilar(services),
  'codeintent.setApiKey': ({ session }) => setApiKey(session),
  'codeintent.showLog': ({ session }) => session.log.show(),
  'codeintent.pauseIndexing': () => setAutoIndex(false),
  'codeintent.resumeIndexing': () => setAutoIndex(true),
  'codeintent.statusMenu': ({ session }) => statusMenu(session),
};

export function registerCommands(services: Services): vscode.Disposable[] {
  return Object.entries(COMMANDS).map(([id, command]) => vscode.commands.registerCommand(id, () => command(services)));
}

function noFolder(session: Session): boolean {
  if (session.folders().length > 0) return false;
  void vscode.window.showInformationMessage('CodeIntent: open a folder first; CodeIntent searches the folders of the workspace.');
  return true;
}

async function reindex(session: Session): Promise<void> {
  if (noFolder(session)) return;
  try {
    await session.configure(); // the settings as they are now (and a stopped worker starts again)
    await session.index({ title: 'CodeIntent: indexing the workspace' });
  } catch (error) {
    reportError(session.log, 'indexing', error);
  }
}

/** Shows every folder's index; returns what it showed (for tests). */
async function showIndexStatus(session: Session): Promise<FolderStatus[] | undefined> {
  if (noFolder(session)) return undefined;
  let statuses: FolderStatus[];
  try {
    statuses = await session.request('status', {});
  } catch (error) {
    reportError(session.log, 'reading the index status', error);
    return undefined;
  }
  type Item = vscode.QuickPickItem & { run?: () => unknown };
  const items: Item[] = statuses.flatMap((status) => statusItems(session, status));
  items.push(
    { label: '', kind: vscode.QuickPickItemKind.Separator },
    { label: '$(refresh) Reindex Workspace', run: () => reindex(session) },
    { label: '$(output) Show Log', run: () => session.log.show() },
  );
  void vscode.window.showQuickPick(items, { title: 'CodeIntent: index status', placeHolder: 'What is indexed, and when' }).then((picked) => picked?.run?.());
  return statuses;
}

/** One folder's state in plain words: what is indexed, how big, when, with which model. */
function statusItems(session: Session, { root, state, index, adapter }: FolderStatus): vscode.QuickPickItem[] {
  const count = new Intl.NumberFormat();
  const heading: vscode.QuickPickItem = { label: `$(folder) ${session.folderName(root)}: ${stateText(state)}` };
  if (!index) return [heading];
  const updated = new Date(index.meta.updatedAt);
  return [
    { ...heading, description: `${count.format(index.files)} files, ${count.format(index.chunks)} definitions and passages${index.bytes === undefined ? '' : `, ${sizeLabel(index.bytes)} on disk`}` },
    { label: `$(history) Last indexed ${updated.toLocaleString()}`, description: relativeDay(updated) },
    { label: `$(symbol-misc) Model: ${modelName(index.meta.embedderId)}`, description: `adapter: ${adapterName(adapter ?? 'identity')}` },
    { label: `$(database) Kept in ${index.indexDir}`, ...(index.meta.commit ? { description: `published at ${index.meta.commit.slice(0, 12)}` } : {}) },
  ];
}

/** "today", "yesterday" or "" (the date says it). */
function relativeDay(date: Date): string {
  const days = Math.round((new Date().setHours(0, 0, 0, 0) - new Date(date).setHours(0, 0, 0, 0)) / 86_400_000);
  return days === 0 ? 'today' : days === 1 ? 'yesterday' : '';
}

function stateText(state: IndexState): string {
  switch (state.kind) {
    case 'none':
      return 'not indexed';
    case 'indexing':
      return state.total > 0 ? `indexing, ${Math.floor((100 * state.done) / state.total)}%` : 'indexing';
    case 'ready':
      return state.complete ? 'up to date' : 'partly indexed (Reindex to finish)';
    case 'error':
      return `error: ${state.message}`;
  }
}

async function tune(session: Session): Promise<TuneReport | undefined> {
  if (noFolder(session)) return undefined;
  const folders = session.folders();
  const folder = folders.length === 1 ? folders[0] : await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Tune search to which folder?' });
  if (!folder) return undefined;
  try {
    const report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `CodeIntent: tuning search to ${folder.name}`, cancellable: true },
      (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        return session.tune(folder, { signal: controller.signal, onProgress: (report) => progress.report({ message: tuneProgressText(report) }) });
      },
    );
    session.log.info(`tune ${folder.uri.fsPath}\n${tuneText(report)}`);
    void vscode.window.showInformationMessage(`CodeIntent: ${tuneSummary(report, folder.name)}`, 'Show Details').then((choice) => choice && session.log.show());
    return report;
  } catch (error) {
    reportError(session.log, 'tuning', error);
    return undefined;
  }
}

async function clearIndex(session: Session): Promise<void> {
  if (noFolder(session)) return;
  const names = session.folders().map((folder) => folder.name).join(', ');
  const choice = await vscode.window.showWarningMessage(
    `Delete the CodeIntent index of ${names}?`,
    { modal: true, detail: 'Search finds nothing until the workspace is indexed again. Your files are not touched.' },
    'Clear Index',
  );
  if (choice !== 'Clear Index') return;
  try {
    await session.track(session.request('clear', {}));
    void vscode.window
      .showInformationMessage('CodeIntent: the index was deleted. It is rebuilt when you reindex or reopen the workspace.', 'Reindex')
      .then((choice) => choice && reindex(session));
  } catch (error) {
    reportError(session.log, 'clearing the index', error);
  }
}

/**
 * Pauses or resumes automatic indexing for this workspace (the window's settings when no
 * workspace file is open); the settings change does the rest (resuming catches up).
 */
async function setAutoIndex(on: boolean): Promise<void> {
  await vscode.workspace.getConfiguration('codeintent').update('autoIndex', on, vscode.workspace.workspaceFolders ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);
  void vscode.window.setStatusBarMessage(on ? 'CodeIntent: automatic indexing resumed' : 'CodeIntent: automatic indexing paused; Reindex Workspace still runs it', 5_000);
}

/** The status bar item's menu: what a user reaches for from there. */
async function statusMenu(session: Session): Promise<void> {
  const paused = !session.settings.autoIndex;
  const items: Array<vscode.QuickPickItem & { command: string }> = [
    { label: '$(search) Search by Intent', command: 'codeintent.search' },
    { label: '$(refresh) Reindex Workspace', command: 'codeintent.reindex' },
    { label: '$(info) Show Index Status', command: 'codeintent.showIndexStatus' },
    paused ? { label: '$(debug-start) Resume Automatic Indexing', command: 'codeintent.resumeIndexing' } : { label: '$(debug-pause) Pause Automatic Indexing', command: 'codeintent.pauseIndexing' },
    { label: '$(output) Show Log', command: 'codeintent.showLog' },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: 'CodeIntent', placeHolder: paused ? 'Automatic indexing is paused' : 'What to do' });
  if (picked) await vscode.commands.executeCommand(picked.command);
}

/** A search result's quick action (the button on each result). */
function quickAction({ session, proposals }: Services): (hit: Hit, query: string) => void {
  return (hit, query) => void editHit(session, proposals, hit, query);
}

function findSimilar(services: Services): Promise<void> | undefined {
  const { session, revealer } = services;
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.selection.isEmpty) {
    void vscode.window.showInformationMessage('CodeIntent: select some code, then run "Find Code Like This".');
    return undefined;
  }
  const { selection, document } = editor;
  const query = document.getText(selection).replace(/\s+/g, ' ').trim().slice(0, MAX_SELECTION_QUERY);
  const folder = vscode.workspace.getWorkspaceFolder(document.uri);
  const exclude = folder && {
    root: folder.uri.fsPath,
    path: toPosixRelative(folder.uri.fsPath, document.uri.fsPath),
    startLine: selection.start.line + 1,
    endLine: selection.end.line + 1,
  };
  return searchQuickPick(session, revealer, { value: query, title: 'CodeIntent: Find Code Like This', act: quickAction(services), ...(exclude ? { exclude } : {}) });
}

async function setApiKey(session: Session): Promise<void> {
  const key = await vscode.window.showInputBox({
    title: 'CodeIntent: Set API Key',
    prompt: 'The API key of the OpenAI-compatible endpoint in codeintent.llm.baseUrl. It is kept in VS Code\'s secret storage, never in settings. Leave empty to remove it.',
    password: true,
    ignoreFocusOut: true,
  });
  if (key === undefined) return;
  if (key.trim() === '') {
    await session.context.secrets.delete(API_KEY_SECRET);
    void vscode.window.showInformationMessage('CodeIntent: the API key was removed.');
  } else {
    await session.context.secrets.store(API_KEY_SECRET, key.trim());
    void vscode.window.showInformationMessage('CodeIntent: the API key was saved in secret storage.');
  }
}

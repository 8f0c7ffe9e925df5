// The sidebar: a webview view (search box, filters, results grouped by file) that talks to the host
// only through src/shared/view-protocol.ts. Every message from it is validated; it can open only locations
// inside a workspace folder and run only the actions VIEW_ACTIONS lists.

import { editHit, type ProposalDocuments } from './edits.js';
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { isCancellation, reportError } from './log.js';
import { openSettingsOf } from './config.js';
import type { Hit } from '../shared/worker-protocol.js';
import type { Revealer } from './reveal.js';
import type { Session } from './session.js';
import { parseViewMessage, type HostMessage, type ViewAction, type ViewHit, type ViewLocation, type ViewMessage } from '../shared/view-protocol.js';
import { matchedWords, previewOffsets } from '../shared/presentation.js';
import { pathRole } from '../core/rank/paths.js';
import { messageOf } from '../core/errors.js';

/** Lines of a hit's code shown under it. */
const PREVIEW_LINES = 8;

export class SearchView implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewType = 'codeintent.searchView';

  private view: vscode.WebviewView | undefined;
  /** The results last sent to the webview, as searched. */
  private shown: Hit[] = [];
  private search: AbortController | undefined;
  /** The view's current query, searched again when the index changes. */
  private lastSearch: Extract<ViewMessage, { type: 'search' }> | undefined;
  private readonly disposables: vscode.Disposable[];
  private readonly actions: Record<ViewAction, () => unknown>;

  constructor(
    private readonly session: Session,
    private readonly revealer: Revealer,
    private readonly extensionUri: vscode.Uri,
    private readonly proposals: ProposalDocuments,
  ) {
    this.disposables = [
      session.onDidChangeState(() => this.postStatus()),
      session.onDidChangeIndexContent(() => this.refresh()),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.postStatus()),
    ];
    this.actions = {
      reindex: () => vscode.commands.executeCommand('codeintent.reindex'),
      showLog: () => session.log.show(true),
      showStatus: () => vscode.commands.executeCommand('codeintent.showIndexStatus'),
      openFolder: () => vscode.commands.executeCommand('workbench.action.files.openFolder'),
      openSettings: () => openSettingsOf(session.settingsProblem),
    };
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    view.webview.options = {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'media'), vscode.Uri.joinPath(this.extensionUri, 'dist')],
    };
    view.webview.html = this.html(view.webview);
    const listeners = [
      view.webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)),
      view.onDidDispose(() => {
        this.view = undefined;
        this.lastSearch = undefined;
        this.search?.abort();
        vscode.Disposable.from(...listeners).dispose();
      }),
    ];
  }

  dispose(): void {
    this.search?.abort();
    vscode.Disposable.from(...this.disposables).dispose();
  }

  private receive(raw: unknown): void {
    const message = parseViewMessage(raw);
    if (!message) {
      this.session.log.warn(`ignored a malformed message from the sidebar: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    switch (message.type) {
      case 'ready':
        this.postStatus();
        return;
      case 'search':
        void this.runSearch(message);
        return;
      case 'open':
        this.open(message.location, message.beside);
        return;
      case 'run':
        void this.actions[message.action]();
        return;
      case 'act':
        this.act(message.location, message.query);
        return;
    }
  }

  /** The shown results again, from the index as it is now (a hidden view asks again when shown). */
  private refresh(): void {
    if (this.view?.visible && this.lastSearch) void this.runSearch(this.lastSearch);
  }

  private async runSearch(request: Extract<ViewMessage, { type: 'search' }>): Promise<void> {
    const { seq, query, language, folder } = request;
    this.lastSearch = request;
    this.search?.abort();
    const controller = (this.search = new AbortController());
    if (query.trim() === '') {
      this.post({ type: 'results', seq, hits: [] });
      return;
    }
    try {
      const { hits, correction } = await this.session.search(query, { folder, signal: controller.signal, ...(language ? { language } : {}) });
      if (controller.signal.aborted) return;
      this.shown = hits;
      this.post({ type: 'results', seq, hits: hits.map((hit) => this.viewHit(hit)), ...(correction ? { correction: correction.text } : {}) });
    } catch (error) {
      if (controller.signal.aborted || isCancellation(error)) return;
      const message = messageOf(error);
      this.session.log.error(`search failed: ${message}`);
      this.post({ type: 'searchError', seq, message });
    }
  }

  /** A quick action on a shown result: the hit as searched (the webview only has its preview). */
  private act(location: ViewLocation, query: string): void {
    const hit = this.shown.find((h) => h.root === location.root && h.path === location.path && h.startLine === location.startLine && h.endLine === location.endLine);
    if (!hit) {
      this.session.log.warn(`the sidebar asked for a quick action on a result it was not shown: ${location.path}:${location.startLine}`);
      return;
    }
    void editHit(this.session, this.proposals, hit, query);
  }

  private open(location: ViewLocation, beside: boolean): void {
    if (!this.session.folders().some((folder) => folder.uri.fsPath === location.root)) {
      this.session.log.warn(`the sidebar asked to open a file outside the workspace folders: ${location.root}`);
      return;
    }
    this.revealer.open(location, beside ? { beside } : {}).catch((error: unknown) => reportError(this.session.log, 'opening the result', error));
  }

  private viewHit(hit: Hit): ViewHit {
    const { root, path, startLine, endLine, symbol, container, kind, language, score, confidence, close, text, why } = hit;
    const lines = text.split('\n');
    const preview = previewOffsets(hit, PREVIEW_LINES).map((j) => ({ line: startLine + j, text: lines[j] ?? '' }));
    const graded = confidence !== undefined ? { confidence, ...(close !== undefined ? { close } : {}) } : {};
    const role = pathRole(path);
    const demoted = role.test ? 'test' : role.locale ? 'translations' : role.example ? 'example' : undefined;
    return { root, path, startLine, endLine, symbol, container, kind, language, score, ...graded, folder: this.session.folderName(root), preview, matched: matchedWords(why), ...(demoted ? { role: demoted } : {}) };
  }

  private postStatus(): void {
    this.post({ type: 'status', overall: this.session.overall(), multiRoot: this.session.folders().length > 1 });
  }

  private post(message: HostMessage): void {
    void this.view?.webview.postMessage(message);
  }

  private html(webview: vscode.Webview): string {
    const nonce = randomBytes(18).toString('base64');
    const asset = (...parts: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, ...parts)).toString();
    const csp = webview.cspSource;
    return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${csp}; style-src ${csp}; font-src ${csp}; script-src 'nonce-${nonce}';">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link href="${asset('dist', 'codicons', 'codicon.css')}" rel="stylesheet">
  <link href="${asset('media', 'reset.css')}" rel="stylesheet">
  <link href="${asset('media', 'vscode.css')}" rel="stylesheet">
  <link href="${asset('media', 'main.css')}" rel="stylesheet">
  <title>CodeIntent</title>
</head>
<body>
  <div class="search">
    <input id="query" type="search" placeholder="Describe what the code does" aria-label="Search by intent" aria-controls="results" spellcheck="false" autocomplete="off">
  </div>
  <div class="filters">
    <select id="language" aria-label="Only this language"></select>
    <input id="folder" type="text" placeholder="Folder, e.g. src/api" aria-label="Only under this folder" spellcheck="false" autocomplete="off">
  </div>
  <div id="status" class="status" role="status"></div>
  <div id="message" class="message" hidden></div>
  <div id="notice" class="notice" role="status" hidden></div>
  <div id="results" class="results" role="listbox" tabindex="0" aria-label="Results"></div>
  <div id="announce" class="visually-hidden" role="status" aria-live="polite"></div>
  <script nonce="${nonce}" src="${asset('dist', 'webview.js')}"></script>
</body>
</html>`;
  }
}

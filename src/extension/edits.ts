// Quick actions: find code by intent and have an LLM change it the way this codebase would. The
// worker proposes (src/core/edit: search, context, prompt, validation, one retry); here each change
// opens in the diff editor, the user picks what to apply, and applying is one undoable WorkspaceEdit
// that skips any file changed since its proposal. Nothing is written without that confirmation.

import * as vscode from 'vscode';
import { messageOf } from '../core/errors.js';
import type { EditOutcome, EditProposal } from '../core/edit/propose.js';
import { checkPhrases } from '../shared/report.js';
import { reportError } from './log.js';
import { hitItem } from './quickPick.js';
import type { Hit, RequestProgress } from '../shared/worker-protocol.js';
import type { Session } from './session.js';

export const PROPOSAL_SCHEME = 'codeintent-proposal';

/** Each proposal's new text, served read-only to the diff editor. */
/**
 * The proposed texts the review's diff editors show. A text is dropped when its document closes,
 * and at most MAX_KEPT are kept whatever stays open (the oldest go first), so a long session of
 * quick actions does not hold every proposal it ever made.
 */
export class ProposalDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  static readonly MAX_KEPT = 64;
  private readonly texts = new Map<string, string>();
  private next = 0;
  private readonly onClose = vscode.workspace.onDidCloseTextDocument((document) => {
    if (document.uri.scheme === PROPOSAL_SCHEME) this.texts.delete(document.uri.toString());
  });

  add(proposal: EditProposal): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: PROPOSAL_SCHEME, path: `/${proposal.path}`, query: String(this.next++) });
    this.texts.set(uri.toString(), proposal.newText);
    for (const oldest of this.texts.keys()) {
      if (this.texts.size <= ProposalDocuments.MAX_KEPT) break;
      this.texts.delete(oldest);
    }
    return uri;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }

  dispose(): void {
    this.onClose.dispose();
    this.texts.clear();
  }
}

const ACTIONS = [
  { label: '$(output) Add Logging', instruction: 'add-logging' },
  { label: '$(shield) Add Error Handling', instruction: 'add-error-handling' },
  { label: '$(comment-discussion) Explain', instruction: 'explain' },
  { label: '$(edit) Edit with Instruction…', instruction: '' },
] as const;

export interface ApplyResult {
  applied: string[];
  /** Files no longer as they were proposed against (changed or gone): left as they are, and why. */
  skipped: Array<{ path: string; reason: string }>;
}

/** Tokens the quick actions used in this window, for the per-action and per-session meter. */
const sessionTokens = { prompt: 0, completion: 0 };

/** The folder a quick action works in: that of the hits acted on, else the only one, else the user's pick. */
async function chooseRoot(session: Session, hits: readonly Hit[] | undefined): Promise<string | undefined> {
  if (hits?.[0]) return hits[0].root;
  const folders = session.folders();
  const folder = folders.length === 1 ? folders[0] : await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Edit code in which folder?' });
  return folder?.uri.fsPath;
}

/** Proposes edits in `root` for the hits of `query`, or for the given hits (of that folder). */
export async function propose(
  session: Session,
  root: string,
  query: string,
  instruction: string,
  { hits, signal, onProgress }: { hits?: Hit[]; signal?: AbortSignal; onProgress?: (progress: RequestProgress) => void } = {},
): Promise<EditOutcome> {
  const outcome = await session.propose(root, query, instruction, { ...(hits ? { hits } : {}), ...(signal ? { signal } : {}), ...(onProgress ? { onProgress } : {}) });
  sessionTokens.prompt += outcome.usage.promptTokens;
  sessionTokens.completion += outcome.usage.completionTokens;
  return outcome;
}

/** Applies `root`'s proposals as one undoable edit; a file no longer as it was proposed against is skipped. */
export function applyProposals(root: vscode.Uri, proposals: readonly EditProposal[]): Promise<ApplyResult> {
  return replaceDocuments(root, proposals.map((p) => ({ path: p.path, from: p.originalText, to: p.newText })), 'changed since the proposal');
}

/**
 * Puts back the text each proposal was made from, as one more undoable edit, in the documents
 * still holding what was applied; a document edited since (or gone) is left alone, and named.
 */
function revertProposals(root: vscode.Uri, proposals: readonly EditProposal[]): Promise<ApplyResult> {
  return replaceDocuments(root, proposals.map((p) => ({ path: p.path, from: p.newText, to: p.originalText })), 'edited since');
}

/**
 * Replaces each document's whole text `from` with `to`, all in one undoable WorkspaceEdit; a
 * document that is gone, cannot be opened or no longer holds `from` (`changed` says why) is skipped.
 */
async function replaceDocuments(root: vscode.Uri, changes: ReadonlyArray<{ path: string; from: string; to: string }>, changed: string): Promise<ApplyResult> {
  const result: ApplyResult = { applied: [], skipped: [] };
  const edit = new vscode.WorkspaceEdit();
  for (const change of changes) {
    const uri = vscode.Uri.joinPath(root, change.path);
    let document: vscode.TextDocument;
    try {
      document = await vscode.workspace.openTextDocument(uri);
    } catch (error) {
      const gone = !(await vscode.workspace.fs.stat(uri).then(() => true, () => false));
      result.skipped.push({ path: change.path, reason: gone ? 'no longer exists' : `cannot be opened: ${messageOf(error)}` });
      continue;
    }
    if (document.getText() !== change.from) {
      result.skipped.push({ path: change.path, reason: changed });
      continue;
    }
    edit.replace(document.uri, new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length)), change.to);
    result.applied.push(change.path);
  }
  if (result.applied.length > 0 && !(await vscode.workspace.applyEdit(edit))) throw new Error('VS Code refused the edit');
  return result;
}

/** "src/a.ts (changed since the proposal), src/b.ts (no longer exists)". */
function skippedText({ skipped }: ApplyResult): string {
  return skipped.map((s) => `${s.path} (${s.reason})`).join(', ');
}

function lineCounts(diff: string): string {
  const lines = diff.split('\n');
  const added = lines.filter((l) => l.startsWith('+') && !l.startsWith('+++')).length;
  const removed = lines.filter((l) => l.startsWith('-') && !l.startsWith('---')).length;
  return `+${added} −${removed}`;
}

/** The review's line for one proposal: which checks it passed (or what they still find), then the model's explanation. */
function reviewDetail(proposal: EditProposal): string {
  const problems = proposal.checks.some((check) => check.problems.length > 0);
  const checks = checkPhrases(proposal.checks).join(' · ');
  return [checks && `${problems ? '$(warning)' : '$(pass)'} ${checks}`, proposal.explanation].filter(Boolean).join(' — ');
}

/** Opens each change in the diff editor, then lets the user tick what to apply. */
async function review(session: Session, documents: ProposalDocuments, root: vscode.Uri, outcome: EditOutcome, title: string): Promise<void> {
  const usage = `${outcome.usage.promptTokens} prompt + ${outcome.usage.completionTokens} completion tokens (this window: ${sessionTokens.prompt} + ${sessionTokens.completion})`;
  const failures = outcome.failures.map((f) => `${f.path}: ${f.reason}`);
  for (const failure of failures) session.log.warn(`quick action: ${failure}`);
  const changes = outcome.proposals.filter((p) => p.diff !== '');
  const explanations = outcome.proposals.filter((p) => p.diff === '');
  if (explanations.length > 0) {
    session.log.info(explanations.map((p) => `${p.path}: ${p.explanation}`).join('\n'));
    void vscode.window.showInformationMessage(explanations.map((p) => `${p.path}: ${p.explanation}`).join('\n\n'), { modal: true, detail: usage });
  }
  if (changes.length === 0) {
    if (explanations.length === 0) void vscode.window.showWarningMessage(`CodeIntent: no change could be proposed. ${failures.join('; ')} (${usage})`);
    return;
  }
  const shown = new Set<string>();
  for (const proposal of changes) {
    const proposed = documents.add(proposal);
    shown.add(proposed.toString());
    await vscode.commands.executeCommand('vscode.diff', vscode.Uri.joinPath(root, proposal.path), proposed, `${proposal.path} ↔ proposed (${title})`, { preview: false });
  }
  for (const proposal of changes) session.log.info(`quick action: ${proposal.path}: ${checkPhrases(proposal.checks).join('; ') || 'no syntax or type check for this language'}`);
  const items = changes.map((proposal) => ({ label: proposal.path, description: lineCounts(proposal.diff), detail: reviewDetail(proposal), picked: true, proposal }));
  const picked = await vscode.window.showQuickPick(items, {
    canPickMany: true,
    title: `CodeIntent: apply the proposed changes? ${usage}`,
    placeHolder: failures.length > 0 ? `Not proposed: ${failures.join('; ')}` : 'Untick what you do not want; Escape applies nothing',
    ignoreFocusOut: true,
  });
  // Applied or not, the review is over: its diff tabs go.
  await closeReviewTabs(shown);
  if (!picked || picked.length === 0) return;
  const chosen = picked.map((item) => item.proposal);
  const result = await applyProposals(root, chosen);
  const skipped = result.skipped.length > 0 ? ` Not applied: ${skippedText(result)}.` : '';
  if (result.applied.length === 0) {
    void vscode.window.showWarningMessage(`CodeIntent: nothing was applied.${skipped}`);
    return;
  }
  const choice = await vscode.window.showInformationMessage(`CodeIntent: applied to ${result.applied.join(', ')}; nothing is saved yet.${skipped}`, 'Undo');
  if (choice === 'Undo') {
    const undone = await revertProposals(root, chosen.filter((p) => result.applied.includes(p.path)));
    const kept = undone.skipped.length > 0 ? ` Left as they are: ${skippedText(undone)}.` : '';
    void vscode.window.showInformationMessage(`CodeIntent: undone in ${undone.applied.join(', ') || 'no file'}.${kept}`);
  }
}

/** Closes the review's diff tabs (those showing one of `proposed`), wherever the user moved them. */
async function closeReviewTabs(proposed: ReadonlySet<string>): Promise<void> {
  const tabs = vscode.window.tabGroups.all.flatMap((group) => group.tabs).filter((tab) => tab.input instanceof vscode.TabInputTextDiff && proposed.has(tab.input.modified.toString()));
  if (tabs.length > 0) await vscode.window.tabGroups.close(tabs);
}

/** Asks for an action (or an instruction); undefined when the user backs out. */
async function chooseInstruction(title: string): Promise<{ label: string; instruction: string } | undefined> {
  const action = await vscode.window.showQuickPick(ACTIONS, { title, placeHolder: 'What to do with it' });
  if (!action) return undefined;
  const instruction =
    action.instruction || (await vscode.window.showInputBox({ title: 'CodeIntent: Edit with Instruction', prompt: 'How should the code change?', placeHolder: 'log the customer id when the charge fails' }));
  return instruction ? { label: action.label.replace(/^\$\([\w-]+\) /, ''), instruction } : undefined;
}

/** Proposes (cancellable, with progress), then opens the review. */
async function runAction(session: Session, documents: ProposalDocuments, query: string, chosen: { label: string; instruction: string }, hits?: Hit[]): Promise<void> {
  // Chosen once: the review and the apply must use the folder the proposal was made in.
  const root = await chooseRoot(session, hits);
  if (!root) return;
  try {
    const outcome = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `CodeIntent: ${chosen.label} — asking the model`, cancellable: true },
      (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        const onProgress = (report: RequestProgress) => {
          if (report.phase === 'answer') progress.report({ message: `${report.path}: ${report.chars} characters of the answer` });
        };
        return session.track(propose(session, root, query, chosen.instruction, { ...(hits ? { hits } : {}), signal: controller.signal, onProgress }));
      },
    );
    await review(session, documents, vscode.Uri.file(root), outcome, chosen.instruction);
  } catch (error) {
    reportError(session.log, 'proposing the edit', error);
  }
}

/** Results Find and Edit offers to work on. */
const FIND_AND_EDIT_CHOICES = 10;

/**
 * Which of the query's results to work on: a multi-pick, close matches ticked. Only one folder's
 * results can go in one proposal, so the others are left out, saying so.
 */
async function chooseTargets(session: Session, query: string): Promise<Hit[] | undefined> {
  const { hits } = await session.search(query, { top: FIND_AND_EDIT_CHOICES });
  if (hits.length === 0) {
    void vscode.window.showInformationMessage(`CodeIntent: nothing matches "${query}". Describe what the code does in other words, or check that the folder is indexed.`);
    return undefined;
  }
  const items = hits.map((hit) => ({ ...hitItem(session, hit), picked: hit.close === true }));
  const picked = await vscode.window.showQuickPick(items, {
    canPickMany: true,
    title: 'CodeIntent: Find and Edit (2/3): which code?',
    placeHolder: hits.some((hit) => hit.close) ? 'Close matches are ticked; nothing is sent until you choose the action' : 'No close match: tick the results to work on',
    ignoreFocusOut: true,
  });
  if (!picked || picked.length === 0) return undefined;
  const root = picked[0]!.hit.root;
  const inRoot = picked.map((item) => item.hit).filter((hit) => hit.root === root);
  if (inRoot.length < picked.length) void vscode.window.showWarningMessage(`CodeIntent: one folder at a time; working on the results in ${session.folderName(root)}.`);
  return inRoot;
}

/** "CodeIntent: Find and Edit…": a query, the results to work on, an action or instruction, then review and apply. */
export async function findAndEdit(session: Session, documents: ProposalDocuments): Promise<void> {
  const query = await vscode.window.showInputBox({ title: 'CodeIntent: Find and Edit (1/3)', prompt: 'What code? Describe what it does', placeHolder: 'where we initialize Stripe in the React app' });
  if (!query) return;
  let targets: Hit[] | undefined;
  try {
    targets = await chooseTargets(session, query);
  } catch (error) {
    reportError(session.log, 'searching', error);
    return;
  }
  if (!targets) return;
  const chosen = await chooseInstruction('CodeIntent: Find and Edit (3/3)');
  if (chosen) await runAction(session, documents, query, chosen, targets);
}

/** A quick action on one search result. */
export async function editHit(session: Session, documents: ProposalDocuments, hit: Hit, query: string): Promise<void> {
  const chosen = await chooseInstruction(`CodeIntent: ${hit.symbol || hit.path}`);
  if (chosen) await runAction(session, documents, query, chosen, [hit]);
}

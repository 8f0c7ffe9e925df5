// Whether a quick action may put a folder's .codeintent/guidelines.md into its prompt. The file is
// instructions to the model written by whoever wrote the workspace: in a trusted workspace they are
// the team's conventions; in Restricted Mode they could be anyone's, so the user is asked first —
// once per folder and window (a new window, or trusting the workspace, ends the answer).

import * as vscode from 'vscode';
import { GUIDELINES_FILE } from '../core/edit/context.js';

const CHOICES = [
  // Leaving them out comes first: Enter without reading is the safe answer.
  { label: 'Leave them out', detail: 'The prompt gets the code and its context, not these instructions.', use: false },
  { label: 'Use them', detail: `Send ${GUIDELINES_FILE} to the model with the code, as in a trusted workspace.`, use: true },
];

export class GuidelinesConsent {
  /** Each folder's answer, for this window. */
  private readonly answers = new Map<string, boolean>();

  async allows(root: string): Promise<boolean> {
    if (vscode.workspace.isTrusted) return true;
    const known = this.answers.get(root);
    if (known !== undefined) return known;
    if (!(await exists(vscode.Uri.joinPath(vscode.Uri.file(root), GUIDELINES_FILE)))) return false;
    const choice = await vscode.window.showQuickPick(CHOICES, {
      title: `CodeIntent: use this workspace's guidelines? (${GUIDELINES_FILE})`,
      placeHolder: 'The workspace is in Restricted Mode: its guidelines tell the model what to write',
      ignoreFocusOut: true,
    });
    // Escape decides nothing: left out this time, asked again next time.
    if (choice) this.answers.set(root, choice.use);
    return choice?.use ?? false;
  }
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

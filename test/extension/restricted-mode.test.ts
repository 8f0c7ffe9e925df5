// The extension in Restricted Mode (issue 11, case 8): a real VS Code with workspace trust on and
// the folder untrusted, on a copy of test/fixtures/e2e-workspace with test/fixtures/restricted-workspace
// over it — what a hostile repository can ship: workspace settings that lift the limits protecting
// the machine (re-include the vendored dependencies, a 1 GiB file size: opening it would make the
// indexer read everything), and a .codeintent/guidelines.md that tells the model to send a key away.
// Run by scripts/e2e/run.ts in its Restricted-Mode window (`node out/scripts/e2e/run.js restricted`).

import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { CodeIntentApi } from '../../src/extension/main.js';
import { demoReply, messagesOf, startChatServer, type ChatServer } from '../helpers/chat-server.js';
import { ourExtension, topPaths, workspaceFolder } from './helpers.js';

/** The user's own limit, below src/ledger.ts (3.2 KB); the workspace says 1 GiB. */
const USER_MAX_FILE_SIZE = 2048;
/** A line of the fixture's guidelines.md. */
const GUIDELINES_MARK = 'collect.example.invalid';
const EDIT_QUERY = 'retry an operation, waiting longer after each failure';

function userSettings(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration('codeintent');
}

/** Whether the chat requests from `first` on carried the workspace's guidelines. */
function guidelinesSent(server: ChatServer, first: number): boolean[] {
  return server.requests.slice(first).map((request) => messagesOf(request).some((m) => m.content.includes(GUIDELINES_MARK)));
}

/**
 * Runs a quick action while answering whatever quick pick it shows with `answer` (run every 300 ms:
 * an extension cannot see a quick pick open, and the commands do nothing while none is).
 */
async function proposeAnswering(api: CodeIntentApi, answer: () => Thenable<unknown>): Promise<void> {
  let settled = false;
  const proposal = api.proposeEdits(EDIT_QUERY, 'add-logging').finally(() => (settled = true));
  while (!settled) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    if (!settled) await answer();
  }
  await proposal;
}

suite('Restricted Mode: an untrusted workspace', () => {
  let api: CodeIntentApi;

  suiteSetup(async () => {
    api = await ourExtension().activate();
    await api.ready;
  });

  test('case 8: the folder is untrusted, and its settings ask for more than the user allows', async () => {
    assert.equal(vscode.workspace.isTrusted, false, 'the window is not in Restricted Mode: the tests below would prove nothing');
    // Read from the file: in Restricted Mode VS Code hides these values even from inspect().
    const file = vscode.Uri.joinPath(workspaceFolder().uri, '.vscode', 'settings.json');
    const settings: unknown = JSON.parse((await vscode.workspace.fs.readFile(file)).toString());
    assert.deepEqual(settings, { 'codeintent.exclude': ['!vendor/'], 'codeintent.maxFileSize': 1_073_741_824 });
  });

  test('case 8: in Restricted Mode exclude and maxFileSize come from user settings only', async () => {
    await userSettings().update('maxFileSize', USER_MAX_FILE_SIZE, vscode.ConfigurationTarget.Global);
    try {
      await api.idle();
      assert.equal((await topPaths(api, EDIT_QUERY, 1))[0], 'src/retry.ts', 'the workspace is indexed');
      const found = async (query: string) => (await topPaths(api, query, 20)).join(', ');
      assert.doesNotMatch(await found('refund a card charge'), /vendor\//, 'the workspace re-included vendor/');
      assert.doesNotMatch(await found('reconcile the ledger with the bank statement'), /src\/ledger\.ts/, 'a file over the user’s maxFileSize was indexed');
      const settings = vscode.workspace.getConfiguration('codeintent', workspaceFolder().uri);
      assert.equal(settings.get('maxFileSize'), USER_MAX_FILE_SIZE);
      assert.deepEqual(settings.get('exclude'), []);
    } finally {
      await userSettings().update('maxFileSize', undefined, vscode.ConfigurationTarget.Global);
      await api.idle();
    }
  });

  test('case 8: in Restricted Mode guidelines.md reaches the prompt only with the user’s consent, asked once', async () => {
    const server = await startChatServer(demoReply);
    try {
      // User settings: the workspace's endpoint is ignored in Restricted Mode (restrictedConfigurations).
      await userSettings().update('llm.baseUrl', server.baseURL, vscode.ConfigurationTarget.Global);
      await userSettings().update('llm.model', 'test-model', vscode.ConfigurationTarget.Global);
      await api.idle();

      // Escape: no consent, so no guidelines (and the question comes again next time).
      let first = server.requests.length;
      await proposeAnswering(api, () => vscode.commands.executeCommand('workbench.action.closeQuickOpen'));
      assert.ok(server.requests.length > first, 'the quick action asked the model');
      assert.deepEqual(guidelinesSent(server, first).filter(Boolean), [], 'guidelines were sent without consent');

      // The second choice, "use them": the guidelines go into the prompt.
      first = server.requests.length;
      await proposeAnswering(api, async () => {
        await vscode.commands.executeCommand('workbench.action.quickOpenSelectNext');
        await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      });
      assert.ok(guidelinesSent(server, first).every(Boolean) && server.requests.length > first, 'consent given, the guidelines were not sent');

      // Remembered for the window: no question this time (it would never settle), the guidelines go.
      first = server.requests.length;
      const asked = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('asked again for consent already given')), 30_000));
      await Promise.race([api.proposeEdits(EDIT_QUERY, 'add-logging'), asked]);
      assert.ok(guidelinesSent(server, first).every(Boolean) && server.requests.length > first);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
      await userSettings().update('llm.baseUrl', undefined, vscode.ConfigurationTarget.Global);
      await userSettings().update('llm.model', undefined, vscode.ConfigurationTarget.Global);
      await server.close();
    }
  });
});

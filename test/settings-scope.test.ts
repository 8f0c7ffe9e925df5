// "Open Settings" after a settings error (src/extension/settings-scope.ts): which tab of the
// settings editor it opens for each setting package.json contributes, in a local and a remote window.
// The remote case runs for real in test/e2e/ui.test.ts (code-server is a remote window).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { PACKAGE_ROOT } from '../src/core/models.js';
import { contributedScope, settingsEditorCommand } from '../src/extension/settings-scope.js';

const manifest = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, { scope?: string }> } };
  capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } };
};
const settings = Object.keys(manifest.contributes.configuration.properties);

/** The command "Open Settings" runs for `setting` of our package.json. */
function commandFor(setting: string, remote: boolean): string {
  return settingsEditorCommand(setting, contributedScope(manifest, setting), remote).command;
}

describe('Open Settings for a setting that is wrong', () => {
  test("in a remote window, a machine setting opens the Remote tab: the User tab's value would not apply there", () => {
    for (const setting of ['codeintent.indexLocation', 'codeintent.model', 'codeintent.llm.baseUrl', 'codeintent.llm.model', 'codeintent.llm.embeddingModel']) {
      assert.equal(commandFor(setting, true), 'workbench.action.openRemoteSettings', setting);
    }
  });

  test('in a local window every setting opens the User tab, where each of them takes effect', () => {
    for (const setting of settings) assert.equal(commandFor(setting, false), 'workbench.action.openSettings', setting);
  });

  test('the settings Restricted Mode takes from user settings only open the User tab, unless the Remote tab is the only one that applies', () => {
    for (const setting of manifest.capabilities.untrustedWorkspaces.restrictedConfigurations) {
      const scope = contributedScope(manifest, setting);
      assert.ok(scope, `${setting} is restricted but not contributed`);
      const expected = scope.startsWith('machine') ? 'workbench.action.openRemoteSettings' : 'workbench.action.openSettings';
      assert.equal(commandFor(setting, true), expected, setting);
    }
    // The limits that protect the machine are among them, and open the User tab even in a remote window.
    assert.equal(commandFor('codeintent.maxFileSize', true), 'workbench.action.openSettings');
    assert.equal(commandFor('codeintent.exclude', true), 'workbench.action.openSettings');
  });

  test('the editor searches for the setting itself, or all our settings when none is to blame', () => {
    assert.deepEqual(settingsEditorCommand('codeintent.llm.baseUrl', 'machine-overridable', true).args, { query: 'codeintent.llm.baseUrl' });
    assert.deepEqual(settingsEditorCommand(undefined, undefined, true), { command: 'workbench.action.openSettings', args: { query: '@ext:codeintent.codeintent' } });
  });

  test('the scope is read as VS Code reads it: from one section or a list of them, "window" when none is named, the User tab for an application setting', () => {
    const sections = { contributes: { configuration: [{ properties: { 'x.a': { scope: 'application' } } }, { properties: { 'x.b': {} } }] } };
    assert.equal(contributedScope(sections, 'x.a'), 'application');
    assert.equal(contributedScope(sections, 'x.b'), 'window');
    assert.equal(contributedScope(sections, 'x.c'), undefined);
    assert.equal(settingsEditorCommand('x.a', 'application', true).command, 'workbench.action.openGlobalSettings');
    assert.equal(settingsEditorCommand('x.a', 'application', false).command, 'workbench.action.openGlobalSettings');
  });
});

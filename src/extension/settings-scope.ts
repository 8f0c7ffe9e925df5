// Where "Open Settings" takes the user for a setting that is wrong: the settings editor's tab in
// which a value of that setting takes effect, chosen from the scope package.json gives it (read from
// the extension's manifest at run time, so the choice cannot drift from what is contributed).

/** The extension's id (`publisher.name` in package.json). */
export const EXTENSION_ID = 'codeintent.codeintent';

/** The settings editor on one tab, with `query` in its search box. */
export interface SettingsEditorCommand {
  command: 'workbench.action.openSettings' | 'workbench.action.openGlobalSettings' | 'workbench.action.openRemoteSettings';
  /** The commands take their query in an object: a plain string is dropped by all but openSettings. */
  args: { query: string };
}

/** The scope a manifest gives `setting` ('window', VS Code's default, when it names none); undefined when it contributes no such setting. */
export function contributedScope(manifest: unknown, setting: string): string | undefined {
  const configuration = (manifest as { contributes?: { configuration?: unknown } } | undefined)?.contributes?.configuration;
  // `contributes.configuration` is one section or a list of them.
  const sections = (Array.isArray(configuration) ? configuration : [configuration]) as Array<{ properties?: Record<string, { scope?: unknown }> } | undefined>;
  for (const section of sections) {
    const property = section?.properties?.[setting];
    if (property) return typeof property.scope === 'string' ? property.scope : 'window';
  }
  return undefined;
}

/**
 * The command that opens the tab where `setting` (of `scope`) can be set, searching for it; a
 * search for all our settings when no one setting is to blame. In a remote window (`remote`) a
 * machine(-overridable) setting takes effect only from the Remote tab (the User tab's value is the
 * local machine's); an application setting only from the User tab. Anything else: the plain
 * command, which opens the User tab — where the settings Restricted Mode takes from user settings
 * only (package.json's restrictedConfigurations) must go, and where any other setting can go.
 */
export function settingsEditorCommand(setting: string | undefined, scope: string | undefined, remote: boolean): SettingsEditorCommand {
  const args = { query: setting ?? `@ext:${EXTENSION_ID}` };
  if (scope === 'application') return { command: 'workbench.action.openGlobalSettings', args };
  if (remote && (scope === 'machine' || scope === 'machine-overridable')) return { command: 'workbench.action.openRemoteSettings', args };
  return { command: 'workbench.action.openSettings', args };
}

// The extension as a user gets it: the VSIX installed into code-server (without the test driver,
// so notifications show), driven from the command palette in headless Chromium. Screenshots of
// each theme go to .cache/screenshots/. Run by scripts/e2e/run.ts, after the VSIX is built.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { folderUrl, launchChromium, openWorkbench, runFromPalette } from '../../scripts/e2e/browser.js';
import { installVsix, startCodeServer, writeUserSettings, type CodeServer } from '../../scripts/e2e/code-server.js';
import { FIXTURE_WORKSPACE, SCREENSHOTS_DIR } from '../../scripts/e2e/layout.js';
import { vsixPath } from '../../scripts/package.js';

/** Theme name → the class the workbench then carries. */
const THEMES = [
  { name: 'light', colorTheme: 'Default Light Modern', workbenchClass: 'vs' },
  { name: 'dark', colorTheme: 'Default Dark Modern', workbenchClass: 'vs-dark' },
] as const;

let dir = '';
let server: CodeServer | undefined;
let browser: Browser | undefined;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'codeintent-ui-'));
  await installVsix(await vsixPath(), dir);
  server = await startCodeServer({ dir, smokeTestDriver: false, env: { CODEINTENT_CACHE_DIR: path.join(dir, 'cache') } });
  browser = await launchChromium(path.join(dir, 'browser'));
  await mkdir(SCREENSHOTS_DIR, { recursive: true });
}, { timeout: 180_000 });

after(async () => {
  await browser?.close();
  server?.stop();
  await rm(dir, { recursive: true, force: true });
});

for (const theme of THEMES) {
  test(`"CodeIntent: Show Index Status" from the palette tells the index state (${theme.name} theme)`, { timeout: 120_000 }, async () => {
    assert.ok(server && browser);
    // Read when the page loads: each page starts in its theme.
    await writeUserSettings(dir, { 'workbench.colorTheme': theme.colorTheme });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await openWorkbench(page, folderUrl(server.url, FIXTURE_WORKSPACE));
      await page.locator(`.monaco-workbench.${theme.workbenchClass}`).waitFor({ timeout: 30_000 });
      await page.locator('.explorer-folders-view').getByText('src', { exact: true }).waitFor({ timeout: 30_000 });

      await runFromPalette(page, 'CodeIntent: Show Index Status');

      // The toast, once faded in (the screenshot would catch it half transparent otherwise).
      const toast = page.locator('.notification-fade-in-done', { hasText: 'CodeIntent: e2e-workspace is not indexed yet.' });
      await toast.waitFor({ state: 'visible', timeout: 30_000 });
      await page.screenshot({ path: path.join(SCREENSHOTS_DIR, `palette-status-${theme.name}.png`) });
    } catch (error) {
      await page.screenshot({ path: path.join(SCREENSHOTS_DIR, `palette-status-${theme.name}-failed.png`) });
      throw error;
    } finally {
      await page.close();
    }
  });
}

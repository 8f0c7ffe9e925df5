// Debian's Chromium driven by playwright-core (never `playwright install`: it downloads a browser).

import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM, privateXdgEnv } from './layout.js';

/** No sandbox (root in a container), no GPU, and nothing that would reach the network. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Chromium with its own folders under `dir`. */
export async function launchChromium(dir: string): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run  node out/scripts/e2e/install.js  (it installs Debian's chromium)`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, env: { ...process.env, ...privateXdgEnv(dir) }, timeout: 60_000 });
}

/** Loads the workbench at `url` and waits until it is on screen. */
export async function openWorkbench(page: Page, url: string): Promise<void> {
  await page.goto(url, { timeout: 60_000 });
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
}

/** The workbench URL that opens `folder` (an absolute path on the server's machine). */
export function folderUrl(serverUrl: string, folder: string, query: Record<string, string> = {}): string {
  return `${serverUrl}/?${new URLSearchParams({ folder, ...query }).toString()}`;
}

/**
 * Runs a command from the palette by its title (F1, the title, Enter). The palette lists the
 * commands registered when it opens, and an extension's arrive a few seconds after the workbench
 * shows: until the command is listed, the palette is closed and opened again.
 */
export async function runFromPalette(page: Page, title: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`>${title}`);
    try {
      await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 3_000 });
      await input.press('Enter');
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await input.press('Escape');
    }
  }
}

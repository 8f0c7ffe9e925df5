// node out/scripts/render-icon.js — renders media/icon-marketplace.svg to media/icon.png (128×128,
// transparent corners), the icon the marketplace and the Extensions view show. The marketplace
// takes no SVG; the project's headless Chromium (node out/scripts/e2e/install.js) draws it.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../src/core/models.js';
import { launchChromium } from './e2e/browser.js';

const SIZE = 128;

async function main(): Promise<void> {
  const svg = await readFile(path.join(PACKAGE_ROOT, 'media', 'icon-marketplace.svg'), 'utf8');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'codeintent-icon-'));
  const browser = await launchChromium(dir);
  try {
    const page = await browser.newPage({ viewport: { width: SIZE, height: SIZE } });
    await page.setContent(`<html><body style="margin:0;background:transparent">${svg.replace(/width="\d+" height="\d+"/, `width="${SIZE}" height="${SIZE}"`)}</body></html>`);
    await page.screenshot({ path: path.join(PACKAGE_ROOT, 'media', 'icon.png'), omitBackground: true, clip: { x: 0, y: 0, width: SIZE, height: SIZE } });
  } finally {
    await browser.close();
    await rm(dir, { recursive: true, force: true });
  }
  console.log(`media/icon.png: ${SIZE}×${SIZE}`);
}

await main();

// The extension as a user gets it: the VSIX installed into code-server (without the test driver,
// so notifications and dialogs show), driven like a user in headless Chromium — the sidebar, the
// command palette's search, the index status. Screenshots of each theme go to .cache/screenshots/.
// Run by scripts/e2e/run.ts, after the VSIX is built.

import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { folderUrl, launchChromium, openWorkbench, runFromPalette } from '../../scripts/e2e/browser.js';
import { installVsix, startCodeServer, writeUserSettings, type CodeServer } from '../../scripts/e2e/code-server.js';
import { FIXTURE_WORKSPACE, SCREENSHOTS_DIR } from '../../scripts/e2e/layout.js';
import { vsixPath } from '../../scripts/package.js';
import { hostPlatform } from '../../scripts/platforms.js';
import { demoReply, startChatServer, type ChatServer } from '../helpers/chat-server.js';
import { writeTree } from '../helpers/fs.js';

/** Theme name → the class the workbench then carries. */
const THEMES = [
  { name: 'light', colorTheme: 'Default Light Modern', workbenchClass: 'vs' },
  { name: 'dark', colorTheme: 'Default Dark Modern', workbenchClass: 'vs-dark' },
  { name: 'high-contrast', colorTheme: 'Default High Contrast', workbenchClass: 'hc-black' },
] as const;

const QUERY = 'retry an operation, waiting longer after each failure';
/** Where the answer is: src/retry.ts, `retryWithBackoff`, on line 2. */
const ANSWER = { file: 'retry.ts', symbol: 'retryWithBackoff', line: 2 };

/** A function the fixture lacks, added while its query's results are shown. */
const TEMPERATURE = {
  query: 'convert a temperature from celsius to fahrenheit',
  symbol: 'celsiusToFahrenheit',
  file: 'src/temperature.ts',
  text: 'export function celsiusToFahrenheit(celsius: number): number {\n  return (celsius * 9) / 5 + 32;\n}\n',
};

let dir = '';
let server: CodeServer | undefined;
let browser: Browser | undefined;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'codeintent-ui-'));
  await installVsix(await vsixPath(hostPlatform()), dir);
  server = await startCodeServer({ dir, smokeTestDriver: false, env: { CODEINTENT_CACHE_DIR: path.join(dir, 'cache') } });
  browser = await launchChromium(path.join(dir, 'browser'));
  await mkdir(SCREENSHOTS_DIR, { recursive: true });
}, { timeout: 180_000 });

after(async () => {
  await browser?.close();
  server?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A page with the fixture workspace open in `theme`, for the duration of `work`; a screenshot when it fails. */
async function withWorkbench(theme: (typeof THEMES)[number], name: string, work: (page: Page) => Promise<void>, folder = FIXTURE_WORKSPACE, height = 800): Promise<void> {
  assert.ok(server && browser);
  // Read when the page loads: each page starts in its theme.
  await writeUserSettings(dir, { 'workbench.colorTheme': theme.colorTheme });
  const page = await browser.newPage({ viewport: { width: 1280, height } });
  try {
    await openWorkbench(page, folderUrl(server.url, folder));
    await page.locator(`.monaco-workbench.${theme.workbenchClass}`).waitFor({ timeout: 30_000 });
    await page.locator('.explorer-folders-view').getByText('src', { exact: true }).waitFor({ timeout: 30_000 });
    await work(page);
  } catch (error) {
    await page.screenshot({ path: path.join(SCREENSHOTS_DIR, `${name}-${theme.name}-failed.png`) });
    throw error;
  } finally {
    await page.close();
  }
}

/** A copy of the fixture workspace with `files` added, for a test that changes its files or settings. */
async function copyOfFixture(name: string, files: Record<string, string> = {}): Promise<string> {
  const folder = path.join(dir, name);
  await cp(FIXTURE_WORKSPACE, folder, { recursive: true });
  await writeTree(folder, files);
  return folder;
}

/**
 * A copy of the fixture whose settings point quick actions at the OpenAI-protocol test server
 * (answering with a logging edit), for `work`; the server is stopped after it.
 */
async function withChatWorkspace(name: string, work: (folder: string, llm: ChatServer) => Promise<void>): Promise<void> {
  const llm = await startChatServer(demoReply);
  const folder = await copyOfFixture(name, { '.vscode/settings.json': JSON.stringify({ 'codeintent.llm.baseUrl': llm.baseURL, 'codeintent.llm.model': 'test-model' }) });
  try {
    await work(folder, llm);
  } finally {
    await llm.close();
  }
}

/** Opens the CodeIntent sidebar; its page (inside the webview's frames). */
async function openSidebar(page: Page): Promise<FrameLocator> {
  await page.locator('.activitybar .action-item a[aria-label^="CodeIntent"]').click();
  return page.frameLocator('iframe.webview').frameLocator('#active-frame');
}

/** In the sidebar: search QUERY, then the ✨ button on ANSWER's row, then "Add Logging" in the quick pick. */
async function addLoggingToTheAnswer(page: Page): Promise<void> {
  const view = await openSidebar(page);
  await view.locator('#query').fill(QUERY);
  const hit = view.locator('.hit').filter({ has: view.locator('.name', { hasText: ANSWER.symbol }) }).first();
  await hit.waitFor({ timeout: 90_000 });
  await hit.hover();
  await hit.locator('button.act').click();
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Add Logging' }).first().click();
}

/** The editor shows the answer's file with the cursor on its line. */
async function expectAnswerOpen(page: Page): Promise<void> {
  await page.locator('.tabs-container .tab.active', { hasText: ANSWER.file }).waitFor({ timeout: 30_000 });
  await page.locator('.statusbar-item', { hasText: new RegExp(`Ln ${ANSWER.line},`) }).waitFor({ timeout: 10_000 });
}

/** Returns once the first index of the window's folder is done: results no longer change under a test that walks them. */
async function untilIndexed(page: Page): Promise<void> {
  await page.locator('.statusbar-item', { hasText: /CodeIntent: ready \d+ chunks/ }).waitFor({ timeout: 90_000 });
}

/**
 * Returns once a file saved in `folder` reaches the index. The window's file watcher starts after
 * the window does, so a change made in its first seconds can go unseen: a probe file is written
 * (again) until the status bar counts its chunk.
 */
async function untilFileChangesAreIndexed(page: Page, folder: string): Promise<void> {
  const chunks = page.locator('.statusbar-item', { hasText: /CodeIntent: ready \d+ chunks/ });
  await chunks.waitFor({ timeout: 90_000 });
  const before = Number(/ready (\d+) chunks/.exec((await chunks.textContent()) ?? '')?.[1]);
  const probe = path.join(folder, 'src', 'probe.ts');
  for (let attempt = 1; ; attempt++) {
    await writeFile(probe, `export function probe${attempt}(): number {\n  return ${attempt};\n}\n`);
    try {
      await page.locator('.statusbar-item', { hasText: `CodeIntent: ready ${before + 1} chunks` }).waitFor({ timeout: 5_000 });
      return;
    } catch (error) {
      if (attempt === 12) throw error;
    }
  }
}

for (const theme of THEMES) {
  test(`the sidebar finds the function by intent and Enter opens it at its line (${theme.name} theme)`, { timeout: 180_000 }, async () => {
    await withWorkbench(theme, 'sidebar', async (page) => {
      const view = await openSidebar(page);
      const query = view.locator('#query');
      await query.waitFor({ timeout: 30_000 });
      await query.fill(QUERY);
      // The first index runs in the background after start-up: the first hit appears once it is done.
      await view.locator('.hit .name').first().filter({ hasText: ANSWER.symbol }).waitFor({ timeout: 90_000 });
      await page.screenshot({ path: path.join(SCREENSHOTS_DIR, `sidebar-${theme.name}.png`) });
      await query.press('Enter');
      await expectAnswerOpen(page);
    });
  });
}

test("the sidebar's results follow the index: a function added while its query is shown appears without retyping", { timeout: 180_000 }, async () => {
  const folder = await copyOfFixture('live-workspace');
  await withWorkbench(
    THEMES[1],
    'live-results',
    async (page) => {
      const view = await openSidebar(page);
      await view.locator('#query').fill(TEMPERATURE.query);
      const first = view.locator('.hit .name').first();
      await first.waitFor({ timeout: 90_000 });
      assert.notEqual(await first.textContent(), TEMPERATURE.symbol);
      await writeFile(path.join(folder, TEMPERATURE.file), TEMPERATURE.text);
      // The file watcher may not be listening yet in a window this new (it starts after the window
      // does); a re-index certainly sees the file. Either way the shown results must follow.
      await runFromPalette(page, 'CodeIntent: Reindex Workspace');
      await first.filter({ hasText: TEMPERATURE.symbol }).waitFor({ timeout: 60_000 });
    },
    folder,
  );
});

/** The sample query with a slip in its last word, which the index's own vocabulary corrects. */
const MISSPELLED = QUERY.replace('failure', 'failrue');

test('the sidebar says when nothing matches closely, offers "did you mean", and marks the words that matched', { timeout: 180_000 }, async () => {
  await withWorkbench(THEMES[0], 'sidebar-why', async (page) => {
    const view = await openSidebar(page);
    const query = view.locator('#query');
    await query.waitFor({ timeout: 30_000 });
    // Nothing in the fixture does this: the nearest results come under a plain "no close match".
    await query.fill('zzqx vorpal frumious');
    await view.locator('.hit').first().waitFor({ timeout: 90_000 });
    await view.locator('#notice .unsure', { hasText: 'No close match' }).waitFor({ timeout: 10_000 });
    assert.match((await view.locator('.hit .score').first().getAttribute('class')) ?? '', /\bfar\b/, 'its badge does not look confident');

    await query.fill(MISSPELLED);
    const fix = view.locator('#notice a.correction');
    await fix.filter({ hasText: QUERY }).waitFor({ timeout: 30_000 });
    await view.locator('.hit .name').first().filter({ hasText: ANSWER.symbol }).waitFor({ timeout: 10_000 });
    assert.equal(await view.locator('#notice .unsure').count(), 0, 'the answer is a close match');
    assert.match((await view.locator('.hit .score').first().textContent()) ?? '', /^\d+%$/, 'a calibrated confidence, in percent');
    const marked = await view.locator('.hit').first().locator('.preview mark').allTextContents();
    assert.ok(marked.some((text) => text.toLowerCase() === 'retry'), `marked: ${marked.join(', ')}`);
    await page.screenshot({ path: path.join(SCREENSHOTS_DIR, 'sidebar-why-light.png') });

    await fix.click();
    assert.equal(await query.inputValue(), QUERY, '"did you mean" searches the corrected query');
    await view.locator('#notice').waitFor({ state: 'hidden', timeout: 30_000 });
  });
});

/** Three small definitions per file in four files: enough results to scroll, from several files. */
const MANY_FILES: Record<string, string> = Object.fromEntries(
  ['orders', 'invoices', 'shipping', 'accounts'].map((topic) => [
    `src/${topic}.ts`,
    [`load`, `save`, `notify`]
      .map((verb) => `export function ${verb}${topic[0]!.toUpperCase()}${topic.slice(1)}(id: string): string {\n  return \`${verb} ${topic} \${id}\`;\n}\n`)
      .join('\n'),
  ]),
);

/** The position, in the order shown, of the selected row. */
function activeRow(view: FrameLocator): Promise<number> {
  return view.locator('.hit').evaluateAll((rows) => rows.findIndex((row) => row.classList.contains('active')));
}

test("the sidebar's keyboard follows the rows as shown; at least 8 results fit in an 850-px window; Ctrl+Enter opens to the side", { timeout: 180_000 }, async () => {
  const folder = await copyOfFixture('many-files-workspace', MANY_FILES);
  await withWorkbench(
    THEMES[0],
    'sidebar-keyboard',
    async (page) => {
      const view = await openSidebar(page);
      const query = view.locator('#query');
      await query.waitFor({ timeout: 30_000 });
      await untilIndexed(page);
      await query.fill('save the order for an id');
      await view.locator('.hit').nth(9).waitFor({ timeout: 90_000 });
      await page.screenshot({ path: path.join(SCREENSHOTS_DIR, 'sidebar-keyboard-light.png') });

      // Density: rows wholly inside the list's visible box.
      const box = await view.locator('#results').boundingBox();
      assert.ok(box);
      const rows = await view.locator('.hit').evaluateAll((nodes) => nodes.map((node) => node.getBoundingClientRect()).map((r) => ({ top: r.top, bottom: r.bottom })));
      const listTop = rows[0]!.top;
      const fitting = rows.filter((r) => r.bottom - listTop <= box.height).length;
      assert.ok(fitting >= 8, `only ${fitting} results fit in the ${Math.round(box.height)}-px list`);

      // ↓ from the search box walks the rows in the order they are shown, file groups included.
      assert.equal(await activeRow(view), 0);
      for (let i = 1; i <= 4; i++) {
        await query.press('ArrowDown');
        assert.equal(await activeRow(view), i, `after ${i} × ↓`);
      }
      await query.press('Escape');
      assert.equal(await query.inputValue(), 'save the order for an id', 'Escape leaves the query alone');
      await view.locator('#results').focus();
      await page.keyboard.press('End');
      assert.equal(await activeRow(view), rows.length - 1);
      assert.ok(await query.isVisible(), 'the search box stays in view');
      await page.keyboard.press('Home');
      assert.equal(await activeRow(view), 0);
      await page.keyboard.press('PageDown');
      assert.ok((await activeRow(view)) > 1, 'PageDown moves a page');
      assert.match((await view.locator('.hit.active').getAttribute('aria-label')) ?? '', /, (function|method|class|interface), src\/.+ line \d+/);

      await page.keyboard.press('Home');
      await page.keyboard.press('Control+Enter');
      await page.locator('.editor-group-container').nth(1).waitFor({ timeout: 30_000 });
    },
    folder,
    850,
  );
});

/** One file with six ways to refund an order, and the tests of one of them. */
const ONE_BUSY_FILE: Record<string, string> = {
  'src/refunds.ts': ['Card', 'Wallet', 'Voucher', 'BankTransfer', 'GiftCard', 'StoreCredit']
    .map((via) => `export function refundOrderTo${via}(orderId: string): string {\n  return \`refund order \${orderId} to ${via}\`;\n}\n`)
    .join('\n'),
  'src/refunds.test.ts': "import { refundOrderToCard } from './refunds';\n\nexport function testRefundOrderToCard(): boolean {\n  return refundOrderToCard('o1') === 'refund order o1 to Card';\n}\n",
};

test('one file shows at most 3 results until its "n more" row is opened; a test file is marked as one', { timeout: 180_000 }, async () => {
  const folder = await copyOfFixture('busy-file-workspace', ONE_BUSY_FILE);
  await withWorkbench(
    THEMES[1],
    'busy-file',
    async (page) => {
      const view = await openSidebar(page);
      const query = view.locator('#query');
      await query.waitFor({ timeout: 30_000 });
      await untilIndexed(page);
      await query.fill('refund an order');
      const group = view.locator('.group', { has: view.locator('.file .path', { hasText: /^src\/refunds\.ts$/ }) });
      const more = group.locator('.hit.more', { hasText: '3 more in this file' });
      await more.waitFor({ timeout: 90_000 });
      assert.equal(await group.locator('.hit:not(.more)').count(), 3, 'three results of the file before its "more" row');
      const tests = view.locator('.group', { has: view.locator('.file .path', { hasText: 'src/refunds.test.ts' }) });
      await tests.locator('.file .role', { hasText: 'test' }).waitFor({ timeout: 10_000 });
      await page.screenshot({ path: path.join(SCREENSHOTS_DIR, 'busy-file-dark.png') });

      // The "more" row is a row like the others: ↓ reaches it, Enter opens it, and the selection stays there.
      const rows = await view.locator('.hit').evaluateAll((nodes) => nodes.map((node) => node.classList.contains('more')));
      for (let i = 0; i < rows.indexOf(true); i++) await query.press('ArrowDown');
      assert.equal(await view.locator('.hit.active').getAttribute('aria-label'), '3 more results in src/refunds.ts');
      await query.press('Enter');
      await more.waitFor({ state: 'detached', timeout: 10_000 });
      assert.equal(await group.locator('.hit').count(), 6, 'all six results of the file');
      assert.match((await view.locator('.hit.active').getAttribute('aria-label')) ?? '', /src\/refunds\.ts line/, 'the selection is on the first result it showed');
    },
    folder,
  );
});

test('Clear Index asks first, then empties the sidebar\'s list; the status bar opens a menu; the walkthrough is listed', { timeout: 180_000 }, async () => {
  const folder = await copyOfFixture('clear-workspace');
  await withWorkbench(
    THEMES[0],
    'clear-index',
    async (page) => {
      const view = await openSidebar(page);
      const query = view.locator('#query');
      await query.waitFor({ timeout: 30_000 });
      await query.fill(QUERY);
      await view.locator('.hit .name').first().filter({ hasText: ANSWER.symbol }).waitFor({ timeout: 90_000 });

      // The status bar item opens CodeIntent's menu.
      await page.locator('.statusbar-item', { hasText: /CodeIntent: ready/ }).click();
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Pause Automatic Indexing' }).waitFor({ timeout: 10_000 });
      await page.keyboard.press('Escape');

      await runFromPalette(page, 'CodeIntent: Clear Index');
      const dialog = page.locator('.monaco-dialog-box', { hasText: 'Delete the CodeIntent index of clear-workspace?' });
      await dialog.waitFor({ timeout: 10_000 });
      await page.screenshot({ path: path.join(SCREENSHOTS_DIR, 'clear-index-light.png') });
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      assert.ok((await view.locator('.hit').count()) > 0, 'Cancel keeps the index and the list');

      await runFromPalette(page, 'CodeIntent: Clear Index');
      await dialog.getByRole('button', { name: 'Clear Index' }).click();
      await view.locator('.hit').first().waitFor({ state: 'detached', timeout: 30_000 });
      await view.getByText('This workspace is not indexed yet.').waitFor({ timeout: 10_000 });

      await runFromPalette(page, 'Welcome: Open Walkthrough...');
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Get Started with CodeIntent' }).waitFor({ timeout: 10_000 });
    },
    folder,
  );
});

test('a quick action without an endpoint says which setting is missing; Open Settings shows that setting on the tab where it takes effect (Remote: code-server is a remote window)', { timeout: 180_000 }, async () => {
  await withWorkbench(THEMES[1], 'open-settings', async (page) => {
    await addLoggingToTheAnswer(page);
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'Quick actions need an OpenAI-compatible endpoint' });
    await toast.getByRole('button', { name: 'Open Settings' }).click();
    const editor = page.locator('.settings-editor');
    await editor.waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(SCREENSHOTS_DIR, 'open-settings-dark.png') });
    // codeintent.llm.baseUrl is machine-overridable: in a remote window only the Remote tab's value applies.
    await editor.locator('.settings-tabs-widget .action-label.checked', { hasText: /^Remote/ }).waitFor({ timeout: 10_000 });
    assert.equal((await editor.locator('.settings-header .suggest-input-container .view-lines').textContent())?.replace(/\u00a0/g, ' '), 'codeintent.llm.baseUrl');
    // The search also finds the settings whose descriptions mention it: the setting itself comes first.
    const first = editor.locator('.settings-body .setting-item-contents .setting-item-label').first();
    await first.waitFor({ timeout: 10_000 });
    assert.equal(await first.textContent(), 'Base Url');
  });
});

test('"CodeIntent: Search by Intent" offers "did you mean" for a slip; accepting it searches the corrected query', { timeout: 180_000 }, async () => {
  await withWorkbench(THEMES[1], 'palette-why', async (page) => {
    await runFromPalette(page, 'CodeIntent: Search by Intent');
    const input = page.locator('.quick-input-widget input');
    await input.fill(MISSPELLED);
    await page.locator('.quick-input-list .monaco-list-row').first().filter({ hasText: `Did you mean: ${QUERY}?` }).waitFor({ timeout: 90_000 });
    await page.locator('.quick-input-list .monaco-list-row', { hasText: ANSWER.symbol }).first().filter({ hasText: /\d+%/ }).waitFor({ timeout: 10_000 });
    await input.press('Enter');
    // The corrected query has no slip: its first row is the answer, not "did you mean".
    await page.locator('.quick-input-list .monaco-list-row').first().filter({ hasText: ANSWER.symbol }).waitFor({ timeout: 30_000 });
    assert.equal(await input.inputValue(), QUERY);
  });
});

test('"CodeIntent: Search by Intent" shows results as you type and opens the chosen one', { timeout: 180_000 }, async () => {
  await withWorkbench(THEMES[1], 'palette-search', async (page) => {
    await runFromPalette(page, 'CodeIntent: Search by Intent');
    const input = page.locator('.quick-input-widget input');
    await input.fill(QUERY);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: ANSWER.symbol }).first();
    await row.waitFor({ timeout: 90_000 });
    await page.screenshot({ path: path.join(SCREENSHOTS_DIR, 'palette-search-dark.png') });
    // The answer must be the first row: Enter picks the first.
    await page.locator('.quick-input-list .monaco-list-row').first().filter({ hasText: ANSWER.symbol }).waitFor({ timeout: 5_000 });
    await input.press('Enter');
    await expectAnswerOpen(page);
  });
});

test('"CodeIntent: Search by Intent" follows the index: a function saved while it is open appears without retyping', { timeout: 180_000 }, async () => {
  const folder = await copyOfFixture('live-palette-workspace');
  await withWorkbench(
    THEMES[0],
    'live-palette',
    async (page) => {
      await untilFileChangesAreIndexed(page, folder);
      await runFromPalette(page, 'CodeIntent: Search by Intent');
      const input = page.locator('.quick-input-widget input');
      await input.fill(TEMPERATURE.query);
      const first = page.locator('.quick-input-list .monaco-list-row').first();
      await first.waitFor({ timeout: 60_000 });
      assert.ok(!(await first.textContent())?.includes(TEMPERATURE.symbol));
      await writeFile(path.join(folder, TEMPERATURE.file), TEMPERATURE.text);
      await first.filter({ hasText: TEMPERATURE.symbol }).waitFor({ timeout: 60_000 });
    },
    folder,
  );
});

/** Documented functions in several files: what Tune learns from (each doc sentence a question). */
const DOCUMENTED_FILES: Record<string, string> = Object.fromEntries(
  ['order', 'invoice', 'parcel', 'account', 'coupon', 'refund', 'review', 'supplier'].map((noun) => [
    `src/${noun}s.ts`,
    [
      ['load', `Reads the ${noun} with this id from the database.`],
      ['archive', `Moves an old ${noun} to cold storage so it no longer shows in lists.`],
      ['notifyAbout', `Emails the owner when the ${noun} changes.`],
    ]
      .map(([verb, doc]) => `/** ${doc} */\nexport function ${verb}${noun[0]!.toUpperCase()}${noun.slice(1)}(id: string): string {\n  return \`${verb} ${noun} \${id}\`;\n}\n`)
      .join('\n'),
  ]),
);

test('while Tune runs, the status bar says "tuning" (not the "indexing" of the index run it starts with), and says how far the index is once it is done (issue 13, item 9)', { timeout: 180_000 }, async () => {
  const folder = await copyOfFixture('tune-workspace', DOCUMENTED_FILES);
  await withWorkbench(
    THEMES[0],
    'tune-status',
    async (page) => {
      await untilIndexed(page);
      // Every text the status bar item shows from here on, however briefly (in the page: this
      // project's types have no DOM).
      await page.evaluate(`(() => {
        const seen = (window.codeintentStatusTexts = []);
        const read = () => {
          const text = [...document.querySelectorAll('.statusbar-item')].map((item) => (item.textContent ?? '').trim()).find((t) => t.includes('CodeIntent:'));
          if (text !== undefined && seen.at(-1) !== text) seen.push(text);
        };
        new MutationObserver(read).observe(document.querySelector('.part.statusbar'), { subtree: true, childList: true, characterData: true, attributes: true });
        read();
      })()`);
      await runFromPalette(page, 'CodeIntent: Tune Search to This Workspace');
      await page.locator('.notifications-toasts .notification-toast', { hasText: /CodeIntent: Search is (now tuned|unchanged)/ }).waitFor({ timeout: 120_000 });
      await page.locator('.statusbar-item', { hasText: /CodeIntent: ready \d+ chunks/ }).waitFor({ timeout: 10_000 });
      const texts = await page.evaluate<string[]>('window.codeintentStatusTexts');
      const from = texts.indexOf('CodeIntent: tuning');
      assert.ok(from > 0, `never said "tuning": ${JSON.stringify(texts)}`);
      assert.deepEqual(texts.slice(from + 1).filter((text) => !/^CodeIntent: ready \d+ chunks$/.test(text)), [], `after "tuning": ${JSON.stringify(texts)}`);
    },
    folder,
  );
});

test('"CodeIntent: Show Index Status" tells what is indexed', { timeout: 180_000 }, async () => {
  await withWorkbench(THEMES[0], 'status', async (page) => {
    // Right after start-up the index may still be catching up: ask again until it is up to date.
    const deadline = Date.now() + 90_000;
    const rows = page.locator('.quick-input-list .monaco-list-row');
    for (;;) {
      await runFromPalette(page, 'CodeIntent: Show Index Status');
      await rows.filter({ hasText: 'e2e-workspace:' }).first().waitFor({ timeout: 30_000 });
      const text = (await rows.allTextContents()).join('\n');
      if (text.includes('e2e-workspace: up to date')) {
        // In plain words: how much, when (local time, no ISO stamp), which model; no hashes.
        assert.match(text, /\d+ files, \d+ definitions and passages, \d+ KB on disk/);
        assert.match(text, /Last indexed .*today/);
        assert.match(text, /Model: code-static-v3 \(CodeIntent's code model\)/);
        assert.doesNotMatch(text, /\d{4}-\d\d-\d\dT/, 'no ISO timestamp');
        assert.doesNotMatch(text.split('\n').find((line) => line.includes('Model:')) ?? '', /[0-9a-f]{8}/, 'no model hash');
        break;
      }
      assert.ok(Date.now() < deadline, `still not up to date: ${text}`);
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1_000);
    }
    await page.screenshot({ path: path.join(SCREENSHOTS_DIR, 'status-light.png') });
  });
});

test('a quick action from the sidebar: propose, review the diff, apply, undo', { timeout: 240_000 }, async () => {
  await withChatWorkspace('edit-workspace', async (folder, llm) => {
    await withWorkbench(
      THEMES[1],
      'quick-action',
      async (page) => {
        await addLoggingToTheAnswer(page);
        // The change opens in the diff editor, then the list of changes to apply.
        await page.locator('.tabs-container .tab', { hasText: '↔ proposed' }).first().waitFor({ timeout: 60_000 });
        const apply = page.locator('.quick-input-widget', { hasText: 'apply the proposed changes' });
        await apply.waitFor({ timeout: 30_000 });
        // Which checks the edited file passed: tree-sitter's parse and the TypeScript compiler's.
        await apply.locator('.monaco-list-row', { hasText: /checks passed: syntax \(tree-sitter\), types \(TypeScript \d+\.\d+\.\d+/ }).waitFor({ timeout: 10_000 });
        await page.screenshot({ path: path.join(SCREENSHOTS_DIR, 'quick-action-review-dark.png') });
        await page.keyboard.press('Enter');
        const applied = page.locator('.notifications-toasts .notification-toast', { hasText: 'applied to src/retry.ts' });
        await applied.waitFor({ timeout: 30_000 });
        // The review is over: its diff tabs are closed.
        await page.locator('.tabs-container .tab', { hasText: '↔ proposed' }).first().waitFor({ state: 'detached', timeout: 10_000 });
        // Applied to the editor (not saved); one Undo takes it back, in the editor as from the notification.
        const logLine = page.locator('.editor-instance .view-line', { hasText: "console.info('retryWithBackoff: start');" });
        await page.keyboard.press('Control+P');
        await page.locator('.quick-input-widget input').fill(ANSWER.file);
        await page.locator('.quick-input-list .monaco-list-row', { hasText: ANSWER.file }).first().waitFor({ timeout: 10_000 });
        await page.keyboard.press('Enter');
        await logLine.first().waitFor({ timeout: 30_000 });
        await page.locator('.editor-instance .view-lines').first().click();
        await page.keyboard.press('Control+Z');
        await logLine.first().waitFor({ state: 'detached', timeout: 30_000 });
        await page.keyboard.press('Control+Shift+Z');
        await logLine.first().waitFor({ timeout: 30_000 });
        await applied.getByRole('button', { name: 'Undo' }).click();
        await logLine.first().waitFor({ state: 'detached', timeout: 30_000 });
        await page.locator('.notifications-toasts', { hasText: 'undone in src/retry.ts' }).waitFor({ timeout: 10_000 });
      },
      folder,
    );
    assert.ok(llm.requests.length >= 1, 'the model was asked');
  });
});


test('"CodeIntent: Find and Edit…" lets the user choose the code first, close matches ticked; cancelling the review closes it and changes nothing', { timeout: 240_000 }, async () => {
  await withChatWorkspace('find-and-edit-workspace', async (folder, llm) => {
    await withWorkbench(
      THEMES[0],
      'find-and-edit',
      async (page) => {
        await untilFileChangesAreIndexed(page, folder);
        await runFromPalette(page, 'CodeIntent: Find and Edit…');
        const input = page.locator('.quick-input-widget input');
        await input.fill(QUERY);
        await input.press('Enter');
        const rows = page.locator('.quick-input-list .monaco-list-row');
        await rows.filter({ hasText: ANSWER.symbol }).first().waitFor({ timeout: 60_000 });
        await page.screenshot({ path: path.join(SCREENSHOTS_DIR, 'find-and-edit-targets-light.png') });
        const ticked = await rows.evaluateAll((nodes) =>
          nodes.map((row) => ({ text: row.textContent ?? '', checked: row.getAttribute('aria-checked') === 'true' || (row.querySelector('input[type=checkbox]') as { checked?: boolean } | null)?.checked === true })),
        );
        assert.deepEqual(ticked.filter((row) => row.checked).map((row) => row.text.includes(ANSWER.symbol)), [true], JSON.stringify(ticked));
        assert.ok(ticked.length > 1, 'the other results are offered, unticked');
        assert.equal(llm.requests.length, 0, 'nothing is sent before the action is chosen');
        await input.press('Enter');
        await rows.filter({ hasText: 'Add Logging' }).first().click();
        await page.locator('.tabs-container .tab', { hasText: '↔ proposed' }).first().waitFor({ timeout: 60_000 });
        await page.locator('.quick-input-widget', { hasText: 'apply the proposed changes' }).waitFor({ timeout: 30_000 });
        await page.keyboard.press('Escape');
        await page.locator('.tabs-container .tab', { hasText: '↔ proposed' }).first().waitFor({ state: 'detached', timeout: 10_000 });
      },
      folder,
    );
    assert.equal(llm.requests.length, 1, 'one request: for the one ticked result');
    assert.match(JSON.stringify(llm.requests[0]?.body ?? ''), /retry\.ts/);
    assert.equal(await readFile(path.join(folder, 'src', 'retry.ts'), 'utf8'), await readFile(path.join(FIXTURE_WORKSPACE, 'src', 'retry.ts'), 'utf8'), 'nothing applied');
  });
});

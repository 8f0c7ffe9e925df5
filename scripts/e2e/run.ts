// npm run test:e2e (and the second half of npm test) — the tests in a real VS Code:
// 1. the tools, installed once and cached (install.ts);
// 2. the extension: dist/ and the VSIX (../package.ts);
// 3. mocha inside code-server's extension host, through @vscode/test-electron's runTests with
//    code-shim.js standing in for the VS Code executable; the repository is the extension under
//    development (its dist/ is what the VSIX holds). Two windows: a trusted one, and one in
//    Restricted Mode on a workspace with hostile settings and guidelines (test/extension/restricted-*);
// 4. the UI tests (test/e2e/, node:test + playwright-core), which install the VSIX itself.
// Every step is bounded; code-server and Chromium die with the run, also on failure or Ctrl-C.
// `node out/scripts/e2e/run.js restricted` (or trusted, ui) runs only the steps named.

import { readdirSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';
import { bundleForExtensionHost } from '../bundle.js';
import { packageExtension, vsixPath } from '../package.js';
import { hostPlatform } from '../platforms.js';
import { codeServerDirs } from './code-server.js';
import { ensureTools } from './install.js';
import { EXTENSION_TESTS_DIR, FIXTURE_WORKSPACE, RESTRICTED_FIXTURE, UI_TESTS_DIR } from './layout.js';
import { runToEnd } from './process-group.js';
import { messageOf } from '../../src/core/errors.js';
import { PACKAGE_ROOT } from '../../src/core/models.js';

const TOTAL_TIMEOUT_MS = 30 * 60_000;
const UI_TESTS_TIMEOUT_MS = 10 * 60_000;
const SHIM = fileURLToPath(new URL('./code-shim.js', import.meta.url));

async function step<T>(name: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  console.log(`\n=== e2e: ${name}`);
  const result = await work();
  console.log(`=== e2e: ${name}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

/** Bundles test/extension/ (the mocha entry index.ts and each *.test.ts) to CommonJS; returns the entry. */
async function bundleExtensionTests(): Promise<string> {
  const sources = path.join(PACKAGE_ROOT, 'test', 'extension');
  const entries = Object.fromEntries(
    readdirSync(sources)
      .filter((name) => name === 'index.ts' || name.endsWith('.test.ts'))
      .map((name) => [name.slice(0, -'.ts'.length), path.join(sources, name)]),
  );
  await rm(EXTENSION_TESTS_DIR, { recursive: true, force: true });
  // mocha finds its reporters and workers by path: it runs from node_modules, not from the bundle.
  await bundleForExtensionHost(entries, EXTENSION_TESTS_DIR, ['mocha']);
  return path.join(EXTENSION_TESTS_DIR, 'index.cjs');
}

/**
 * A window for extension tests: whether its folder opens in Restricted Mode, and the fixtures copied
 * one over the other into its workspace. test/extension/index.ts runs the tests meant for it.
 */
interface TestWindow {
  restricted: boolean;
  fixtures: readonly string[];
}

const WINDOWS = {
  trusted: { restricted: false, fixtures: [FIXTURE_WORKSPACE] },
  restricted: { restricted: true, fixtures: [FIXTURE_WORKSPACE, RESTRICTED_FIXTURE] },
} as const satisfies Record<string, TestWindow>;

async function runExtensionTests(tmp: string, testsPath: string, name: keyof typeof WINDOWS): Promise<void> {
  const window: TestWindow = WINDOWS[name];
  const dir = path.join(tmp, name);
  // runTests spawns the "VS Code executable" directly: give it one that runs our shim on this Node.
  const executable = path.join(dir, 'code');
  await mkdir(dir, { recursive: true });
  await writeFile(executable, `#!/bin/sh\nexec "${process.execPath}" "${SHIM}" "$@"\n`, { mode: 0o755 });
  const dirs = codeServerDirs(path.join(dir, 'extension-tests'));
  // A copy: the tests add files and write workspace settings.
  const workspace = path.join(dir, 'e2e-workspace');
  for (const fixture of window.fixtures) await cp(fixture, workspace, { recursive: true });
  await runTests({
    vscodeExecutablePath: executable,
    extensionDevelopmentPath: PACKAGE_ROOT,
    extensionTestsPath: testsPath,
    launchArgs: [workspace, `--user-data-dir=${dirs.userData}`, `--extensions-dir=${dirs.extensions}`, ...(window.restricted ? ['--workspace-trust'] : [])],
    extensionTestsEnv: { CODEINTENT_CACHE_DIR: path.join(dir, 'cache'), ...(window.restricted ? { CODEINTENT_E2E_RESTRICTED: '1' } : {}) },
  });
}

/** The steps a command line may name (the tools and the package always come first). */
const STEPS: readonly string[] = [...Object.keys(WINDOWS), 'ui'];

async function runUiTests(): Promise<void> {
  const files = readdirSync(UI_TESTS_DIR).filter((name) => name.endsWith('.test.js')).map((name) => path.join(UI_TESTS_DIR, name));
  await runToEnd(process.execPath, ['--test', '--test-concurrency=1', ...files], { timeoutMs: UI_TESTS_TIMEOUT_MS });
}

async function main(): Promise<void> {
  const started = performance.now();
  setTimeout(() => {
    console.error(`e2e: still running after ${TOTAL_TIMEOUT_MS / 60_000} min: stopping`);
    process.exit(1);
  }, TOTAL_TIMEOUT_MS).unref();
  const steps = process.argv.slice(2);
  const unknown = steps.filter((name) => !STEPS.includes(name));
  if (unknown.length > 0) throw new Error(`no step ${unknown.join(', ')}: the steps are ${STEPS.join(', ')} (none named: all)`);
  const wanted = (name: string) => steps.length === 0 || steps.includes(name);
  await step('tools', ensureTools);
  // This machine's VSIX only: it is the one the UI tests install (npm run package builds them all).
  const platform = hostPlatform();
  await step('package', () => packageExtension([platform]));
  const vsix = await vsixPath(platform);
  console.log(`${path.basename(vsix)}: ${((await stat(vsix)).size / 1024 / 1024).toFixed(1)} MB`);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'codeintent-e2e-'));
  const testsPath = await bundleExtensionTests();
  if (wanted('trusted')) await step('extension tests (mocha in the extension host)', () => runExtensionTests(tmp, testsPath, 'trusted'));
  if (wanted('restricted')) await step('extension tests in Restricted Mode', () => runExtensionTests(tmp, testsPath, 'restricted'));
  if (wanted('ui')) await step('UI tests (playwright)', runUiTests);
  await rm(tmp, { recursive: true, force: true }); // kept after a failure, for the logs in it
  console.log(`\ne2e: all green in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((error: unknown) => {
  console.error(`\ne2e failed: ${messageOf(error)}`);
  process.exit(1);
});

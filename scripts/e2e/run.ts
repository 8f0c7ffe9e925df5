// npm run test:e2e (and the second half of npm test) — the tests in a real VS Code:
// 1. the tools, installed once and cached (install.ts);
// 2. the extension: dist/ and the VSIX (../package.ts);
// 3. mocha inside code-server's extension host, through @vscode/test-electron's runTests with
//    code-shim.js standing in for the VS Code executable; the repository is the extension under
//    development (its dist/ is what the VSIX holds);
// 4. the UI tests (test/e2e/, node:test + playwright-core), which install the VSIX itself.
// Every step is bounded; code-server and Chromium die with the run, also on failure or Ctrl-C.

import { readdirSync } from 'node:fs';
import { cp, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';
import { bundleForExtensionHost } from '../bundle.js';
import { packageExtension } from '../package.js';
import { codeServerDirs } from './code-server.js';
import { ensureTools } from './install.js';
import { EXTENSION_TESTS_DIR, FIXTURE_WORKSPACE, UI_TESTS_DIR } from './layout.js';
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

/** Bundles test/extension/*.ts (the mocha entry and each *.test.ts) to CommonJS; returns the entry. */
async function bundleExtensionTests(): Promise<string> {
  const sources = path.join(PACKAGE_ROOT, 'test', 'extension');
  const entries = Object.fromEntries(
    readdirSync(sources)
      .filter((name) => name.endsWith('.ts'))
      .map((name) => [name.slice(0, -'.ts'.length), path.join(sources, name)]),
  );
  await rm(EXTENSION_TESTS_DIR, { recursive: true, force: true });
  // mocha finds its reporters and workers by path: it runs from node_modules, not from the bundle.
  await bundleForExtensionHost(entries, EXTENSION_TESTS_DIR, ['mocha']);
  return path.join(EXTENSION_TESTS_DIR, 'index.cjs');
}

async function runExtensionTests(tmp: string): Promise<void> {
  const testsPath = await bundleExtensionTests();
  // runTests spawns the "VS Code executable" directly: give it one that runs our shim on this Node.
  const executable = path.join(tmp, 'code');
  await writeFile(executable, `#!/bin/sh\nexec "${process.execPath}" "${SHIM}" "$@"\n`, { mode: 0o755 });
  const dirs = codeServerDirs(path.join(tmp, 'extension-tests'));
  // A copy: the tests add files and write workspace settings.
  const workspace = path.join(tmp, 'e2e-workspace');
  await cp(FIXTURE_WORKSPACE, workspace, { recursive: true });
  await runTests({
    vscodeExecutablePath: executable,
    extensionDevelopmentPath: PACKAGE_ROOT,
    extensionTestsPath: testsPath,
    launchArgs: [workspace, `--user-data-dir=${dirs.userData}`, `--extensions-dir=${dirs.extensions}`],
    extensionTestsEnv: { CODEINTENT_CACHE_DIR: path.join(tmp, 'cache') },
  });
}

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
  await step('tools', ensureTools);
  const vsix = await step('package', packageExtension);
  console.log(`${path.basename(vsix)}: ${((await stat(vsix)).size / 1024 / 1024).toFixed(1)} MB`);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'codeintent-e2e-'));
  await step('extension tests (mocha in the extension host)', () => runExtensionTests(tmp));
  await step('UI tests (playwright)', runUiTests);
  await rm(tmp, { recursive: true, force: true }); // kept after a failure, for the logs in it
  console.log(`\ne2e: all green in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((error: unknown) => {
  console.error(`\ne2e failed: ${messageOf(error)}`);
  process.exit(1);
});

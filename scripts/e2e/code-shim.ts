// A stand-in for the VS Code executable, for @vscode/test-electron's runTests: it accepts the
// arguments runTests gives VS Code (--extensionDevelopmentPath=, --extensionTestsPath=,
// --user-data-dir=, --extensions-dir=, a folder) and runs the tests in code-server instead, through
// headless Chromium. Its exit status is the tests'. One argument of its own: --workspace-trust opens
// the folder in Restricted Mode (runTests always adds --disable-workspace-trust; this one wins).
//
// code-server rejects --extensionDevelopmentPath; its workbench in smoke-test-driver mode takes the
// same settings as a URL `payload` and reports the end of the run by calling codeAutomationExit.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { format } from 'node:util';
import { launchChromium, folderUrl } from './browser.js';
import { startCodeServer, type CodeServer } from './code-server.js';

const RUN_TIMEOUT_MS = 5 * 60_000;

interface ShimArgs {
  developmentPath: string;
  testsPath: string;
  folder: string | undefined;
  /** user-data-dir and extensions-dir share one parent: the server's folder. */
  serverDir: string | undefined;
  workspaceTrust: boolean;
}

function parseArgs(argv: readonly string[]): ShimArgs {
  const value = (name: string): string | undefined => argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
  const developmentPath = value('extensionDevelopmentPath');
  const testsPath = value('extensionTestsPath');
  if (developmentPath === undefined || testsPath === undefined) throw new Error('expected --extensionDevelopmentPath= and --extensionTestsPath=');
  const userData = value('user-data-dir');
  return {
    developmentPath,
    testsPath,
    folder: argv.find((arg) => !arg.startsWith('-')),
    serverDir: userData === undefined ? undefined : path.dirname(userData),
    workspaceTrust: argv.includes('--workspace-trust'),
  };
}

async function runTestsInCodeServer(args: ShimArgs): Promise<number> {
  const serverDir = args.serverDir ?? (await mkdtemp(path.join(os.tmpdir(), 'codeintent-shim-')));
  let server: CodeServer | undefined;
  const browser = await launchChromium(path.join(serverDir, 'browser'));
  try {
    // The server's environment is the extension host's: runTests' extensionTestsEnv arrives here.
    const running = await startCodeServer({ dir: serverDir, smokeTestDriver: true, workspaceTrust: args.workspaceTrust, env: process.env });
    server = running;
    const remote = (file: string) => `vscode-remote://${new URL(running.url).host}${file}`;
    const payload = JSON.stringify([
      ['extensionDevelopmentPath', remote(args.developmentPath)],
      ['extensionTestsPath', remote(args.testsPath)],
    ]);
    const page = await browser.newPage();
    let exitWith: (code: number) => void = () => {};
    const exit = new Promise<number>((resolve) => (exitWith = resolve));
    await page.exposeFunction('codeAutomationExit', (code: number) => exitWith(code));
    await page.exposeFunction('codeAutomationLog', (type: string, messages: unknown[]) => {
      if (type === 'error') process.stderr.write(`[workbench error] ${format(...messages)}\n`);
      else process.stdout.write(`${format(...messages)}\n`);
    });
    await page.goto(args.folder === undefined ? `${running.url}/?${new URLSearchParams({ payload })}` : folderUrl(running.url, args.folder, { payload }), { timeout: 60_000 });
    const timer = setTimeout(() => {
      process.stderr.write(`code-shim: no result after ${RUN_TIMEOUT_MS / 1000} s; server log: ${running.log}\n`);
      exitWith(1);
    }, RUN_TIMEOUT_MS);
    const code = await exit;
    clearTimeout(timer);
    return code;
  } finally {
    await browser.close();
    server?.stop();
    if (args.serverDir === undefined) await rm(serverDir, { recursive: true, force: true });
  }
}

// runTests' parent holds our stdin: when it goes away, so do we (and our process groups with us).
process.stdin.on('end', () => process.exit(1));
process.stdin.resume();

runTestsInCodeServer(parseArgs(process.argv.slice(2))).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`code-shim: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);

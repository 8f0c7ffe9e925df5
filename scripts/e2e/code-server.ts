// One code-server (VS Code's server and web workbench) on a free local port, with its own settings,
// user data and extensions under a given folder, so that nothing touches the home folder.

import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { CODE_SERVER_ENTRY, NODE_BIN, privateXdgEnv } from './layout.js';
import { killGroup, runToEnd, sleep, spawnGroup } from './process-group.js';

/** With workspace trust on: no dialog asking to trust the folder at start-up, no banner. */
const RESTRICTED_MODE_SETTINGS = {
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.banner': 'never',
  'security.workspace.trust.untrustedFiles': 'open',
};

/** Quiet start-up: no welcome page, no AI chat, no secondary side bar. */
const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.tips.enabled': false,
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'telemetry.telemetryLevel': 'off',
  'git.openRepositoryInParentFolders': 'never', // test fixtures sit inside this repository
};

export interface CodeServerOptions {
  /** Holds user data, extensions, config and the server's log. */
  dir: string;
  /**
   * Extension-test mode: the workbench obeys the `payload` of its URL (extension development
   * path, tests path) and reports through `codeAutomationExit`; it also suppresses notifications.
   */
  smokeTestDriver: boolean;
  /**
   * Workspace trust on: a folder opens in Restricted Mode until trusted (a fresh user-data-dir trusts
   * nothing). Off by default, as in VS Code's own extension tests.
   */
  workspaceTrust?: boolean;
  settings?: Record<string, unknown>;
  /** Environment of the server, and so of the extension host it starts. */
  env?: NodeJS.ProcessEnv;
  startTimeoutMs?: number;
}

export interface CodeServer {
  url: string;
  /** Where the server writes its output. */
  log: string;
  /** Ends the server with its extension host and everything else it started. */
  stop(): void;
}

function requireCodeServer(): void {
  if (!existsSync(NODE_BIN) || !existsSync(CODE_SERVER_ENTRY)) {
    throw new Error('code-server is not installed: run  node out/scripts/e2e/install.js  (npm run test:e2e does)');
  }
}

export function codeServerDirs(dir: string): { userData: string; extensions: string } {
  return { userData: path.join(dir, 'user-data'), extensions: path.join(dir, 'extensions') };
}

/** code-server's command line and environment, with all its state under `dir`. */
async function commandIn(dir: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ args: string[]; env: NodeJS.ProcessEnv }> {
  requireCodeServer();
  const dirs = codeServerDirs(dir);
  const config = path.join(dir, 'config.yaml');
  await mkdir(dir, { recursive: true });
  await writeFile(config, 'auth: none\ncert: false\n'); // its own, or it writes one into the home folder
  return {
    args: [CODE_SERVER_ENTRY, '--config', config, '--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions, ...args],
    // No extension gallery: the tests are offline, and it would look open-vsx.org up.
    env: { ...process.env, ...env, ...privateXdgEnv(dir), EXTENSIONS_GALLERY: '{}' },
  };
}

/** Installs a .vsix the way a user would, with code-server's CLI. */
export async function installVsix(vsix: string, dir: string): Promise<void> {
  const command = await commandIn(dir, ['--install-extension', vsix]);
  await runToEnd(NODE_BIN, command.args, { env: command.env, timeoutMs: 120_000 });
}

export async function writeUserSettings(dir: string, settings: Record<string, unknown>): Promise<void> {
  const user = path.join(codeServerDirs(dir).userData, 'User');
  await mkdir(user, { recursive: true });
  await writeFile(path.join(user, 'settings.json'), `${JSON.stringify({ ...QUIET_SETTINGS, ...settings }, null, 2)}\n`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
  await writeUserSettings(options.dir, { ...(options.workspaceTrust ? RESTRICTED_MODE_SETTINGS : {}), ...options.settings });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log = path.join(options.dir, 'code-server.log');
  const command = await commandIn(
    options.dir,
    [
      '--bind-addr', `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      ...(options.workspaceTrust ? [] : ['--disable-workspace-trust']),
      ...(options.smokeTestDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
    ],
    options.env,
  );
  const out = openSync(log, 'a');
  const child = spawnGroup(NODE_BIN, command.args, { stdio: ['ignore', out, out], env: command.env });
  closeSync(out);
  const server: CodeServer = { url, log, stop: () => killGroup(child) };

  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`code-server exited at start-up (${child.exitCode ?? child.signalCode}); its log:\n${await readFile(log, 'utf8')}`);
    }
    if (await healthy(url)) return server;
    if (Date.now() > deadline) {
      server.stop();
      throw new Error(`code-server did not answer on ${url}/healthz within ${startTimeoutMs} ms; log: ${log}`);
    }
    await sleep(200);
  }
}

async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  } catch {
    return false;
  }
}

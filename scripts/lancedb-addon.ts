// LanceDB's native addon for each platform a VSIX is built for, at the LanceDB version installed
// (the bundle's JavaScript and its addon must be the same release). npm installs only this machine's
// platform package, so the others are fetched from the registry with `npm pack`, once: the tarballs
// are kept in .cache/lancedb/ and each use is checked against package-lock.json's integrity, which
// also names the versions the registry has for every platform.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { PACKAGE_ROOT } from '../src/core/models.js';
import { messageOf } from '../src/core/errors.js';
import { addonName, HOST_TARGET, type Platform } from './platforms.js';

const require = createRequire(import.meta.url);
const run = promisify(execFile);

const ADDON_CACHE = path.join(PACKAGE_ROOT, '.cache', 'lancedb');

/** The version of @lancedb/lancedb in node_modules (its exports hide package.json from require). */
async function lancedbVersion(): Promise<string> {
  const manifest = path.join(path.dirname(require.resolve('@lancedb/lancedb')), '..', 'package.json');
  return (JSON.parse(await readFile(manifest, 'utf8')) as { version: string }).version;
}

/** Writes `platform`'s LanceDB addon into `dir` (as `lancedb.<triple>.node`, where LanceDB's loader looks). */
export async function placeLanceAddon(platform: Platform, dir: string): Promise<void> {
  const version = await lancedbVersion();
  const name = `@lancedb/lancedb-${platform.triple}`;
  const installed = installedPackage(name);
  if (installed) {
    if (installed.version !== version) throw new Error(`node_modules has ${name}@${installed.version} but @lancedb/lancedb@${version}: run npm install`);
    await copyFile(path.join(installed.dir, addonName(platform)), path.join(dir, addonName(platform)));
    return;
  }
  const tarball = await cachedTarball(name, version);
  await run('tar', ['-xzf', tarball, '-C', dir, '--strip-components=1', `package/${addonName(platform)}`]);
}

function installedPackage(name: string): { dir: string; version: string } | undefined {
  let manifest: string;
  try {
    manifest = require.resolve(`${name}/package.json`);
  } catch {
    return undefined; // npm skips other platforms' packages
  }
  return { dir: path.dirname(manifest), version: (require(manifest) as { version: string }).version };
}

/** `name@version`'s tarball in the cache, fetched when absent or not what package-lock.json pins. */
async function cachedTarball(name: string, version: string): Promise<string> {
  const integrity = await lockedIntegrity(name, version);
  // npm pack's own file name for a scoped package.
  const tarball = path.join(ADDON_CACHE, `${name.slice(1).replace('/', '-')}-${version}.tgz`);
  if ((await integrityOf(tarball)) === integrity) return tarball;
  await mkdir(ADDON_CACHE, { recursive: true });
  const spec = `${name}@${version}`;
  console.log(`fetching ${spec} (once: it is kept in ${path.relative(PACKAGE_ROOT, ADDON_CACHE)}/)`);
  try {
    await run('npm', ['pack', spec, '--pack-destination', ADDON_CACHE], { shell: process.platform === 'win32' });
  } catch (error) {
    throw new Error(
      `could not fetch ${spec} from the npm registry (${npmReason(error)}); without the registry, build this machine's VSIX only: npm run package -- --target ${HOST_TARGET}`,
    );
  }
  const fetched = await integrityOf(tarball);
  if (fetched !== integrity) {
    await rm(tarball, { force: true });
    throw new Error(`${spec} from the registry is not the one package-lock.json pins (integrity ${fetched ?? 'missing'}, expected ${integrity})`);
  }
  return tarball;
}

/** npm's one-line reason for a failure ("FetchError: request to … failed, reason: …", "404 Not Found - GET …"). */
function npmReason(error: unknown): string {
  const lines = String((error as { stderr?: unknown }).stderr ?? '').split('\n');
  const reason = lines.find((line) => /^npm error (?!code |syscall |errno )\S/.test(line));
  return reason?.slice('npm error '.length) ?? messageOf(error).split('\n')[0]!;
}

/** package-lock.json's integrity of `name@version`; an error saying what to do when it pins none. */
async function lockedIntegrity(name: string, version: string): Promise<string> {
  const lock = JSON.parse(await readFile(path.join(PACKAGE_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; integrity?: string }> };
  const entry = lock.packages[`node_modules/${name}`];
  if (entry?.version === version && entry.integrity) return entry.integrity;
  // npm locks every optional platform package the registry has at @lancedb/lancedb's version.
  throw new Error(
    `package-lock.json pins no ${name}@${version}: the registry has no such build, so no VSIX with @lancedb/lancedb@${version} can be made for this platform; pin a version every platform has (npm view ${name} versions)`,
  );
}

/** The file's sha512 in npm's integrity form; undefined when there is no file. */
async function integrityOf(file: string): Promise<string | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}

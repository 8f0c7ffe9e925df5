// Fetches each intent-benchmark app's pinned source into .cache/intent/<app>/ (git-ignored), once:
//
//   workspace/       the package's `root` folder only, vendored dependencies removed: what is indexed
//   manifest.json    registry, name, version, licence, archives (with sha256), what was removed;
//                    written last, so its presence (for the same pinned source) means "done"
//   archives/<ver>/  the downloaded archives, kept so that a re-extraction needs no network
//   nested/          the distractor workspace (Eclipse Theia in theia/, the app in app/; hard links),
//   nested.json      built on first use by `ensureNested`
//
// npm: `npm pack NAME@VERSION` + tar; debian: `apt-get download NAME=VERSION` + `dpkg-deb -x`;
// debian-source: `apt-get source --download-only NAME=VERSION` against the corpus's private deb-src
// index (scripts/corpus/fetch.ts) + `dpkg-source -x` (the upstream tarballs untarred when
// dpkg-source is missing or the Debian part is not on the mirror). A pinned version that is no longer
// available fails the app: no other version is taken, the queries were written against this one.
// Nothing else in .cache/intent/<app>/ is touched.
//
//   node out/scripts/intent-bench/fetch.js [APP…]      fetch (all apps by default) and check the gold

import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { copyFile, link, lstat, mkdir, readdir, readFile, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { messageOf } from '../../src/core/errors.js';
import { folderBytes } from '../../src/core/files.js';
import { PACKAGE_ROOT } from '../../src/core/models.js';
import { corpusPaths, isRecord, runProgram, writeJsonAtomic } from '../corpus/common.js';
import { aptSourceOptions, debianLicence, npmLicence, prepareSourceIndex, upstreamLicence } from '../corpus/fetch.js';
import { corpusSpec, ensureCorpus, listFiles, THEIA_VERSION } from '../perf/corpus.js';
import { AppFileError, goldWarnings, listAppFiles, loadApp, TRAIN_APPS_DIR, type AppFile, type AppSource } from './apps.js';

export const INTENT_CACHE = path.join(PACKAGE_ROOT, '.cache', 'intent');
/** Where `npm run bench:perf` keeps its corpus: the distractor Theia is the same files. */
const PERF_CACHE = path.join(PACKAGE_ROOT, '.cache', 'perf');
/** The app's folder inside the distractor workspace. */
export const NESTED_APP_FOLDER = 'app';
const NESTED_THEIA_FOLDER = 'theia';

/** Folders of other people's code, removed from the workspace at any depth. */
const VENDORED_DIRS = new Set(['vendor', 'node_modules', 'bower_components', 'jspm_packages', 'third_party', 'third-party', 'thirdparty', '3rdparty']);

export interface AppPaths {
  dir: string;
  workspace: string;
  manifest: string;
  archives: string;
  nested: string;
  nestedManifest: string;
}

export function appPaths(app: string, cacheDir = INTENT_CACHE): AppPaths {
  const dir = path.join(cacheDir, app);
  return {
    dir,
    workspace: path.join(dir, 'workspace'),
    manifest: path.join(dir, 'manifest.json'),
    archives: path.join(dir, 'archives'),
    nested: path.join(dir, 'nested'),
    nestedManifest: path.join(dir, 'nested.json'),
  };
}

export interface ArchiveRecord {
  file: string;
  bytes: number;
  sha256: string;
}

export interface AppManifest {
  app: string;
  registry: AppSource['registry'];
  name: string;
  version: string;
  /** `source.root` of the apps file, and where it was found inside the extracted package. */
  root: string;
  resolvedRoot: string;
  /** Declared in the apps file. */
  licence: string;
  /** Read from the package (package.json, debian/copyright); 'UNKNOWN' when it says nothing. */
  packageLicence: string;
  packageLicenceSource: string;
  archives: ArchiveRecord[];
  extractedWith: string;
  /** Vendored folders removed from the workspace (workspace-relative). */
  removed: string[];
  files: number;
  bytes: number;
  fetchedAt: string;
}

export interface FetchedApp {
  workspace: string;
  manifest: AppManifest;
  /** False when it was already there. */
  downloaded: boolean;
}

function samePin(manifest: AppManifest, source: AppSource): boolean {
  return manifest.registry === source.registry && manifest.name === source.name && manifest.version === source.version && manifest.root === source.root;
}

export function readManifest(file: string): AppManifest | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const raw: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return isRecord(raw) && typeof raw['app'] === 'string' && typeof raw['fetchedAt'] === 'string' ? (raw as unknown as AppManifest) : undefined;
  } catch {
    return undefined;
  }
}

/** The app's workspace, fetched and extracted unless already there for the same pinned source. */
export async function ensureApp(app: AppFile, options: { cacheDir?: string; log: (line: string) => void }): Promise<FetchedApp> {
  const paths = appPaths(app.app, options.cacheDir);
  const existing = readManifest(paths.manifest);
  if (existing !== undefined && samePin(existing, app.source) && existsSync(paths.workspace)) {
    return { workspace: paths.workspace, manifest: existing, downloaded: false };
  }
  const { source } = app;
  const archives = path.join(paths.archives, `${source.registry}-${source.version.replace(/[^A-Za-z0-9.+~-]/g, '_')}`);
  const staging = path.join(paths.dir, `.staging-${process.pid}`);
  const extract = path.join(staging, 'extract');
  await rm(staging, { recursive: true, force: true });
  await mkdir(extract, { recursive: true });
  await mkdir(archives, { recursive: true });
  try {
    let got: Extracted;
    switch (source.registry) {
      case 'npm':
        got = await fetchNpm(source, archives, extract, options.log);
        break;
      case 'debian':
        got = await fetchDebian(source, archives, extract, options.log);
        break;
      case 'debian-source':
        got = await fetchDebianSource(source, archives, extract, options.log);
        break;
    }
    const resolvedRoot = await resolveRoot(extract, source.root);
    if (resolvedRoot === undefined) {
      throw new Error(`source.root ${JSON.stringify(source.root)} is not a folder of the extracted package (top level: ${(await readdir(extract)).slice(0, 8).join(', ')})`);
    }
    const workspace = path.join(staging, 'workspace');
    await rename(path.join(extract, ...resolvedRoot.split('/').filter((p) => p !== '')), workspace);
    const removed = await removeVendored(workspace);
    const files = (await listFiles(workspace)).length;
    if (files === 0) throw new Error(`source.root ${JSON.stringify(source.root)} holds no files`);
    const manifest: AppManifest = {
      app: app.app,
      registry: source.registry,
      name: source.name,
      version: source.version,
      root: source.root,
      resolvedRoot,
      licence: source.licence,
      packageLicence: got.licence,
      packageLicenceSource: got.licenceSource,
      archives: await Promise.all(got.archives.map((f) => archiveRecord(archives, f))),
      extractedWith: got.extractedWith,
      removed,
      files,
      bytes: await folderBytes(workspace),
      fetchedAt: new Date().toISOString(),
    };
    await rm(paths.manifest, { force: true });
    await rm(paths.workspace, { recursive: true, force: true });
    await rename(workspace, paths.workspace);
    await writeJsonAtomic(paths.manifest, manifest);
    return { workspace: paths.workspace, manifest, downloaded: true };
  } finally {
    await rm(staging, { recursive: true, force: true });
    // A failed download leaves no empty folders behind.
    for (const dir of [archives, paths.archives, paths.dir]) if ((await readdir(dir)).length === 0) await rm(dir, { recursive: true });
  }
}

interface Extracted {
  /** Archive file names in the archives folder. */
  archives: string[];
  licence: string;
  licenceSource: string;
  extractedWith: string;
}

async function must(program: string, args: readonly string[], cwd: string, timeoutMs = 600_000): Promise<string> {
  const run = await runProgram(program, args, { cwd, timeoutMs });
  if (run.code !== 0) {
    // The last line that says something (npm ends with where its log is, and the error code before the reason).
    const said = (run.stderr.trim() || run.stdout.trim()).split('\n').filter((l) => l.trim() !== '' && !/complete log of this run|^npm error code /.test(l));
    const shown = args.filter((a) => !a.startsWith('-') && !/^(?:Dir|APT)::/.test(a)).slice(0, 2);
    throw new Error(`${program} ${shown.join(' ')} exited ${run.code}: ${said[said.length - 1]?.trim() ?? ''}`);
  }
  return run.stdout;
}

// ---------------------------------------------------------------------------------------------
// npm

async function fetchNpm(source: AppSource, archives: string, extract: string, log: (line: string) => void): Promise<Extracted> {
  // `npm pack` names the tarball `<scope>-<name>-<version>.tgz`.
  let tarball = `${source.name.replace(/^@/, '').replace(/\//g, '-')}-${source.version}.tgz`;
  if (!existsSync(path.join(archives, tarball))) {
    log(`intent: npm pack ${source.name}@${source.version}`);
    const stdout = await must('npm', ['pack', `${source.name}@${source.version}`, '--pack-destination', archives, '--json', '--loglevel=error'], archives);
    const reported = parsePackFilename(stdout);
    if (reported !== undefined) tarball = reported;
    if (!existsSync(path.join(archives, tarball))) throw new Error(`npm pack ${source.name}@${source.version} did not write ${tarball}`);
  }
  await must('tar', ['-xzf', path.join(archives, tarball), '-C', extract, '--no-same-owner'], extract);
  const packageJson = path.join(extract, 'package', 'package.json');
  const manifest: unknown = existsSync(packageJson) ? JSON.parse(await readFile(packageJson, 'utf8')) : {};
  const m = isRecord(manifest) ? manifest : {};
  if (typeof m['version'] === 'string' && m['version'] !== source.version) throw new Error(`npm pack gave version ${m['version']}, not the pinned ${source.version}`);
  return { archives: [tarball], licence: npmLicence(m), licenceSource: 'package.json', extractedWith: 'tar' };
}

function parsePackFilename(stdout: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(stdout);
    const first: unknown = Array.isArray(parsed) ? parsed[0] : undefined;
    return isRecord(first) && typeof first['filename'] === 'string' ? path.basename(first['filename'].replace(/^@/, '').replace(/\//g, '-')) : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Debian binary packages

async function fetchDebian(source: AppSource, archives: string, extract: string, log: (line: string) => void): Promise<Extracted> {
  const isPinnedDeb = (f: string): boolean => f.endsWith('.deb') && f.startsWith(`${source.name}_`) && decodeURIComponent(f.split('_')[1] ?? '') === source.version;
  let deb = (await readdir(archives)).find(isPinnedDeb);
  if (deb === undefined) {
    log(`intent: apt-get download ${source.name}=${source.version}`);
    await must('apt-get', ['download', '-q', `${source.name}=${source.version}`], archives);
    deb = (await readdir(archives)).find(isPinnedDeb);
    if (deb === undefined) throw new Error(`apt-get download ${source.name}=${source.version} wrote no .deb of that version`);
  }
  await must('dpkg-deb', ['-x', path.join(archives, deb), extract], extract);
  const copyright = path.join(extract, 'usr', 'share', 'doc', source.name, 'copyright');
  const text = existsSync(copyright) ? await readFile(copyright, 'utf8') : '';
  return { archives: [deb], licence: debianLicence(text), licenceSource: text === '' ? 'none' : 'debian/copyright', extractedWith: 'dpkg-deb -x' };
}

// ---------------------------------------------------------------------------------------------
// Debian source packages

const TARBALL = /\.(?:tar\.(?:gz|xz|bz2|lzma|zst)|tgz)$/;

async function fetchDebianSource(source: AppSource, archives: string, extract: string, log: (line: string) => void): Promise<Extracted> {
  const hasUpstream = (names: readonly string[]): boolean => names.some((f) => TARBALL.test(f) && !f.includes('.debian.tar.'));
  let names = await readdir(archives);
  if (!hasUpstream(names)) {
    const corpus = corpusPaths();
    await prepareSourceIndex(corpus, log);
    log(`intent: apt-get source --download-only ${source.name}=${source.version}`);
    const run = await runProgram('apt-get', [...aptSourceOptions(corpus), '-q', 'source', '--download-only', `${source.name}=${source.version}`], { cwd: archives, timeoutMs: 900_000 });
    names = await readdir(archives);
    // A mirror may lack the Debian part; the upstream tarball is what matters.
    if (!hasUpstream(names)) {
      const said = run.stderr.trim().split('\n');
      throw new Error(`apt-get source ${source.name}=${source.version}: ${said[said.length - 1] || 'no upstream tarball'}`);
    }
  }
  const dsc = names.find((f) => f.endsWith('.dsc'));
  const tarballs = names.filter((f) => TARBALL.test(f)).sort();
  const dscVersion = dsc === undefined ? undefined : decodeURIComponent(dsc.slice(0, -4).split('_')[1] ?? '');
  if (dscVersion !== undefined && dscVersion !== source.version.replace(/^\d+:/, '')) throw new Error(`apt-get source gave ${dsc}, not version ${source.version}`);
  let extractedWith: string;
  let top: string;
  if (dsc !== undefined && (await dscComplete(archives, dsc)) && (await hasProgram('dpkg-source'))) {
    // dpkg-source -x unpacks into <source>-<upstream version>/ under the current folder and applies the Debian patches.
    await must('dpkg-source', ['--no-copy', '-x', path.join(archives, dsc)], extract);
    top = await singleTopFolder(extract);
    // quilt's record of the patches holds unpatched copies of the files: not part of the app.
    await rm(path.join(top, '.pc'), { recursive: true, force: true });
    extractedWith = 'dpkg-source -x';
  } else {
    const upstream = tarballs.filter((f) => !f.includes('.debian.tar.'));
    const sourceName = (dsc ?? upstream[0] ?? source.name).split('_')[0] ?? source.name;
    const upstreamVersion = source.version.replace(/^\d+:/, '').replace(/-[^-]+$/, '');
    top = path.join(extract, `${sourceName}-${upstreamVersion}`);
    for (const t of upstream) {
      // `.orig-<component>.tar.*` goes into <component>/, as dpkg-source puts it.
      const component = /\.orig-([^.]+)\.tar\./.exec(t)?.[1];
      const into = component === undefined ? top : path.join(top, component);
      const unpack = path.join(extract, `.unpack-${component ?? 'main'}`);
      await mkdir(unpack, { recursive: true });
      await must('tar', ['-xf', path.join(archives, t), '-C', unpack, '--no-same-owner'], extract);
      await rm(into, { recursive: true, force: true });
      await mkdir(path.dirname(into), { recursive: true });
      await rename(await singleTopFolder(unpack), into);
      await rm(unpack, { recursive: true, force: true });
    }
    extractedWith = dsc === undefined ? 'tar (upstream tarball; no .dsc on the mirror)' : 'tar (upstream tarball; dpkg-source unavailable or the Debian part missing)';
  }
  const copyright = path.join(top, 'debian', 'copyright');
  let text = existsSync(copyright) ? await readFile(copyright, 'utf8') : '';
  const debianTar = tarballs.find((f) => f.includes('.debian.tar.'));
  if (text === '' && debianTar !== undefined) {
    const c = await runProgram('tar', ['-xOf', path.join(archives, debianTar), '--wildcards', '*debian/copyright']);
    if (c.code === 0) text = c.stdout;
  }
  // No Debian part on the mirror: the upstream licence file says what the licence is.
  const { licence, source: licenceSource } = text !== '' ? { licence: debianLicence(text), source: 'debian/copyright' } : await upstreamLicence(top);
  return { archives: names.filter((f) => f === dsc || TARBALL.test(f)).sort(), licence, licenceSource, extractedWith };
}

/** Whether every file the .dsc lists is in `dir` (dpkg-source needs them all). */
async function dscComplete(dir: string, dsc: string): Promise<boolean> {
  const text = await readFile(path.join(dir, dsc), 'utf8');
  const listed = [...text.matchAll(/^ [0-9a-f]{32,} \d+ (\S+)$/gm)].map((m) => m[1] ?? '');
  return listed.length > 0 && listed.every((f) => existsSync(path.join(dir, f)));
}

async function hasProgram(program: string): Promise<boolean> {
  try {
    return (await runProgram('sh', ['-c', `command -v ${program}`])).code === 0;
  } catch {
    return false;
  }
}

async function singleTopFolder(dir: string): Promise<string> {
  const entries = await readdir(dir, { withFileTypes: true });
  const only = entries[0];
  return entries.length === 1 && only !== undefined && only.isDirectory() ? path.join(dir, only.name) : dir;
}

// ---------------------------------------------------------------------------------------------
// The workspace

/**
 * Where `root` is inside the extracted package, relative to `extract` (forward slashes): as written;
 * else below the package's single top folder (`package/` of an npm tarball, `<source>-<version>/` of a
 * Debian source package), so that `src` and `package/src` both work; else with its first segment
 * taken as that top folder under another name. Undefined when none is a folder.
 */
export async function resolveRoot(extract: string, root: string): Promise<string | undefined> {
  const parts = root === '.' ? [] : root.split('/').filter((p) => p !== '');
  const candidates: string[][] = [parts];
  const entries = await readdir(extract, { withFileTypes: true });
  const only = entries.length === 1 && entries[0]?.isDirectory() ? entries[0].name : undefined;
  if (only !== undefined) {
    candidates.push([only, ...parts]);
    if (parts.length > 1) candidates.push([only, ...parts.slice(1)]);
  }
  for (const candidate of candidates) {
    try {
      if ((await stat(path.join(extract, ...candidate))).isDirectory()) return candidate.join('/');
    } catch {
      // not this one
    }
  }
  return undefined;
}

/** Removes vendored dependency folders at any depth; returns what was removed (relative, sorted). */
async function removeVendored(root: string): Promise<string[]> {
  const removed: string[] = [];
  const visit = async (rel: string): Promise<void> => {
    for (const e of await readdir(path.join(root, rel), { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const childRel = rel === '' ? e.name : `${rel}/${e.name}`;
      if (VENDORED_DIRS.has(e.name.toLowerCase())) {
        await rm(path.join(root, childRel), { recursive: true, force: true });
        removed.push(childRel);
      } else {
        await visit(childRel);
      }
    }
  };
  await visit('');
  return removed.sort();
}

async function archiveRecord(dir: string, file: string): Promise<ArchiveRecord> {
  const abs = path.join(dir, file);
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(abs)) hash.update(chunk as Buffer);
  return { file, bytes: (await stat(abs)).size, sha256: hash.digest('hex') };
}

// ---------------------------------------------------------------------------------------------
// The distractor workspace

interface NestedManifest {
  appFetchedAt: string;
  theia: string;
  theiaFiles: number;
  appFiles: number;
}

export interface NestedWorkspace {
  root: string;
  /** The folder of `root` the app is in: gold paths are prefixed with it. */
  appFolder: string;
  theiaFiles: number;
  appFiles: number;
}

/**
 * The app beside Eclipse Theia (the `bench:perf` corpus, fetched on first use) in one workspace:
 * `nested/theia/…` and `nested/app/…`, hard links (copies across file systems), rebuilt when the
 * app is fetched again.
 */
export async function ensureNested(app: string, fetched: FetchedApp, options: { cacheDir?: string; log: (line: string) => void }): Promise<NestedWorkspace> {
  const paths = appPaths(app, options.cacheDir);
  const theia = await ensureCorpus(corpusSpec('theia'), PERF_CACHE, options.log);
  const wanted: NestedManifest = { appFetchedAt: fetched.manifest.fetchedAt, theia: `${THEIA_VERSION} ${theia.manifest.createdAt}`, theiaFiles: theia.manifest.files, appFiles: fetched.manifest.files };
  const result: NestedWorkspace = { root: paths.nested, appFolder: NESTED_APP_FOLDER, theiaFiles: wanted.theiaFiles, appFiles: wanted.appFiles };
  if (existsSync(paths.nestedManifest) && existsSync(paths.nested)) {
    try {
      const have = JSON.parse(await readFile(paths.nestedManifest, 'utf8')) as NestedManifest;
      if (have.appFetchedAt === wanted.appFetchedAt && have.theia === wanted.theia) return result;
    } catch {
      // rebuilt below
    }
  }
  options.log(`intent: ${app}: building the distractor workspace (Theia + the app)`);
  const staging = `${paths.nested}.staging-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await linkTree(theia.root, path.join(staging, NESTED_THEIA_FOLDER));
  await linkTree(fetched.workspace, path.join(staging, NESTED_APP_FOLDER));
  await rm(paths.nestedManifest, { force: true });
  await rm(paths.nested, { recursive: true, force: true });
  await rename(staging, paths.nested);
  await writeFile(paths.nestedManifest, `${JSON.stringify(wanted, null, 2)}\n`);
  return result;
}

/** `from`'s tree at `to`: files hard-linked (copied when a link is refused), symbolic links recreated. */
async function linkTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const e of await readdir(from, { withFileTypes: true })) {
    const src = path.join(from, e.name);
    const dest = path.join(to, e.name);
    if (e.isDirectory()) await linkTree(src, dest);
    else if (e.isSymbolicLink()) await symlink(await readlink(src), dest);
    else if (e.isFile()) {
      try {
        await link(src, dest);
      } catch {
        await copyFile(src, dest);
      }
    } else if ((await lstat(src)).isFile()) await copyFile(src, dest);
  }
}

// ---------------------------------------------------------------------------------------------
// Command line: fetch and check

async function main(args: readonly string[]): Promise<void> {
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  // The benchmark's apps, then the apps that only train the second stage.
  const files = [...(await listAppFiles()), ...(await listAppFiles(TRAIN_APPS_DIR))];
  const chosen = args.length === 0 ? files : files.filter((f) => args.includes(path.basename(f, '.json')));
  if (chosen.length === 0) {
    log(args.length === 0 ? 'intent: no apps yet (scripts/intent-bench/apps/*.json, train-apps/*.json)' : `intent: no apps file for ${args.join(', ')}`);
    return;
  }
  let failed = 0;
  for (const file of chosen) {
    const name = path.basename(file, '.json');
    try {
      const app = await loadApp(file);
      const fetched = await ensureApp(app, { log });
      await loadApp(file, fetched.workspace);
      const warnings = await goldWarnings(app, fetched.workspace);
      const m = fetched.manifest;
      process.stdout.write(`${name}: ${m.registry} ${m.name}@${m.version} (${m.packageLicence}), ${m.files} files in ${path.relative(PACKAGE_ROOT, fetched.workspace)}${m.removed.length > 0 ? `, removed ${m.removed.join(', ')}` : ''}; ${app.queries.length} queries, gold checked${warnings.length > 0 ? `; ${warnings.length} warning(s):\n${warnings.map((w) => `  ${w}`).join('\n')}` : ''}\n`);
    } catch (error) {
      failed++;
      const message = error instanceof AppFileError ? [`${error.problems.length} problem(s)`, ...error.problems.map((p) => `  ${p}`)].join('\n') : messageOf(error);
      process.stdout.write(`${name}: FAILED: ${message}\n`);
    }
  }
  if (failed > 0) process.exitCode = 1;
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && import.meta.url === pathToFileURL(path.resolve(invokedPath)).href) {
  await main(process.argv.slice(2));
}

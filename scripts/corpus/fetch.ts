// Stage 1: fetch the catalog's packages into .cache/corpus/pkgs/<registry>.<name>@<version>/:
//   files/            the package's source files (only files with a source extension are kept)
//   provenance.json   name, version, registry, licence, archive; written last, so its presence
//                     means the package is complete and a re-run skips it.
// npm packages come from `npm pack` (with a private npm cache under .cache/corpus), Debian binary
// packages from `apt-get download` + `dpkg-deb -x`, Debian source packages from `apt-get source
// --download-only` against a private deb-src list under .cache/corpus/apt (no system file changes).

import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { messageOf } from '../../src/core/errors.js';
import { folderBytes } from '../../src/core/files.js';
import { dirname, join } from 'node:path';
import pLimit from 'p-limit';
import {
  type CatalogEntry,
  type CorpusLanguage,
  type CorpusPaths,
  type Provenance,
  Deadline,
  entryKey,
  extensionOf,
  formatBytes,
  increment,
  isRecord,
  packageDirName,
  pathFilter,
  readProvenance,
  runProgram,
  SOURCE_EXTENSIONS,
  writeJsonAtomic,
} from './common.js';

export interface FetchOptions {
  paths: CorpusPaths;
  entries: readonly CatalogEntry[];
  deadline: Deadline;
  concurrency: number;
  /** Archives larger than this are skipped. */
  maxArchiveBytes: number;
  /** No new package is fetched once pkgs/ holds this much. */
  maxTotalBytes: number;
  /** Keep downloaded archives after extraction (they are deleted by default: pkgs/ is the cache). */
  keepArchives: boolean;
  log: (message: string) => void;
}

export interface FetchedPackage {
  entry: CatalogEntry;
  dir: string;
  provenance: Provenance;
}

export interface FetchSummary {
  fetched: FetchedPackage[];
  /** Already complete from an earlier run. */
  cached: number;
  downloaded: number;
  failed: { entry: CatalogEntry; reason: string }[];
  /** Not attempted: deadline or total size reached. */
  skipped: number;
}

export async function fetchPackages(options: FetchOptions): Promise<FetchSummary> {
  const { paths, log } = options;
  await mkdir(paths.packages, { recursive: true });
  const summary: FetchSummary = { fetched: [], cached: 0, downloaded: 0, failed: [], skipped: 0 };
  let totalBytes = 0;
  const pending: CatalogEntry[] = [];
  for (const entry of options.entries) {
    const dir = join(paths.packages, packageDirName(entry));
    const provenance = readProvenance(dir);
    if (provenance !== undefined) {
      summary.fetched.push({ entry, dir, provenance });
      summary.cached++;
      totalBytes += provenance.bytes;
    } else {
      pending.push(entry);
    }
  }
  if (pending.length > 0) log(`fetch: ${summary.cached} packages cached, ${pending.length} to download`);
  if (pending.some((e) => e.registry === 'debian-source')) await prepareSourceIndex(paths, log);
  // One apt-get / npm process per batch instead of per package: each start costs about a second of CPU.
  await Promise.all([
    downloadDebsInBatches(pending.filter((e) => e.registry === 'debian'), options),
    packNpmInBatches(pending.filter((e) => e.registry === 'npm'), options),
    downloadSourcesInBatches(pending.filter((e) => e.registry === 'debian-source'), options),
  ]);

  const limit = pLimit(options.concurrency);
  let done = 0;
  await Promise.all(
    pending.map((entry) =>
      limit(async () => {
        if (options.deadline.expired || totalBytes >= options.maxTotalBytes) {
          summary.skipped++;
          return;
        }
        const dir = join(paths.packages, packageDirName(entry));
        try {
          const provenance = await fetchOne(entry, dir, options);
          summary.fetched.push({ entry, dir, provenance });
          summary.downloaded++;
          totalBytes += provenance.bytes;
        } catch (error) {
          const reason = messageOf(error);
          summary.failed.push({ entry, reason });
          log(`fetch: ${entry.registry}:${entry.name}@${entry.version} failed: ${reason.split('\n')[0] ?? reason}`);
        }
        done++;
        if (done % 25 === 0) log(`fetch: ${done}/${pending.length} (${formatBytes(totalBytes)} of source so far)`);
      }),
    ),
  );
  // The npm cache only served this run's `npm pack` calls; the tarballs are extracted.
  await rm(join(paths.root, 'npm-cache'), { recursive: true, force: true });
  // Keep catalog order, so every later stage is deterministic.
  const order = new Map(options.entries.map((e, i) => [entryKey(e), i]));
  summary.fetched.sort((a, b) => (order.get(entryKey(a.entry)) ?? 0) - (order.get(entryKey(b.entry)) ?? 0));
  return summary;
}

async function fetchOne(entry: CatalogEntry, dir: string, options: FetchOptions): Promise<Provenance> {
  const work = `${dir}.partial`;
  await rm(work, { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  let result: FetchResult;
  try {
    switch (entry.registry) {
      case 'npm':
        result = await fetchNpm(entry, work, options);
        break;
      case 'debian':
        result = await fetchDebianBinary(entry, work, options);
        break;
      case 'debian-source':
        result = await fetchDebianSource(entry, work, options);
        break;
    }
  } catch (error) {
    await rm(work, { recursive: true, force: true });
    throw error;
  }
  const filesDir = join(work, 'files');
  const { files, bytes } = await countFiles(filesDir);
  if (files === 0) {
    await rm(work, { recursive: true, force: true });
    throw new Error('no source files in the package');
  }
  const provenance: Provenance = {
    registry: entry.registry,
    name: entry.name,
    version: result.version,
    pinnedVersion: entry.version,
    language: entry.language,
    licence: result.licence,
    licenceSource: result.licenceSource,
    ...(result.homepage !== undefined ? { homepage: result.homepage } : {}),
    archive: result.archive,
    archiveBytes: result.archiveBytes,
    files,
    bytes,
    fetchedAt: new Date().toISOString(),
  };
  await writeJsonAtomic(join(work, 'provenance.json'), provenance);
  await rename(work, dir);
  return provenance;
}

type FetchResult = Omit<Provenance, 'files' | 'bytes' | 'fetchedAt' | 'registry' | 'name' | 'pinnedVersion' | 'language'>;

// ---------------------------------------------------------------------------------------------
// npm

async function fetchNpm(entry: CatalogEntry, work: string, options: FetchOptions): Promise<FetchResult> {
  const downloads = join(options.paths.downloads, 'npm');
  await mkdir(downloads, { recursive: true });
  const spec = `${entry.name}@${entry.version}`;
  const filename = npmTarballName(entry);
  const archive = join(downloads, filename);
  if (!existsSync(archive)) {
    const run = await runProgram('npm', ['pack', spec, ...npmPackFlags(options, downloads)], { timeoutMs: 180_000 });
    if (run.code !== 0) throw new Error(`npm pack ${spec}: ${run.stderr.trim() || run.stdout.trim()}`);
    if (!existsSync(archive)) throw new Error(`npm pack ${spec}: ${filename} not written`);
  }
  const archiveBytes = (await stat(archive)).size;
  if (archiveBytes > options.maxArchiveBytes) {
    await rm(archive, { force: true });
    throw new Error(`archive ${formatBytes(archiveBytes)} is over --max-archive-mb`);
  }
  const raw = join(work, 'raw');
  await mkdir(raw, { recursive: true });
  const tar = await runProgram('tar', ['-xzf', archive, '-C', raw, '--no-same-owner']);
  if (tar.code !== 0) throw new Error(`tar: ${tar.stderr.trim()}`);
  const top = join(raw, 'package');
  const manifest: unknown = existsSync(join(top, 'package.json')) ? JSON.parse(await readFile(join(top, 'package.json'), 'utf8')) : {};
  const m = isRecord(manifest) ? manifest : {};
  const version = typeof m['version'] === 'string' ? m['version'] : entry.version;
  await keepSourceFiles(existsSync(top) ? top : raw, join(work, 'files'), pathFilter(entry));
  await rm(raw, { recursive: true, force: true });
  if (!options.keepArchives) await rm(archive, { force: true });
  const homepage = typeof m['homepage'] === 'string' ? m['homepage'] : undefined;
  return { version, licence: npmLicence(m), licenceSource: 'package.json', ...(homepage !== undefined ? { homepage } : {}), archive: filename, archiveBytes };
}

/** The file `npm pack` writes: `@scope/name` becomes `scope-name-<version>.tgz`. */
function npmTarballName(entry: CatalogEntry): string {
  return `${entry.name.replace(/^@/, '').replace(/\//g, '-')}-${entry.version}.tgz`;
}

function npmPackFlags(options: FetchOptions, downloads: string): string[] {
  return ['--pack-destination', downloads, '--json', '--loglevel=error', '--cache', join(options.paths.root, 'npm-cache')];
}

/** Packs many npm packages per `npm pack` call; failures are left to the per-package fetch, which reports them. */
async function packNpmInBatches(entries: readonly CatalogEntry[], options: FetchOptions): Promise<void> {
  const downloads = join(options.paths.downloads, 'npm');
  await mkdir(downloads, { recursive: true });
  const todo = entries.filter((e) => !existsSync(join(downloads, npmTarballName(e))));
  for (let i = 0; i < todo.length && !options.deadline.expired; i += 12) {
    const batch = todo.slice(i, i + 12);
    await runProgram('npm', ['pack', ...batch.map((e) => `${e.name}@${e.version}`), ...npmPackFlags(options, downloads)], { timeoutMs: 600_000 });
  }
}

/**
 * Downloads many source packages per `apt-get source --download-only` call into a staging folder,
 * then sorts the files into downloads/src/<name>/ (Debian file names start with `<source>_`).
 * Whatever a batch misses is retried one package at a time by the per-package fetch.
 */
async function downloadSourcesInBatches(entries: readonly CatalogEntry[], options: FetchOptions): Promise<void> {
  if (entries.length === 0) return;
  const root = join(options.paths.downloads, 'src');
  const staging = join(root, '_batch');
  await mkdir(staging, { recursive: true });
  const aptOptions = aptSourceOptions(options.paths);
  for (let i = 0; i < entries.length && !options.deadline.expired; i += 25) {
    const batch = entries.slice(i, i + 25);
    await runProgram('apt-get', [...aptOptions, '-q', 'source', '--download-only', ...batch.map((e) => `${e.name}=${e.version}`)], { cwd: staging, timeoutMs: 900_000 });
    const files = await readdir(staging);
    for (const e of batch) {
      const mine = files.filter((f) => f.startsWith(`${e.name}_`));
      if (mine.length === 0) continue;
      const dir = join(root, e.name);
      await mkdir(dir, { recursive: true });
      for (const f of mine) await rename(join(staging, f), join(dir, f));
    }
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
  }
  await rm(staging, { recursive: true, force: true });
}

/** A .deb of the entry already in `dir`: the pinned version if there, else none. */
async function findDeb(dir: string, entry: CatalogEntry): Promise<string | undefined> {
  const names = existsSync(dir) ? await readdir(dir) : [];
  return names.find((f) => f.endsWith('.deb') && f.startsWith(`${entry.name}_`) && decodeURIComponent(f.split('_')[1] ?? '') === entry.version);
}

/**
 * Downloads many .debs per `apt-get download` call. apt refuses a whole call when one pinned
 * version is missing; such a batch is left to the per-package fetch, which falls back.
 */
async function downloadDebsInBatches(entries: readonly CatalogEntry[], options: FetchOptions): Promise<void> {
  const downloads = join(options.paths.downloads, 'deb');
  await mkdir(downloads, { recursive: true });
  const batches: CatalogEntry[][] = [];
  for (let i = 0; i < entries.length; i += 40) batches.push(entries.slice(i, i + 40));
  const limit = pLimit(2);
  await Promise.all(
    batches.map((batch) =>
      limit(async () => {
        if (options.deadline.expired) return;
        await runProgram('apt-get', ['download', '-q', ...batch.map((e) => `${e.name}=${e.version}`)], { cwd: downloads, timeoutMs: 600_000 });
      }),
    ),
  );
}

export function npmLicence(manifest: Record<string, unknown>): string {
  const licence = manifest['license'];
  if (typeof licence === 'string') return licence;
  if (isRecord(licence) && typeof licence['type'] === 'string') return licence['type'];
  const licences = manifest['licenses'];
  if (Array.isArray(licences)) {
    const types = licences.map((l: unknown) => (isRecord(l) && typeof l['type'] === 'string' ? l['type'] : '')).filter((t) => t !== '');
    if (types.length > 0) return types.join(' OR ');
  }
  return 'UNKNOWN';
}

// ---------------------------------------------------------------------------------------------
// Debian binary packages

/** Where Debian puts each language's library sources; files elsewhere in a .deb are not kept. */
const DEBIAN_SOURCE_ROOTS: readonly RegExp[] = [
  /^usr\/lib\/python3\/dist-packages\//,
  /^usr\/lib\/python3\.\d+\/(?:site|dist)-packages\//,
  /^usr\/share\/gocode\/src\//,
  /^usr\/share\/cargo\/registry\//,
  /^usr\/share\/rubygems-integration\/all\/gems\//,
  /^usr\/lib\/[^/]+\/rubygems-integration\/[^/]+\/gems\//,
  /^usr\/lib\/ruby\/vendor_ruby\//,
  /^usr\/lib\/[^/]+\/ruby\/vendor_ruby\/[^/]+\//,
  /^usr\/share\/php\//,
  /^usr\/share\/horde\//,
  /^usr\/share\/nodejs\//,
  /^usr\/include\//,
];

async function fetchDebianBinary(entry: CatalogEntry, work: string, options: FetchOptions): Promise<FetchResult> {
  const downloads = join(options.paths.downloads, 'deb');
  await mkdir(downloads, { recursive: true });
  let deb = await findDeb(downloads, entry);
  if (deb === undefined) {
    let run = await runProgram('apt-get', ['download', '-q', `${entry.name}=${entry.version}`], { cwd: downloads, timeoutMs: 300_000 });
    if (run.code !== 0 && !VERSION_MISSING.test(run.stderr)) throw new Error(`apt-get download ${entry.name}: ${lastLine(run.stderr)}`);
    if (run.code !== 0) {
      // A pinned version can disappear with a point release: take the current one and say so.
      options.log(`fetch: ${entry.name}=${entry.version} unavailable, taking the current version`);
      run = await runProgram('apt-get', ['download', '-q', entry.name], { cwd: downloads, timeoutMs: 300_000 });
      if (run.code !== 0) throw new Error(`apt-get download ${entry.name}: ${lastLine(run.stderr)}`);
    }
    deb = (await readdir(downloads)).filter((f) => f.startsWith(`${entry.name}_`) && f.endsWith('.deb')).sort().pop();
  }
  if (deb === undefined) throw new Error(`apt-get download ${entry.name}: no .deb written`);
  const archive = join(downloads, deb);
  const archiveBytes = (await stat(archive)).size;
  const version = decodeURIComponent(deb.split('_')[1] ?? entry.version);
  if (archiveBytes > options.maxArchiveBytes) {
    await rm(archive, { force: true });
    throw new Error(`archive ${formatBytes(archiveBytes)} is over --max-archive-mb`);
  }
  const raw = join(work, 'raw');
  await mkdir(raw, { recursive: true });
  const x = await runProgram('dpkg-deb', ['-x', archive, raw]);
  if (x.code !== 0) throw new Error(`dpkg-deb -x: ${lastLine(x.stderr)}`);
  const files = join(work, 'files');
  const accepts = pathFilter(entry);
  await keepSourceFiles(raw, files, () => true, (rel) => {
    for (const root of DEBIAN_SOURCE_ROOTS) {
      const m = root.exec(rel);
      if (m !== null) {
        const mapped = rel.slice(m[0].length);
        return accepts(mapped) ? mapped : undefined;
      }
    }
    return undefined;
  });
  const copyrightPath = join(raw, 'usr', 'share', 'doc', entry.name, 'copyright');
  const copyright = existsSync(copyrightPath) ? await readFile(copyrightPath, 'utf8') : '';
  if (copyright !== '') await writeFile(join(work, 'copyright'), copyright);
  await rm(raw, { recursive: true, force: true });
  if (!options.keepArchives) await rm(archive, { force: true });
  return { version, licence: debianLicence(copyright), licenceSource: 'debian/copyright', archive: deb, archiveBytes, ...homepageOf(copyright) };
}

// ---------------------------------------------------------------------------------------------
// Debian source packages

/** apt-get options that point apt at the private deb-src index of `prepareSourceIndex` (nothing outside `paths.apt` is read or written). */
export function aptSourceOptions(paths: CorpusPaths): string[] {
  return [
    '-o', `Dir::Etc::SourceList=${join(paths.apt, 'sources.list')}`,
    '-o', 'Dir::Etc::SourceParts=/nonexistent',
    '-o', `Dir::State::Lists=${join(paths.apt, 'lists')}`,
    '-o', `Dir::Cache=${join(paths.apt, 'cache')}`,
    '-o', 'APT::Sandbox::User=root',
  ];
}

let sourceIndexReady: Promise<void> | undefined;

/** A private deb-src index for `apt-get source` (bookworm main), refreshed when older than a day. */
export function prepareSourceIndex(paths: CorpusPaths, log: (m: string) => void): Promise<void> {
  sourceIndexReady ??= (async () => {
    await mkdir(join(paths.apt, 'lists', 'partial'), { recursive: true });
    await mkdir(join(paths.apt, 'cache', 'archives', 'partial'), { recursive: true });
    const list = join(paths.apt, 'sources.list');
    const suite = await debianSuite();
    await writeFile(list, `deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian ${suite} main\n`);
    const stamp = join(paths.apt, 'updated');
    const fresh = existsSync(stamp) && Date.now() - (await stat(stamp)).mtimeMs < 86_400_000;
    if (fresh) return;
    log(`fetch: updating the private deb-src index (${suite})`);
    const run = await runProgram('apt-get', [...aptSourceOptions(paths), '-q', 'update'], { timeoutMs: 300_000 });
    if (run.code !== 0) throw new Error(`apt-get update (deb-src): ${lastLine(run.stderr)}`);
    await writeFile(stamp, new Date().toISOString());
  })();
  return sourceIndexReady;
}

async function debianSuite(): Promise<string> {
  const osRelease = existsSync('/etc/os-release') ? await readFile('/etc/os-release', 'utf8') : '';
  return /^VERSION_CODENAME=(\w+)/m.exec(osRelease)?.[1] ?? 'bookworm';
}

async function fetchDebianSource(entry: CatalogEntry, work: string, options: FetchOptions): Promise<FetchResult> {
  await prepareSourceIndex(options.paths, options.log);
  const downloads = join(options.paths.downloads, 'src', entry.name);
  await mkdir(downloads, { recursive: true });
  const hasUpstream = (names: readonly string[]): boolean => names.some((f) => /\.tar\.|\.tgz$/.test(f) && !f.includes('.debian.tar.'));
  let names = await readdir(downloads);
  if (!hasUpstream(names)) {
    const aptOptions = aptSourceOptions(options.paths);
    let run = await runProgram('apt-get', [...aptOptions, '-q', 'source', '--download-only', `${entry.name}=${entry.version}`], { cwd: downloads, timeoutMs: 300_000 });
    if (run.code !== 0 && VERSION_MISSING.test(run.stderr)) {
      options.log(`fetch: source ${entry.name}=${entry.version} unavailable, taking the current version`);
      run = await runProgram('apt-get', [...aptOptions, '-q', 'source', '--download-only', entry.name], { cwd: downloads, timeoutMs: 300_000 });
    }
    // A mirror may lack some files of a source package (the Debian part, say): what matters is
    // the upstream tarball.
    names = await readdir(downloads);
    if (!hasUpstream(names)) {
      await rm(downloads, { recursive: true, force: true });
      throw new Error(`apt-get source ${entry.name}: ${lastLine(run.stderr) || 'no upstream tarball'}`);
    }
  }
  const dsc = names.find((f) => f.endsWith('.dsc'));
  const version = dsc === undefined ? entry.version : decodeURIComponent(dsc.slice(0, -4).split('_')[1] ?? entry.version);
  const tarballs = names.filter((f) => /\.tar\.(?:gz|xz|bz2|lzma|zst)$|\.tgz$/.test(f));
  const debianTar = tarballs.find((f) => f.includes('.debian.tar.'));
  // The upstream tarball: `.orig.tar.*` (plus `.orig-<component>.tar.*`), or the native `.tar.*`.
  const upstream = tarballs.filter((f) => f !== debianTar);
  if (upstream.length === 0) throw new Error(`apt-get source ${entry.name}: no upstream tarball`);
  let archiveBytes = 0;
  for (const t of tarballs) archiveBytes += (await stat(join(downloads, t))).size;
  if (archiveBytes > options.maxArchiveBytes) {
    await rm(downloads, { recursive: true, force: true });
    throw new Error(`archive ${formatBytes(archiveBytes)} is over --max-archive-mb`);
  }
  const raw = join(work, 'raw');
  const files = join(work, 'files');
  for (const t of upstream.sort()) {
    const component = /\.orig-([^.]+)\.tar\./.exec(t)?.[1];
    const into = component === undefined ? join(raw, 'main') : join(raw, component);
    await mkdir(into, { recursive: true });
    const x = await runProgram('tar', ['-xf', join(downloads, t), '-C', into, '--no-same-owner']);
    if (x.code !== 0) throw new Error(`tar ${t}: ${lastLine(x.stderr)}`);
    // Strip the single top folder an upstream tarball usually has.
    const top = await singleTopFolder(into);
    await keepSourceFiles(top, component === undefined ? files : join(files, component), pathFilter(entry));
  }
  let copyright = '';
  const copyrightSource = debianTar ?? upstream.find((f) => !f.includes('.orig'));
  if (copyrightSource !== undefined) {
    const c = await runProgram('tar', ['-xOf', join(downloads, copyrightSource), '--wildcards', '*debian/copyright']);
    if (c.code === 0) copyright = c.stdout;
  }
  let licence: string;
  let licenceSource: string;
  if (copyright !== '') {
    await writeFile(join(work, 'copyright'), copyright);
    licence = debianLicence(copyright);
    licenceSource = 'debian/copyright';
  } else {
    // No Debian part on the mirror: name the licence from the upstream licence file.
    const found = await upstreamLicence(await singleTopFolder(join(raw, 'main')));
    licence = found.licence;
    licenceSource = found.source;
  }
  await rm(raw, { recursive: true, force: true });
  if (!options.keepArchives) await rm(downloads, { recursive: true, force: true });
  return { version, licence, licenceSource, archive: upstream.join(' '), archiveBytes, ...homepageOf(copyright) };
}

/** apt's complaint when a pinned version is not in the index. */
const VERSION_MISSING = /(?:Version '[^']*' for '[^']*' was not found|Can not find version|Unable to find a source package|Unable to locate package)/i;

/** The licence named by a source tree's top-level LICENSE/COPYING file, for packages whose Debian part is missing. */
export async function upstreamLicence(dir: string): Promise<{ licence: string; source: string }> {
  let names: string[] = [];
  try {
    names = await readdir(dir);
  } catch {
    return { licence: 'UNKNOWN', source: 'none' };
  }
  const file = names.find((n) => /^(?:LICEN[CS]E|COPYING|COPYRIGHT)(?:[._-].*)?$/i.test(n));
  if (file === undefined) return { licence: 'UNKNOWN', source: 'none' };
  const text = await readFile(join(dir, file), 'utf8');
  const licence = debianLicence(text);
  return { licence: licence === 'see debian/copyright' ? `see ${file}` : licence, source: `upstream ${file}` };
}

async function singleTopFolder(dir: string): Promise<string> {
  const entries = await readdir(dir, { withFileTypes: true });
  const only = entries[0];
  return entries.length === 1 && only !== undefined && only.isDirectory() ? join(dir, only.name) : dir;
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

/**
 * Moves the files with a source extension from `from` into `to`, keeping relative paths (or the
 * path `map` returns; undefined drops the file). Symlinks and everything else are left behind.
 */
async function keepSourceFiles(from: string, to: string, accept: (rel: string) => boolean, map: (rel: string) => string | undefined = (r) => r): Promise<void> {
  const stack: string[] = [''];
  while (stack.length > 0) {
    const rel = stack.pop() ?? '';
    const abs = rel === '' ? from : join(from, rel);
    let entries;
    try {
      entries = await readdir(abs, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const childRel = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) {
        stack.push(childRel);
        continue;
      }
      if (!e.isFile() || !SOURCE_EXTENSIONS.has(extensionOf(e.name)) || !accept(childRel)) continue;
      const target = map(childRel);
      if (target === undefined || target === '') continue;
      const dest = join(to, target);
      if (existsSync(dest)) continue;
      await mkdir(dirname(dest), { recursive: true });
      try {
        await rename(join(from, childRel), dest);
      } catch {
        await copyFile(join(from, childRel), dest);
      }
    }
  }
}

async function countFiles(dir: string): Promise<{ files: number; bytes: number }> {
  if (!existsSync(dir)) return { files: 0, bytes: 0 };
  let files = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop() ?? dir;
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) stack.push(join(d, e.name));
      else if (e.isFile()) files++;
    }
  }
  return { files, bytes: await folderBytes(dir) };
}

/**
 * The licence of a Debian package from its copyright file: in the machine-readable format, the
 * `License:` of the `Files: *` paragraph (else the first `License:`); otherwise a well-known
 * licence named in the text, or `see debian/copyright`.
 */
export function debianLicence(copyright: string): string {
  if (copyright.trim() === '') return 'UNKNOWN';
  const paragraphs = copyright.replace(/\r\n?/g, '\n').split(/\n\s*\n/);
  const field = (p: string, name: string): string | undefined => new RegExp(`^${name}:[ \\t]*(.*)$`, 'mi').exec(p)?.[1]?.trim();
  const star = paragraphs.find((p) => /^Files:\s*\*\s*$/m.test(p) && field(p, 'License') !== undefined);
  const licence = (star !== undefined ? field(star, 'License') : undefined) ?? paragraphs.map((p) => field(p, 'License')).find((l) => l !== undefined && l !== '');
  if (licence !== undefined && licence !== '') return licence;
  return knownLicence(copyright) ?? 'see debian/copyright';
}

/** A licence recognised from its usual wording, for copyright and licence files in free form. */
function knownLicence(text: string): string | undefined {
  const t = text.replace(/\s+/g, ' ');
  const rules: Array<[RegExp, string]> = [
    [/Apache License,? Version 2\.0/i, 'Apache-2.0'],
    [/GNU LESSER GENERAL PUBLIC LICENSE|GNU Library General Public License/i, 'LGPL'],
    [/GNU AFFERO GENERAL PUBLIC LICENSE/i, 'AGPL'],
    [/GNU GENERAL PUBLIC LICENSE/i, 'GPL'],
    [/Mozilla Public License,? (?:Version )?2\.0/i, 'MPL-2.0'],
    [/Eclipse Public License/i, 'EPL'],
    [/Microsoft Public License/i, 'MS-PL'],
    [/\bMIT License\b|Permission is hereby granted, free of charge/i, 'MIT'],
    [/Permission to use, copy, modify,? and(?:\/or)? distribute this software for any purpose/i, 'ISC'],
    [/Redistribution and use in source and binary forms/i, 'BSD'],
    [/This software is provided 'as-is'/i, 'Zlib'],
    [/Boost Software License/i, 'BSL-1.0'],
    [/public domain/i, 'public-domain'],
  ];
  return rules.find(([re]) => re.test(t))?.[1];
}

function homepageOf(copyright: string): { homepage?: string } {
  const source = /^Source:\s*(\S+)/m.exec(copyright)?.[1];
  return source !== undefined && /^https?:\/\//.test(source) ? { homepage: source } : {};
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1] ?? '';
}

/** Packages per language among those fetched. */
export function packagesPerLanguage(fetched: readonly FetchedPackage[]): Map<CorpusLanguage, number> {
  const counts = new Map<CorpusLanguage, number>();
  for (const f of fetched) increment(counts, f.entry.language);
  return counts;
}

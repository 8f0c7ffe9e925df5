// Shared pieces of the corpus harvest: cache layout, catalog and record types, stable hashing,
// subprocesses, JSON Lines, and the walk that decides which files of a package are its source.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ChunkKind, LanguageId } from '../../src/core/types.js';
import { PACKAGE_ROOT } from '../../src/core/models.js';

// ---------------------------------------------------------------------------------------------
// Layout

export interface CorpusPaths {
  root: string;
  /** Downloaded archives: npm tarballs, .deb files, Debian source tarballs. */
  downloads: string;
  /** One folder per package: `files/` (its source tree) and `provenance.json` (written last). */
  packages: string;
  /** Private apt configuration for Debian source packages (deb-src), so nothing outside the cache changes. */
  apt: string;
  pairs: string;
  bench: string;
}

export function corpusPaths(root = join(PACKAGE_ROOT, '.cache', 'corpus')): CorpusPaths {
  return {
    root,
    downloads: join(root, 'downloads'),
    packages: join(root, 'pkgs'),
    apt: join(root, 'apt'),
    pairs: join(root, 'pairs'),
    bench: join(root, 'bench'),
  };
}

// ---------------------------------------------------------------------------------------------
// Catalog (scripts/corpus/catalog.json) and provenance

/** Languages a package is filed under (its main language; its files may include others). */
export const CORPUS_LANGUAGES = ['typescript', 'javascript', 'python', 'go', 'rust', 'ruby', 'php', 'java', 'csharp', 'c', 'cpp'] as const;
export type CorpusLanguage = (typeof CORPUS_LANGUAGES)[number];

export function isCorpusLanguage(value: string): value is CorpusLanguage {
  return (CORPUS_LANGUAGES as readonly string[]).includes(value);
}

/** How the files of a package are obtained. */
export type Registry = 'npm' | 'debian' | 'debian-source';

export interface CatalogEntry {
  registry: Registry;
  name: string;
  /** Pinned version: `npm pack name@version`, `apt-get download name=version`, `apt-get source name=version`. */
  version: string;
  language: CorpusLanguage;
  /** Folders (relative to the package's files) whose files are taken; all when absent. The
   * test/vendored/build folder filters apply below these folders only. */
  include?: string[];
  /** Extra path patterns to leave out (a `*` matches within one path segment, `**` across segments). */
  exclude?: string[];
}

export interface Catalog {
  /** How the Debian part was chosen (written by curate.ts). */
  note?: string;
  packages: CatalogEntry[];
}

export const CATALOG_PATH = join(PACKAGE_ROOT, 'scripts', 'corpus', 'catalog.json');

export function loadCatalog(path = CATALOG_PATH): Catalog {
  const raw: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (!isRecord(raw) || !Array.isArray(raw['packages'])) throw new TypeError(`${path}: expected { packages: [...] }`);
  const packages: CatalogEntry[] = [];
  const slugs = new Map<string, string>();
  for (const item of raw['packages']) {
    const entry = parseCatalogEntry(item, path);
    const slug = packageSlug(entry.name);
    const previous = slugs.get(slug);
    if (previous !== undefined && previous !== entryKey(entry)) {
      throw new TypeError(`${path}: ${entryKey(entry)} and ${previous} share the workspace name ${slug}`);
    }
    slugs.set(slug, entryKey(entry));
    packages.push(entry);
  }
  const note = raw['note'];
  return typeof note === 'string' ? { note, packages } : { packages };
}

function parseCatalogEntry(item: unknown, path: string): CatalogEntry {
  if (!isRecord(item)) throw new TypeError(`${path}: a package entry is not an object`);
  const { registry, name, version, language, include, exclude } = item;
  if (registry !== 'npm' && registry !== 'debian' && registry !== 'debian-source') {
    throw new TypeError(`${path}: invalid registry ${String(registry)}`);
  }
  if (typeof name !== 'string' || name === '' || typeof version !== 'string' || version === '') {
    throw new TypeError(`${path}: a ${registry} entry needs a name and a version`);
  }
  if (typeof language !== 'string' || !isCorpusLanguage(language)) {
    throw new TypeError(`${path}: ${name}: invalid language ${String(language)}`);
  }
  const entry: CatalogEntry = { registry, name, version, language };
  if (include !== undefined) entry.include = stringList(include, `${name}.include`);
  if (exclude !== undefined) entry.exclude = stringList(exclude, `${name}.exclude`);
  return entry;
}

function stringList(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) {
    throw new TypeError(`catalog: ${what} must be a list of strings`);
  }
  return value;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function entryKey(entry: { registry: Registry; name: string }): string {
  return `${entry.registry}:${entry.name}`;
}

/** A folder-safe, registry-free package name: `@effect/platform` → `effect__platform`. */
export function packageSlug(name: string): string {
  return name.replace(/^@/, '').replace(/\//g, '__').replace(/[^A-Za-z0-9._+-]/g, '_');
}

/** The package's folder under `pkgs/`: name and version, both made folder-safe. */
export function packageDirName(entry: CatalogEntry): string {
  const version = entry.version.replace(/[^A-Za-z0-9.+-]/g, '_');
  return `${entry.registry}.${packageSlug(entry.name)}@${version}`;
}

/** What fetch records about a package; its presence marks the package as complete. */
export interface Provenance {
  registry: Registry;
  name: string;
  /** The version actually fetched (the pinned one unless it was no longer available). */
  version: string;
  pinnedVersion: string;
  language: CorpusLanguage;
  licence: string;
  /** Where the licence statement came from (package.json, debian/copyright). */
  licenceSource: string;
  homepage?: string;
  archive: string;
  archiveBytes: number;
  /** Source files kept under files/ and their size. */
  files: number;
  bytes: number;
  fetchedAt: string;
}

export function readProvenance(packageDir: string): Provenance | undefined {
  const path = join(packageDir, 'provenance.json');
  if (!existsSync(path)) return undefined;
  const raw: unknown = JSON.parse(readFileSync(path, 'utf8'));
  return isRecord(raw) && typeof raw['name'] === 'string' ? (raw as unknown as Provenance) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Records written by the pipeline

export type Split = 'train' | 'valid' | 'test';
export const SPLITS: readonly Split[] = ['train', 'valid', 'test'];

export interface Pair {
  id: string;
  pkg: string;
  language: LanguageId;
  path: string;
  symbol: string;
  kind: ChunkKind;
  startLine: number;
  endLine: number;
  query: string;
  code: string;
}

export interface BenchQuery {
  query: string;
  workspace: string;
  path: string;
  startLine: number;
  endLine: number;
  symbol: string;
  language: LanguageId;
}

/**
 * The split of a package, from a hash of its registry and name only: a package never changes
 * split when others are added or removed, or when its version changes. ~80% train, ~10% each.
 */
export function splitOf(entry: { registry: Registry; name: string }): Split {
  const u = unitHash(`codeintent-corpus-split:${entry.registry === 'npm' ? 'npm' : 'debian'}:${entry.name}`);
  return u < 0.8 ? 'train' : u < 0.9 ? 'valid' : 'test';
}

/** A number in [0, 1) from the first 48 bits of sha256(text). */
export function unitHash(text: string): number {
  const hex = createHash('sha256').update(text).digest('hex').slice(0, 12);
  return Number.parseInt(hex, 16) / 2 ** 48;
}

/** `items` in the stable pseudo-random order of unitHash(key(item)), each key hashed once. */
export function sortByHash<T>(items: readonly T[], key: (item: T) => string): T[] {
  return items
    .map((item) => ({ item, at: unitHash(key(item)) }))
    .sort((a, b) => a.at - b.at)
    .map(({ item }) => item);
}

export function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/** Hash of code with all whitespace removed: copies that differ only in layout collide. */
export function normalisedCodeHash(code: string): string {
  return sha1(code.replace(/\s+/g, ''));
}

// ---------------------------------------------------------------------------------------------
// Files

/** Source extensions of the languages the chunker understands. */
export const SOURCE_EXTENSIONS = new Set([
  '.ts', '.mts', '.cts', '.tsx', '.js', '.mjs', '.cjs', '.jsx', '.py', '.go', '.rs', '.rb', '.php', '.java', '.cs',
  '.c', '.h', '.cc', '.cpp', '.cxx', '.c++', '.hh', '.hpp', '.hxx', '.h++', '.ipp', '.tcc', '.inl',
]);

/** Folders whose files are tests, examples, docs, vendored or build copies: never corpus material. */
const SKIPPED_DIRS = new Set([
  'test', 'tests', '__tests__', '__test__', 'testing', 'testdata', 'test-data', 'test_data', 'testsuite', 'testutil',
  'testutils', 'test-utils', 'test_utils', 'spec', 'specs', '__mocks__', 'mocks', 'fixtures', 'fixture', 'e2e',
  'example', 'examples', 'sample', 'samples', 'demo', 'demos', 'benchmark', 'benchmarks', 'bench', 'benches',
  'doc', 'docs', 'documentation', 'vendor', 'vendored', 'third_party', 'third-party', 'thirdparty', '3rdparty',
  'external', 'extern', 'node_modules', 'bower_components', '__pycache__', '.git', '.github', 'debian',
  'dist', 'umd', 'bundles', 'min', 'coverage', 'scripts', 'tools', 'contrib', 'site-packages', 'ai-docs', 'skills',
]);

const TEST_FILE = [
  /(^|[._-])(test|spec)s?\.[a-z+]+$/i, // foo.test.ts, foo.spec.js, foo_test.go via next rule too
  /_test\.(go|py|rb|c|cc|cpp)$/i,
  /^test_.*\.py$/i,
  /^conftest\.py$/i,
  /_spec\.rb$/i,
  /Tests?\.(java|cs|php)$/,
  /(^|[._-])tests?\.(c|h|cc|cpp)$/i,
];

const GENERATED_FILE = [
  /\.d\.[mc]?ts$/, /\.min\.[mc]?js$/, /\.bundle\.[mc]?js$/, /\.pb\.(go|cc|h)$/, /_pb2(_grpc)?\.py$/, /_pb\.js$/,
  /\.generated\.[a-z]+$/i, /\.g\.cs$/, /^zz_generated/, /\.designer\.cs$/i, /^AssemblyInfo\.cs$/, /^setup\.py$/,
  /^__init__\.pyi$/, /\.pyi$/, /^_version\.py$/, /^version\.py$/,
];

export function extensionOf(path: string): string {
  const slash = path.lastIndexOf('/');
  const dot = path.lastIndexOf('.');
  return dot > slash + 1 ? path.slice(dot).toLowerCase() : '';
}

/**
 * Whether a path (relative to a package's files, forward slashes) is corpus material: a source
 * extension, not a test, example, doc, vendored, bundled or generated file.
 */
export function isSourcePath(path: string): boolean {
  if (!SOURCE_EXTENSIONS.has(extensionOf(path))) return false;
  const parts = path.split('/');
  const base = parts[parts.length - 1] ?? '';
  for (let i = 0; i < parts.length - 1; i++) {
    const dir = (parts[i] ?? '').toLowerCase();
    if (SKIPPED_DIRS.has(dir) || dir.startsWith('.')) return false;
  }
  if (TEST_FILE.some((re) => re.test(base))) return false;
  if (GENERATED_FILE.some((re) => re.test(base))) return false;
  return true;
}

/** Glob-lite: `*` within a segment, `**` across segments; matched against the whole relative path. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] ?? '';
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          i++;
          out += '(?:.*/)?';
        } else {
          out += '.*';
        }
      } else {
        out += '[^/]*';
      }
    } else if (c === '?') {
      out += '[^/]';
    } else {
      out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${out}(?:/.*)?$`);
}

export interface SourceFileLimits {
  /** Largest file taken, in bytes. */
  maxFileBytes: number;
  /** Files taken per package, at most (in path order). */
  maxFiles: number;
  /** Bytes taken per package, at most. */
  maxBytes: number;
}

export const DEFAULT_FILE_LIMITS: SourceFileLimits = { maxFileBytes: 400_000, maxFiles: 400, maxBytes: 6_000_000 };

/**
 * Whether a path of a package is corpus material: inside the catalog's `include` folders (the
 * test/vendored/build filters then judge only the rest of the path), not `exclude`d, and a
 * source file by `isSourcePath`.
 */
export function pathFilter(entry: Pick<CatalogEntry, 'include' | 'exclude'>): (path: string) => boolean {
  const include = entry.include?.map((folder) => folder.replace(/^\/+|\/+$/g, ''));
  const exclude = entry.exclude?.map(globToRegExp) ?? [];
  return (path) => {
    let judged = path;
    if (include !== undefined) {
      const folder = include.find((f) => f === '' || path.startsWith(`${f}/`));
      if (folder === undefined) return false;
      judged = folder === '' ? path : path.slice(folder.length + 1);
    }
    if (exclude.some((re) => re.test(path))) return false;
    return isSourcePath(judged);
  };
}

export interface SourceFile {
  /** Relative to the package's files/ folder, forward slashes. */
  path: string;
  absPath: string;
  size: number;
}

/**
 * The source files of one fetched package, in path order, after the catalog's include/exclude,
 * the test/vendored/generated filters and the limits. Deterministic for a given tree.
 */
export async function listSourceFiles(filesDir: string, entry: CatalogEntry, limits: SourceFileLimits): Promise<SourceFile[]> {
  const accepts = pathFilter(entry);
  const all: SourceFile[] = [];
  await walk(filesDir, '', all);
  all.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const out: SourceFile[] = [];
  let bytes = 0;
  for (const file of all) {
    if (!accepts(file.path) || file.size === 0 || file.size > limits.maxFileBytes) continue;
    if (out.length >= limits.maxFiles || bytes + file.size > limits.maxBytes) break;
    out.push(file);
    bytes += file.size;
  }
  return out;
}

async function walk(root: string, rel: string, out: SourceFile[]): Promise<void> {
  const dir = rel === '' ? root : join(root, rel);
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries) {
    const childRel = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) {
      await walk(root, childRel, out);
    } else if (e.isFile()) {
      const absPath = join(root, childRel);
      const s = await stat(absPath);
      out.push({ path: childRel, absPath, size: s.size });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Processes, JSON Lines, small async helpers

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program (no shell) and collects its output; never rejects on a non-zero exit. */
export function runProgram(program: string, args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(program, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', (e) => {
      if (timer !== undefined) clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      if (timer !== undefined) clearTimeout(timer);
      resolvePromise({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/**
 * A cache record `{ key, [field]: {...} }` written by writeJsonAtomic; undefined when it is missing,
 * torn or of another shape (the work is then done again).
 */
export function readKeyedRecord<F extends string, T>(path: string, field: F): ({ key: string } & Record<F, T>) | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const raw: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (isRecord(raw) && typeof raw['key'] === 'string' && isRecord(raw[field])) return raw as { key: string } & Record<F, T>;
  } catch {
    // Torn: treated as missing.
  }
  return undefined;
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(tmp, path);
}

export async function writeJsonLines(path: string, rows: readonly unknown[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length > 0 ? '\n' : ''));
  await rename(tmp, path);
}

export async function readJsonLines<T>(path: string): Promise<T[]> {
  const text = await readFile(path, 'utf8');
  const rows: T[] = [];
  for (const line of text.split('\n')) if (line.trim() !== '') rows.push(JSON.parse(line) as T);
  return rows;
}

/** A wall-clock budget shared by the stages: work not yet started is skipped once it is spent. */
export class Deadline {
  private readonly end: number;
  constructor(minutes: number) {
    this.end = Number.isFinite(minutes) ? Date.now() + minutes * 60_000 : Number.POSITIVE_INFINITY;
  }
  get expired(): boolean {
    return Date.now() >= this.end;
  }
}

export function formatBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(0)} KiB`;
  return `${n} B`;
}

export function increment<K>(map: Map<K, number>, key: K, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

// The performance corpus: real TypeScript from npm tarballs, fetched once with `npm pack` into
// .cache/perf/ (git-ignored) and laid out as a monorepo workspace. Nothing happens when the
// workspace and its manifest are already there.
//
// `theia` (default): the `src/` folders of 51 @theia/* packages of Eclipse Theia 1.74.1 — the
// framework's own TypeScript source (.ts/.tsx, tests included, plus the 7 hand-written .d.ts under
// src/), not the compiled lib/ JavaScript and not generated declarations. The packages left out
// are the LLM-provider connectors (ai-openai, ai-anthropic, …), so the workspace is ~2,500 files.
// `theia-core`: @theia/core alone (~550 files), for quick runs of the harness itself.

import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { runProgram } from '../corpus/common.js';
import { dirname, join, relative, sep } from 'node:path';

export const THEIA_VERSION = '1.74.1';

/** Every @theia package of the release whose src/ is taken (pinned by THEIA_VERSION). */
const THEIA_PACKAGES = [
  'core', 'plugin-ext', 'monaco', 'debug', 'filesystem', 'workspace', 'terminal', 'scm', 'navigator', 'markers',
  'editor', 'preferences', 'search-in-workspace', 'task', 'notebook', 'ai-core', 'ai-chat', 'ai-chat-ui', 'ai-ide',
  'output', 'process', 'variable-resolver', 'plugin-ext-vscode', 'vsx-registry', 'console', 'file-search', 'test',
  'keymaps', 'messages', 'outline-view', 'callhierarchy', 'typehierarchy', 'timeline', 'bulk-edit', 'mini-browser',
  'getting-started', 'userstorage', 'collaboration', 'dev-container', 'remote', 'toolbar', 'memory-inspector',
  'property-view', 'scm-extra', 'secondary-window', 'plugin-dev', 'ai-terminal', 'ai-code-completion', 'ai-mcp',
  'ai-history', 'ai-editor',
] as const;

export interface CorpusPackage {
  name: string;
  version: string;
}

export interface CorpusSpec {
  name: string;
  description: string;
  packages: readonly CorpusPackage[];
  /** The file of this corpus that the one-file-change measurement appends a function to. */
  editFile: string;
}

const theia = (names: readonly string[]): CorpusPackage[] => names.map((n) => ({ name: `@theia/${n}`, version: THEIA_VERSION }));

export const CORPORA: readonly CorpusSpec[] = [
  {
    name: 'theia',
    description: `Eclipse Theia ${THEIA_VERSION}: the src/ TypeScript of ${THEIA_PACKAGES.length} @theia/* packages (all but the LLM-provider connectors)`,
    packages: theia(THEIA_PACKAGES),
    editFile: 'packages/core/src/common/strings.ts',
  },
  {
    name: 'theia-core',
    description: `Eclipse Theia ${THEIA_VERSION}: the src/ TypeScript of @theia/core only (a quick run of the harness)`,
    packages: theia(['core']),
    editFile: 'packages/core/src/common/strings.ts',
  },
];

export function corpusSpec(name: string): CorpusSpec {
  const spec = CORPORA.find((c) => c.name === name);
  if (!spec) throw new TypeError(`--corpus must be one of ${CORPORA.map((c) => c.name).join(', ')}, not ${JSON.stringify(name)}`);
  return spec;
}

export interface CorpusManifest {
  name: string;
  description: string;
  packages: CorpusPackage[];
  files: number;
  bytes: number;
  lines: number;
  /** Files by kind: `.ts`, `.tsx`, `.d.ts`. */
  byExtension: Record<string, number>;
  /** Of `files`, those that are tests (`*.spec.ts`, `*.test.ts`, …). */
  testFiles: number;
  editFile: string;
  createdAt: string;
}

export interface Corpus {
  root: string;
  manifest: CorpusManifest;
}

const MANIFEST = 'corpus.json';

/** Kept files: TypeScript sources under a package's src/. */
function isKept(relPath: string): boolean {
  return /\.(ts|tsx|mts|cts)$/.test(relPath);
}

function extensionKind(relPath: string): string {
  if (/\.d\.[mc]?ts$/.test(relPath)) return '.d.ts';
  const dot = relPath.lastIndexOf('.');
  return relPath.slice(dot);
}

/** Fetches (npm pack) and extracts the corpus under `cacheDir`, unless it is already there. */
export async function ensureCorpus(spec: CorpusSpec, cacheDir: string, log: (line: string) => void): Promise<Corpus> {
  const root = join(cacheDir, 'corpus', spec.name);
  const manifestPath = join(cacheDir, 'corpus', `${spec.name}.${MANIFEST}`);
  if (existsSync(manifestPath) && existsSync(root)) {
    return { root, manifest: JSON.parse(await readFile(manifestPath, 'utf8')) as CorpusManifest };
  }
  const downloads = join(cacheDir, 'downloads');
  await mkdir(downloads, { recursive: true });
  const staging = `${root}.staging-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  for (const pkg of spec.packages) {
    const tarball = join(downloads, tarballName(pkg));
    if (!existsSync(tarball)) {
      log(`npm pack ${pkg.name}@${pkg.version}`);
      await run('npm', ['pack', `${pkg.name}@${pkg.version}`, '--silent'], downloads);
      if (!existsSync(tarball)) throw new Error(`npm pack ${pkg.name}@${pkg.version} did not write ${tarball}`);
    }
    const unpacked = join(staging, '.unpack', pkg.name.replace(/^@/, '').replace('/', '__'));
    await mkdir(unpacked, { recursive: true });
    await run('tar', ['-xzf', tarball, '-C', unpacked], downloads);
    const src = join(unpacked, 'package', 'src');
    if (!existsSync(src)) throw new Error(`${pkg.name}@${pkg.version} ships no src/ folder`);
    const target = join(staging, 'packages', pkg.name.replace(/^@[^/]+\//, ''), 'src');
    for (const file of await listFiles(src)) {
      if (!isKept(file)) continue;
      const dest = join(target, file);
      await mkdir(dirname(dest), { recursive: true });
      await copyFile(join(src, file), dest);
    }
  }
  await rm(join(staging, '.unpack'), { recursive: true, force: true });

  const files = await listFiles(staging);
  const byExtension: Record<string, number> = {};
  let bytes = 0;
  let lines = 0;
  let testFiles = 0;
  for (const file of files) {
    const data = await readFile(join(staging, file));
    bytes += data.length;
    for (const b of data) if (b === 10) lines++;
    const kind = extensionKind(file);
    byExtension[kind] = (byExtension[kind] ?? 0) + 1;
    if (/[.-](spec|test)\.[mc]?tsx?$/.test(file)) testFiles++;
  }
  if (!existsSync(join(staging, spec.editFile))) throw new Error(`the corpus has no ${spec.editFile} to edit`);
  const manifest: CorpusManifest = {
    name: spec.name,
    description: spec.description,
    packages: [...spec.packages],
    files: files.length,
    bytes,
    lines,
    byExtension,
    testFiles,
    editFile: spec.editFile,
    createdAt: new Date().toISOString(),
  };
  await rm(root, { recursive: true, force: true });
  await rename(staging, root);
  await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return { root, manifest };
}

function tarballName(pkg: CorpusPackage): string {
  return `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`;
}

/** Relative paths (forward slashes) of every file below `dir`, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'));
  }
  return out.sort();
}

/** `program args` in `cwd`; rejects with its stderr when it exits non-zero. */
export async function run(program: string, args: readonly string[], cwd: string): Promise<void> {
  const result = await runProgram(program, args, { cwd });
  if (result.code !== 0) throw new Error(`${program} ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
}

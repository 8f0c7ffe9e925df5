// How this codebase logs, so that an edit logs the same way: the target file's own logger import
// first, then the logger module most other files import (those nearest the target count first), by
// a relative path or an alias (tsconfig `paths`, package.json `imports`, a bundler alias: any
// specifier that is no dependency and names a log module), then a logging package in
// package.json, then console.

import path from 'node:path';
import { readRegularText } from '../files.js';
import { languageForPath } from '../chunk/index.js';

export interface LoggerInfo {
  /** The expression to call methods on: `logger`, `log`, `console`… */
  name: string;
  /** The import line the target file needs first; '' when it has one already (or needs none). */
  importLine: string;
  /** Where this came from, for the prompt and the user: "src/logger.ts (imported by src/api.ts)". */
  source: string;
  /** A line of this codebase that logs, when one was found. */
  example: string;
}

const PACKAGES = ['pino', 'winston', 'bunyan', 'debug', 'loglevel', 'consola', 'log4js'];
/** A local module whose name says it is the logger: log.ts, logger.js, logging/index.ts, `#logger`… */
const LOCAL_LOGGER = /(?:^[#~]?|\/)(?:log|logs|logger|logging)(?:\/index)?(?:\.[cm]?[jt]sx?)?$/i;
const SCRIPT = new Set(['typescript', 'tsx', 'javascript']);
/** How many other files are read looking for a logger import. */
const MAX_FILES_SCANNED = 300;

interface LoggerImport {
  name: string;
  specifier: string;
  line: string;
}

/**
 * `import x from 'm'`, `import { x } from 'm'`, `const x = require('m')` of a logging module: a
 * logging package, or a module of this codebase whose name says it logs — by a relative path, or
 * by an alias (a specifier that is no package of `dependencies`).
 */
function loggerImports(text: string, dependencies: ReadonlySet<string>): LoggerImport[] {
  const found: LoggerImport[] = [];
  const patterns = [
    /^\s*import\s+(?:type\s+)?([\w$]+|\{[^}]*\}|\*\s+as\s+[\w$]+)(?:\s*,\s*\{[^}]*\})?\s+from\s+['"]([^'"]+)['"];?\s*$/gm,
    /^\s*(?:const|let|var)\s+([\w$]+|\{[^}]*\})\s*=\s*require\(\s*['"]([^'"]+)['"]\s*\)(?:\([^)]*\))?;?\s*$/gm,
  ];
  for (const pattern of patterns) {
    for (const match of text.matchAll(pattern)) {
      const [line, binding = '', specifier = ''] = match;
      if (!PACKAGES.includes(specifier) && !(LOCAL_LOGGER.test(specifier) && isLocal(specifier, dependencies))) continue;
      const names = binding.replace(/^\{|\}$|\*\s+as\s+/g, '').split(',').map((n) => n.trim().split(/\s+as\s+/).at(-1) ?? '');
      const name = names.find((n) => /log/i.test(n)) ?? names[0] ?? '';
      if (name !== '') found.push({ name, specifier, line: line.trim() });
    }
  }
  return found;
}

/** A module of this codebase: a relative path, or an alias — not a dependency, not a Node built-in. */
function isLocal(specifier: string, dependencies: ReadonlySet<string>): boolean {
  if (specifier.startsWith('.')) return true;
  if (specifier.startsWith('node:')) return false;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') && parts.length > 1 ? `${parts[0]}/${parts[1]}` : parts[0]!;
  return !dependencies.has(name) && !dependencies.has(specifier);
}

function callSite(text: string, name: string): string {
  const escaped = name.replace(/\$/g, '\\$');
  return new RegExp(`^.*\\b${escaped}(?:\\.\\w+)?\\(.*$`, 'm').exec(text)?.[0].trim() ?? '';
}

/** `specifier` as written in `fromFile`, rewritten to be imported from `toFile` (both workspace-relative). */
function respecify(specifier: string, fromFile: string, toFile: string): string {
  const target = path.posix.join(path.posix.dirname(fromFile), specifier);
  const relative = path.posix.relative(path.posix.dirname(toFile), target);
  return relative.startsWith('.') ? relative : `./${relative}`;
}

async function readText(root: string, file: string): Promise<string> {
  try {
    return await readRegularText(path.join(root, file));
  } catch {
    return '';
  }
}

/**
 * The logger for an edit of `file` (whose text is `text`). `indexedFiles` are the workspace's
 * indexed paths: only those are read, never a file the crawl left out.
 */
export async function detectLogger(root: string, file: string, text: string, indexedFiles: readonly string[]): Promise<LoggerInfo> {
  const dependencies = await packageDependencies(root);
  const own = loggerImports(text, dependencies)[0];
  if (own !== undefined) return { name: own.name, importLine: '', source: `${file} imports it (${own.line})`, example: callSite(text, own.name) };
  if (SCRIPT.has(languageForPath(file) ?? '')) {
    const local = await mostImportedLogger(root, file, indexedFiles, dependencies);
    if (local) return local;
    const library = PACKAGES.find((p) => dependencies.has(p));
    if (library !== undefined) return { name: library === 'debug' ? 'debug' : 'logger', importLine: '', source: `the ${library} package (a dependency in package.json); create or reuse a logger the way ${library} does`, example: '' };
  }
  return { name: 'console', importLine: '', source: 'no logger module or logging package found; console', example: '' };
}

/** Folders `a` and `b` share from the top: how near two files are. */
function sharedFolders(a: string, b: string): number {
  const x = a.split('/').slice(0, -1);
  const y = b.split('/').slice(0, -1);
  let n = 0;
  while (n < x.length && x[n] === y[n]) n++;
  return n;
}

/**
 * The codebase's own logger module as the other script files import it: the module imported by
 * most of the files nearest `file` (the same folder, then its parents), the nearest importer's
 * line as the one to copy (an alias as written, a relative path rewritten for `file`).
 */
async function mostImportedLogger(root: string, file: string, indexedFiles: readonly string[], dependencies: ReadonlySet<string>): Promise<LoggerInfo | undefined> {
  const scripts = indexedFiles
    .filter((f) => f !== file && SCRIPT.has(languageForPath(f) ?? ''))
    .sort((a, b) => sharedFolders(b, file) - sharedFolders(a, file))
    .slice(0, MAX_FILES_SCANNED);
  // Per module (a relative specifier resolved to its workspace path, an alias as written): its importers.
  const modules = new Map<string, Array<{ other: string; text: string; found: LoggerImport; nearness: number }>>();
  for (const other of scripts) {
    const otherText = await readText(root, other);
    const found = loggerImports(otherText, dependencies).find((i) => isLocal(i.specifier, dependencies));
    if (found === undefined) continue;
    const key = found.specifier.startsWith('.') ? path.posix.join(path.posix.dirname(other), found.specifier) : found.specifier;
    modules.set(key, [...(modules.get(key) ?? []), { other, text: otherText, found, nearness: sharedFolders(other, file) }]);
  }
  const importers = [...modules.values()];
  if (importers.length === 0) return undefined;
  // Nearest importers first: how many files import it at the best nearness, then in all.
  const score = (list: ReadonlyArray<{ nearness: number }>) => {
    const best = Math.max(...list.map((i) => i.nearness));
    return [best, list.filter((i) => i.nearness === best).length, list.length];
  };
  const chosen = importers.sort((a, b) => {
    const [x, y] = [score(a), score(b)];
    return y[0]! - x[0]! || y[1]! - x[1]! || y[2]! - x[2]!;
  })[0]!;
  const { other, text, found } = chosen[0]!;
  const specifier = found.specifier.startsWith('.') ? respecify(found.specifier, other, file) : found.specifier;
  return {
    name: found.name,
    importLine: found.line.replace(found.specifier, specifier),
    source: `the codebase's logger module ${specifier} (imported by ${chosen.length === 1 ? other : `${chosen.length} files, as in ${other}`})`,
    example: callSite(text, found.name),
  };
}

async function packageDependencies(root: string): Promise<Set<string>> {
  try {
    const pkg = JSON.parse(await readText(root, 'package.json')) as Record<string, unknown>;
    const names = ['dependencies', 'devDependencies'].flatMap((key) => Object.keys((pkg[key] as Record<string, unknown> | undefined) ?? {}));
    return new Set(names);
  } catch {
    return new Set();
  }
}

// How this codebase logs, so that an edit logs the same way: the target file's own logger import
// first, then a logger module other files import (or one that exists), then a logging package in
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
/** A local module whose file name says it is the logger: log.ts, logger.js, logging/index.ts… */
const LOCAL_LOGGER = /(?:^|\/)(?:log|logs|logger|logging)(?:\/index)?(?:\.[cm]?[jt]sx?)?$/i;
const SCRIPT = new Set(['typescript', 'tsx', 'javascript']);
/** How many other files are read looking for a logger import. */
const MAX_FILES_SCANNED = 300;

interface LoggerImport {
  name: string;
  specifier: string;
  line: string;
}

/** `import x from 'm'`, `import { x } from 'm'`, `const x = require('m')` of a logging module. */
function loggerImports(text: string): LoggerImport[] {
  const found: LoggerImport[] = [];
  const patterns = [
    /^\s*import\s+(?:type\s+)?([\w$]+|\{[^}]*\}|\*\s+as\s+[\w$]+)(?:\s*,\s*\{[^}]*\})?\s+from\s+['"]([^'"]+)['"];?\s*$/gm,
    /^\s*(?:const|let|var)\s+([\w$]+|\{[^}]*\})\s*=\s*require\(\s*['"]([^'"]+)['"]\s*\)(?:\([^)]*\))?;?\s*$/gm,
  ];
  for (const pattern of patterns) {
    for (const match of text.matchAll(pattern)) {
      const [line, binding = '', specifier = ''] = match;
      const local = specifier.startsWith('.') && LOCAL_LOGGER.test(specifier);
      if (!local && !PACKAGES.includes(specifier)) continue;
      const names = binding.replace(/^\{|\}$|\*\s+as\s+/g, '').split(',').map((n) => n.trim().split(/\s+as\s+/).at(-1) ?? '');
      const name = names.find((n) => /log/i.test(n)) ?? names[0] ?? '';
      if (name !== '') found.push({ name, specifier, line: line.trim() });
    }
  }
  return found;
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
  const own = loggerImports(text)[0];
  if (own !== undefined) return { name: own.name, importLine: '', source: `${file} imports it (${own.line})`, example: callSite(text, own.name) };
  if (SCRIPT.has(languageForPath(file) ?? '')) {
    const scripts = indexedFiles.filter((f) => f !== file && SCRIPT.has(languageForPath(f) ?? '')).slice(0, MAX_FILES_SCANNED);
    for (const other of scripts) {
      const otherText = await readText(root, other);
      const imported = loggerImports(otherText).find((i) => i.specifier.startsWith('.'));
      if (imported === undefined) continue;
      const specifier = respecify(imported.specifier, other, file);
      return {
        name: imported.name,
        importLine: imported.line.replace(imported.specifier, specifier),
        source: `the codebase's logger module ${specifier} (imported by ${other})`,
        example: callSite(otherText, imported.name),
      };
    }
    const dependencies = await packageDependencies(root);
    const library = PACKAGES.find((p) => dependencies.has(p));
    if (library !== undefined) return { name: library === 'debug' ? 'debug' : 'logger', importLine: '', source: `the ${library} package (a dependency in package.json); create or reuse a logger the way ${library} does`, example: '' };
  }
  return { name: 'console', importLine: '', source: 'no logger module or logging package found; console', example: '' };
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

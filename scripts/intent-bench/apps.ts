// The intent benchmark's apps files (scripts/intent-bench/apps/<app>.json; the format is in
// apps/README.md): reading and validating them, and the rule that says whether a hit answers a query.
//
// A file is rejected as a whole, with every problem listed, when it is malformed (a missing field, a
// duplicate query id, a split other than valid/test/train) or, once its workspace is fetched, when a gold
// definition is not there (no such file, or a line past its end): a benchmark whose answers do not
// exist measures nothing.

import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { messageOf } from '../../src/core/errors.js';
import { PACKAGE_ROOT } from '../../src/core/models.js';
import type { SearchHit } from '../../src/core/types.js';
import { isRecord, type Registry } from '../corpus/common.js';

export const APPS_DIR = path.join(PACKAGE_ROOT, 'scripts', 'intent-bench', 'apps');
/** Apps whose queries only train the second stage (split "train"); never benchmarked. */
export const TRAIN_APPS_DIR = path.join(PACKAGE_ROOT, 'scripts', 'intent-bench', 'train-apps');

/** valid and test: the benchmark's; train: queries over other apps (train-apps/), for training the second stage only. */
export const INTENT_SPLITS = ['valid', 'test', 'train'] as const;
export type IntentSplit = (typeof INTENT_SPLITS)[number];

const REGISTRIES: readonly Registry[] = ['npm', 'debian', 'debian-source'];
const APP_NAME = /^[a-z0-9-]+$/;

export interface AppSource {
  registry: Registry;
  name: string;
  /** Pinned: `npm pack name@version`, `apt-get download name=version`, `apt-get source name=version`. */
  version: string;
  licence: string;
  /** The app's folder inside the extracted package ('' for all of it): the workspace. */
  root: string;
}

/** A definition that answers a query. */
export interface Gold {
  /** Relative to the workspace (the source's root), forward slashes. */
  path: string;
  symbol: string;
  /** 1-based line of the definition's first line. */
  line: number;
}

export interface IntentQuery {
  id: string;
  split: IntentSplit;
  query: string;
  gold: Gold[];
}

export interface AppFile {
  app: string;
  stack: string;
  source: AppSource;
  queries: IntentQuery[];
}

export class AppFileError extends Error {
  /** The problems in one line, without the file's name. */
  readonly summary: string;
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    const summary = `${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? '; …' : ''}`;
    super(`${path.basename(file)}: ${summary}`);
    this.summary = summary;
  }
}

/** The apps files, sorted; none when the folder holds none (README.md is not one). */
export async function listAppFiles(dir = APPS_DIR): Promise<string[]> {
  if (!existsSync(dir)) return [];
  return (await readdir(dir)).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(dir, f));
}

/** A relative path with forward slashes that stays inside its folder ('' allowed when `allowEmpty`). */
function isRelativePath(value: string, allowEmpty: boolean): boolean {
  if (value === '' || value === '.') return allowEmpty;
  if (value.startsWith('/') || value.includes('\\') || /^[A-Za-z]:/.test(value)) return false;
  return value.split('/').every((part) => part !== '' && part !== '..' && part !== '.');
}

/** An apps file's contents, checked for shape; throws AppFileError listing every problem. */
export function parseApp(raw: unknown, file: string): AppFile {
  const problems: string[] = [];
  const str = (value: unknown, what: string, allowEmpty = false): string => {
    if (typeof value === 'string' && (allowEmpty || value.trim() !== '')) return value;
    problems.push(`${what} must be a${allowEmpty ? '' : ' non-empty'} string`);
    return '';
  };
  if (!isRecord(raw)) throw new AppFileError(file, ['the file is not a JSON object']);
  const app = str(raw['app'], 'app');
  const expected = path.basename(file, '.json');
  if (app !== '' && !APP_NAME.test(app)) problems.push(`app ${JSON.stringify(app)} must match [a-z0-9-]+`);
  else if (app !== '' && app !== expected) problems.push(`app ${JSON.stringify(app)} must equal the file's name (${expected})`);
  const stack = str(raw['stack'], 'stack');

  const rawSource = raw['source'];
  const source: AppSource = { registry: 'npm', name: '', version: '', licence: '', root: '' };
  if (!isRecord(rawSource)) {
    problems.push('source must be an object');
  } else {
    const registry = rawSource['registry'];
    if (typeof registry === 'string' && (REGISTRIES as readonly string[]).includes(registry)) source.registry = registry as Registry;
    else problems.push(`source.registry must be one of ${REGISTRIES.join(', ')}, not ${JSON.stringify(registry)}`);
    source.name = str(rawSource['name'], 'source.name');
    source.version = str(rawSource['version'], 'source.version');
    source.licence = str(rawSource['licence'], 'source.licence');
    source.root = str(rawSource['root'] ?? '', 'source.root', true);
    if (!isRelativePath(source.root, true)) problems.push(`source.root ${JSON.stringify(source.root)} must be a relative path inside the package`);
  }

  const queries: IntentQuery[] = [];
  const rawQueries = raw['queries'];
  if (!Array.isArray(rawQueries) || rawQueries.length === 0) {
    problems.push('queries must be a non-empty list');
  } else {
    const seen = new Set<string>();
    rawQueries.forEach((item: unknown, i) => {
      const at = `queries[${i}]`;
      if (!isRecord(item)) {
        problems.push(`${at} is not an object`);
        return;
      }
      const id = str(item['id'], `${at}.id`);
      const where = id === '' ? at : id;
      if (id !== '' && seen.has(id)) problems.push(`duplicate query id ${id}`);
      seen.add(id);
      const split = item['split'];
      if (!(INTENT_SPLITS as readonly unknown[]).includes(split)) problems.push(`${where}: split must be ${INTENT_SPLITS.join(', ')}, not ${JSON.stringify(split)}`);
      const query = str(item['query'], `${where}.query`);
      const gold: Gold[] = [];
      const rawGold = item['gold'];
      if (!Array.isArray(rawGold) || rawGold.length === 0) problems.push(`${where}: gold must be a non-empty list`);
      else {
        rawGold.forEach((g: unknown, j) => {
          const gat = `${where}.gold[${j}]`;
          if (!isRecord(g)) {
            problems.push(`${gat} is not an object`);
            return;
          }
          const goldPath = str(g['path'], `${gat}.path`);
          if (goldPath !== '' && !isRelativePath(goldPath, false)) problems.push(`${gat}.path ${JSON.stringify(goldPath)} must be relative to source.root, with forward slashes`);
          const symbol = str(g['symbol'], `${gat}.symbol`);
          const line = g['line'];
          if (typeof line !== 'number' || !Number.isInteger(line) || line < 1) problems.push(`${gat}.line must be a 1-based line number`);
          gold.push({ path: goldPath, symbol, line: typeof line === 'number' ? line : 0 });
        });
      }
      queries.push({ id, split: split as IntentSplit, query, gold });
    });
  }
  if (problems.length > 0) throw new AppFileError(file, problems);
  return { app, stack, source, queries };
}

/**
 * What is wrong with the gold definitions against the fetched workspace: a path that is not a file
 * of it, a line past the file's end. Empty when every gold is there.
 */
export async function goldProblems(app: AppFile, workspaceRoot: string): Promise<string[]> {
  const problems: string[] = [];
  const lineCounts = new Map<string, number | undefined>();
  const linesOf = async (rel: string): Promise<number | undefined> => {
    if (!lineCounts.has(rel)) {
      const abs = path.join(workspaceRoot, ...rel.split('/'));
      let count: number | undefined;
      try {
        if ((await stat(abs)).isFile()) {
          const text = await readFile(abs, 'utf8');
          count = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
        }
      } catch {
        count = undefined;
      }
      lineCounts.set(rel, count);
    }
    return lineCounts.get(rel);
  };
  for (const q of app.queries) {
    for (const g of q.gold) {
      const lines = await linesOf(g.path);
      if (lines === undefined) problems.push(`${q.id}: gold path ${g.path} does not exist in the workspace`);
      else if (g.line > lines) problems.push(`${q.id}: gold line ${g.line} is past the end of ${g.path} (${lines} lines)`);
    }
  }
  return problems;
}

/**
 * Gold definitions whose line does not name their symbol (as a whole word): a line number that is
 * off, or a tree that differs from the one the queries were written against. Reported, not rejected.
 */
export async function goldWarnings(app: AppFile, workspaceRoot: string): Promise<string[]> {
  const warnings: string[] = [];
  const files = new Map<string, string[]>();
  for (const q of app.queries) {
    for (const g of q.gold) {
      let lines = files.get(g.path);
      if (lines === undefined) {
        try {
          lines = (await readFile(path.join(workspaceRoot, ...g.path.split('/')), 'utf8')).split('\n');
        } catch {
          lines = [];
        }
        files.set(g.path, lines);
      }
      const text = lines[g.line - 1] ?? '';
      const escaped = g.symbol.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const word = new RegExp(`(^|[^A-Za-z0-9_$])${escaped}($|[^A-Za-z0-9_$])`);
      if (!word.test(text)) warnings.push(`${q.id}: ${g.path}:${g.line} does not name ${g.symbol}`);
    }
  }
  return warnings;
}

/** Reads and checks an apps file; with `workspaceRoot`, its gold definitions too. Throws AppFileError. */
export async function loadApp(file: string, workspaceRoot?: string): Promise<AppFile> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new AppFileError(file, [`not valid JSON (${messageOf(error)})`]);
  }
  const app = parseApp(raw, file);
  if (workspaceRoot !== undefined) {
    const problems = await goldProblems(app, workspaceRoot);
    if (problems.length > 0) throw new AppFileError(file, problems);
  }
  return app;
}

/** The benchmark's rule: a hit answers a gold definition when it is in the same file and its line range contains the gold line. */
export function answers(hit: Pick<SearchHit, 'path' | 'startLine' | 'endLine'>, gold: Pick<Gold, 'path' | 'line'>): boolean {
  return hit.path === gold.path && hit.startLine <= gold.line && gold.line <= hit.endLine;
}

/** The 1-based rank of the first hit that answers any of the gold definitions; Infinity when none does. */
export function rankOfAnswer(hits: readonly Pick<SearchHit, 'path' | 'startLine' | 'endLine'>[], gold: readonly Pick<Gold, 'path' | 'line'>[]): number {
  const index = hits.findIndex((hit) => gold.some((g) => answers(hit, g)));
  return index < 0 ? Infinity : index + 1;
}

/** The gold definitions as seen from a workspace that holds the app under `prefix` ('app' → 'app/wiki/formatter.py'). */
export function prefixGold(gold: readonly Gold[], prefix: string): Gold[] {
  return prefix === '' ? [...gold] : gold.map((g) => ({ ...g, path: `${prefix}/${g.path}` }));
}

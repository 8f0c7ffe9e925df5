// What the crawl decides by a path alone: the ignore rules, `include` and secrets. The walk applies
// them entry by entry on its way down; `pathFilter` applies the same ones to a single path without
// walking, so that a file watcher can tell which changes cannot reach the index.

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import ignore from 'ignore';
import { compileDefaults, DEFAULT_EXCLUDES } from './defaults.js';
import { IGNORE_CASE, IgnoreFile, RuleSet } from './ignore-rules.js';
import { isSecretPath } from './secrets.js';
import { pathRole } from '../rank/paths.js';

const GIT_IGNORE = '.gitignore';
const OUR_IGNORE = '.codeintentignore';
const GIT_EXCLUDE = '.git/info/exclude';
export const SECRET_DETAIL = 'may hold credentials (set indexSecrets to index it)';

/** Whether a root-relative path is one of the files the crawl reads its ignore rules from. */
export function isIgnoreFile(relPath: string): boolean {
  const name = relPath.slice(relPath.lastIndexOf('/') + 1);
  return name === GIT_IGNORE || name === OUR_IGNORE || relPath === GIT_EXCLUDE;
}

export interface PathRuleOptions {
  /** Extra gitignore-style patterns relative to the root (settings, CLI). They override every ignore file; `!pattern` re-includes. */
  exclude?: readonly string[];
  /** Gitignore-style patterns relative to the root; when non-empty, only files they match are yielded. */
  include?: readonly string[];
  /** Index files that look like they hold credentials (`.env`, keys, …). Default false. */
  indexSecrets?: boolean;
  /**
   * Index tests (specs, mocks, fixtures, …) and translation files (locales, message catalogues), as
   * the ranking tells them by their paths (`pathRole`). Default true.
   */
  indexTestsAndTranslations?: boolean;
}

/** The rules at a workspace's root, before the ignore files of its folders are read. */
export interface RootRules {
  rules: RuleSet;
  /** When set, only files it matches are indexed (others are passed over silently). */
  include: ignore.Ignore | undefined;
  indexSecrets: boolean;
  indexTestsAndTranslations: boolean;
}

export async function rootRules(rootAbs: string, options: PathRuleOptions): Promise<RootRules> {
  const gitExclude = await readOptional(path.join(rootAbs, ...GIT_EXCLUDE.split('/')));
  const exclude = options.exclude ?? [];
  const include = options.include ?? [];
  return {
    rules: new RuleSet(
      compileDefaults(DEFAULT_EXCLUDES),
      gitExclude === undefined ? [] : [new IgnoreFile('', GIT_EXCLUDE, gitExclude)],
      [],
      exclude.length > 0 ? new IgnoreFile('', 'exclude option', exclude) : undefined,
    ),
    include: include.length > 0 ? ignore({ ignorecase: IGNORE_CASE, allowRelativePaths: true }).add(include) : undefined,
    indexSecrets: options.indexSecrets ?? false,
    indexTestsAndTranslations: options.indexTestsAndTranslations ?? true,
  };
}

/**
 * The rules for the entries of the folder `dirRel` ('' for the root): `rules` with the folder's own
 * `.gitignore` and `.codeintentignore`. `holds` tells which of those names the folder has as files,
 * when its listing is at hand; without it both are tried.
 */
export async function rulesInFolder(rules: RuleSet, dirAbs: string, dirRel: string, holds: (name: string) => boolean = () => true): Promise<RuleSet> {
  const base = dirRel === '' ? '' : `${dirRel}/`;
  const load = async (name: string): Promise<IgnoreFile | undefined> => {
    if (!holds(name)) return undefined;
    try {
      const file = new IgnoreFile(base, `${base}${name}`, await fsp.readFile(path.join(dirAbs, name), 'utf8'));
      return file.isEmpty ? undefined : file;
    } catch {
      return undefined; // an unreadable ignore file is reported when the walk stats it as a file
    }
  };
  const [git, ours] = await Promise.all([load(GIT_IGNORE), load(OUR_IGNORE)]);
  return rules.with(git, ours);
}

/**
 * Why the crawl passes over a file that no ignore rule excludes: 'not-included' (silently: `include`
 * or the tests and translations left out, as asked) or 'secret'; undefined when it indexes it (size
 * and content permitting).
 */
export function fileSkip(relPath: string, { include, indexSecrets, indexTestsAndTranslations }: Omit<RootRules, 'rules'>): 'not-included' | 'secret' | undefined {
  if (include !== undefined && !include.ignores(relPath)) return 'not-included';
  if (!indexTestsAndTranslations) {
    const role = pathRole(relPath);
    if (role.test || role.locale) return 'not-included';
  }
  if (!indexSecrets && isSecretPath(relPath)) return 'secret';
  return undefined;
}

/** Whether the crawl would index the file at a root-relative path, or with `isDir` walk into the folder. */
export type PathFilter = (relPath: string, isDir: boolean) => Promise<boolean>;

/** Why the crawl passes over a path, as the walk reports it (nothing for `include`'s silent leaving out); undefined: taken. */
export type PathVerdict = (relPath: string, isDir: boolean) => Promise<{ reason: 'ignored' | 'secret' | 'not-included'; detail: string } | undefined>;

export function pathFilter(root: string, options: PathRuleOptions = {}): PathFilter {
  const verdict = pathVerdict(root, options);
  return async (relPath, isDir) => (await verdict(relPath, isDir)) === undefined;
}

/**
 * The crawl's verdict on single paths under `root`, without walking: the ignore rules of every
 * folder on the way down (default excludes, `.git/info/exclude`, `.gitignore` and
 * `.codeintentignore` files, the `exclude` option), then `include` and secrets, as the walk applies
 * them. What only the entry itself can tell (symlinks, size, permissions, content) is not judged:
 * there the crawl has the last word. Ignore files are read once per folder per filter, so a new
 * filter sees edited ones.
 */
export function pathVerdict(root: string, options: PathRuleOptions = {}): PathVerdict {
  const rootAbs = path.resolve(root);
  const atRoot = rootRules(rootAbs, options);
  const folders = new Map<string, Promise<RuleSet>>();
  const rulesIn = (dirRel: string, parent: RuleSet): Promise<RuleSet> => {
    let rules = folders.get(dirRel);
    if (rules === undefined) {
      rules = rulesInFolder(parent, path.join(rootAbs, ...dirRel.split('/')), dirRel);
      folders.set(dirRel, rules);
    }
    return rules;
  };
  return async (relPath, isDir) => {
    const start = await atRoot;
    const names = relPath.split('/');
    let rules = await rulesIn('', start.rules);
    for (let i = 0; i < names.length; i++) {
      const rel = names.slice(0, i + 1).join('/');
      const last = i === names.length - 1;
      const excludedBy = rules.excludedBy(rel, names[i] ?? '', last ? isDir : true);
      if (excludedBy !== undefined) return { reason: 'ignored', detail: excludedBy };
      if (!last) rules = await rulesIn(rel, rules);
    }
    const skip = isDir ? undefined : fileSkip(relPath, start);
    return skip === undefined ? undefined : { reason: skip, detail: skip === 'secret' ? SECRET_DETAIL : '' };
  };
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

// Ignore rules: default excludes, git ignore files, our own ignore files and the `exclude` option,
// each judged relative to the directory that holds it, combined with a fixed precedence.

import ignore from 'ignore';
import type { DefaultMatcher } from './defaults.js';
import { parentDir } from './defaults.js';

type Ignore = ignore.Ignore;

/** What one rule file says about a path: nothing, or the verdict of its last matching pattern. */
type Opinion = { exclude: true; pattern: string } | { exclude: false } | undefined;

interface SingleRule {
  readonly ig: Ignore;
  readonly negative: boolean;
  readonly pattern: string;
}

/**
 * Consecutive patterns of one file that are tested the same way. A run of basename patterns
 * (no slash but a trailing one: `*.log`, `build/`, `!keep.log`) is tested on the entry's name
 * alone, with a cache per name; a run of path patterns (`/tmp/`, `src/gen/`, `a/**` + `/b`) on
 * the path relative to the file's directory. Testing the runs in order keeps "the last match wins".
 */
interface Run {
  readonly basename: boolean;
  readonly lines: readonly string[];
  readonly ig: Ignore;
  /** Path runs: the most path segments a pattern can match (Infinity with `**`). */
  readonly maxDepth: number;
  /** Basename runs: verdict per 'name' or 'name/'. */
  readonly cache: Map<string, Opinion>;
  singles?: readonly SingleRule[];
}

/** Git compares ignore patterns case-insensitively where the file system is (core.ignorecase). */
export const IGNORE_CASE = process.platform === 'darwin' || process.platform === 'win32';

/** The patterns of one ignore file (or option), relative to the directory `base` ('' or 'dir/sub/'). */
export class IgnoreFile {
  readonly #runs: readonly Run[];
  readonly #ignoreCase: boolean;

  constructor(
    /** Root-relative directory the patterns are relative to: '' or ending in '/'. */
    readonly base: string,
    /** Where the patterns came from, for skip details ('src/.gitignore', 'exclude option'). */
    readonly label: string,
    patterns: string | readonly string[],
    ignoreCase: boolean = IGNORE_CASE,
  ) {
    this.#ignoreCase = ignoreCase;
    const lines = (typeof patterns === 'string' ? patterns.replace(/^\uFEFF/, '').split(/\r?\n/) : patterns).filter(
      (line) => line.trim() !== '' && !line.startsWith('#'),
    );
    const runs: Array<{ basename: boolean; lines: string[]; maxDepth: number }> = [];
    for (const line of lines) {
      const shape = patternShape(line);
      const last = runs.at(-1);
      if (last !== undefined && last.basename === shape.basename) {
        last.lines.push(line);
        last.maxDepth = Math.max(last.maxDepth, shape.depth);
      } else {
        runs.push({ basename: shape.basename, lines: [line], maxDepth: shape.depth });
      }
    }
    this.#runs = runs.map((run) => ({ ...run, ig: this.#compile(run.lines), cache: new Map<string, Opinion>() }));
  }

  get isEmpty(): boolean {
    return this.#runs.length === 0;
  }

  /**
   * The verdict of this file's own patterns on `path` (root-relative, with a trailing '/' for a
   * directory). The walk has already judged every parent directory, so a verdict this file
   * only inherits from a parent it ignores (which something stronger re-included) does not count.
   */
  judge(path: string): Opinion {
    if (!path.startsWith(this.base) || path.length === this.base.length) return undefined;
    const rel = path.slice(this.base.length);
    let opinion: Opinion;
    let depth = -1;
    for (const run of this.#runs) {
      let verdict: Opinion;
      if (run.basename) {
        verdict = this.#judgeName(run, rel);
      } else {
        if (depth === -1) depth = segmentCount(rel);
        if (depth <= run.maxDepth) verdict = this.#judgePath(run, rel);
      }
      if (verdict !== undefined) opinion = verdict;
    }
    return opinion;
  }

  #compile(lines: readonly string[]): Ignore {
    return ignore({ ignorecase: this.#ignoreCase, allowRelativePaths: true }).add(lines);
  }

  #judgeName(run: Run, rel: string): Opinion {
    const end = rel.endsWith('/') ? rel.length - 1 : rel.length;
    const name = rel.slice(rel.lastIndexOf('/', end - 1) + 1);
    let verdict = run.cache.get(name);
    if (verdict === undefined && !run.cache.has(name)) {
      verdict = toOpinion(run.ig.test(name));
      run.cache.set(name, verdict);
    }
    return verdict;
  }

  #judgePath(run: Run, rel: string): Opinion {
    const result = run.ig.test(rel);
    if (!result.ignored) return toOpinion(result);
    const parent = parentDir(rel);
    if (parent === '' || !run.ig.test(parent).ignored) return toOpinion(result);
    // Rare: a parent these patterns ignore was re-included by something stronger, so the result
    // above is inherited from it. Test each pattern on its own for the entry's own verdict.
    run.singles ??= run.lines.map((line) => ({ ig: this.#compile([line]), negative: line.startsWith('!'), pattern: line.trim() }));
    let opinion: Opinion;
    for (const rule of run.singles) {
      const single = rule.ig.test(rel);
      if (rule.negative) {
        if (single.unignored) opinion = { exclude: false };
      } else if (single.ignored && !rule.ig.test(parent).ignored) {
        // A pattern that matches both the parent and the entry itself is not seen here (accepted).
        opinion = { exclude: true, pattern: rule.pattern };
      }
    }
    return opinion;
  }
}

function toOpinion(result: ReturnType<Ignore['test']>): Opinion {
  if (result.ignored) return { exclude: true, pattern: result.rule?.pattern ?? '?' };
  return result.unignored ? { exclude: false } : undefined;
}

/** Whether a gitignore pattern matches names at any depth, and how deep a path pattern reaches. */
function patternShape(line: string): { basename: boolean; depth: number } {
  let body = line.startsWith('!') ? line.slice(1) : line;
  body = body.trimEnd();
  if (body.endsWith('/')) body = body.slice(0, -1);
  if (!body.includes('/')) return { basename: true, depth: 0 };
  if (body.includes('**')) return { basename: false, depth: Infinity };
  return { basename: false, depth: segmentCount(body.startsWith('/') ? body.slice(1) : body) };
}

/** 'a/b/c' and 'a/b/c/' -> 3. */
function segmentCount(path: string): number {
  let count = 1;
  for (let i = path.indexOf('/'); i !== -1 && i < path.length - 1; i = path.indexOf('/', i + 1)) count++;
  return count;
}

/**
 * Everything that can exclude a path, in increasing precedence:
 * default excludes < `.git/info/exclude` < `.gitignore` files (deeper wins) <
 * `.codeintentignore` files (deeper wins) < the `exclude` option.
 * The last source with an opinion wins, except that a git negation cannot re-include a default exclude.
 * Immutable: a directory with ignore files of its own derives a new set for its subtree.
 */
export class RuleSet {
  /** `ours` then the option: the sources whose negations may re-include anything. */
  readonly #strong: readonly IgnoreFile[];

  constructor(
    private readonly defaults: DefaultMatcher,
    private readonly git: readonly IgnoreFile[],
    private readonly ours: readonly IgnoreFile[],
    private readonly option: IgnoreFile | undefined,
  ) {
    this.#strong = option === undefined ? ours : [...ours, option];
  }

  /** A rule set for a subdirectory that holds its own ignore files. */
  with(git: IgnoreFile | undefined, ours: IgnoreFile | undefined): RuleSet {
    if (git === undefined && ours === undefined) return this;
    return new RuleSet(
      this.defaults,
      git === undefined ? this.git : [...this.git, git],
      ours === undefined ? this.ours : [...this.ours, ours],
      this.option,
    );
  }

  /** Why `relPath` is excluded ('default exclude node_modules/', 'src/.gitignore: *.log'), or undefined when it is not. */
  excludedBy(relPath: string, name: string, isDir: boolean): string | undefined {
    const path = isDir ? `${relPath}/` : relPath;
    let reason: { fromDefaults: boolean; detail: string } | undefined;
    const byDefault = this.defaults(relPath, name, isDir);
    if (byDefault !== undefined) reason = { fromDefaults: true, detail: `default exclude ${byDefault}` };
    for (const file of this.git) {
      const opinion = file.judge(path);
      if (opinion === undefined) continue;
      if (opinion.exclude) reason = { fromDefaults: false, detail: `${file.label}: ${opinion.pattern}` };
      else if (reason !== undefined && !reason.fromDefaults) reason = undefined;
    }
    for (const file of this.#strong) {
      const opinion = file.judge(path);
      if (opinion === undefined) continue;
      reason = opinion.exclude ? { fromDefaults: false, detail: `${file.label}: ${opinion.pattern}` } : undefined;
    }
    return reason?.detail;
  }
}

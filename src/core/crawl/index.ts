// The workspace crawl: which files are worth indexing, in a deterministic order.
// Ignore rules, secrets and content classification live in ./crawl/.

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { CrawledFile, SkipReason } from '../types.js';
import { rootRules, type PathRuleOptions } from './path-rules.js';
import { crawlFromSnapshot, readSnapshot, snapshotKey, SnapshotRecorder, writeSnapshot } from './snapshot.js';
import { walk } from './walk.js';

export { classifyContent } from './classify.js';
export type { ContentClass } from './classify.js';
export { DEFAULT_EXCLUDES } from './defaults.js';
export { pathFilter } from './path-rules.js';
export type { PathFilter, PathRuleOptions } from './path-rules.js';
export { isSecretPath } from './secrets.js';

export interface CrawlOptions extends PathRuleOptions {
  /** The workspace folder, absolute or relative to the current directory. */
  root: string;
  /** The index's own folder: left out when it lies inside the root (`--db` in the workspace). */
  indexDir?: string;
  /** Files larger than this are skipped as 'too-large'. Default 1 MiB (1_048_576). */
  maxFileBytes?: number;
  signal?: AbortSignal;
  /**
   * Called for every entry passed over that a user might have expected: an excluded directory once
   * (not each file under it), each excluded file, secrets, files over the size limit, unreadable
   * entries, symlink loops. Files left out by `include` are not reported.
   */
  onSkip?: (path: string, reason: SkipReason, detail?: string) => void;
  /**
   * A file (in the index folder) where a walk leaves a snapshot of what it saw, so that the next
   * crawl with the same settings stats folders instead of walking them (./snapshot.ts).
   */
  snapshotFile?: string;
}

export const DEFAULT_MAX_FILE_BYTES = 1_048_576;

const OPTION_KEYS = new Set(['root', 'indexDir', 'maxFileBytes', 'exclude', 'include', 'indexSecrets', 'indexTestsAndTranslations', 'signal', 'onSkip', 'snapshotFile']);

/**
 * Walks the workspace and yields the files worth indexing, sorted by path (UTF-16 code unit order
 * of the forward-slash relative path), each with its size, mtime and ctime; files reached only
 * through a symlink come after the others (sorted among themselves).
 *
 * Excluded: `DEFAULT_EXCLUDES`; `.gitignore` at every level and `.git/info/exclude`; `.codeintentignore`
 * at every level; the `exclude` option (precedence in that order, see `RuleSet`). Secrets (`isSecretPath`)
 * unless `indexSecrets`; tests and translation files when `indexTestsAndTranslations` is false
 * (silently, as `include` leaves files out); the `indexDir` folder. Anything but regular files and
 * folders (FIFOs, sockets, devices) is skipped as 'ignored'. Symlinks are followed while their target stays inside
 * the root (a link is judged by its own path); a link to an enclosing directory is reported as
 * 'symlink-loop' and not followed. Each real file (device and inode) and folder is yielded once,
 * under its own path when the walk reaches it there, else under the first link to it; every other
 * path to it is reported as 'duplicate'.
 * Options are checked at call time (a TypeError names the option); file-system errors on the root
 * reject the iteration; errors below it are reported through `onSkip` and the walk goes on.
 * When `signal` aborts, iteration throws the signal's reason.
 */
export function crawl(options: CrawlOptions): AsyncIterable<CrawledFile> {
  checkOptions(options);
  return run(options);
}

async function* run(options: CrawlOptions): AsyncGenerator<CrawledFile, void, undefined> {
  const { signal } = options;
  signal?.throwIfAborted();
  const rootAbs = path.resolve(options.root);
  const rootStats = await fsp.stat(rootAbs);
  if (!rootStats.isDirectory()) throw new Error(`crawl root is not a directory: ${rootAbs}`);
  const rootReal = await fsp.realpath(rootAbs);
  // Not there yet (a first run that has not created it): nothing to leave out.
  const indexDirReal = options.indexDir === undefined ? undefined : await fsp.realpath(options.indexDir).catch(() => undefined);
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const { snapshotFile } = options;
  const key = snapshotFile === undefined ? '' : snapshotKey({ ...options, rootReal, indexDirReal, maxFileBytes });
  if (snapshotFile !== undefined) {
    const snapshot = await readSnapshot(snapshotFile, key);
    const files = snapshot && (await crawlFromSnapshot(snapshot, { ...options, rootAbs, maxFileBytes }));
    if (files) {
      for (const file of files) {
        signal?.throwIfAborted();
        yield file;
      }
      return;
    }
  }
  const recorder = snapshotFile === undefined ? undefined : new SnapshotRecorder(key, rootAbs);
  yield* walk({ rootAbs, rootReal, indexDirReal, ...(await rootRules(rootAbs, options)), maxFileBytes, signal, onSkip: options.onSkip, recorder });
  // Only a walk that went to the end describes the tree.
  if (recorder && snapshotFile !== undefined) await writeSnapshot(snapshotFile, recorder.snapshot());
}

function checkOptions(options: CrawlOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('Expected crawl() options to be an object');
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) throw new TypeError(`Invalid option in crawl(): \`${key}\``);
  }
  const { root, indexDir, maxFileBytes, exclude, include, indexSecrets, indexTestsAndTranslations, signal, onSkip, snapshotFile } = options;
  if (typeof root !== 'string' || root === '') throw new TypeError('Expected `root` to be a non-empty string');
  for (const [name, value] of [['indexDir', indexDir], ['snapshotFile', snapshotFile]] as const) {
    if (value !== undefined && typeof value !== 'string') throw new TypeError(`Expected \`${name}\` to be a string`);
  }
  if (maxFileBytes !== undefined && !(Number.isSafeInteger(maxFileBytes) && maxFileBytes >= 0)) {
    throw new TypeError('Expected `maxFileBytes` to be an integer from 0 and up');
  }
  for (const [name, value] of [['exclude', exclude], ['include', include]] as const) {
    if (value !== undefined && !(Array.isArray(value) && value.every((p: unknown) => typeof p === 'string'))) {
      throw new TypeError(`Expected \`${name}\` to be an array of strings`);
    }
  }
  for (const [name, value] of [['indexSecrets', indexSecrets], ['indexTestsAndTranslations', indexTestsAndTranslations]] as const) {
    if (value !== undefined && typeof value !== 'boolean') throw new TypeError(`Expected \`${name}\` to be a boolean`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('Expected `signal` to be an AbortSignal');
  if (onSkip !== undefined && typeof onSkip !== 'function') throw new TypeError('Expected `onSkip` to be a function');
}

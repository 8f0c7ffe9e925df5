// The start-up check without a walk. A full crawl leaves a snapshot in the index folder: every folder
// it read (times and names listed), every file it took or re-judges by its stat (too large,
// unreadable), the ignore files' stats and the skips it reported. The next crawl with the same
// settings stats the folders instead of listing them: a folder whose times did not change holds the
// same names, so, with the same ignore files, the rules say the same of them and only its files'
// stats are new. Folders that changed are listed again and their entries judged one by one
// (crawlChanged); what only a walk can judge (a new folder, an ignore file, a link) walks the tree.
// Git's "racy" rule applies: a folder changed within RACY_MS of being read is listed again.

import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, statSync, type Stats } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../files.js';
import type { CrawledFile, SkipReason } from '../types.js';
import { crawlChanged, type ChangedCrawlOptions } from './changed.js';
import { DEFAULT_EXCLUDES } from './defaults.js';
import { isIgnoreFile, type PathRuleOptions } from './path-rules.js';
import { canRead, type FolderStats, type WalkRecorder } from './walk.js';

/** Bumped when what the crawl decides, or this file's format, changes: older snapshots are ignored. */
const SNAPSHOT_VERSION = 1;
/** A folder modified this close to when it was read may have changed after it (coarse timestamps). */
const RACY_MS = 2000;
/** Past this many new or vanished names since the snapshot, a walk (which takes a new one) is cheaper. */
const MAX_CHANGED_PATHS = 1000;

interface SnapshotFolder {
  rel: string;
  mtimeMs: number;
  ctimeMs: number;
  names: string[];
  /** It holds a link whose verdict depends on other paths (a duplicate, broken, outside) or an unreadable folder. */
  volatile?: true;
}

interface Snapshot {
  version: number;
  /** The settings and root it was taken with (see snapshotKey). */
  key: string;
  takenAtMs: number;
  folders: SnapshotFolder[];
  /** Root-relative paths the crawl took or judges by their stat, in walk order. */
  files: string[];
  ignoreFiles: { rel: string; stat: string }[];
  /** Skips that a path's name and the rules decide, reported again as they were. */
  skips: { path: string; reason: SkipReason; detail: string; folder?: true }[];
}

export interface SnapshotSettings extends PathRuleOptions {
  rootReal: string;
  indexDirReal: string | undefined;
  maxFileBytes: number;
}

export function snapshotKey(settings: SnapshotSettings): string {
  const { rootReal, indexDirReal, maxFileBytes, exclude, include, indexSecrets, indexTestsAndTranslations } = settings;
  const parts = [SNAPSHOT_VERSION, rootReal, indexDirReal, maxFileBytes, exclude, include, indexSecrets ?? false, indexTestsAndTranslations ?? true, DEFAULT_EXCLUDES];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

const statKey = (stats: Stats) => `${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}:${stats.ino}`;

/** The entry's stats (the link's own with `follow` false); undefined when it is gone or unreadable. */
function statOrUndefined(abs: string, follow = true): Stats | undefined {
  try {
    return (follow ? statSync : lstatSync)(abs, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

const parentOf = (rel: string) => (rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '');
const join = (dir: string, name: string) => (dir === '' ? name : `${dir}/${name}`);

/** Collects a walk's snapshot as it goes. */
export class SnapshotRecorder implements WalkRecorder {
  readonly #folders: SnapshotFolder[] = [];
  readonly #volatile = new Set<string>();
  readonly #files: string[] = [];
  readonly #ignoreFiles: Snapshot['ignoreFiles'] = [];
  readonly #skips: Snapshot['skips'] = [];
  readonly #takenAtMs = Date.now();

  constructor(
    private readonly key: string,
    rootAbs: string,
  ) {
    const gitExclude = statOrUndefined(path.join(rootAbs, '.git', 'info', 'exclude'));
    this.#ignoreFiles.push({ rel: '.git/info/exclude', stat: gitExclude ? statKey(gitExclude) : 'absent' });
  }

  folder(rel: string, abs: string, stats: FolderStats, names: readonly string[]): void {
    this.#folders.push({ rel, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs, names: [...names] });
    for (const name of names) {
      if (!isIgnoreFile(join(rel, name))) continue;
      const stat = statOrUndefined(path.join(abs, name));
      this.#ignoreFiles.push({ rel: join(rel, name), stat: stat ? statKey(stat) : 'absent' });
    }
  }

  file(rel: string): void {
    this.#files.push(rel);
  }

  skipped(rel: string, isDir: boolean, reason: SkipReason, detail: string, link: boolean): void {
    if (!isDir && !link && (reason === 'too-large' || reason === 'unreadable')) {
      this.#files.push(rel); // judged by its stat again next time
      return;
    }
    if (link || (isDir && reason === 'unreadable')) this.#volatile.add(parentOf(rel));
    this.#skips.push({ path: rel, reason, detail, ...(isDir ? { folder: true as const } : {}) });
  }

  snapshot(): Snapshot {
    const folders = this.#folders.map((f) => (this.#volatile.has(f.rel) ? { ...f, volatile: true as const } : f));
    return { version: SNAPSHOT_VERSION, key: this.key, takenAtMs: this.#takenAtMs, folders, files: this.#files, ignoreFiles: this.#ignoreFiles, skips: this.#skips };
  }
}

export async function readSnapshot(file: string, key: string): Promise<Snapshot | undefined> {
  try {
    const snapshot = JSON.parse(await readFile(file, 'utf8')) as Snapshot;
    return snapshot.version === SNAPSHOT_VERSION && snapshot.key === key ? snapshot : undefined;
  } catch {
    return undefined; // none yet, or unreadable: the walk writes a new one
  }
}

/** Written whole, then renamed over the old one; a read-only index folder just goes without. */
export async function writeSnapshot(file: string, snapshot: Snapshot): Promise<void> {
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, JSON.stringify(snapshot));
  } catch {
    // the next start-up walks the tree, as it would without a snapshot
  }
}

/**
 * The crawl's result from `snapshot` and stats alone, or undefined when only a walk can tell (an
 * ignore file changed, a folder appeared, a link's folder changed, many paths changed, …). The
 * snapshot stays as the walk left it: what changed since is found again, by the same comparison,
 * until the next walk.
 */
export async function crawlFromSnapshot(snapshot: Snapshot, options: ChangedCrawlOptions & { rootAbs: string }): Promise<CrawledFile[] | undefined> {
  const { rootAbs, maxFileBytes, onSkip } = options;
  // Concatenated, not path.join: this runs once per file of the workspace.
  const prefix = rootAbs.endsWith(path.sep) ? rootAbs : rootAbs + path.sep;
  const abs = path.sep === '/' ? (rel: string) => (rel === '' ? rootAbs : prefix + rel) : (rel: string) => (rel === '' ? rootAbs : prefix + rel.replaceAll('/', path.sep));
  for (const { rel, stat } of snapshot.ignoreFiles) {
    const now = statOrUndefined(abs(rel));
    if ((now ? statKey(now) : 'absent') !== stat) return undefined;
  }

  const changedPaths: string[] = [];
  const known = new Set(snapshot.folders.map((f) => f.rel));
  // A folder left out by name stays left out while it is a folder (node_modules, build, …).
  const leftOut = new Set(snapshot.skips.filter((s) => s.folder).map((s) => s.path));
  const stillFolder = (rel: string) => statOrUndefined(abs(rel), false)?.isDirectory() === true;
  for (const folder of snapshot.folders) {
    const stats = statOrUndefined(abs(folder.rel));
    if (!stats?.isDirectory()) {
      changedPaths.push(folder.rel); // gone: crawlChanged drops it with what was under it
      continue;
    }
    const racy = snapshot.takenAtMs - stats.mtimeMs < RACY_MS;
    if (stats.mtimeMs === folder.mtimeMs && stats.ctimeMs === folder.ctimeMs && !racy) continue;
    let names: string[];
    try {
      names = readdirSync(abs(folder.rel));
    } catch {
      return undefined;
    }
    // A name kept may be a new entry (replaced, renamed over): all are judged again, but the
    // folders the snapshot knows, which answer for themselves by their own times.
    const after = new Set(names);
    for (const name of names) {
      const rel = join(folder.rel, name);
      if (!known.has(rel) && !(leftOut.has(rel) && stillFolder(rel))) changedPaths.push(rel);
    }
    for (const name of folder.names) if (!after.has(name)) changedPaths.push(join(folder.rel, name));
    if (changedPaths.length > MAX_CHANGED_PATHS) return undefined;
  }

  // A link's verdict (a duplicate, broken, outside) hangs on paths elsewhere: any change, and the walk judges it again.
  if (changedPaths.length > 0 && snapshot.folders.some((f) => f.volatile)) return undefined;
  // Skips are reported only once the changed paths are judged without a walk.
  const reported: Parameters<NonNullable<typeof onSkip>>[] = [];
  const changed = changedPaths.length > 0 ? await crawlChanged({ ...options, onSkip: (...skip) => reported.push(skip) }, changedPaths) : { files: [], gone: [] };
  if (!changed) return undefined;
  for (const skip of reported) onSkip?.(...skip);
  // What crawlChanged judged (and reported), and what is gone with a folder: not taken from the snapshot.
  const judged = new Set(changedPaths);
  const gone = new Set(changed.gone);
  const stale = (rel: string) => {
    if (judged.has(rel)) return true;
    for (let at = parentOf(rel); at !== '' && gone.size > 0; at = parentOf(at)) if (gone.has(at)) return true;
    return false;
  };

  const files: CrawledFile[] = [];
  for (const rel of snapshot.files) {
    if (changedPaths.length > 0 && stale(rel)) continue;
    const absPath = abs(rel);
    const stats = statOrUndefined(absPath);
    if (stats === undefined) continue; // deleted since: nothing to index or report
    if (!stats.isFile()) return undefined;
    if (!canRead(stats)) onSkip?.(rel, 'unreadable', 'permission denied');
    else if (stats.size > maxFileBytes) onSkip?.(rel, 'too-large', `${stats.size} bytes (limit ${maxFileBytes})`);
    else files.push({ path: rel, absPath, size: stats.size, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs });
  }
  files.push(...changed.files);
  for (const skip of snapshot.skips) if (changedPaths.length === 0 || !stale(skip.path)) onSkip?.(skip.path, skip.reason, skip.detail);
  return files;
}

// Finding damage in the index's LanceDB tables before it turns into failed or silently wrong
// searches. Lance files are written once and never changed, so each file a table's newest
// version needs (its manifest, each fragment's data and deletion files) must still be there, with
// the size Lance recorded and the bytes it had when CodeIntent wrote it. Lance keeps no checksums
// (garbage in a data file reads as other values, or panics its decoder), so the writer records a
// SHA-256, size and mtime of each such file in `checksums.json`. The quick check (every open)
// stats the files and hashes only those whose mtime moved; the full check hashes them all.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './files.js';
import { listManifests, ManifestUnreadableError, readManifest, type LanceManifest } from './lance-manifest.js';
import { messageOf } from './errors.js';

/** Beside meta.json in the index folder. */
export const CHECKSUMS_FILE = 'checksums.json';

export type Verify = 'quick' | 'full';

export interface FileRecord {
  size: number;
  mtimeMs: number;
  sha256: string;
}

/** Records by path relative to the LanceDB folder (`<table>.lance/data/<name>.lance`). */
export type ChecksumRecord = Record<string, FileRecord>;

export interface TableDamage {
  table: string;
  /** The newest manifest cannot be used: it is unreadable or its bytes changed. */
  manifest?: string;
  /** Fragments with a missing, cut or changed file: their rows cannot be trusted. */
  fragments: number[];
  /** What is wrong, one phrase per file. */
  details: string[];
}

export async function readChecksums(indexDir: string): Promise<ChecksumRecord> {
  try {
    const parsed = JSON.parse(await readFile(path.join(indexDir, CHECKSUMS_FILE), 'utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as ChecksumRecord) : {};
  } catch {
    return {}; // none yet (an index written before checksums were kept), or unreadable: nothing to compare
  }
}

function recordKey(lanceDir: string, file: string): string {
  return path.relative(lanceDir, file).split(path.sep).join('/');
}

function tableDirOf(lanceDir: string, table: string): string {
  return path.join(lanceDir, `${table}.lance`);
}

/** The damage in one table's newest version; undefined when it is intact or does not exist yet. */
export async function inspectTable(lanceDir: string, table: string, record: ChecksumRecord, verify: Verify): Promise<TableDamage | undefined> {
  const dir = tableDirOf(lanceDir, table);
  const [newest] = await listManifests(dir);
  if (!newest) return undefined;
  const unusable = (reason: string): TableDamage => ({ table, manifest: newest.file, fragments: [], details: [`${table}: _versions/${path.basename(newest.file)} ${reason}`] });
  const manifestProblem = await fileProblem(newest.file, undefined, record[recordKey(lanceDir, newest.file)], verify);
  if (manifestProblem) return unusable(manifestProblem);
  let manifest: LanceManifest;
  try {
    manifest = await readManifest(newest.file, newest.version);
  } catch (error) {
    if (error instanceof ManifestUnreadableError) return unusable(`is unreadable (${error.message})`);
    throw error;
  }
  const damage: TableDamage = { table, fragments: [], details: [] };
  for (const fragment of manifest.fragments) {
    const files = [...fragment.dataFiles, ...(fragment.deletionFile ? [{ path: fragment.deletionFile, size: undefined }] : [])];
    for (const file of files) {
      const absolute = path.join(dir, file.path);
      const problem = await fileProblem(absolute, file.size, record[recordKey(lanceDir, absolute)], verify);
      if (!problem) continue;
      if (!damage.fragments.includes(fragment.id)) damage.fragments.push(fragment.id);
      damage.details.push(`${table}: ${file.path} ${problem}`);
    }
  }
  return damage.details.length > 0 ? damage : undefined;
}

/** What is wrong with one file, or undefined when it is as written. */
async function fileProblem(file: string, size: number | undefined, recorded: FileRecord | undefined, verify: Verify): Promise<string | undefined> {
  let info;
  try {
    info = await stat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'is missing';
    return `cannot be read (${messageOf(error)})`;
  }
  const expected = size ?? recorded?.size;
  if (expected !== undefined && info.size !== expected) return `is ${info.size} bytes, ${expected} were written`;
  // A copied index has new mtimes and the same bytes: a moved mtime only calls for a hash.
  if (recorded && (verify === 'full' || info.mtimeMs !== recorded.mtimeMs) && (await sha256OfFile(file)) !== recorded.sha256) {
    return 'holds other bytes than were written';
  }
  return undefined;
}

function sha256OfFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/**
 * Records the files the tables' newest versions need, after a run wrote them (under the index
 * lock). A file already recorded keeps its record unless it still hashes the same (a copy): a
 * file damaged since it was written must stay detectable. Right after a repair, `afterRepair`
 * records the files as they are: they were just checked, and a rolled-back table reuses the
 * names of the versions it lost.
 */
export async function recordChecksums(indexDir: string, lanceDir: string, tables: readonly string[], { afterRepair = false } = {}): Promise<void> {
  const previous = await readChecksums(indexDir);
  const next: ChecksumRecord = {};
  for (const table of tables) {
    const dir = tableDirOf(lanceDir, table);
    const [newest] = await listManifests(dir);
    if (!newest) continue;
    const manifest = await readManifest(newest.file, newest.version);
    const files = [newest.file, ...manifest.fragments.flatMap((f) => [...f.dataFiles.map((d) => path.join(dir, d.path)), ...(f.deletionFile ? [path.join(dir, f.deletionFile)] : [])])];
    for (const file of files) {
      const key = recordKey(lanceDir, file);
      const info = await stat(file);
      const old = previous[key];
      if (old && old.size === info.size && old.mtimeMs === info.mtimeMs) {
        next[key] = old;
        continue;
      }
      const sha256 = await sha256OfFile(file);
      next[key] = old && old.sha256 !== sha256 && !afterRepair ? old : { size: info.size, mtimeMs: info.mtimeMs, sha256 };
    }
  }
  await writeFileAtomic(path.join(indexDir, CHECKSUMS_FILE), JSON.stringify(next));
}

/** The damage in these tables (names without `.lance`), read against the recorded checksums. */
export async function inspectIndex(indexDir: string, lanceDir: string, tables: readonly string[], verify: Verify): Promise<TableDamage[]> {
  const record = await readChecksums(indexDir);
  const out: TableDamage[] = [];
  for (const table of tables) {
    const damage = await inspectTable(lanceDir, table, record, verify);
    if (damage) out.push(damage);
  }
  return out;
}

import { constants, type Dirent, type Stats } from 'node:fs';
import { open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { messageOf } from './errors.js';

/** Whether something exists at `file` (any error reading it counts as no). */
export async function pathExists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** The bytes of the files under `dir` (symbolic links not followed); 0 when it does not exist. */
export async function folderBytes(dir: string): Promise<number> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  let total = 0;
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    try {
      total += (await stat(path.join(entry.parentPath, entry.name))).size;
    } catch (error) {
      // A writer in the folder (an index run) renames and deletes its temporary files as it goes.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return total;
}

/**
 * A new temporary file beside `file` (same folder, so a rename onto `file` is atomic) that holds
 * `data`, flushed to disk, with `mode` when given. On failure it is removed and the error thrown.
 */
export async function stageBeside(file: string, data: string | Uint8Array, mode?: number): Promise<string> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    const handle = await open(temporary, 'wx');
    try {
      if (mode !== undefined) await handle.chmod(mode);
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return temporary;
}

/**
 * Writes `file` whole or not at all: the data goes to a temporary file in the same folder, flushed
 * to disk, which is then renamed over `file` (a rename within one file system is atomic), so a
 * reader never finds it half written and a full disk leaves it as it was; on failure the
 * temporary file is removed. `mode`: the permissions it gets (default: a new file's).
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, mode?: number): Promise<void> {
  const temporary = await stageBeside(file, data, mode);
  try {
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** A file-system error in words without the paths it names (often a temporary file's): "file too large (EFBIG)". */
export function describeFileError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const what = /^[A-Z]+: ([^,]+)/.exec(messageOf(error))?.[1];
  return code !== undefined && what !== undefined ? `${what} (${code})` : messageOf(error);
}

/**
 * The first thing `read` makes of a sub-folder of `dirs` (each dir's sub-folders in name order,
 * the dirs in order) that `fits`; a folder that cannot be read, or whose `read` throws, is passed
 * over. How a workspace finds the adapter or ranker trained for its model.
 */
export async function firstSubfolder<T>(dirs: readonly string[], read: (folder: string) => Promise<T>, fits: (found: T) => boolean): Promise<T | undefined> {
  for (const dir of dirs) {
    let names: string[];
    try {
      names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      try {
        const found = await read(path.join(dir, name));
        if (fits(found)) return found;
      } catch {
        // Not such a folder, or one of another version.
      }
    }
  }
  return undefined;
}

/** What an entry that is not a regular file is, in words (a FIFO, a socket…); undefined for a regular file. */
export function specialFileKind(entry: Stats | Dirent): string | undefined {
  if (entry.isFile()) return undefined;
  if (entry.isFIFO()) return 'a FIFO (named pipe)';
  if (entry.isSocket()) return 'a socket';
  if (entry.isCharacterDevice() || entry.isBlockDevice()) return 'a device';
  if (entry.isDirectory()) return 'a folder';
  return 'not a regular file';
}

/**
 * The bytes of `file` if it is a regular file, else what it is instead (`specialFileKind`). The
 * check is made on the opened handle, and the open never blocks (O_NONBLOCK; Windows has no FIFOs
 * to block on): a FIFO put in a file's place after the crawl would otherwise hang `open()` forever.
 */
export async function readRegularFile(file: string): Promise<{ bytes: Buffer } | { notRegular: string }> {
  const handle = await open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const kind = specialFileKind(await handle.stat());
    return kind === undefined ? { bytes: await handle.readFile() } : { notRegular: kind };
  } finally {
    await handle.close();
  }
}

/**
 * The text of a regular file; anything else fails with what it is (ENOTREG), so a FIFO in a
 * hostile workspace (say as `.codeintent/guidelines.md`) is refused instead of blocking the read.
 */
export async function readRegularText(file: string): Promise<string> {
  const read = await readRegularFile(file);
  if ('notRegular' in read) throw Object.assign(new Error(`${read.notRegular}, not a regular file`), { code: 'ENOTREG' });
  return read.bytes.toString('utf8');
}

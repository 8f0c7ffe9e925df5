import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export async function tempDir(prefix = 'codeintent-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function writeTree(root: string, files: Record<string, string | Uint8Array>): Promise<void> {
  await mkdir(root, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(root, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }
}

/**
 * Batches of files an index run has committed to the index in `db` so far (the files table's data
 * fragments, one per batch): tests that stop a run part-way wait for this.
 */
export async function committedBatches(db: string): Promise<number> {
  try {
    const lance = path.join(db, 'lance');
    const table = (await readdir(lance)).find((t) => t.startsWith('files_'));
    return table ? (await readdir(path.join(lance, table, 'data'))).length : 0;
  } catch {
    return 0;
  }
}

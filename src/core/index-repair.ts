// Repairing damaged LanceDB tables with as little loss as Lance allows. A fragment whose file is
// missing, cut or changed has its rows deleted by row address (`_rowaddr` is fragment id << 32 |
// offset; Lance deletes them without reading the damaged file). A newest manifest that cannot be
// used is removed, so the version before it becomes the newest. Only when that is not enough is
// the table dropped. The caller then reconciles the chunks and files tables, so the files whose
// chunks were lost are indexed again.

import { rm } from 'node:fs/promises';
import path from 'node:path';
import type * as lancedb from '@lancedb/lancedb';
import { inspectIndex, type TableDamage } from './index-integrity.js';

/** Older manifests tried before a table with an unusable newest one is dropped. */
const MAX_ROLLBACKS = 8;

/** Repairs each damaged table (the index lock held, no table of `db` open). */
export async function repairTables(indexDir: string, lanceDir: string, db: lancedb.Connection, damages: readonly TableDamage[]): Promise<void> {
  for (const first of damages) {
    let damage: TableDamage | undefined = first;
    for (let tries = 0; damage?.manifest !== undefined && tries < MAX_ROLLBACKS; tries++) {
      await rm(damage.manifest, { force: true });
      [damage] = await inspectIndex(indexDir, lanceDir, [first.table], 'quick');
    }
    if (damage && damage.manifest === undefined && damage.fragments.length > 0) {
      await deleteFragments(db, damage.table, damage.fragments).catch(() => {
        // What Lance cannot delete is dropped with its table below.
      });
      [damage] = await inspectIndex(indexDir, lanceDir, [first.table], 'quick');
    }
    // The last resort: the table is created again, empty.
    if (damage) await rm(path.join(lanceDir, `${first.table}.lance`), { recursive: true, force: true });
  }
}

async function deleteFragments(db: lancedb.Connection, name: string, fragments: readonly number[]): Promise<void> {
  const table = await db.openTable(name);
  try {
    await table.delete(fragments.map((id) => `(_rowaddr >= ${BigInt(id) << 32n} AND _rowaddr < ${BigInt(id + 1) << 32n})`).join(' OR '));
  } finally {
    table.close();
  }
}

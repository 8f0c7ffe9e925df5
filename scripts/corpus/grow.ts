// How the pinned catalogue grows: every entry already in it stays as it is, in its place, and a
// new entry is taken only when its name hashes to the training split. So the validation and test
// splits stay exactly the packages they were, and every figure measured on them stays comparable.

import { type CatalogEntry, type CorpusLanguage, entryKey, packageSlug, splitOf } from './common.js';

export interface GrowResult {
  packages: CatalogEntry[];
  /** The entries added, in catalogue order. */
  added: CatalogEntry[];
  /** New candidates passed over because their name hashes to the validation or test split. */
  heldOut: number;
}

/**
 * The catalogue `existing` followed by up to `add[language]` new entries per language from
 * `candidates` (in their order; the caller's preference), training split only. A candidate already
 * in the catalogue, or whose workspace name (packageSlug) another entry has, is skipped.
 */
export function growCatalog(
  existing: readonly CatalogEntry[],
  candidates: readonly CatalogEntry[],
  add: Partial<Record<CorpusLanguage, number>>,
): GrowResult {
  const keys = new Set(existing.map(entryKey));
  const slugs = new Set(existing.map((e) => packageSlug(e.name)));
  const taken = new Map<CorpusLanguage, number>();
  const added: CatalogEntry[] = [];
  let heldOut = 0;
  for (const c of candidates) {
    const n = taken.get(c.language) ?? 0;
    if (n >= (add[c.language] ?? 0) || keys.has(entryKey(c)) || slugs.has(packageSlug(c.name))) continue;
    if (splitOf(c) !== 'train') {
      heldOut++;
      continue;
    }
    keys.add(entryKey(c));
    slugs.add(packageSlug(c.name));
    taken.set(c.language, n + 1);
    added.push(c);
  }
  return { packages: [...existing, ...added], added, heldOut };
}

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { type CatalogEntry, entryKey, loadCatalog, splitOf } from '../scripts/corpus/common.js';
import { growCatalog } from '../scripts/corpus/grow.js';

/** Fingerprint of a split's catalog entries (registry, name, pinned version), order-free. */
function heldOutFingerprint(packages: readonly CatalogEntry[], split: 'valid' | 'test'): { n: number; sha: string } {
  const keys = packages.filter((e) => splitOf(e) === split).map((e) => `${entryKey(e)}@${e.version}`).sort();
  return { n: keys.length, sha: createHash('sha256').update(keys.join('\n')).digest('hex').slice(0, 16) };
}

test('the validation and test packages of the catalog are exactly those of code-static-v2 (158 and 129 entries)', () => {
  // Recorded from the catalog the v2 model and both benchmarks were built from: a change here moves
  // a held-out package and makes every earlier figure incomparable.
  const packages = loadCatalog().packages;
  assert.deepEqual(heldOutFingerprint(packages, 'valid'), { n: 158, sha: '8897b9cdc96a8463' });
  assert.deepEqual(heldOutFingerprint(packages, 'test'), { n: 129, sha: '6c2128eb443856d4' });
});

test('growing the real catalog keeps every entry in place and adds training-split packages only', () => {
  const existing = loadCatalog().packages;
  const base = existing.slice(0, 200);
  // Candidates: the rest of the real catalog, whatever split their names hash to.
  const candidates = existing.slice(200, 1200);
  const grown = growCatalog(base, candidates, { python: 50, go: 50, rust: 50, java: 50, c: 50 });
  assert.deepEqual(grown.packages.slice(0, base.length), base);
  assert.ok(grown.added.length > 100);
  assert.ok(grown.added.every((e) => splitOf(e) === 'train'));
  assert.ok(grown.heldOut > 0, 'some candidates hash to valid/test and are passed over');
  for (const split of ['valid', 'test'] as const) {
    assert.deepEqual(heldOutFingerprint(grown.packages, split), heldOutFingerprint(base, split));
  }
  const perLanguage = new Map<string, number>();
  for (const e of grown.added) perLanguage.set(e.language, (perLanguage.get(e.language) ?? 0) + 1);
  for (const [, n] of perLanguage) assert.ok(n <= 50);
  assert.equal(new Set(grown.packages.map(entryKey)).size, grown.packages.length);
});

test('a candidate already in the catalog, or sharing a workspace name with an entry, is not added again', () => {
  const existing = loadCatalog().packages.slice(0, 50);
  const first = existing[0] as CatalogEntry;
  const sameSlug: CatalogEntry = { ...first, registry: 'debian-source', name: first.name };
  const grown = growCatalog(existing, [first, sameSlug], { [first.language]: 10 });
  assert.equal(grown.added.length, 0);
});

// The store's search filter (src/core/store.ts, HitFilter) on a real LanceDB table: the SQL it
// builds matches folder names literally, LIKE wildcards and quotes included.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { lexicalText } from '../src/core/tokens.js';
import type { LanguageId } from '../src/core/types.js';
import { Workspace } from '../src/core/workspace.js';
import { tempDir, writeTree } from './helpers/fs.js';

/** Folders whose names hold LIKE's wildcards, its escape character or a quote, each with a look-alike. */
const FOLDERS = ['a_b', 'axb', '100%', '1000', 'x\\y', 'xy', 'x\\\\y', "it's", 'its', 'a_b/sub'];

let scratch: { dir: string; cleanup: () => Promise<void> };
let workspace: Workspace;

before(async () => {
  scratch = await tempDir('codeintent-filter-');
  const root = path.join(scratch.dir, 'project');
  await writeTree(root, {
    ...Object.fromEntries(FOLDERS.map((folder) => [`${folder}/tally.ts`, 'export function tallyLedgerEntries(entries: number[]): number {\n  return entries.length;\n}\n'])),
    'scripts/tally.py': 'def tally_ledger_entries(entries):\n    return len(entries)\n',
  });
  workspace = await Workspace.open({ root, indexDir: path.join(scratch.dir, 'index'), model: 'default' });
  const summary = await workspace.index();
  assert.equal(summary.files, FOLDERS.length + 1);
});

after(async () => {
  await workspace.close();
  await scratch.cleanup();
});

const TERMS = lexicalText('tally ledger entries');

/** The files that each of the store's searches finds with `filter`. */
async function found(filter: { language?: LanguageId; pathPrefix?: string }): Promise<{ text: string[]; vector: string[] }> {
  const [vector] = await workspace.embedder.embed(['tally ledger entries'], 'query');
  assert.ok(vector);
  const paths = (hits: { path: string }[]) => [...new Set(hits.map((hit) => hit.path))].sort();
  return {
    text: paths(await workspace.store.textSearch(TERMS, 50, filter)),
    vector: paths(await workspace.store.vectorSearch(vector, 50, filter)),
  };
}

describe('the store filter', () => {
  test('a folder matches only its own files, whatever its name holds', async () => {
    const all = await found({});
    assert.equal(all.text.length, FOLDERS.length + 1, 'every file matches the words');
    for (const folder of ['a_b', '100%', 'x\\y', 'x\\\\y', "it's", 'axb', '1000', 'xy', 'its']) {
      const expected = FOLDERS.filter((other) => other === folder || other.startsWith(`${folder}/`))
        .map((other) => `${other}/tally.ts`)
        .sort();
      for (const prefix of [folder, `${folder}/`]) {
        assert.deepEqual(await found({ pathPrefix: prefix }), { text: expected, vector: expected }, prefix);
      }
    }
    assert.deepEqual(await found({ pathPrefix: 'a_b/sub' }), { text: ['a_b/sub/tally.ts'], vector: ['a_b/sub/tally.ts'] });
    assert.deepEqual(await found({ pathPrefix: 'a_' }), { text: [], vector: [] }, 'a folder, not a name prefix');
  });

  test('a language, with a path or alone; a quote in it cannot break or widen the SQL', async () => {
    assert.deepEqual(await found({ language: 'python' }), { text: ['scripts/tally.py'], vector: ['scripts/tally.py'] });
    assert.deepEqual(await found({ language: 'typescript', pathPrefix: '100%' }), { text: ['100%/tally.ts'], vector: ['100%/tally.ts'] });
    assert.deepEqual(await found({ language: 'python', pathPrefix: '100%' }), { text: [], vector: [] });
    for (const language of ["python' OR '1'='1", "'", "typescript'--"]) {
      assert.deepEqual(await found({ language: language as LanguageId }), { text: [], vector: [] }, language);
    }
  });
});

// The TypeScript compiler's check of an edit, on real files: what it counts as added, with and
// without a project config, for TypeScript and JavaScript.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { addedTypeErrors } from '../src/core/edit/type-check.js';
import { tempDir, writeTree } from './helpers/fs.js';

let scratch: { dir: string; cleanup: () => Promise<void> };
before(async () => {
  scratch = await tempDir('codeintent-typecheck-');
});
after(() => scratch.cleanup());

const LOGGER = "export const logger = { info: (message: string) => console.log(message) };\n";

test('a name the edit uses without importing it is an added error; with the import there is none', async () => {
  const root = path.join(scratch.dir, 'ts');
  const original = "export function charge(cents: number): number {\n  return cents;\n}\n";
  await writeTree(root, { 'tsconfig.json': JSON.stringify({ compilerOptions: { strict: true } }), 'src/logger.ts': LOGGER, 'src/charge.ts': original });
  const unimported = "export function charge(cents: number): number {\n  logger.info('charge');\n  return cents;\n}\n";
  const check = await addedTypeErrors(root, 'src/charge.ts', original, unimported);
  assert.match(check?.checker ?? '', /^TypeScript \d+\.\d+\.\d+ with tsconfig\.json$/);
  assert.deepEqual(check?.added, [{ line: 2, source: "logger.info('charge');", message: "Cannot find name 'logger'.", code: 2304 }]);
  const imported = `import { logger } from './logger';\n${unimported}`;
  assert.deepEqual((await addedTypeErrors(root, 'src/charge.ts', original, imported))?.added, []);
});

test('errors the file already had are not counted, even where the edit moved them', async () => {
  const root = path.join(scratch.dir, 'existing');
  const original = "export function label(cents: number): string {\n  const text: string = cents;\n  return text;\n}\n";
  await writeTree(root, { 'tsconfig.json': '{}', 'label.ts': original });
  const moved = `// formats a price\n${original}`;
  assert.deepEqual((await addedTypeErrors(root, 'label.ts', original, moved))?.added, []);
});

test('JavaScript without a config is checked as with checkJs; other languages are not checked', async () => {
  const root = path.join(scratch.dir, 'js');
  const original = 'export function total(items) {\n  return items.length;\n}\n';
  await writeTree(root, { 'total.js': original, 'total.py': 'def total(items):\n    return len(items)\n' });
  const check = await addedTypeErrors(root, 'total.js', original, 'export function total(items) {\n  recordAuditTrail(items);\n  return items.length;\n}\n');
  assert.equal(check?.checker.startsWith('TypeScript '), true);
  assert.equal(check?.checker.includes(' with '), false, 'no config: default options');
  assert.deepEqual(check?.added.map((e) => e.message), ["Cannot find name 'recordAuditTrail'."]);
  assert.equal(await addedTypeErrors(root, 'total.py', 'x', 'y'), undefined);
});

test('a secret in a quoted line or message is masked: the errors go into the model’s retry', async () => {
  const root = path.join(scratch.dir, 'secret');
  // Assembled at run time so that secret scanners do not flag this file.
  const key = 'sk_' + 'live_' + '51HxQeR2eZvKYlo2Cabcd7EFGH1234567890';
  const original = 'export function pay(): number {\n  return 1;\n}\n';
  await writeTree(root, { 'tsconfig.json': '{}', 'pay.ts': original });
  const edited = `export function pay(): number {\n  const amount: number = '${key}';\n  return amount;\n}\n`;
  const check = await addedTypeErrors(root, 'pay.ts', original, edited);
  assert.equal(check?.added.length, 1);
  assert.ok(!JSON.stringify(check).includes(key), JSON.stringify(check));
});

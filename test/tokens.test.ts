import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codeTokens, identifierParts, lexicalText, splitIdentifier } from '../src/core/tokens.js';

test('identifiers split at case, underscore, dash and digit boundaries', () => {
  assert.deepEqual(splitIdentifier('getUserById'), ['get', 'user', 'by', 'id']);
  assert.deepEqual(splitIdentifier('parseHTTPResponse2'), ['parse', 'http', 'response', '2']);
  assert.deepEqual(splitIdentifier('MAX_RETRY_COUNT'), ['max', 'retry', 'count']);
  assert.deepEqual(splitIdentifier('__init__'), ['init']);
});

test('a compound identifier also yields its joined form, so exact names still match', () => {
  assert.deepEqual(codeTokens('retryWebhook(evt)'), ['retry', 'webhook', 'retrywebhook', 'evt']);
  assert.equal(lexicalText('init_stripe = new Stripe(key)'), 'init stripe initstripe new stripe key');
});

test('the default model embeds identifier parts only: the same parts, no joined forms', () => {
  assert.deepEqual(identifierParts('retryWebhook(evt) { MAX_RETRY = 2 }'), ['retry', 'webhook', 'evt', 'max', 'retry', '2']);
  const text = 'const parsedHTTPResponse = parse_http(body);';
  assert.deepEqual(identifierParts(text), codeTokens(text).filter((t) => t !== 'parsedhttpresponse' && t !== 'parsehttp'));
});

test('the token cap is honoured', () => {
  assert.equal(codeTokens('a b c d e f', 3).length, 3);
  assert.equal(identifierParts('a b c d e f', 3).length, 3);
});

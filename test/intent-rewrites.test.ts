import assert from 'node:assert/strict';
import { test } from 'node:test';
import { INTENT_REWRITE_SOURCE, baseVerb, intentRewrites, rewriteAsIntent, thirdPerson } from '../src/training/intent-rewrites.js';

// First sentences of real docstrings (express, requests, lodash, Go's net/http, Rust's std).
const EXPRESS = 'Return request header';
const REQUESTS = 'Returns a dictionary of the proxies to use for a request';
const LODASH = 'Checks if `value` is classified as an `Array` object';
const GO = 'ListenAndServe listens on the TCP network address addr and then calls Serve';
const RUST = 'Returns true if the vector contains no elements';

test('a docstring that opens with a verb becomes each intent form', () => {
  assert.equal(rewriteAsIntent(REQUESTS, 'imperative'), 'get a dictionary of the proxies to use for a request');
  assert.equal(rewriteAsIntent(REQUESTS, 'where-do-we'), 'where do we get a dictionary of the proxies to use for a request');
  assert.equal(rewriteAsIntent(REQUESTS, 'code-that'), 'code that gets a dictionary of the proxies to use for a request');
  assert.equal(rewriteAsIntent(REQUESTS, 'how-to'), 'how to get a dictionary of the proxies to use for a request');
  assert.equal(rewriteAsIntent(EXPRESS, 'imperative'), 'get request header');
  assert.equal(rewriteAsIntent(LODASH, 'code-that'), 'code that checks if `value` is classified as an `Array` object');
  assert.equal(rewriteAsIntent(LODASH, 'how-to'), 'how to check if `value` is classified as an `Array` object');
});

test('"Returns true if …" and "Returns whether …" are asked as checks', () => {
  assert.equal(rewriteAsIntent(RUST, 'imperative'), 'check if the vector contains no elements');
  assert.equal(rewriteAsIntent('Returns whether the socket is closed.', 'where-do-we'), 'where do we check whether the socket is closed');
});

test('noun phrases, names and one-word docs are left alone', () => {
  assert.equal(rewriteAsIntent(GO, 'imperative'), undefined);
  assert.equal(rewriteAsIntent('The base class for all HTTP adapters', 'imperative'), undefined);
  assert.equal(rewriteAsIntent('Returns', 'imperative'), undefined);
});

test('verb forms: third person to base and back', () => {
  assert.equal(baseVerb('Creates'), 'create');
  assert.equal(baseVerb('matches'), 'match');
  assert.equal(baseVerb('Applies'), 'apply');
  assert.equal(baseVerb('passes'), undefined);
  assert.equal(baseVerb('Proxies'), undefined);
  assert.equal(thirdPerson('match'), 'matches');
  assert.equal(thirdPerson('apply'), 'applies');
  assert.equal(thirdPerson('get'), 'gets');
});

test('rewrites are extra pairs marked with their own source, the forms taken in turn', () => {
  const pairs = [EXPRESS, REQUESTS, LODASH, GO, RUST].map((query, i): { id: string; query: string; code: string; source?: string } => ({ id: `p${i}`, query, code: `code ${i}` }));
  const rewrites = intentRewrites(pairs);
  assert.equal(rewrites.length, 4);
  assert.ok(rewrites.every((r) => r.source === INTENT_REWRITE_SOURCE));
  assert.deepEqual(rewrites.map((r) => r.id), ['p0', 'p1', 'p2', 'p4']);
  assert.deepEqual(rewrites.map((r) => r.query.split(' ').slice(0, 2).join(' ')), ['get request', 'where do', 'code that', 'how to']);
  assert.deepEqual(pairs.map((p) => p.query), [EXPRESS, REQUESTS, LODASH, GO, RUST], 'the harvested pairs are unchanged');
});

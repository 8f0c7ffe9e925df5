// Tests of src/core/llm/client.ts, src/training/synthetic-queries.ts and
// scripts/synthetic-queries.ts against a real HTTP server on 127.0.0.1 that speaks the OpenAI
// chat-completions protocol (test/helpers/chat-server.ts), scripted per request.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inspect } from 'node:util';

import { ChatRequestError, createChatClient } from '../src/core/llm/client.js';
import type { ChatClientOptions } from '../src/core/llm/client.js';
import { SECRET_MASK } from '../src/core/llm/mask-secrets.js';
import { CURRENT_INTENT_PROMPT, compoundIdentifiers, generateIntentQueries, parseIntentQueries } from '../src/training/synthetic-queries.js';
import type { IntentQueryOptions, IntentQueryProgress, IntentSnippet } from '../src/training/synthetic-queries.js';
import { firstUserMessage, messagesOf, startChatServer } from './helpers/chat-server.js';
import type { ChatHandler, ChatReply, ChatServer, RecordedRequest } from './helpers/chat-server.js';
import { tempDir } from './helpers/fs.js';
import { PACKAGE_ROOT } from '../src/core/models.js';

const API_KEY = 'test-key-0123456789';
const USAGE = { prompt_tokens: 100, completion_tokens: 10 };

// Assembled at run time so that secret scanners do not flag this file.
const LIVE_KEY = 'sk-' + 'live-' + '9c8b7a6f5e4d3c2b1a0f9e8dQwE';
const AWS_ID = 'AKIA' + 'J7Q2W4E6R8T0Y2U4';
const PEM_BODY = 'MIIEowIBAAKCAQEAyZ8sQ1r0m8dE3Jp2vX6c9f4kL7tN1bH5wR3yU0iO2pA6sD8g';
const PEM = `-----BEGIN RSA ${'PRIVATE KEY'}-----\n${PEM_BODY}\n-----END RSA PRIVATE KEY-----`;

function good(queries: string[], usage = USAGE): ChatReply {
  return { content: JSON.stringify({ queries }), usage };
}

/** The `// case:NAME` marker of the snippet in a request. */
function caseOf(request: RecordedRequest): string {
  return /case:([\w-]+)/.exec(firstUserMessage(request))?.[1] ?? 'none';
}

function snippet(name: string, code: string, symbol = ''): IntentSnippet {
  return { id: name, code: `${code}\n// case:${name}`, symbol, kind: 'function', language: 'typescript' };
}

function client(server: ChatServer, extra: Partial<ChatClientOptions> = {}) {
  return createChatClient({ baseURL: server.baseURL, apiKey: API_KEY, model: 'test-model', timeoutMs: 2000, maxRetries: 2, concurrency: 4, ...extra });
}

/** Requests whose snippet carries `name`. */
function requestsFor(server: ChatServer, name: string, from = 0): RecordedRequest[] {
  return server.requests.slice(from).filter((r) => caseOf(r) === name);
}

describe('chat client', () => {
  let server: ChatServer;
  before(async () => {
    server = await startChatServer(() => good(['a query']));
  });
  after(() => server.close());

  test('sends the model, messages and key; returns content and usage; sums usage per client', async () => {
    server.setHandler(() => ({ content: 'hello', usage: { prompt_tokens: 7, completion_tokens: 3 } }));
    const c = client(server);
    const from = server.requests.length;
    const r1 = await c.complete({ messages: [{ role: 'user', content: 'hi' }], temperature: 0.2, maxTokens: 50 });
    const r2 = await c.complete({ messages: [{ role: 'system', content: 's' }, { role: 'user', content: 'again' }] });
    assert.deepEqual(r1, { content: 'hello', finishReason: 'stop', usage: { promptTokens: 7, completionTokens: 3 } });
    assert.equal(r2.content, 'hello');
    const [req] = server.requests.slice(from);
    assert.ok(req !== undefined);
    assert.equal(req.headers.authorization, `Bearer ${API_KEY}`);
    assert.deepEqual(req.body, { model: 'test-model', messages: [{ role: 'user', content: 'hi' }], temperature: 0.2, max_tokens: 50 });
    assert.deepEqual(c.stats(), { calls: 2, failedCalls: 0, httpAttempts: 2, promptTokens: 14, completionTokens: 6 });
    assert.equal(c.host, new URL(server.baseURL).host);
  });

  test('streams: the pieces arrive as they are sent, and the result and usage are those of the whole answer', async () => {
    server.setHandler(() => ({ content: '{"edits":[],"explanation":"streamed"}', usage: { prompt_tokens: 11, completion_tokens: 5 }, pieces: 5 }));
    const c = client(server);
    const from = server.requests.length;
    const pieces: string[] = [];
    const r = await c.complete({ messages: [{ role: 'user', content: 'hi' }], onDelta: (text) => pieces.push(text) });
    assert.deepEqual(r, { content: '{"edits":[],"explanation":"streamed"}', finishReason: 'stop', usage: { promptTokens: 11, completionTokens: 5 } });
    assert.equal(pieces.length, 5);
    assert.equal(pieces.join(''), r.content);
    assert.equal(Reflect.get(server.requests[from]?.body as object, 'stream'), true);
    assert.deepEqual(c.stats().promptTokens, 11);
  });

  test('a stream is cancelled mid-answer: the call rejects at once with the abort reason', async () => {
    server.setHandler(() => ({ content: 'a long answer that never finishes', pieces: 8, stallAfterPieces: 2 }));
    const c = client(server);
    const controller = new AbortController();
    let received = '';
    const call = c.complete({
      messages: [{ role: 'user', content: 'hi' }],
      signal: controller.signal,
      onDelta: (text) => {
        received += text;
        if (received.length >= 8) controller.abort(new Error('user cancelled'));
      },
    });
    await assert.rejects(call, /user cancelled/);
    assert.ok(received.length > 0 && received.length < 'a long answer that never finishes'.length);
  });

  test('never runs more than `concurrency` requests at once', async () => {
    const fresh = await startChatServer(() => ({ content: 'ok', usage: USAGE, delayMs: 25 }));
    try {
      const c = client(fresh, { concurrency: 3 });
      let maxActive = 0;
      const calls = Array.from({ length: 10 }, () => {
        const p = c.complete({ messages: [{ role: 'user', content: 'x' }] });
        maxActive = Math.max(maxActive, c.activeCount);
        return p;
      });
      await Promise.all(calls);
      assert.equal(fresh.requests.length, 10);
      assert.equal(fresh.maxInFlight, 3);
      assert.ok(maxActive <= 3);
      assert.equal(c.stats().promptTokens, 1000);
    } finally {
      await fresh.close();
    }
  });

  test('429 with retry-after-ms is retried after the wait', async () => {
    let n = 0;
    server.setHandler(() => (n++ === 0 ? { status: 429, headers: { 'retry-after-ms': '10' } } : { content: 'after 429', usage: USAGE }));
    const c = client(server);
    const from = server.requests.length;
    const r = await c.complete({ messages: [{ role: 'user', content: 'x' }] });
    assert.equal(r.content, 'after 429');
    assert.equal(server.requests.length - from, 2);
    assert.equal(c.stats().httpAttempts, 2);
  });

  test('a long retry-after is capped at maxRetryDelayMs', async () => {
    let n = 0;
    server.setHandler(() => (n++ === 0 ? { status: 503, headers: { 'retry-after': '3600' } } : { content: 'soon', usage: USAGE }));
    const c = client(server, { maxRetryDelayMs: 20 });
    const t0 = Date.now();
    assert.equal((await c.complete({ messages: [{ role: 'user', content: 'x' }] })).content, 'soon');
    assert.ok(Date.now() - t0 < 1500, `took ${Date.now() - t0} ms`);
  });

  // (Retries of timeouts, with the package's 0.5 s backoff, are in the scripted run below.)
  test('a hang past the timeout fails as a timeout', async () => {
    server.setHandler(() => ({ hang: true }));
    const c = client(server, { timeoutMs: 100, maxRetries: 0 });
    const from = server.requests.length;
    await assert.rejects(c.complete({ messages: [{ role: 'user', content: 'x' }] }), (err: unknown) => {
      assert.ok(err instanceof ChatRequestError);
      assert.equal(err.kind, 'timeout');
      assert.match(err.message, /timed out after 100 ms \(1 attempt\)/);
      return true;
    });
    assert.equal(server.requests.length - from, 1);
    assert.deepEqual({ ...c.stats(), httpAttempts: 0 }, { calls: 0, failedCalls: 1, httpAttempts: 0, promptTokens: 0, completionTokens: 0 });
  });

  test('abort: in flight and queued calls reject at once with the reason', async () => {
    server.setHandler(() => ({ hang: true }));
    const c = client(server, { concurrency: 1, timeoutMs: 5000 });
    const controller = new AbortController();
    const running = c.complete({ messages: [{ role: 'user', content: 'x' }], signal: controller.signal });
    const queued = c.complete({ messages: [{ role: 'user', content: 'y' }], signal: controller.signal });
    assert.equal(c.pendingCount, 1);
    setTimeout(() => controller.abort(new Error('stop now')), 50);
    const t0 = Date.now();
    await assert.rejects(running, /stop now/);
    await assert.rejects(queued, /stop now/);
    assert.ok(Date.now() - t0 < 1000);
    await assert.rejects(c.complete({ messages: [{ role: 'user', content: 'z' }], signal: controller.signal }), /stop now/);
  });

  test('a long-lived signal does not collect listeners', async () => {
    server.setHandler(() => ({ content: 'ok', usage: USAGE }));
    const c = client(server, { concurrency: 2 });
    const controller = new AbortController();
    await Promise.all(Array.from({ length: 15 }, () => c.complete({ messages: [{ role: 'user', content: 'x' }], signal: controller.signal })));
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  test('the API key stays out of errors and of the client object, even when the server echoes it', async () => {
    server.setHandler((req) => ({ status: 401, body: { error: { message: `Incorrect API key provided: ${String(req.headers.authorization)}`, type: 'invalid_request_error' } } }));
    const c = client(server);
    await assert.rejects(c.complete({ messages: [{ role: 'user', content: 'x' }] }), (err: unknown) => {
      assert.ok(err instanceof ChatRequestError);
      assert.equal(err.status, 401);
      assert.equal(err.fatal, true);
      assert.match(err.message, /HTTP 401 \(check the API key\)/);
      assert.ok(!inspect(err, { depth: 10 }).includes(API_KEY), inspect(err));
      return true;
    });
    assert.ok(!inspect(c, { depth: 10, getters: true }).includes(API_KEY));
  });

  test('options are validated with errors that name them', () => {
    assert.throws(() => createChatClient({ model: '' }), /option `model`/);
    assert.throws(() => createChatClient({ model: 'm', baseURL: 'ftp://x', apiKey: 'k' }), /option `baseURL`/);
    assert.throws(() => createChatClient({ model: 'm', baseURL: 'http://x/v1', apiKey: 'k', concurrency: 0 }), /option `concurrency`/);
    assert.throws(() => createChatClient({ model: 'm', baseURL: 'http://x/v1', apiKey: 'k', maxRetries: 99 }), /option `maxRetries`/);
  });
});

describe('parseIntentQueries', () => {
  const ids = compoundIdentifiers('retryFailedWebhooks', 'function retryFailedWebhooks(queue) { const MAX_TRIES = 3; }');

  test('validates, normalises and caps the queries', () => {
    const r = parseIntentQueries(
      JSON.stringify({
        queries: ['', 'x '.repeat(80), '1. where do we retry failed webhooks.', 'Where do we retry failed  webhooks?', 'call retryFailedWebhooks on error', 'raise max_tries', 'debounce', 42, 'notify the team when delivery fails', 'a third valid query here'],
      }),
      2,
      ids,
    );
    assert.ok(r.ok);
    assert.deepEqual(r.queries, ['where do we retry failed webhooks', 'notify the team when delivery fails']);
    assert.deepEqual(
      r.rejected.map((x) => x.reason),
      ['empty', 'too long', 'duplicate', 'uses the identifier retryFailedWebhooks', 'uses the identifier max_tries', 'too short', 'not a string'],
    );
  });

  test('accepts a fence, a think block or a preamble around the JSON', () => {
    for (const content of ['```json\n{"queries": ["find the webhook retry loop"]}\n```', '<think>hmm</think>{"queries": ["find the webhook retry loop"]}', 'Sure! {"queries": ["find the webhook retry loop"]}']) {
      const r = parseIntentQueries(content, 2, ids);
      assert.ok(r.ok, content);
      assert.deepEqual(r.queries, ['find the webhook retry loop']);
    }
  });

  test('explains what is wrong', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['- a query\n- another', /not JSON/],
      ['["a b c"]', /"queries" array/],
      ['{"queries": []}', /array was empty/],
      ['{"queries": ["retryFailedWebhooks"]}', /no usable query: "retryFailedWebhooks" \(too short\)/],
    ];
    for (const [content, re] of cases) {
      const r = parseIntentQueries(content, 2, ids);
      assert.ok(!r.ok);
      assert.match(r.error, re, content);
    }
  });
});

describe('generateIntentQueries', () => {
  let server: ChatServer;
  let cache: { dir: string; cleanup: () => Promise<void> };
  before(async () => {
    server = await startChatServer(() => good(['unused']));
    cache = await tempDir('codeintent-intents-');
  });
  after(async () => {
    await server.close();
    await cache.cleanup();
  });

  const snippets = [
    snippet('good-a', 'export function retryFailedWebhooks(queue: Queue) { for (const job of queue.failed()) job.retry(); }', 'retryFailedWebhooks'),
    snippet('good-b', 'export function parseDuration(text: string): number { return Number(text.slice(0, -1)) * 60; }', 'parseDuration'),
    snippet('good-c', 'export function canEdit(user: User, doc: Doc) { return doc.owner === user.id || user.admin; }', 'canEdit'),
    snippet('malformed', 'export function slugify(s: string) { return s.toLowerCase().replace(/\\W+/g, "-"); }', 'slugify'),
    snippet('rate', 'export function chunk<T>(xs: T[], n: number): T[][] { const out = []; /* ... */ return out; }', 'chunk'),
    snippet('broken', 'export function sum(xs: number[]) { return xs.reduce((a, b) => a + b, 0); }', 'sum'),
    snippet('hang', 'export function sleep(ms: number) { return new Promise((r) => setTimeout(r, ms)); }', 'sleep'),
    snippet(
      'secret',
      `const OPENAI_KEY = "${LIVE_KEY}";\nconst AWS_ID = "${AWS_ID}";\nconst PRIVATE = \`${PEM}\`;\nexport function signRequest(body: string) { return hmac(PRIVATE, body); }`,
      'signRequest',
    ),
  ];

  // Per case: what the server answers to the first, second, … request for that snippet.
  const script: Record<string, (n: number) => ChatReply> = {
    'good-a': () => good(['where do we retry failed webhooks', 'call retryFailedWebhooks on error', 'resend deliveries that did not go through']),
    'good-b': () => good(['parse durations like 5m', 'turn a time string into seconds']),
    'good-c': () => good(['check if a user may edit a document', '', 'x '.repeat(100), 'Check if a user may edit a document.', 'who is allowed to change a doc']),
    malformed: (n) => (n === 0 ? { content: 'Sure! Here are some queries:\n- make a url slug', usage: USAGE } : good(['make a url friendly slug from a title', 'turn text into a slug'])),
    rate: (n) => (n === 0 ? { status: 429, headers: { 'retry-after-ms': '10' }, body: { error: { message: 'Rate limit reached', type: 'requests' } } } : good(['split an array into batches', 'group items in fixed size pieces'])),
    broken: () => ({ status: 500 }),
    hang: () => ({ hang: true }),
    secret: () => good(['sign a request body with our key', 'compute a request signature']),
  };

  function scripted(): ChatHandler {
    const seen = new Map<string, number>();
    return (req) => {
      const name = caseOf(req);
      const n = seen.get(name) ?? 0;
      seen.set(name, n + 1);
      const reply = script[name];
      return reply !== undefined ? reply(n) : { status: 400, body: { error: { message: `unscripted case ${name}` } } };
    };
  }

  const allGood: ChatHandler = (req) => good([`a query about ${caseOf(req)} here`, `another query for ${caseOf(req)} code`]);

  test('a scripted run: good answers, a repair, 429, a persistent 500, a hang, and secrets masked', async () => {
    server.setHandler(scripted());
    // The timeout is far above any real answer's time on a loaded machine (a 150 ms one failed good
    // answers under load): only the hang reaches it, so the outcome never depends on the clock.
    const c = client(server, { timeoutMs: 2000, maxRetries: 1 });
    const progress: IntentQueryProgress[] = [];
    const from = server.requests.length;
    const { results, report } = await generateIntentQueries(snippets, { client: c, cacheDir: cache.dir, perSnippet: 2, onProgress: (p) => progress.push(p) });

    const byId = new Map(results.map((r) => [r.id, r]));
    assert.deepEqual(
      results.map((r) => r.id),
      snippets.map((s) => s.id),
    );
    const ok = (id: string) => {
      const r = byId.get(id);
      assert.ok(r !== undefined && r.status === 'ok', `${id}: ${JSON.stringify(r)}`);
      return r;
    };
    assert.deepEqual(ok('good-a').queries, ['where do we retry failed webhooks', 'resend deliveries that did not go through']);
    assert.deepEqual(ok('good-a').rejected, [{ query: 'call retryFailedWebhooks on error', reason: 'uses the identifier retryFailedWebhooks' }]);
    assert.deepEqual(ok('good-c').queries, ['check if a user may edit a document', 'who is allowed to change a doc']);
    assert.deepEqual(
      ok('good-c').rejected.map((r) => r.reason),
      ['empty', 'too long', 'duplicate'],
    );
    assert.deepEqual(ok('malformed').queries, ['make a url friendly slug from a title', 'turn text into a slug']);
    assert.deepEqual(ok('rate').queries, ['split an array into batches', 'group items in fixed size pieces']);
    assert.equal(ok('secret').source, 'model');
    for (const id of ['broken', 'hang']) {
      const r = byId.get(id);
      assert.ok(r !== undefined && r.status === 'failed');
    }
    const broken = byId.get('broken');
    assert.ok(broken?.status === 'failed' && /HTTP 500 after 2 attempts/.test(broken.error), JSON.stringify(broken));
    const hang = byId.get('hang');
    assert.ok(hang?.status === 'failed' && /timed out after 2000 ms \(2 attempts\)/.test(hang.error), JSON.stringify(hang));

    // What the server saw.
    const counts = Object.fromEntries(Object.keys(script).map((name) => [name, requestsFor(server, name, from).length]));
    assert.deepEqual(counts, { 'good-a': 1, 'good-b': 1, 'good-c': 1, malformed: 2, rate: 2, broken: 2, hang: 2, secret: 1 });
    assert.equal(server.requests.length - from, 12);
    // The repair request carries the bad answer and the error.
    const [, repair] = requestsFor(server, 'malformed', from);
    assert.ok(repair !== undefined);
    const repairMessages = messagesOf(repair);
    assert.deepEqual(
      repairMessages.map((m) => m.role),
      ['system', 'user', 'assistant', 'user'],
    );
    assert.match(repairMessages[2]?.content ?? '', /Sure! Here are some queries/);
    assert.match(repairMessages[3]?.content ?? '', /could not be used: the reply is not JSON/);
    // The prompt: versioned wording, N queries, the JSON format, no identifiers.
    const [first] = requestsFor(server, 'good-a', from);
    assert.ok(first !== undefined);
    const system = messagesOf(first)[0]?.content ?? '';
    assert.match(system, /write 2 different queries/);
    assert.match(system, /Do not use identifiers from the code/);
    assert.match(system, /\{"queries": \["query 1", "query 2"\]\}/);
    // Secrets never left the machine.
    const [secretRequest] = requestsFor(server, 'secret', from);
    assert.ok(secretRequest !== undefined);
    for (const secret of [LIVE_KEY, AWS_ID, PEM_BODY, PEM_BODY.slice(0, 20)]) assert.ok(!secretRequest.text.includes(secret), `sent ${secret}`);
    const sentCode = firstUserMessage(secretRequest);
    assert.ok(sentCode.includes(`const OPENAI_KEY = "${SECRET_MASK}";`), sentCode);
    assert.ok(sentCode.includes(`const AWS_ID = "${SECRET_MASK}";`), sentCode);
    assert.ok(sentCode.includes(`-----BEGIN RSA PRIVATE KEY-----${SECRET_MASK}\n\n-----END RSA PRIVATE KEY-----`), sentCode);
    assert.ok(sentCode.includes('export function signRequest(body: string)'));

    // Report and token accounting: 7 answers with usage (the 429, 500s and hangs have none).
    assert.deepEqual(report, {
      snippets: 8,
      cached: 0,
      requested: 8,
      succeeded: 6,
      failed: 2,
      queries: 12,
      calls: 9,
      httpAttempts: 12,
      masked: 1,
      promptTokens: 700,
      completionTokens: 70,
      promptTokensSaved: 0,
      completionTokensSaved: 0,
    });
    assert.equal(c.stats().promptTokens, 700);
    assert.equal(c.stats().completionTokens, 70);
    assert.equal(progress.length, 8);
    assert.deepEqual(progress.at(-1), { done: 8, total: 8, cached: 0, requested: 8, failed: 2 });
    // One cache file per answer.
    const shards = await readdir(cache.dir);
    const files = (await Promise.all(shards.map((d) => readdir(join(cache.dir, d))))).flat();
    assert.equal(files.filter((f) => f.endsWith('.json')).length, 6);
    assert.equal(files.filter((f) => f.endsWith('.tmp')).length, 0);
  });

  test('a re-run asks only for what failed; a third run makes zero requests and reports all as cached', async () => {
    server.setHandler(allGood);
    const from = server.requests.length;
    const second = await generateIntentQueries(snippets, { client: client(server), cacheDir: cache.dir, perSnippet: 2 });
    assert.deepEqual(
      server.requests.slice(from).map(caseOf).sort(),
      ['broken', 'hang'],
    );
    assert.equal(second.report.cached, 6);
    assert.equal(second.report.requested, 2);
    assert.equal(second.report.failed, 0);
    assert.equal(second.report.promptTokens, 200);
    assert.equal(second.report.promptTokensSaved, 700, 'the cached answers cost 700 prompt tokens when they were made');
    assert.equal(second.report.completionTokensSaved, 70);
    const cachedResult = second.results.find((r) => r.id === 'good-b');
    assert.deepEqual(cachedResult, { id: 'good-b', status: 'ok', queries: ['parse durations like 5m', 'turn a time string into seconds'], source: 'cache', rejected: [] });

    const before3 = server.requests.length;
    const c3 = client(server);
    const third = await generateIntentQueries(snippets, { client: c3, cacheDir: cache.dir, perSnippet: 2 });
    assert.equal(server.requests.length, before3, 'no request on a fully cached run');
    assert.deepEqual(
      { ...third.report, promptTokensSaved: 0, completionTokensSaved: 0 },
      { snippets: 8, cached: 8, requested: 0, succeeded: 8, failed: 0, queries: 16, calls: 0, httpAttempts: 0, masked: 1, promptTokens: 0, completionTokens: 0, promptTokensSaved: 0, completionTokensSaved: 0 },
    );
    assert.equal(third.report.promptTokensSaved, 900);
    assert.deepEqual(c3.stats(), { calls: 0, failedCalls: 0, httpAttempts: 0, promptTokens: 0, completionTokens: 0 });
  });

  test('the key holds the model, prompt version and query count; identical snippets share one call', async () => {
    server.setHandler(allGood);
    const run = (opts: Partial<IntentQueryOptions>, model = 'test-model') =>
      generateIntentQueries(snippets.slice(0, 1), { client: client(server, { model }), cacheDir: cache.dir, perSnippet: 2, ...opts });
    assert.equal((await run({})).report.cached, 1);
    assert.equal((await run({}, 'other-model')).report.requested, 1);
    assert.equal((await run({ perSnippet: 1 })).report.requested, 1);
    await assert.rejects(run({ promptVersion: 'intent-v0' }), /unknown option `promptVersion` "intent-v0" \(known: intent-v1\)/);
    assert.equal(CURRENT_INTENT_PROMPT, 'intent-v1');

    const from = server.requests.length;
    const twins = [snippet('twin', 'function twin() { return 1; }'), snippet('twin', 'function twin() { return 1; }')].map((s, i) => ({ ...s, id: `twin-${i}` }));
    const { report, results } = await generateIntentQueries(twins, { client: client(server), cacheDir: cache.dir });
    assert.equal(server.requests.length - from, 1);
    assert.deepEqual({ requested: report.requested, cached: report.cached }, { requested: 1, cached: 1 });
    assert.deepEqual(
      results.map((r) => r.id),
      ['twin-0', 'twin-1'],
    );
  });

  test('malformed twice is a recorded failure, and the run goes on', async () => {
    server.setHandler((req) => (caseOf(req) === 'bad' ? { content: '{"queries": "not a list"}', usage: USAGE } : allGood(req)));
    const from = server.requests.length;
    const { results, report } = await generateIntentQueries([snippet('bad', 'function bad() {}'), snippet('fine', 'function fine() {}')], {
      client: client(server),
      cacheDir: cache.dir,
    });
    assert.equal(requestsFor(server, 'bad', from).length, 2);
    assert.deepEqual(
      results.map((r) => r.status),
      ['failed', 'ok'],
    );
    const bad = results[0];
    assert.ok(bad?.status === 'failed');
    assert.match(bad.error, /malformed answer twice: expected a JSON object with a "queries" array/);
    assert.equal(report.failed, 1);
    assert.equal(report.promptTokens, 300);
  });

  test('401 stops the run (no later snippet would pass) without leaking the key', async () => {
    server.setHandler((req) => ({ status: 401, body: { error: { message: `bad key ${String(req.headers.authorization)}` } } }));
    const from = server.requests.length;
    const list = ['k1', 'k2', 'k3'].map((n) => snippet(n, `function ${n}() {}`));
    await assert.rejects(generateIntentQueries(list, { client: client(server, { concurrency: 1 }), cacheDir: cache.dir }), (err: unknown) => {
      assert.ok(err instanceof ChatRequestError && err.status === 401);
      assert.ok(!err.message.includes(API_KEY), err.message);
      return true;
    });
    assert.equal(server.requests.length - from, 1);

    // Requests in flight when the fatal error arrives stop too.
    server.setHandler((req) => (caseOf(req) === 'k1' ? { status: 403 } : { hang: true }));
    const t0 = Date.now();
    await assert.rejects(generateIntentQueries(list, { client: client(server, { concurrency: 3, timeoutMs: 5000 }), cacheDir: cache.dir }), /HTTP 403/);
    assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
  });

  test('abort: the run rejects at once; answers already received are cached, so a re-run asks only for the rest', async () => {
    server.setHandler((req) => (caseOf(req) === 'slow' ? { hang: true } : allGood(req)));
    const list = [snippet('quick', 'function quick() { return 42; }'), snippet('slow', 'function slow() { return 43; }')];
    const controller = new AbortController();
    const t0 = Date.now();
    const run = generateIntentQueries(list, {
      client: client(server, { timeoutMs: 5000 }),
      cacheDir: cache.dir,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done === 1) setTimeout(() => controller.abort(new Error('user stop')), 20);
      },
    });
    await assert.rejects(run, /user stop/);
    assert.ok(Date.now() - t0 < 1500);
    server.setHandler(allGood);
    const from = server.requests.length;
    const again = await generateIntentQueries(list, { client: client(server), cacheDir: cache.dir });
    assert.deepEqual(server.requests.slice(from).map(caseOf), ['slow']);
    assert.equal(again.report.cached, 1);
  });

  test('options are validated', async () => {
    const c = client(server);
    await assert.rejects(generateIntentQueries([], { client: c, cacheDir: '' }), /option `cacheDir`/);
    await assert.rejects(generateIntentQueries([], { client: c, cacheDir: cache.dir, perSnippet: 0 }), /option `perSnippet` must be an integer from 1 to 10/);
    const empty = await generateIntentQueries([], { client: c, cacheDir: cache.dir });
    assert.equal(empty.report.snippets, 0);
  });
});

describe('scripts/synthetic-queries.js', () => {
  const script = join(PACKAGE_ROOT, 'out', 'scripts', 'synthetic-queries.js');

  function runCli(args: string[], env: Record<string, string | undefined>): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, OPENAI_BASE_URL: undefined, OPENAI_API_KEY: undefined, OPENAI_MODEL: undefined };
    for (const [k, v] of Object.entries(env)) childEnv[k] = v;
    for (const k of Object.keys(childEnv)) if (childEnv[k] === undefined) delete childEnv[k];
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [script, ...args], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  test('exit 1 with a clear message when the endpoint is not configured; exit 2 on bad usage', async () => {
    const r = await runCli(['--pairs', 'x.jsonl', '--out', 'y.jsonl'], { OPENAI_API_KEY: API_KEY });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /OPENAI_BASE_URL is not set/);
    assert.ok(!r.stderr.includes(API_KEY));
    const usage = await runCli(['--pairs', 'x.jsonl', '--bogus'], {});
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--bogus/);
  });

  test('writes llm pairs with the same fields and prints the token report; a re-run is served from the cache', async () => {
    const server = await startChatServer((req) => good([`find code for case ${caseOf(req)}`, `where is the ${caseOf(req)} logic`]));
    const dir = await tempDir('codeintent-synth-cli-');
    try {
      const pairs = ['one', 'two', 'three'].map((name, i) => ({
        id: `id${i}`,
        pkg: 'pkg',
        language: 'typescript',
        path: `src/${name}.ts`,
        symbol: name,
        kind: 'function',
        startLine: 1,
        endLine: 3,
        query: `docstring of ${name}`,
        code: `export function ${name}() {}\n// case:${name}`,
      }));
      const input = join(dir.dir, 'train.jsonl');
      const out = join(dir.dir, 'out', 'synthetic-train.jsonl');
      await writeFile(input, pairs.map((p) => JSON.stringify(p)).join('\n') + '\n');
      const args = ['--pairs', input, '--out', out, '--cache-dir', join(dir.dir, 'cache'), '--limit', '2', '--model', 'm1', '--concurrency', '2'];
      const env = { OPENAI_BASE_URL: server.baseURL, OPENAI_API_KEY: API_KEY };
      const r = await runCli(args, env);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /snippets\s+2: 0 cached, 2 requested → 2 answered, 0 failed/);
      assert.match(r.stdout, /tokens\s+prompt 200, completion 20/);
      assert.ok(!r.stdout.includes(API_KEY) && !r.stderr.includes(API_KEY));
      const written = (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(written.length, 4);
      assert.deepEqual(written[0], { ...pairs[0], id: 'id0-llm1', query: 'find code for case one', source: 'llm' });
      assert.equal(server.requests.length, 2);
      assert.equal((server.requests[0]?.body as { model?: string }).model, 'm1');

      const again = await runCli([...args, '--report-json'], env);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(server.requests.length, 2, 'the re-run made no request');
      const report = JSON.parse(again.stdout) as Record<string, unknown>;
      assert.equal(report['cached'], 2);
      assert.equal(report['requested'], 0);
      assert.equal(report['promptTokensSaved'], 200);
      assert.equal(report['pairs'], 4);
    } finally {
      await server.close();
      await dir.cleanup();
    }
  });
});

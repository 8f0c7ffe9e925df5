// Tests of src/core/embed: real backends only. The transformers backend runs a generated tiny
// random BERT (meaningless vectors, real tokenizer + ONNX Runtime); the OpenAI backend talks HTTP to
// a real server on 127.0.0.1 that speaks the /v1/embeddings wire protocol; USE-Lite loads its
// shipped weights.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { makeTinyBertModel } from '../scripts/make-tiny-model.js';
import { withBatching } from '../src/core/embed/batching.js';
import { MemoryEmbeddingCache, embeddingCacheKey, withCache } from '../src/core/embed/cache.js';
import { createEmbedder } from '../src/core/embed/index.js';
import { createOpenAIEmbedder } from '../src/core/embed/openai.js';
import { createTransformersEmbedder } from '../src/core/embed/transformers.js';
import type { EmbedInputKind, Embedder } from '../src/core/types.js';

// ---------------------------------------------------------------------------------------------
// helpers

function norm(v: Float32Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}

function cosine(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += (a[i] ?? 0) * (b[i] ?? 0);
  return dot / (norm(a) * norm(b));
}

function assertClose(a: Float32Array, b: Float32Array, tol: number, message?: string): void {
  assert.equal(a.length, b.length, message);
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs((a[i] ?? 0) - (b[i] ?? 0));
    if (d > tol) assert.fail(`${message ?? 'vectors differ'}: index ${i}: ${a[i]} vs ${b[i]}`);
  }
}

function assertUnit(vectors: readonly Float32Array[], dimension: number): void {
  for (const v of vectors) {
    assert.equal(v.length, dimension);
    assert.ok(Math.abs(norm(v) - 1) < 1e-5, `norm ${norm(v)}`);
  }
}

/** Wraps a real embedder, counting calls, texts and the most calls in flight at once. */
class CountingEmbedder implements Embedder {
  calls = 0;
  texts: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  constructor(
    private readonly inner: Embedder,
    private readonly delayMs = 0,
  ) {}
  get id(): string {
    return this.inner.id;
  }
  get dimension(): number {
    return this.inner.dimension;
  }
  async embed(texts: readonly string[], kind: EmbedInputKind, signal?: AbortSignal): Promise<Float32Array[]> {
    this.calls++;
    this.texts.push(...texts);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
      return await this.inner.embed(texts, kind, signal);
    } finally {
      this.inFlight--;
    }
  }
  dispose(): Promise<void> {
    return this.inner.dispose();
  }
}

const SNIPPETS = [
  'function add(a, b) { return a + b; }',
  'def read_file(path):\n    with open(path) as f:\n        return f.read()',
  'class UserRepository { findById(id) { return this.db.users.get(id); } }',
  'SELECT name, email FROM users WHERE id = ?',
  'for (let i = 0; i < items.length; i++) total += items[i].price * items[i].count;',
  'export async function fetchJson(url) { const res = await fetch(url); return res.json(); }',
  'x',
  'the quick brown fox',
  'getUserById',
  'throw new Error("timeout while waiting for the lock");',
];

let workDir = '';
let tinyDir = '';
let tinyGenMs = 0;

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'codeintent-embed-'));
  tinyDir = join(workDir, 'tiny');
  const t0 = performance.now();
  await makeTinyBertModel(tinyDir);
  tinyGenMs = performance.now() - t0;
});

after(async () => {
  if (workDir !== '') await rm(workDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------

describe('make-tiny-model', () => {
  test('writes a loadable folder quickly and deterministically', async () => {
    assert.ok(tinyGenMs < 2000, `generation took ${tinyGenMs} ms`);
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) {
      assert.ok((await stat(join(tinyDir, f))).size > 0, f);
    }
    const again = join(workDir, 'tiny-again');
    await makeTinyBertModel(again);
    const [a, b] = await Promise.all([readFile(join(tinyDir, 'onnx/model.onnx')), readFile(join(again, 'onnx/model.onnx'))]);
    assert.ok(a.equals(b), 'same seed, same bytes');
  });
});

describe('transformers backend (tiny random BERT: wiring only)', () => {
  let embedder: Embedder;
  before(async () => {
    embedder = await createTransformersEmbedder({ modelPath: tinyDir });
  });
  after(async () => {
    await embedder.dispose();
  });

  test('dimension from config, id names the folder and a hash', () => {
    assert.equal(embedder.dimension, 32);
    assert.match(embedder.id, /^transformers:tiny:[0-9a-f]{12}$/);
  });

  test('unit vectors, deterministic, different texts give different vectors', async () => {
    const a = await embedder.embed(SNIPPETS, 'document');
    const b = await embedder.embed(SNIPPETS, 'document');
    assert.equal(a.length, SNIPPETS.length);
    assertUnit(a, 32);
    a.forEach((v, i) => assert.deepEqual(v, b[i]));
    for (let i = 0; i < a.length; i++) {
      for (let j = i + 1; j < a.length; j++) {
        const ai = a[i];
        const aj = a[j];
        assert.ok(ai && aj);
        assert.ok(cosine(ai, aj) < 0.9999, `texts ${i} and ${j} gave the same vector`);
      }
    }
    // A second instance of the same folder: same id, same vectors.
    const other = await createTransformersEmbedder({ modelPath: tinyDir });
    try {
      assert.equal(other.id, embedder.id);
      const c = await other.embed(SNIPPETS.slice(0, 3), 'document');
      c.forEach((v, i) => assert.deepEqual(v, a[i]));
    } finally {
      await other.dispose();
    }
  });

  test('order is preserved: batched, length-sorted and one-by-one results agree', async () => {
    const texts = [...SNIPPETS, ...SNIPPETS.map((s) => s.toUpperCase() + ' 42')];
    const single: Float32Array[] = [];
    for (const t of texts) {
      const [v] = await embedder.embed([t], 'document');
      assert.ok(v);
      single.push(v);
    }
    const whole = await embedder.embed(texts, 'document');
    const batched = await withBatching(embedder, { batchSize: 3, concurrency: 2 }).embed(texts, 'document');
    assert.equal(whole.length, texts.length);
    assert.equal(batched.length, texts.length);
    texts.forEach((_, i) => {
      assertClose(whole[i] ?? new Float32Array(), single[i] ?? new Float32Array(), 1e-5, `whole vs single, text ${i}`);
      assertClose(batched[i] ?? new Float32Array(), single[i] ?? new Float32Array(), 1e-5, `batched vs single, text ${i}`);
    });
    assert.deepEqual(await embedder.embed([], 'document'), []);
  });

  test('truncates to maxTokens; a larger maxTokens than the model takes is refused', async () => {
    const short = await createTransformersEmbedder({ modelPath: tinyDir, maxTokens: 8 });
    try {
      assert.notEqual(short.id, embedder.id, 'truncation changes vectors, so it changes the id');
      const head = 'read the file and return its lines';
      const [a, b, c] = await short.embed([`${head} one two three`, `${head} four five six`, 'read a file'], 'document');
      assert.ok(a && b && c);
      assert.deepEqual(a, b, 'the text past 8 tokens is cut off');
      assert.ok(cosine(a, c) < 0.9999);
      // Without truncation the same two texts differ.
      const [d, e] = await embedder.embed([`${head} one two three`, `${head} four five six`], 'document');
      assert.ok(d && e && cosine(d, e) < 0.9999);
    } finally {
      await short.dispose();
    }
    await assert.rejects(createTransformersEmbedder({ modelPath: tinyDir, maxTokens: 100_000 }), (err: unknown) => {
      assert.ok(err instanceof TypeError);
      assert.match(err.message, /maxTokens.*at most 512/);
      return true;
    });
  });

  test('prefixes and pooling change vectors and the id', async () => {
    const e5 = await createTransformersEmbedder({ modelPath: tinyDir, queryPrefix: 'query: ', documentPrefix: 'passage: ' });
    const cls = await createTransformersEmbedder({ modelPath: tinyDir, pooling: 'cls' });
    try {
      assert.notEqual(e5.id, embedder.id);
      assert.notEqual(cls.id, embedder.id);
      const text = 'parse the config file';
      const [q] = await e5.embed([text], 'query');
      const [d] = await e5.embed([text], 'document');
      const [plain] = await embedder.embed([text], 'query');
      const [plainPrefixed] = await embedder.embed([`query: ${text}`], 'query');
      assert.ok(q && d && plain && plainPrefixed);
      assert.ok(cosine(q, d) < 0.9999, 'query and document prefixes differ');
      assertClose(q, plainPrefixed, 1e-6, 'the query prefix is prepended');
      const [c] = await cls.embed([text], 'query');
      assert.ok(c);
      assertUnit([c], 32);
      assert.ok(cosine(c, plain) < 0.9999, 'CLS pooling differs from mean pooling');
    } finally {
      await Promise.all([e5.dispose(), cls.dispose()]);
    }
  });

  test('a different model gets a different id', async () => {
    const dir = join(workDir, 'tiny-seed2');
    await makeTinyBertModel(dir, { seed: 2 });
    const other = await createTransformersEmbedder({ modelPath: dir });
    try {
      assert.notEqual(other.id.split(':')[2], embedder.id.split(':')[2]);
    } finally {
      await other.dispose();
    }
  });

  test('a missing folder or file gives a clear error', async () => {
    await assert.rejects(createTransformersEmbedder({ modelPath: join(workDir, 'nope') }), /Model folder .*nope does not exist.*config\.json, tokenizer\.json/s);
    const broken = join(workDir, 'broken');
    await makeTinyBertModel(broken);
    await unlink(join(broken, 'tokenizer.json'));
    await assert.rejects(createTransformersEmbedder({ modelPath: broken }), /Model folder .*broken has no tokenizer\.json\. .*modelPath/s);
    const noOnnx = join(workDir, 'no-onnx');
    await makeTinyBertModel(noOnnx);
    await rm(join(noOnnx, 'onnx'), { recursive: true });
    await assert.rejects(createTransformersEmbedder({ modelPath: noOnnx }), /has no onnx\/model\.onnx or onnx\/model_quantized\.onnx \(there is no onnx\/ subfolder\)/);
    await assert.rejects(createTransformersEmbedder({ modelPath: tinyDir, dtype: 'q8' }), /has no onnx\/model_quantized\.onnx \(onnx\/ holds model\.onnx/);
    await assert.rejects(createTransformersEmbedder({ modelPath: '' }), TypeError);
    // config.json that disagrees with the ONNX output is caught by the probe.
    const lying = join(workDir, 'lying');
    await makeTinyBertModel(lying);
    const config: unknown = JSON.parse(await readFile(join(lying, 'config.json'), 'utf8'));
    assert.ok(typeof config === 'object' && config !== null);
    await writeFile(join(lying, 'config.json'), JSON.stringify({ ...config, hidden_size: 64 }));
    await assert.rejects(createTransformersEmbedder({ modelPath: lying }), /produced 32-d vectors, but its config\.json says hidden size 64/);
  });

  test('abort before a run rejects with the abort reason', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(embedder.embed(SNIPPETS, 'document', controller.signal), { name: 'AbortError' });
  });

  test('createEmbedder loads only the backend it is asked for', async () => {
    // A child process with a module-resolution hook reports every module it resolves.
    const hook = `
      let port;
      export async function initialize(data) { port = data.port; }
      export async function resolve(specifier, context, next) {
        const r = await next(specifier, context);
        port.postMessage(r.url);
        return r;
      }`;
    const child = `
      import { register } from 'node:module';
      import { MessageChannel } from 'node:worker_threads';
      const { port1, port2 } = new MessageChannel();
      const urls = [];
      port1.on('message', (u) => urls.push(u));
      register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}), { data: { port: port2 }, transferList: [port2] });
      const { createEmbedder } = await import(${JSON.stringify(pathToFileURL(join(import.meta.dirname, '../src/core/embed/index.js')).href)});
      const e = await createEmbedder({ kind: 'transformers', modelPath: ${JSON.stringify(tinyDir)} });
      const [v] = await e.embed(['hello'], 'query');
      await e.dispose();
      await new Promise((r) => setTimeout(r, 100));
      port1.close();
      process.stdout.write(JSON.stringify({ dim: v.length, urls }));`;
    const out = await new Promise<string>((resolve, reject) => {
      const p = spawn(process.execPath, ['--input-type=module', '-e', child], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('error', reject);
      p.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`child exited ${code}: ${stderr}`))));
    });
    const parsed: unknown = JSON.parse(out);
    assert.ok(typeof parsed === 'object' && parsed !== null);
    const urls: unknown = Reflect.get(parsed, 'urls');
    assert.equal(Reflect.get(parsed, 'dim'), 32);
    assert.ok(Array.isArray(urls));
    const all = urls.filter((u): u is string => typeof u === 'string');
    assert.ok(all.some((u) => u.includes('/@huggingface/transformers/')), 'the transformers backend was loaded');
    assert.ok(all.some((u) => u.endsWith('/embed/transformers.js')));
    for (const other of ['/node_modules/openai/', '/@energetic-ai/', '/embed/openai.js', '/embed/use.js', '/embed/static.js']) {
      assert.ok(!all.some((u) => u.includes(other)), `${other} should not be loaded`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// A real HTTP server speaking the OpenAI embeddings protocol.

interface Scripted {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Never answer (until the client goes away). */
  hang?: boolean;
}

interface FakeServer {
  baseURL: string;
  requests: { model: string; input: string[]; dimensions?: number }[];
  /** Responses to give, in order, before falling back to real embeddings. */
  script: Scripted[];
  /** Response given to every request while set. */
  always: Scripted | undefined;
  close(): Promise<void>;
}

const FAKE_DIM = 8;
/** The server's "model": a deterministic, un-normalised vector per text (so normalisation is tested). */
function fakeVector(text: string, dims: number): number[] {
  const h = createHash('sha256').update(text).digest();
  return Array.from({ length: dims }, (_, i) => ((h[i] ?? 0) - 128) / 10);
}
function normalised(values: number[]): Float32Array {
  const v = Float32Array.from(values);
  const n = norm(v);
  return v.map((x) => x / n);
}

async function startFakeServer(): Promise<FakeServer> {
  const state: FakeServer = {
    baseURL: '',
    requests: [],
    script: [],
    always: undefined,
    close: async () => undefined,
  };
  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.method !== 'POST' || req.url !== '/v1/embeddings') {
      send(res, 404, { error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error' } });
      return;
    }
    if (req.headers.authorization !== 'Bearer test-key') {
      send(res, 401, { error: { message: 'bad key', type: 'invalid_request_error' } });
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      send(res, 400, { error: { message: 'body is not JSON', type: 'invalid_request_error' } });
      return;
    }
    const model: unknown = typeof body === 'object' && body !== null ? Reflect.get(body, 'model') : undefined;
    const input: unknown = typeof body === 'object' && body !== null ? Reflect.get(body, 'input') : undefined;
    const format: unknown = typeof body === 'object' && body !== null ? Reflect.get(body, 'encoding_format') : undefined;
    const dims: unknown = typeof body === 'object' && body !== null ? Reflect.get(body, 'dimensions') : undefined;
    if (
      typeof model !== 'string' ||
      model === '' ||
      !Array.isArray(input) ||
      input.length === 0 ||
      !input.every((t): t is string => typeof t === 'string' && t.length > 0) ||
      (format !== undefined && format !== 'float') ||
      (dims !== undefined && (typeof dims !== 'number' || !Number.isInteger(dims) || dims < 1))
    ) {
      send(res, 400, { error: { message: `invalid request: ${JSON.stringify(body)}`, type: 'invalid_request_error' } });
      return;
    }
    state.requests.push({ model, input, ...(typeof dims === 'number' ? { dimensions: dims } : {}) });
    const scripted = state.always ?? state.script.shift();
    if (scripted !== undefined) {
      if (scripted.hang === true) return; // the socket stays open until the client aborts
      send(res, scripted.status, scripted.body ?? { error: { message: `scripted ${scripted.status}`, type: 'server_error' } }, scripted.headers);
      return;
    }
    const d = typeof dims === 'number' ? dims : FAKE_DIM;
    // Answer in reverse order: clients must place embeddings by `index`.
    const data = input.map((t, index) => ({ object: 'embedding', index, embedding: fakeVector(t, d) })).reverse();
    const tokens = input.reduce((n, t) => n + t.split(/\s+/).length, 0);
    send(res, 200, { object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } });
  };
  const server: Server = createServer((req, res) => {
    handler(req, res).catch((err: unknown) => send(res, 500, { error: { message: String(err) } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  state.baseURL = `http://127.0.0.1:${port}/v1`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

describe('OpenAI backend (real HTTP server on 127.0.0.1)', () => {
  let server: FakeServer;
  before(async () => {
    server = await startFakeServer();
  });
  after(async () => {
    await server.close();
  });
  const options = (extra: Partial<Parameters<typeof createOpenAIEmbedder>[0]> = {}) => ({
    baseURL: server.baseURL,
    apiKey: 'test-key',
    model: 'fake-embed',
    ...extra,
  });

  test('probes the dimension, embeds in order, normalises', async () => {
    server.requests.length = 0;
    const e = await createOpenAIEmbedder(options());
    const port = new URL(server.baseURL).port;
    assert.equal(e.id, `openai:127.0.0.1:${port}:fake-embed`);
    assert.equal(e.dimension, FAKE_DIM);
    assert.equal(server.requests.length, 1, 'one probe request');
    const texts = ['alpha beta', 'gamma', 'delta epsilon zeta', ''];
    const vectors = await e.embed(texts, 'document');
    assert.equal(server.requests.length, 2);
    assert.deepEqual(server.requests[1], { model: 'fake-embed', input: ['alpha beta', 'gamma', 'delta epsilon zeta', ' '] });
    assertUnit(vectors, FAKE_DIM);
    texts.forEach((t, i) => assertClose(vectors[i] ?? new Float32Array(), normalised(fakeVector(t === '' ? ' ' : t, FAKE_DIM)), 1e-6, `text ${i}`));
    await e.dispose();
  });

  test('dimensions are requested and named in the id; large inputs are split into requests', async () => {
    server.requests.length = 0;
    const e = await createOpenAIEmbedder(options({ dimensions: 4, requestBatchSize: 3 }));
    assert.match(e.id, /:fake-embed:4$/);
    assert.equal(e.dimension, 4);
    const texts = Array.from({ length: 7 }, (_, i) => `text number ${i}`);
    const vectors = await e.embed(texts, 'query');
    assert.deepEqual(
      server.requests.slice(1).map((r) => [r.input.length, r.dimensions]),
      [
        [3, 4],
        [3, 4],
        [1, 4],
      ],
    );
    texts.forEach((t, i) => assertClose(vectors[i] ?? new Float32Array(), normalised(fakeVector(t, 4)), 1e-6));
  });

  test('a 429 is retried, then succeeds', async () => {
    const e = await createOpenAIEmbedder(options({ maxRetries: 3 }));
    server.requests.length = 0;
    server.script.push({ status: 429, headers: { 'retry-after-ms': '20' }, body: { error: { message: 'Rate limit reached', type: 'rate_limit' } } });
    const [v] = await e.embed(['retry me'], 'document');
    assert.equal(server.requests.length, 2, 'the request was sent twice');
    assertClose(v ?? new Float32Array(), normalised(fakeVector('retry me', FAKE_DIM)), 1e-6);
  });

  test('a persistent 500 gives a clear error after the retries', async () => {
    const e = await createOpenAIEmbedder(options({ maxRetries: 2 }));
    server.requests.length = 0;
    server.always = { status: 500, headers: { 'retry-after-ms': '10' }, body: { error: { message: 'model crashed', type: 'server_error' } } };
    try {
      await assert.rejects(e.embed(['boom'], 'document'), /Embedding request to 127\.0\.0\.1:\d+ \(model fake-embed\) failed with HTTP 500 after 3 attempts: .*model crashed/);
      assert.equal(server.requests.length, 3);
    } finally {
      server.always = undefined;
    }
  });

  test('wrong key or wrong path: clear, not retried', async () => {
    server.requests.length = 0;
    await assert.rejects(createOpenAIEmbedder(options({ apiKey: 'wrong' })), /HTTP 401 \(check the API key\)/);
    await assert.rejects(createOpenAIEmbedder(options({ baseURL: server.baseURL.replace('/v1', '/v2') })), /HTTP 404 \(check baseURL/);
    await assert.rejects(createOpenAIEmbedder(options({ baseURL: 'not a url' })), TypeError);
  });

  test('abort while waiting for a response, and while the client sleeps before a retry', async () => {
    const e = await createOpenAIEmbedder(options({ maxRetries: 3 }));
    server.script.push({ status: 0, hang: true });
    const c1 = new AbortController();
    const t0 = performance.now();
    setTimeout(() => c1.abort(), 50);
    await assert.rejects(e.embed(['never answered'], 'document', c1.signal), { name: 'AbortError' });
    assert.ok(performance.now() - t0 < 1000);

    // The client's sleep between retries ignores the signal; the embedder must not.
    server.script.push({ status: 429, headers: { 'retry-after-ms': '1500' } });
    const c2 = new AbortController();
    const t1 = performance.now();
    setTimeout(() => c2.abort(), 50);
    await assert.rejects(e.embed(['rate limited'], 'document', c2.signal), { name: 'AbortError' });
    assert.ok(performance.now() - t1 < 1000, `abort took ${performance.now() - t1} ms`);
  });

  test('createEmbedder with kind openai, and the cache: a second call sends nothing', async () => {
    const base = await createEmbedder({ kind: 'openai', baseURL: server.baseURL, apiKey: 'test-key', model: 'fake-embed' });
    const cached = withCache(base, new MemoryEmbeddingCache());
    server.requests.length = 0;
    const texts = ['one', 'two', 'one', 'three', 'two'];
    const first = await cached.embed(texts, 'document');
    assert.equal(server.requests.length, 1);
    assert.deepEqual(server.requests[0]?.input, ['one', 'two', 'three'], 'each distinct text is sent once');
    const second = await cached.embed(texts, 'document');
    assert.equal(server.requests.length, 1, 'nothing sent the second time');
    assert.deepEqual(second, first);
    assert.deepEqual(first[0], first[2]);
    await cached.embed(['one'], 'query');
    assert.equal(server.requests.length, 2, 'the kind is part of the key');
  });
});

// ---------------------------------------------------------------------------------------------

describe('cache', () => {
  let tiny: Embedder;
  before(async () => {
    tiny = await createTransformersEmbedder({ modelPath: tinyDir });
  });
  after(async () => {
    await tiny.dispose();
  });

  test('key is sha256(id NUL kind NUL text) in hex', () => {
    const expected = createHash('sha256').update('m:1\0document\0hello').digest('hex');
    assert.equal(embeddingCacheKey('m:1', 'document', 'hello'), expected);
    assert.notEqual(embeddingCacheKey('m:1', 'query', 'hello'), expected);
  });

  test('only misses are embedded, each distinct text once; results equal uncached ones', async () => {
    const counting = new CountingEmbedder(tiny);
    const store = new MemoryEmbeddingCache();
    const cached = withCache(counting, store);
    assert.equal(cached.id, tiny.id);
    assert.equal(cached.dimension, tiny.dimension);

    const texts = ['a b c', 'read file', 'a b c', 'write file', 'read file'];
    const first = await cached.embed(texts, 'document');
    assert.equal(counting.calls, 1);
    assert.deepEqual(counting.texts, ['a b c', 'read file', 'write file']);
    assert.equal(store.size, 3);
    const direct = await tiny.embed(texts, 'document');
    first.forEach((v, i) => assertClose(v, direct[i] ?? new Float32Array(), 1e-5));
    assert.notEqual(first[0], first[2], 'repeated texts get separate arrays');

    const second = await cached.embed(texts, 'document');
    assert.equal(counting.calls, 1, 'second call embeds nothing');
    assert.deepEqual(second, first);

    await cached.embed(['read file', 'new text'], 'document');
    assert.equal(counting.calls, 2);
    assert.deepEqual(counting.texts.slice(3), ['new text']);
  });

  test('a cached vector of the wrong length is a miss; LRU bound holds', async () => {
    const counting = new CountingEmbedder(tiny);
    const store = new MemoryEmbeddingCache({ maxEntries: 2 });
    await store.set(new Map([[embeddingCacheKey(tiny.id, 'document', 'hello'), new Float32Array(3)]]));
    const [v] = await withCache(counting, store).embed(['hello'], 'document');
    assert.equal(counting.calls, 1);
    assert.equal(v?.length, 32);
    await withCache(counting, store).embed(['p', 'q', 'r'], 'document');
    assert.equal(store.size, 2);
  });
});

describe('batching', () => {
  let tiny: Embedder;
  before(async () => {
    tiny = await createTransformersEmbedder({ modelPath: tinyDir });
  });
  after(async () => {
    await tiny.dispose();
  });

  test('splits, bounds concurrency, keeps order', async () => {
    const counting = new CountingEmbedder(tiny, 10);
    const texts = Array.from({ length: 23 }, (_, i) => `snippet ${i} ${SNIPPETS[i % SNIPPETS.length] ?? ''}`);
    const vectors = await withBatching(counting, { batchSize: 4, concurrency: 2 }).embed(texts, 'document');
    assert.equal(counting.calls, 6);
    assert.equal(counting.maxInFlight, 2);
    const direct = await tiny.embed(texts, 'document');
    vectors.forEach((v, i) => assertClose(v, direct[i] ?? new Float32Array(), 1e-5, `text ${i}`));
  });

  test('abort stops queued batches and rejects with the abort reason', async () => {
    const counting = new CountingEmbedder(tiny, 30);
    const controller = new AbortController();
    const texts = Array.from({ length: 40 }, (_, i) => `text ${i}`);
    setTimeout(() => controller.abort(), 45);
    await assert.rejects(withBatching(counting, { batchSize: 2, concurrency: 2 }).embed(texts, 'document', controller.signal), { name: 'AbortError' });
    assert.ok(counting.calls < 20, `${counting.calls} batches started`);
  });

  test('a failing batch fails the call; options are validated', async () => {
    const failing: Embedder = {
      id: 'failing',
      dimension: 32,
      embed: async (texts, kind, signal) => {
        if (texts.includes('bad')) throw new Error('batch failed');
        return tiny.embed(texts, kind, signal);
      },
      dispose: async () => undefined,
    };
    await assert.rejects(withBatching(failing, { batchSize: 1, concurrency: 3 }).embed(['a', 'b', 'bad', 'c'], 'document'), /batch failed/);
    assert.throws(() => withBatching(tiny, { batchSize: 0, concurrency: 1 }), /`batchSize` must be a positive integer/);
    assert.throws(() => withBatching(tiny, { batchSize: 1, concurrency: 1.5 }), /`concurrency` must be a positive integer/);
  });
});

// ---------------------------------------------------------------------------------------------

describe('USE-Lite', () => {
  test('loads offline, 512-d unit vectors, similar sentences are closer than unrelated ones', async () => {
    // Any fetch during loading would be a download attempt.
    const realFetch = globalThis.fetch;
    const fetched: string[] = [];
    globalThis.fetch = (input: string | URL | Request) => {
      fetched.push(String(input));
      return Promise.reject(new Error('network disabled in this test'));
    };
    let e: Embedder;
    try {
      e = await createEmbedder({ kind: 'use-lite' });
    } finally {
      globalThis.fetch = realFetch;
    }
    assert.deepEqual(fetched, []);
    try {
      assert.equal(e.id, 'use-lite:v1');
      assert.equal(e.dimension, 512);
      const [file, read, cat] = await e.embed(
        ['How do I read the contents of a file?', 'Read a text file from disk and return its contents', 'The cat slept in the warm afternoon sun'],
        'document',
      );
      assert.ok(file && read && cat);
      assertUnit([file, read, cat], 512);
      assert.ok(cosine(file, read) > cosine(file, cat) + 0.1, `${cosine(file, read)} vs ${cosine(file, cat)}`);
      // An empty text at the end of a batch used to vanish (the model infers the batch size).
      const tail = await e.embed(['x', ''], 'document');
      assert.equal(tail.length, 2);
      assertUnit(tail, 512);
    } finally {
      await e.dispose();
    }
  });
});

// A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions protocol
// (`POST /v1/chat/completions`), scripted per request by a handler. It records every request
// (headers and body) so tests can check what left the client.
//
// Run directly, it answers edit prompts (`codeintent edit`) with a correct logging edit, and any
// other request with plausible intent queries made from the words of the code it receives (for
// end-to-end runs of scripts/synthetic-queries.js):
//   node out/test/helpers/chat-server.js [--port N]     → prints OPENAI_BASE_URL=http://127.0.0.1:N/v1

import { createServer } from 'node:http';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export interface RecordedRequest {
  /** 0-based, in arrival order. */
  index: number;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The raw body text. */
  text: string;
  /** The parsed body (undefined when it is not JSON). */
  body: unknown;
}

export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

export type ChatReply =
  /**
   * A completion whose first choice holds `content`. To a request with `stream: true` it is sent as
   * server-sent events: `content` in `pieces` chunks (default 4), `pieceDelayMs` apart, then the
   * finish and usage chunks and [DONE] — unless `stallAfterPieces` stops the stream there (open).
   * `dropMidAnswer` closes the connection half-way through the answer (body or stream), as a
   * server that crashes or a proxy that gives up does.
   */
  | { content: string; usage?: ChatUsage; finishReason?: string; delayMs?: number; pieces?: number; pieceDelayMs?: number; stallAfterPieces?: number; dropMidAnswer?: boolean }
  /** An error status (with an OpenAI-style error body unless `body` is given). */
  | { status: number; body?: unknown; headers?: Record<string, string> }
  /** Never answer (until the server closes). */
  | { hang: true };

export type ChatHandler = (request: RecordedRequest) => ChatReply | Promise<ChatReply>;

export interface ChatServer {
  /** http://127.0.0.1:PORT/v1 */
  baseURL: string;
  requests: RecordedRequest[];
  /** Most chat requests being answered at once. */
  readonly maxInFlight: number;
  setHandler(handler: ChatHandler): void;
  close(): Promise<void>;
}

/** The messages of a recorded chat request. */
export function messagesOf(request: RecordedRequest): { role: string; content: string }[] {
  const messages: unknown = typeof request.body === 'object' && request.body !== null ? Reflect.get(request.body, 'messages') : undefined;
  if (!Array.isArray(messages)) return [];
  return messages.map((m: unknown) => ({
    role: String(typeof m === 'object' && m !== null ? Reflect.get(m, 'role') : ''),
    content: String(typeof m === 'object' && m !== null ? Reflect.get(m, 'content') : ''),
  }));
}

/** The content of the first user message (the snippet, for intent queries). */
export function firstUserMessage(request: RecordedRequest): string {
  return messagesOf(request).find((m) => m.role === 'user')?.content ?? '';
}

export function completion(content: string, usage: ChatUsage, finishReason = 'stop'): unknown {
  return {
    id: `chatcmpl-${Math.random().toString(36).slice(2, 10)}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: 'test-model',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finishReason, logprobs: null }],
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Headers that announce the whole body, half of it, then the connection closed. */
function sendHalf(res: ServerResponse, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': bytes.length });
  res.write(bytes.subarray(0, bytes.length >> 1), () => res.destroy());
}

/** A content reply as the chat-completions stream: role + text pieces, finish, usage, [DONE]. */
async function sendEvents(res: ServerResponse, reply: { content: string; finishReason?: string; pieces?: number; pieceDelayMs?: number; stallAfterPieces?: number; dropMidAnswer?: boolean }, usage: ChatUsage): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    res.write(`data: ${JSON.stringify({ id: 'chatcmpl-stream', object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: 'test-model', choices, ...extra })}\n\n`);
  const count = Math.max(1, reply.pieces ?? 4);
  const size = Math.ceil(reply.content.length / count) || 1;
  for (let i = 0; i * size < Math.max(1, reply.content.length); i++) {
    if (reply.stallAfterPieces !== undefined && i >= reply.stallAfterPieces) return;
    if (reply.dropMidAnswer === true && i >= count / 2) {
      res.destroy();
      return;
    }
    const delta = { ...(i === 0 ? { role: 'assistant' } : {}), content: reply.content.slice(i * size, (i + 1) * size) };
    chunk([{ index: 0, delta, finish_reason: null }]);
    if (reply.pieceDelayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, reply.pieceDelayMs));
  }
  chunk([{ index: 0, delta: {}, finish_reason: reply.finishReason ?? 'stop' }]);
  chunk([], { usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } });
  res.end('data: [DONE]\n\n');
}

export async function startChatServer(handler: ChatHandler, port = 0): Promise<ChatServer> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      const record: RecordedRequest = { index: requests.length, method: req.method ?? '', url: req.url ?? '', headers: req.headers, text, body };
      requests.push(record);
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        send(res, 404, { error: { message: `no route ${req.method ?? ''} ${req.url ?? ''}`, type: 'invalid_request_error' } });
        return;
      }
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      res.on('close', () => inFlight--);
      void (async () => {
        let reply: ChatReply;
        try {
          reply = await current(record);
        } catch (err) {
          reply = { status: 500, body: { error: { message: `test handler threw: ${String(err)}` } } };
        }
        if ('hang' in reply) return;
        if ('status' in reply) {
          send(res, reply.status, reply.body ?? { error: { message: `scripted ${reply.status}`, type: 'server_error' } }, reply.headers);
          return;
        }
        if (reply.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
        const usage = reply.usage ?? estimateUsage(record, reply.content);
        const streaming = typeof record.body === 'object' && record.body !== null && Reflect.get(record.body, 'stream') === true;
        if (streaming) await sendEvents(res, reply, usage);
        else if (reply.dropMidAnswer === true) sendHalf(res, completion(reply.content, usage, reply.finishReason));
        else send(res, 200, completion(reply.content, usage, reply.finishReason));
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${address.port}/v1`,
    requests,
    get maxInFlight() {
      return maxInFlight;
    },
    setHandler(next) {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** About 4 characters a token, as tokenizers go for English and code. */
export function estimateUsage(request: RecordedRequest, content: string): ChatUsage {
  const promptChars = messagesOf(request).reduce((n, m) => n + m.content.length + 4, 0);
  return { prompt_tokens: Math.ceil(promptChars / 4), completion_tokens: Math.ceil(content.length / 4) };
}

const STOP = new Set(
  'the a an of to in on for and or if else is are be this that with as by from at it its new return const let var function class def self public private protected static void int string bool true false null none undefined export import async await type interface extends implements get set value this'.split(' '),
);

/** Intent queries made from the most frequent words of the code in a request (for end-to-end runs). */
export function plausibleReply(request: RecordedRequest): ChatReply {
  const user = firstUserMessage(request);
  const n = Number(/Write (\d+) queries/.exec(user)?.[1] ?? '2');
  const code = /```[\w-]*\n([\s\S]*)\n```/.exec(user)?.[1] ?? user;
  const counts = new Map<string, number>();
  for (const match of code.matchAll(/[A-Za-z]+/g)) {
    for (const part of match[0].match(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+/g) ?? []) {
      const word = part.toLowerCase();
      if (word.length >= 3 && !STOP.has(word)) counts.set(word, (counts.get(word) ?? 0) + 1);
    }
  }
  const words = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([w]) => w);
  const w = (i: number): string => words[i % Math.max(words.length, 1)] ?? 'data';
  const templates = [
    (): string => `where do we ${w(0)} the ${w(1)}`,
    (): string => `how to handle ${w(2)} when ${w(0)} changes`,
    (): string => `code that turns ${w(1)} into ${w(3)}`,
    (): string => `check whether a ${w(4)} is ${w(2)}`,
  ];
  const queries = Array.from({ length: n }, (_, i) => (templates[i % templates.length] ?? templates[0] ?? (() => 'find code'))());
  return { content: JSON.stringify({ queries }) };
}

/**
 * The edit a careful model would make for "add logging" to a `codeintent edit` prompt: a
 * `LOGGER.info('SYMBOL: start')` line at the top of the first range's body, and the import the
 * prompt says the file lacks, in the edit format of src/core/edit/prompt.ts.
 */
export function loggingEdit(request: RecordedRequest): { edits: { startLine: number; endLine: number; replacement: string }[]; explanation: string } {
  const user = firstUserMessage(request);
  const logger = /Logging in this codebase: call ([\w$.]+)/.exec(user)?.[1] ?? 'console';
  const importLine = /add this import to the import block: (.+)/.exec(user)?.[1];
  const importEnd = Number(/the import block is lines 1-(\d+)/.exec(user)?.[1] ?? '0');
  const range = /Range 1: lines (\d+)-(\d+)(?: \(([^)]*)\))?\n([\s\S]*?)(?:\n\n|$)/.exec(user);
  const symbol = range?.[3] ?? 'code';
  const lines = (range?.[4] ?? '').split('\n').map((l) => /^\s*(\d+)\| (.*)$/.exec(l)).filter((m) => m !== null);
  const opening = lines.findIndex((m) => /[{:]\s*$/.test(m[2] ?? ''));
  const at = lines[opening];
  const next = lines[opening + 1];
  if (at === undefined) return { edits: [], explanation: 'found no body to log in' };
  const indent = /^\s*/.exec(next?.[2] ?? '')?.[0] || `${/^\s*/.exec(at[2] ?? '')?.[0] ?? ''}  `;
  const line = Number(at[1]);
  const edits = [{ startLine: line + 1, endLine: line, replacement: `${indent}${logger}.info('${symbol}: start');` }];
  if (importLine !== undefined) edits.unshift({ startLine: importEnd + 1, endLine: importEnd, replacement: importLine });
  return { edits, explanation: `Logs when ${symbol} starts, with ${logger}.` };
}

/** What the directly-run server answers: edits for edit prompts, intent queries otherwise. */
export function demoReply(request: RecordedRequest): ChatReply {
  const system = messagesOf(request).find((m) => m.role === 'system')?.content ?? '';
  return system.startsWith('You edit source code') ? { content: JSON.stringify(loggingEdit(request)) } : plausibleReply(request);
}

/** Run directly: the demo server until SIGTERM or SIGINT. */
async function serveDemo(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
  const server = await startChatServer(demoReply, Number(values.port));
  process.stdout.write(`OPENAI_BASE_URL=${server.baseURL}\n`);
  const stop = (): void => {
    process.stderr.write(`chat-server: answered ${server.requests.length} requests\n`);
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

// No top-level await: the extension-host tests bundle this module to CommonJS and use it in-process.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) void serveDemo();

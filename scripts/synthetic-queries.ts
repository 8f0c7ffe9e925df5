// Writes LLM-made "intent" queries for training pairs: for each (query → code) pair read, up to
// --per-snippet new pairs with the same fields, a generated query, and `source: 'llm'`.
//
//   OPENAI_BASE_URL=http://127.0.0.1:8080/v1 OPENAI_API_KEY=... \
//   node out/scripts/synthetic-queries.js --pairs .cache/corpus/pairs/train.jsonl \
//     --out .cache/corpus/pairs/synthetic-train.jsonl [--model M] [--limit N] [--per-snippet 2] [--concurrency 4]
//
// Answers are cached under --cache-dir, so an interrupted run resumes and a repeated one is free.
// Results go to --out, the token report to stdout, progress (on a TTY) and failures to stderr.
// Exit 0 when done (failed snippets are counted in the report), 1 when the endpoint is not
// configured or unusable or every snippet failed, 2 on bad usage.

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

import { messageOf } from '../src/core/errors.js';
import { ChatRequestError, createChatClient } from '../src/core/llm/client.js';
import { CURRENT_INTENT_PROMPT, INTENT_PROMPTS, generateIntentQueries } from '../src/training/synthetic-queries.js';
import type { ChatClient } from '../src/core/llm/client.js';
import type { IntentQueryReport, IntentQueryRun, IntentSnippet } from '../src/training/synthetic-queries.js';
import { UsageError } from './script-args.js';
import { writeJsonLines } from './corpus/common.js';

const DEFAULT_MODEL = 'gpt-4o-mini';
const DEFAULT_CACHE = '.cache/llm/intent-queries';

const helpText = `Usage: node out/scripts/synthetic-queries.js --pairs FILE --out FILE [options]

Reads the endpoint from OPENAI_BASE_URL and OPENAI_API_KEY (any non-empty key for servers that need none).

  --pairs FILE          input pairs, one JSON object a line ({id, pkg, language, path, symbol, kind, startLine, endLine, query, code})
  --out FILE            output pairs (written when the run ends)
  --model M             model name                                   (OPENAI_MODEL, else ${DEFAULT_MODEL})
  --limit N             only the first N pairs
  --per-snippet N       queries per pair                             (2)
  --concurrency N       requests in flight                           (4)
  --cache-dir DIR       answer cache                                 (${DEFAULT_CACHE})
  --prompt-version V    ${Object.keys(INTENT_PROMPTS).join(' | ')}                                  (${CURRENT_INTENT_PROMPT})
  --timeout-ms N        per attempt                                  (60000)
  --max-retries N       retries on 429/5xx/timeouts                  (3)
  --json-mode           send response_format json_object (servers that support it)
  --report-json         print the report as JSON
  --help`;


interface Pair {
  id: string;
  pkg: string;
  language: string;
  path: string;
  symbol: string;
  kind: string;
  startLine: number;
  endLine: number;
  query: string;
  code: string;
}

function parseOptions(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      pairs: { type: 'string' },
      out: { type: 'string' },
      model: { type: 'string' },
      limit: { type: 'string' },
      'per-snippet': { type: 'string', default: '2' },
      concurrency: { type: 'string', default: '4' },
      'cache-dir': { type: 'string', default: DEFAULT_CACHE },
      'prompt-version': { type: 'string', default: CURRENT_INTENT_PROMPT },
      'timeout-ms': { type: 'string', default: '60000' },
      'max-retries': { type: 'string', default: '3' },
      'json-mode': { type: 'boolean', default: false },
      'report-json': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return undefined;
  if (values.pairs === undefined) throw new UsageError('--pairs is required');
  if (values.out === undefined) throw new UsageError('--out is required');
  const int = (name: string, raw: string | undefined, min: number): number | undefined => {
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(raw)}`);
    return n;
  };
  const promptVersion = values['prompt-version'];
  if (!Object.hasOwn(INTENT_PROMPTS, promptVersion)) {
    throw new UsageError(`--prompt-version must be one of ${Object.keys(INTENT_PROMPTS).join(', ')}, got ${JSON.stringify(promptVersion)}`);
  }
  return {
    pairs: values.pairs,
    out: values.out,
    model: values.model ?? process.env['OPENAI_MODEL'] ?? DEFAULT_MODEL,
    limit: int('limit', values.limit, 1),
    perSnippet: int('per-snippet', values['per-snippet'], 1) ?? 2,
    concurrency: int('concurrency', values.concurrency, 1) ?? 4,
    cacheDir: values['cache-dir'],
    promptVersion,
    timeoutMs: int('timeout-ms', values['timeout-ms'], 1) ?? 60_000,
    maxRetries: int('max-retries', values['max-retries'], 0) ?? 3,
    json: values['json-mode'],
    reportJson: values['report-json'],
  };
}

function asPair(value: unknown): Pair | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const get = (k: string): unknown => Reflect.get(value, k);
  const strings = ['id', 'pkg', 'language', 'path', 'symbol', 'kind', 'query', 'code'] as const;
  if (!strings.every((k) => typeof get(k) === 'string')) return undefined;
  if (typeof get('startLine') !== 'number' || typeof get('endLine') !== 'number') return undefined;
  return {
    id: String(get('id')),
    pkg: String(get('pkg')),
    language: String(get('language')),
    path: String(get('path')),
    symbol: String(get('symbol')),
    kind: String(get('kind')),
    startLine: Number(get('startLine')),
    endLine: Number(get('endLine')),
    query: String(get('query')),
    code: String(get('code')),
  };
}

async function readPairs(file: string, limit: number | undefined): Promise<{ pairs: Pair[]; bad: number }> {
  const pairs: Pair[] = [];
  let bad = 0;
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        value = undefined;
      }
      const pair = asPair(value);
      if (pair === undefined) bad++;
      else pairs.push(pair);
      if (limit !== undefined && pairs.length >= limit) break;
    }
  } finally {
    lines.close();
  }
  return { pairs, bad };
}

function formatReport(r: IntentQueryReport, model: string, host: string): string {
  const n = (x: number): string => x.toLocaleString('en-US');
  return [
    `model ${model} at ${host}`,
    `snippets   ${n(r.snippets)}: ${n(r.cached)} cached, ${n(r.requested)} requested → ${n(r.succeeded)} answered, ${n(r.failed)} failed`,
    `queries    ${n(r.queries)}`,
    `calls      ${n(r.calls)} chat calls, ${n(r.httpAttempts)} HTTP attempts (retries included)`,
    `masked     ${n(r.masked)} snippets had secrets masked`,
    `tokens     prompt ${n(r.promptTokens)}, completion ${n(r.completionTokens)}`,
    `saved      prompt ${n(r.promptTokensSaved)}, completion ${n(r.completionTokensSaved)} (answers from the cache)`,
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(argv);
  } catch (err) {
    if (err instanceof UsageError || (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`synthetic-queries: ${err.message}\nRun with --help for the options.\n`);
      return 2;
    }
    throw err;
  }
  if (options === undefined) {
    process.stdout.write(`${helpText}\n`);
    return 0;
  }

  const missing = ['OPENAI_BASE_URL', 'OPENAI_API_KEY'].filter((name) => (process.env[name] ?? '').trim() === '');
  if (missing.length > 0) {
    process.stderr.write(
      `synthetic-queries: ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set. Set OPENAI_BASE_URL to an OpenAI-compatible endpoint ` +
        `(e.g. http://127.0.0.1:8080/v1) and OPENAI_API_KEY to its key (any non-empty string for servers that need none).\n`,
    );
    return 1;
  }

  let read: { pairs: Pair[]; bad: number };
  try {
    read = await readPairs(options.pairs, options.limit);
  } catch (err) {
    process.stderr.write(`synthetic-queries: cannot read --pairs ${options.pairs}: ${messageOf(err)}\n`);
    return 1;
  }
  if (read.bad > 0) process.stderr.write(`synthetic-queries: skipped ${read.bad} lines of ${options.pairs} that are not pairs\n`);
  const byId = new Map(read.pairs.map((p) => [p.id, p]));

  let client: ChatClient;
  try {
    client = createChatClient({ model: options.model, timeoutMs: options.timeoutMs, maxRetries: options.maxRetries, concurrency: options.concurrency });
  } catch (err) {
    process.stderr.write(`synthetic-queries: ${messageOf(err)}\n`);
    return 1;
  }

  const controller = new AbortController();
  const onSigint = (): void => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSigint);
  const tty = process.stderr.isTTY;
  const snippets: IntentSnippet[] = read.pairs.map((p) => ({ id: p.id, code: p.code, symbol: p.symbol, kind: p.kind, language: p.language }));
  let run: IntentQueryRun;
  try {
    run = await generateIntentQueries(snippets, {
      client,
      promptVersion: options.promptVersion,
      cacheDir: options.cacheDir,
      perSnippet: options.perSnippet,
      json: options.json,
      signal: controller.signal,
      onProgress: tty ? (p) => process.stderr.write(`\r${p.done}/${p.total} (${p.cached} cached, ${p.failed} failed)`) : undefined,
    });
  } catch (err) {
    if (tty) process.stderr.write('\n');
    if (controller.signal.aborted) {
      process.stderr.write('synthetic-queries: interrupted; the answers so far are cached, run again to resume\n');
      return 130;
    }
    if (err instanceof ChatRequestError) {
      process.stderr.write(`synthetic-queries: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (tty) process.stderr.write('\n');

  const rows: object[] = [];
  const failures: string[] = [];
  for (const result of run.results) {
    if (result.status === 'failed') {
      failures.push(`${result.id}: ${result.error}`);
      continue;
    }
    const pair = byId.get(result.id);
    if (pair === undefined) continue;
    result.queries.forEach((query, i) => rows.push({ ...pair, id: `${pair.id}-llm${i + 1}`, query, source: 'llm' }));
  }
  await writeJsonLines(options.out, rows);

  for (const line of failures.slice(0, 10)) process.stderr.write(`failed ${line}\n`);
  if (failures.length > 10) process.stderr.write(`… and ${failures.length - 10} more failures\n`);
  process.stdout.write(
    options.reportJson
      ? `${JSON.stringify({ model: client.model, host: client.host, out: options.out, pairs: rows.length, ...run.report })}\n`
      : `${formatReport(run.report, client.model, client.host)}\nwrote ${rows.length} pairs to ${options.out}\n`,
  );
  return run.report.failed > 0 && run.report.succeeded === 0 ? 1 : 0;
}

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.exitCode = 1;
    throw err;
  },
);

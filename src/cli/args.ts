// The command line: one parseArgs table, one help text, and validation into typed commands.

import { parseArgs } from 'node:util';
import { messageOf } from '../core/errors.js';
import { MODEL_CHOICES_HELP } from '../core/models.js';
import { editDistance } from '../core/rank/spelling.js';
import { MAX_TOP } from '../core/search.js';
import { parseStorageOptions } from '../core/storage-uri.js';
import type { SearchMode } from '../core/types.js';

export const helpText = `codeintent — find code by what it does, not what it is called (offline).

Usage:
  codeintent index [PATH]            build or update the index of PATH (default: .)
  codeintent search "QUERY"          search the index (indexes first when needed)
  codeintent search --queries FILE   one query per line, one model load
  codeintent status [PATH]           what is indexed, with which model, how big, when
  codeintent edit "INSTRUCTION" --query "QUERY"
                                     ask an LLM for a minimal edit of the code QUERY finds; prints
                                     unified diffs, writes them only with --apply (see docs/llm.md)
  codeintent tune [PATH]             fit a query adapter and the second stage's weights to PATH's
                                     own documented code; kept only if held-out files rank better
                                     through search (then used by default; --adapter none turns
                                     both off)

Search options:
  --root PATH          the workspace to search (default: .)
  --top N              number of results, 1 to ${MAX_TOP} (default: 10)
  --mode MODE          hybrid (default), vector or lexical
  --adapter A          default (the workspace's tuned one, else the one shipped for the model), none
                       (also leaves out the tuned second stage), or an adapter folder
  --ranker R           the second stage (hybrid mode): default (the workspace's tuned one, else the
                       one shipped for the model, if any), none (fused first stage only), or a
                       ranker folder
  --json               JSON output: an array of {path, startLine, endLine, symbol, kind, language, score}
                       and, when the second stage ran, confidence, close and why; with --queries, one
                       array per line
  --queries FILE       run each line of FILE as a query

Edit options (--root and --top (default 3) as for search):
  INSTRUCTION          add-logging, add-error-handling, explain, or your own words
  --query QUERY        the code to edit, as you would search for it
  --apply              write the proposed changes (each file re-checked as unchanged first)
  --json               one JSON object: {proposals, failures, usage} (docs/llm.md)
  --model M            for edit: the LLM model's name (default: $CODEINTENT_LLM_MODEL); the endpoint
                       is $OPENAI_BASE_URL with $OPENAI_API_KEY
  --embedding-model M  for edit: the embedding model of the search (what --model is elsewhere)

Tune options:
  --json               the report as one JSON object

Common options:
  --db DIR             index folder (default: one per workspace in the user's cache folder), or a
                       team's shared index on object storage, s3://bucket/prefix (gs://, az://):
                       index publishes it, search reads it and indexes this checkout's changes
                       locally; keys and endpoint from AWS_* variables (docs/team-index.md)
  --storage-option K=V a LanceDB storage option for a shared index, e.g. region=eu-west-1
                       (repeatable; no secrets: those come from the environment)
  --model M            embedding model (for edit, the LLM model: see above): ${MODEL_CHOICES_HELP}
  --exclude GLOB       extra gitignore-style pattern to leave out (repeatable)
  --max-file-size N    skip files larger than N bytes (default: 1048576, at most 8388608)
  --jobs N             threads that chunk and embed while indexing (default: one per core)
  --no-progress        no progress bar
  --verbose            say which files were skipped and why, and where parsing fell back to lines
  -h, --help           this help
  -v, --version        the version

Exit status: 0 success (with or without results), 1 failure, 2 bad usage, 130 stopped by Ctrl-C,
143 stopped by SIGTERM.
`;

const options = {
  root: { type: 'string' },
  top: { type: 'string' },
  mode: { type: 'string' },
  adapter: { type: 'string' },
  ranker: { type: 'string' },
  json: { type: 'boolean' },
  queries: { type: 'string' },
  query: { type: 'string' },
  apply: { type: 'boolean' },
  'embedding-model': { type: 'string' },
  db: { type: 'string' },
  'storage-option': { type: 'string', multiple: true },
  model: { type: 'string' },
  exclude: { type: 'string', multiple: true },
  'max-file-size': { type: 'string' },
  jobs: { type: 'string' },
  'no-progress': { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface CommonOptions {
  db?: string;
  /** --storage-option pairs, for a shared index. */
  storageOptions: Record<string, string>;
  model: string;
  exclude: string[];
  maxFileBytes?: number;
  /** Threads for indexing; one per core when absent. */
  jobs?: number;
  progress: boolean;
  verbose: boolean;
}

export type Command =
  | { name: 'help' }
  | { name: 'version' }
  | { name: 'index'; root: string; common: CommonOptions }
  | { name: 'status'; root: string; common: CommonOptions }
  | { name: 'tune'; root: string; json: boolean; common: CommonOptions }
  | {
      name: 'search';
      root: string;
      queries: { kind: 'one'; query: string } | { kind: 'file'; file: string };
      top: number;
      mode: SearchMode;
      adapter: string;
      ranker: string;
      json: boolean;
      common: CommonOptions;
    }
  | {
      name: 'edit';
      root: string;
      instruction: string;
      query: string;
      top: number;
      apply: boolean;
      json: boolean;
      /** The LLM model (`--model` of edit); the environment's when absent. */
      llmModel?: string;
      common: CommonOptions;
    };

const MODES: readonly SearchMode[] = ['hybrid', 'vector', 'lexical'];

function positiveInteger(flag: string, value: string | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > max) {
    throw new UsageError(`${flag} takes a whole number from 1${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ' up'}, not ${JSON.stringify(value)}`);
  }
  return n;
}

/** Options users reach for that go by another name here. */
const OTHER_NAMES: Record<string, string> = { path: 'root', dir: 'root', limit: 'top', count: 'top', k: 'top', n: 'top' };

/** node:util's parseArgs failures, said the way the rest of the CLI says things. */
function parseFailure(error: unknown, argv: readonly string[]): UsageError {
  const { code } = error as { code?: string };
  const message = messageOf(error);
  const flag = /'(-[^' ]+)/.exec(message)?.[1] ?? '';
  const name = flag.replace(/^-+/, '');
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const known = OTHER_NAMES[name] ?? Object.keys(options).find((option) => editDistance(option, name, 2) <= (name.length > 4 ? 2 : 1));
    return new UsageError(`unknown option ${flag}${known ? `; did you mean --${known}?` : ''}`);
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const value = argv[argv.indexOf(flag) + 1];
    if (value === undefined) return new UsageError(`${flag} needs a value`);
    if (value.startsWith('-')) return new UsageError(`${flag} needs a value; to give it one that starts with "-", write ${flag}=${value}`);
  }
  return new UsageError(message.split('\n')[0] ?? message);
}

function storageOptionsOf(pairs: readonly string[]): Record<string, string> {
  try {
    return parseStorageOptions(pairs);
  } catch (error) {
    throw new UsageError(messageOf(error));
  }
}

export function parseCommand(argv: readonly string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw parseFailure(error, argv);
  }
  const { values, positionals } = parsed;
  if (values.help) return { name: 'help' };
  if (values.version) return { name: 'version' };
  const [name, ...rest] = positionals;
  if (name === undefined) throw new UsageError('missing command: index, search, status, edit or tune');
  const editOnly = (['query', 'apply', 'embedding-model'] as const).filter((flag) => values[flag] !== undefined);
  if (name !== 'edit' && editOnly.length > 0) throw new UsageError(`--${editOnly[0]} belongs to edit, not ${name}`);

  const common: CommonOptions = {
    // For edit, --model names the LLM and --embedding-model the search's model.
    model: (name === 'edit' ? values['embedding-model'] : values.model) ?? 'default',
    exclude: values.exclude ?? [],
    storageOptions: storageOptionsOf(values['storage-option'] ?? []),
    progress: !values['no-progress'],
    verbose: values.verbose ?? false,
    ...(values.db !== undefined ? { db: values.db } : {}),
    ...(values['max-file-size'] !== undefined ? { maxFileBytes: positiveInteger('--max-file-size', values['max-file-size'], 0) } : {}),
    ...(values.jobs !== undefined ? { jobs: positiveInteger('--jobs', values.jobs, 0) } : {}),
  };
  const searchOnly = (['root', 'top', 'mode', 'adapter', 'ranker', 'json', 'queries'] as const).filter((flag) => values[flag] !== undefined);

  switch (name) {
    case 'index':
    case 'status': {
      if (searchOnly.length > 0) throw new UsageError(`--${searchOnly[0]} belongs to search, not ${name}`);
      if (rest.length > 1) throw new UsageError(`${name} takes one PATH, got ${rest.length}`);
      return { name, root: rest[0] ?? '.', common };
    }
    case 'tune': {
      const misplaced = searchOnly.filter((flag) => flag !== 'json');
      if (misplaced.length > 0) throw new UsageError(`--${misplaced[0]} belongs to search, not tune`);
      if (rest.length > 1) throw new UsageError(`tune takes one PATH, got ${rest.length}`);
      return { name, root: rest[0] ?? '.', json: values.json ?? false, common };
    }
    case 'search': {
      const mode = values.mode ?? 'hybrid';
      if (!MODES.includes(mode as SearchMode)) throw new UsageError(`--mode must be one of ${MODES.join(', ')}, not ${JSON.stringify(mode)}`);
      let queries: Extract<Command, { name: 'search' }>['queries'];
      if (values.queries !== undefined) {
        if (rest.length > 0) throw new UsageError('give either a QUERY or --queries FILE, not both');
        queries = { kind: 'file', file: values.queries };
      } else {
        if (rest.length !== 1) throw new UsageError(rest.length === 0 ? 'search needs a QUERY (in quotes) or --queries FILE' : `search takes one QUERY; put it in quotes (got ${rest.length} words)`);
        const query = rest[0] ?? '';
        if (query.trim() === '') throw new UsageError('the QUERY is empty: say what the code does, e.g. "retry failed webhooks"');
        queries = { kind: 'one', query };
      }
      return {
        name,
        root: values.root ?? '.',
        queries,
        top: positiveInteger('--top', values.top, 10, MAX_TOP),
        mode: mode as SearchMode,
        adapter: values.adapter ?? 'default',
        ranker: values.ranker ?? 'default',
        json: values.json ?? false,
        common,
      };
    }
    case 'edit': {
      const misplaced = (['mode', 'adapter', 'ranker', 'queries'] as const).filter((flag) => values[flag] !== undefined);
      if (misplaced.length > 0) throw new UsageError(`--${misplaced[0]} belongs to search, not edit`);
      if (rest.length !== 1) throw new UsageError(rest.length === 0 ? 'edit needs an INSTRUCTION (in quotes), e.g. codeintent edit add-logging --query "init stripe"' : `edit takes one INSTRUCTION; put it in quotes (got ${rest.length} words)`);
      const instruction = rest[0] ?? '';
      if (instruction.trim() === '') throw new UsageError('the INSTRUCTION is empty: say what to change, or use add-logging, add-error-handling or explain');
      if (values.query === undefined || values.query.trim() === '') throw new UsageError('edit needs --query "QUERY": the code to edit, as you would search for it');
      return {
        name,
        root: values.root ?? '.',
        instruction,
        query: values.query,
        top: positiveInteger('--top', values.top, 3, MAX_TOP),
        apply: values.apply ?? false,
        json: values.json ?? false,
        ...(values.model !== undefined ? { llmModel: values.model } : {}),
        common,
      };
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(name)}: use index, search, status, edit or tune`);
  }
}

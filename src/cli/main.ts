// codeintent: arguments → core → reporters. Results go to stdout, progress and errors to stderr.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { adapterSearchDirs, resolveAdapter } from '../core/adapter.js';
import { messageOf, userFailure, UserError } from '../core/errors.js';
import { IndexBusyError } from '../core/lock.js';
import { PACKAGE_ROOT, SHIPPED_ADAPTERS_DIR, SHIPPED_RANKERS_DIR } from '../core/models.js';
import { findRanker, tunedRankersDir } from '../core/rank/model.js';
import { isStorageUri } from '../core/storage-uri.js';
import { tuneWorkspace, type TuneProgress, type TuneReport } from '../core/tune/index.js';
import type { SearchResult } from '../core/search.js';
import { indexStatus, Workspace, type WorkspaceOptions } from '../core/workspace.js';
import { llmClient, runEdit } from './edit.js';
import { helpText, parseCommand, UsageError, type Command, type CommonOptions } from './args.js';
import { progressBar, type ProgressBar } from './progress.js';
import { correctionText, hitsJson, hitsText, statusText, summaryText, tuneText } from '../shared/report.js';
import { printable, printableJson } from '../shared/terminal-text.js';

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;
/** 128 + the signal's number, as a shell reports a process that a signal ended. */
const EXIT_STOPPED: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };
/** How long a stop may take after Ctrl-C (the current batch committing) before the process ends regardless. */
const STOP_GRACE_MS = 3000;

// Results and warnings go out through printable/printableJson: paths, code, model answers and error
// messages can hold escape sequences a terminal would obey.
function write(text: string): void {
  process.stdout.write(printable(text));
}

/** One line of JSON: the exact values, nothing a terminal obeys. */
function writeJson(json: string): void {
  process.stdout.write(`${printableJson(json)}\n`);
}

function warn(text: string): void {
  process.stderr.write(`codeintent: ${printable(text)}\n`);
}

/** `publish`: a shared index (--db s3://…) is written, not only read (`index`). */
function workspaceOptions(root: string, common: CommonOptions, search?: { adapter: string; ranker: string }, { publish = false } = {}): WorkspaceOptions {
  return {
    root,
    model: common.model,
    crawl: { exclude: common.exclude, ...(common.maxFileBytes ? { maxFileBytes: common.maxFileBytes } : {}) },
    ...(common.db ? { indexDir: common.db } : {}),
    ...(common.jobs ? { indexingThreads: common.jobs } : {}),
    storageOptions: common.storageOptions,
    publish,
    ...(search ? { adapter: search.adapter, ranker: search.ranker } : {}),
    warn,
    ...(common.verbose ? { log: warn } : {}),
  };
}

type StopSignal = 'SIGINT' | 'SIGTERM';

/**
 * Ctrl-C (or SIGTERM) stops indexing between batches; what was committed stays, and the next run
 * resumes. A second signal, or a stop that takes longer than STOP_GRACE_MS, ends the process at once.
 */
function interruptible(): { signal: AbortSignal; exitCode: () => number } {
  const controller = new AbortController();
  let received: StopSignal = 'SIGINT';
  const stop = (name: StopSignal) => {
    if (controller.signal.aborted) return endBy(name);
    received = name;
    warn('stopping… the index keeps what was done; run the command again to resume');
    controller.abort(new UserError('interrupted'));
    setTimeout(() => endBy(name), STOP_GRACE_MS).unref();
  };
  for (const name of ['SIGINT', 'SIGTERM'] as const) process.on(name, () => stop(name));
  return { signal: controller.signal, exitCode: () => EXIT_STOPPED[received] };
}

/**
 * Ends the process by the signal's default action. Not process.exit: exiting waits for libuv's
 * thread pool, so a file-system call that never returns would hold the process forever. A lock
 * left behind is taken over by the next run (its owner is gone).
 */
function endBy(name: StopSignal): void {
  process.removeAllListeners(name);
  process.kill(process.pid, name);
}

/** Said once when another process holds the index: the run waits for it. */
function waitNotice(bar: ProgressBar): () => void {
  return () => {
    bar.clear();
    warn('another CodeIntent process is indexing this workspace; waiting for it to finish…');
  };
}

async function runIndex(workspace: Workspace, common: CommonOptions, signal: AbortSignal, showSummary: boolean): Promise<void> {
  const bar = progressBar(process.stderr, common.progress);
  try {
    const summary = await workspace.index({
      signal,
      onProgress: (p) => bar.update(p),
      onWait: waitNotice(bar),
    });
    bar.clear();
    if (showSummary) write(summaryText(summary));
    else if (summary.indexed > 0 && process.stderr.isTTY) process.stderr.write(printable(summaryText(summary)));
  } finally {
    bar.clear();
  }
}

const TUNE_PHASES: Record<TuneProgress['phase'], string> = {
  index: 'indexing',
  chunk: 'reading documented code',
  embed: 'embedding',
  train: 'training',
  search: 'searching and fitting the second stage',
  evaluate: 'evaluating',
};

async function runTune(workspace: Workspace, command: Extract<Command, { name: 'tune' }>, signal: AbortSignal): Promise<void> {
  const bar = progressBar(process.stderr, command.common.progress);
  const live = command.common.progress && process.stderr.isTTY;
  let lastDraw = 0;
  const onProgress = (p: TuneProgress): void => {
    if (!live || p.phase === 'index') return;
    const now = Date.now();
    if (now - lastDraw < 80) return;
    lastDraw = now;
    process.stderr.write(`\r\x1b[2KTuning: ${TUNE_PHASES[p.phase]}${p.total > 0 ? ` ${p.done}/${p.total}` : ''}`);
  };
  const { model, db } = command.common;
  const modelArg = model === 'default' || model === 'use-lite' || model.startsWith('openai:') ? model : path.resolve(model);
  const args = [
    'codeintent',
    'tune',
    workspace.root,
    ...(db ? ['--db', isStorageUri(db) ? db : path.resolve(db)] : []),
    '--model',
    modelArg,
    ...command.common.exclude.flatMap((glob) => ['--exclude', glob]),
    ...(command.common.maxFileBytes ? ['--max-file-size', String(command.common.maxFileBytes)] : []),
    ...(command.common.jobs ? ['--jobs', String(command.common.jobs)] : []),
  ];
  let report: TuneReport;
  try {
    report = await tuneWorkspace(workspace, {
      signal,
      onProgress,
      command: args.map((a) => (/^[\w./=:@-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(' '),
      index: {
        onProgress: (p) => bar.update(p),
        onWait: waitNotice(bar),
      },
      ...(command.common.verbose ? { log: warn } : {}),
    });
  } finally {
    bar.clear();
    if (live) process.stderr.write('\r\x1b[2K');
  }
  if (command.json) writeJson(JSON.stringify(report));
  else write(tuneText(report));
}

/** Searches see the folder as it is now; a busy index is searched as it stands. */
async function refreshBeforeSearch(workspace: Workspace, common: CommonOptions, signal: AbortSignal): Promise<void> {
  try {
    await runIndex(workspace, common, signal, false);
  } catch (error) {
    if (!(error instanceof IndexBusyError)) throw error;
    warn(`${error.message}; searching the index as it is`);
  }
}

async function readQueries(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read the queries file ${file}: ${(error as NodeJS.ErrnoException).code ?? messageOf(error)}`);
  }
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

async function run(command: Command, signal: AbortSignal): Promise<void> {
  switch (command.name) {
    case 'help':
      write(helpText);
      return;
    case 'version': {
      const pkg = JSON.parse(await readFile(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };
      write(`${pkg.version}\n`);
      return;
    }
    case 'status': {
      const status = await indexStatus({ root: command.root, storageOptions: command.common.storageOptions, ...(command.common.db ? { indexDir: command.common.db } : {}) });
      if (!status) {
        write(`${path.resolve(command.root)} has no index yet: run \`codeintent index ${command.root}\`.\n`);
        return;
      }
      const adapter = await resolveAdapter({
        choice: 'default',
        modelId: status.meta.embedderId,
        searchDirs: adapterSearchDirs(status.indexDir, SHIPPED_ADAPTERS_DIR),
      });
      // As a search finds it (Workspace.secondStageRanker): the workspace's tuned one, else the shipped one.
      const ranker = await findRanker(status.meta.embedderId, [tunedRankersDir(status.indexDir), SHIPPED_RANKERS_DIR]);
      write(statusText(status, adapter.source, ranker ? path.dirname(ranker.source) : 'none (no second stage for this model)'));
      return;
    }
    case 'index': {
      const workspace = await Workspace.open(workspaceOptions(command.root, command.common, undefined, { publish: true }));
      try {
        await runIndex(workspace, command.common, signal, true);
      } finally {
        await workspace.close();
      }
      return;
    }
    case 'tune': {
      const workspace = await Workspace.open(workspaceOptions(command.root, command.common));
      try {
        await runTune(workspace, command, signal);
      } finally {
        await workspace.close();
      }
      return;
    }
    case 'edit': {
      const client = llmClient(command, process.env);
      const workspace = await Workspace.open(workspaceOptions(command.root, command.common));
      try {
        await refreshBeforeSearch(workspace, command.common, signal);
        await runEdit(workspace, command, client, signal, warn);
      } finally {
        await workspace.close();
      }
      return;
    }
    case 'search': {
      const queries = command.queries.kind === 'one' ? [command.queries.query] : await readQueries(command.queries.file);
      const workspace = await Workspace.open(workspaceOptions(command.root, command.common, command));
      try {
        await refreshBeforeSearch(workspace, command.common, signal);
        for (const query of queries) {
          const { hits, correction }: SearchResult = query.trim() === '' ? { hits: [] } : await workspace.find(query, { mode: command.mode, top: command.top, signal });
          const found = `${correction ? correctionText(correction) : ''}${hitsText(hits)}`;
          if (command.json) writeJson(hitsJson(hits));
          else write(command.queries.kind === 'file' ? `# ${query}\n${found}\n` : found);
        }
      } finally {
        await workspace.close();
      }
      return;
    }
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  let command: Command;
  try {
    command = parseCommand(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    warn(`${error.message}\nRun \`codeintent --help\` for usage.`);
    return EXIT_USAGE;
  }
  const { signal, exitCode } = interruptible();
  try {
    await run(command, signal);
    return 0;
  } catch (error) {
    if (signal.aborted) return exitCode();
    warn(failureText(error, 'common' in command && command.common.verbose));
    return EXIT_FAILURE;
  }
}

/** One line for any failure; a bug's stack only with --verbose. */
function failureText(error: unknown, verbose: boolean): string {
  const failure = userFailure(error);
  if (failure) return failure.message;
  if (verbose && error instanceof Error && error.stack) return `unexpected error: ${error.stack}`;
  return `unexpected error: ${messageOf(error).split('\n')[0]} (run again with --verbose to see where it happened)`;
}

// A write past the file-size limit (`ulimit -f`) fails with EFBIG, which is reported and cleaned
// up, instead of the signal killing the process half-way through writing (a native module loaded
// at start-up sets it back to its default, terminate).
process.on('SIGXFSZ', () => undefined);

// A closed pipe (`codeintent search … | head`) is a normal end, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

// codeintent: arguments → core → reporters. Results go to stdout, progress and errors to stderr.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { adapterSearchDirs, resolveAdapter } from '../core/adapter.js';
import { messageOf, UserError } from '../core/errors.js';
import { IndexBusyError } from '../core/lock.js';
import { PACKAGE_ROOT, SHIPPED_ADAPTERS_DIR } from '../core/models.js';
import { tuneWorkspace, type TuneProgress, type TuneReport } from '../core/tune/index.js';
import type { SearchResult } from '../core/search.js';
import { indexStatus, Workspace, type WorkspaceOptions } from '../core/workspace.js';
import { llmClient, runEdit } from './edit.js';
import { helpText, parseCommand, UsageError, type Command, type CommonOptions } from './args.js';
import { progressBar, type ProgressBar } from './progress.js';
import { correctionText, hitsJson, hitsText, statusText, summaryText, tuneText } from '../shared/report.js';

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;
const EXIT_INTERRUPTED = 130;

function write(text: string): void {
  process.stdout.write(text);
}

function warn(text: string): void {
  process.stderr.write(`codeintent: ${text}\n`);
}

function workspaceOptions(root: string, common: CommonOptions, search?: { adapter: string; ranker: string }): WorkspaceOptions {
  return {
    root,
    model: common.model,
    crawl: { exclude: common.exclude, ...(common.maxFileBytes ? { maxFileBytes: common.maxFileBytes } : {}) },
    ...(common.db ? { indexDir: common.db } : {}),
    ...(search ? { adapter: search.adapter, ranker: search.ranker } : {}),
    warn,
    ...(common.verbose ? { log: warn } : {}),
  };
}

/** Ctrl-C stops indexing between batches; what was committed stays, and the next run resumes. */
function interruptible(): AbortSignal {
  const controller = new AbortController();
  process.once('SIGINT', () => {
    warn('stopping… the index keeps what was done; run the command again to resume');
    controller.abort(new UserError('interrupted'));
    process.once('SIGINT', () => process.exit(EXIT_INTERRUPTED));
  });
  return controller.signal;
}

/** Said once when another process holds the index: the run waits for it. */
function waitNotice(bar: ProgressBar): () => void {
  return () => {
    bar.clear();
    warn('another CodeIntent process is indexing this workspace; waiting for it to finish…');
  };
}

/** `index` shows its summary and checks every file of the index against its checksum; a search's refresh does neither. */
async function runIndex(workspace: Workspace, common: CommonOptions, signal: AbortSignal, explicit: boolean): Promise<void> {
  const bar = progressBar(process.stderr, common.progress);
  try {
    const summary = await workspace.index({
      signal,
      verify: explicit ? 'full' : 'quick',
      onProgress: (p) => bar.update(p),
      onWait: waitNotice(bar),
    });
    bar.clear();
    if (explicit) write(summaryText(summary));
    else if (summary.indexed > 0 && process.stderr.isTTY) process.stderr.write(summaryText(summary));
  } finally {
    bar.clear();
  }
}

const TUNE_PHASES: Record<TuneProgress['phase'], string> = {
  index: 'indexing',
  chunk: 'reading documented code',
  embed: 'embedding',
  train: 'training',
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
    ...(db ? ['--db', path.resolve(db)] : []),
    '--model',
    modelArg,
    ...command.common.exclude.flatMap((glob) => ['--exclude', glob]),
    ...(command.common.maxFileBytes ? ['--max-file-size', String(command.common.maxFileBytes)] : []),
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
  write(command.json ? `${JSON.stringify(report)}\n` : tuneText(report));
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
      const status = await indexStatus({ root: command.root, ...(command.common.db ? { indexDir: command.common.db } : {}) });
      if (!status) {
        write(`${path.resolve(command.root)} has no index yet: run \`codeintent index ${command.root}\`.\n`);
        return;
      }
      const adapter = await resolveAdapter({
        choice: 'default',
        modelId: status.meta.embedderId,
        searchDirs: adapterSearchDirs(status.indexDir, SHIPPED_ADAPTERS_DIR),
      });
      write(statusText(status, adapter.source));
      return;
    }
    case 'index': {
      const workspace = await Workspace.open(workspaceOptions(command.root, command.common));
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
          if (command.json) write(`${hitsJson(hits)}\n`);
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
  const signal = interruptible();
  try {
    await run(command, signal);
    return 0;
  } catch (error) {
    if (signal.aborted) return EXIT_INTERRUPTED;
    if (error instanceof UserError) {
      warn(error.message);
      return EXIT_FAILURE;
    }
    throw error;
  }
}

// A closed pipe (`codeintent search … | head`) is a normal end, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

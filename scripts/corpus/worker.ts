// Worker thread of the corpus build: one chunker per thread, one package per task.
//   'extract': chunk a package's source files and write its (query, code) candidates (pairs.ts);
//   'workspace': write a package's files with all documentation removed, chunk them again and
//                keep the queries whose answer is found at its range with no documentation
//                (bench-workspaces.ts).

import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { createChunker, languageForPath } from '../../src/core/chunk/index.js';
import { crawl } from '../../src/core/crawl/index.js';
import type { Chunk } from '../../src/core/types.js';
import { removeDocs } from '../../src/training/doc-removal.js';
import { type BenchQuery, type CatalogEntry, type SourceFileLimits, listSourceFiles, writeJsonLines } from './common.js';
import { type Candidate, type ExtractStats, extractPackage, readSourceText } from './extract.js';

export interface ExtractTask {
  kind: 'extract';
  entry: CatalogEntry;
  filesDir: string;
  limits: SourceFileLimits;
  /** Where the candidates go (JSON Lines). */
  outFile: string;
}

export interface ExtractReply {
  kind: 'extract';
  stats: ExtractStats;
  count: number;
}

export interface WorkspaceTask {
  kind: 'workspace';
  entry: CatalogEntry;
  workspace: string;
  filesDir: string;
  limits: SourceFileLimits;
  /** The folder written (emptied first). */
  outDir: string;
  queries: Array<Pick<Candidate, 'id' | 'query' | 'path' | 'startLine' | 'endLine' | 'symbol' | 'language'> & { bareSymbol: string }>;
}

export interface WorkspaceReply {
  kind: 'workspace';
  verified: Array<BenchQuery & { id: string }>;
  files: number;
  bytes: number;
  /** Documented definitions whose documentation was removed. */
  removed: number;
  /** Documented definitions whose documentation could not be located. */
  notFound: number;
  /** Definitions that still had documentation when the written file was chunked again. */
  residualDocs: number;
  /** Queries dropped: answer not found at its range, or still documented. */
  failed: number;
}

export type Task = ExtractTask | WorkspaceTask;
export type Reply = ExtractReply | WorkspaceReply;
export type Envelope = { id: number; task: Task };
export type ReplyEnvelope = { id: number; reply?: Reply; error?: string };

const port = parentPort;
if (port !== null) {
  const chunker = await createChunker();
  port.on('message', (message: Envelope) => {
    run(message.task).then(
      (reply) => port.postMessage({ id: message.id, reply } satisfies ReplyEnvelope),
      (error: unknown) => port.postMessage({ id: message.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies ReplyEnvelope),
    );
  });

  async function run(task: Task): Promise<Reply> {
    return task.kind === 'extract' ? extract(task) : workspace(task);
  }

  async function extract(task: ExtractTask): Promise<ExtractReply> {
    const files = await listSourceFiles(task.filesDir, task.entry, task.limits);
    const { candidates, stats } = await extractPackage(task.entry, files, chunker);
    await writeJsonLines(task.outFile, candidates);
    return { kind: 'extract', stats, count: candidates.length };
  }

  async function workspace(task: WorkspaceTask): Promise<WorkspaceReply> {
    await rm(task.outDir, { recursive: true, force: true });
    const files = await listSourceFiles(task.filesDir, task.entry, task.limits);
    const byPath = new Map<string, WorkspaceTask['queries']>();
    for (const q of task.queries) {
      const list = byPath.get(q.path) ?? [];
      list.push(q);
      byPath.set(q.path, list);
    }
    const reply: WorkspaceReply = { kind: 'workspace', verified: [], files: 0, bytes: 0, removed: 0, notFound: 0, residualDocs: 0, failed: 0 };
    for (const file of files) {
      // The same files as the pairs were drawn from: generated and minified files are left out.
      const text = await readSourceText(file.absPath, file.path);
      if (text === undefined) continue;
      const language = languageForPath(file.path) ?? 'text';
      const before = await chunker.chunk(file.path, text);
      const removal = removeDocs(text, language, before);
      let written = removal.text;
      let after = await chunker.chunk(file.path, written);
      // Removing a docstring can promote the next string statement to docstring: another pass.
      for (let pass = 0; pass < 2 && after.some((c) => c.doc !== ''); pass++) {
        const again = removeDocs(written, language, after);
        if (again.removed === 0) break;
        written = again.text;
        after = await chunker.chunk(file.path, written);
      }
      const out = join(task.outDir, file.path);
      await mkdir(dirname(out), { recursive: true });
      await writeFile(out, written);
      reply.files++;
      reply.bytes += Buffer.byteLength(written);
      reply.removed += removal.removed;
      reply.notFound += removal.notFound.length;
      reply.residualDocs += after.filter((c) => c.doc !== '').length;
      for (const q of byPath.get(file.path) ?? []) {
        const answer = answerIn(after, q);
        if (answer !== undefined) {
          reply.verified.push({ id: q.id, query: q.query, workspace: task.workspace, path: q.path, startLine: answer.startLine, endLine: answer.endLine, symbol: q.symbol, language: q.language });
        } else {
          reply.failed++;
        }
      }
    }
    // An answer must be in a file the product indexes (a package that ships only `dist/` has none).
    const indexable = new Set<string>();
    for await (const file of crawl({ root: task.outDir })) indexable.add(file.path);
    const kept = reply.verified.filter((q) => indexable.has(q.path));
    reply.failed += reply.verified.length - kept.length;
    reply.verified = kept;
    return reply;
  }
}

/**
 * The answer in the rewritten file: the chunk that starts on the recorded line with the same
 * symbol and no documentation. Its end may differ from the recorded one (a container whose
 * collapsed text changed because a docstring's lines went blank ahead of a member body, or a
 * trailing comment that now falls outside); then it must not have become the first of several
 * pieces. The range returned is the rewritten file's.
 */
function answerIn(chunks: readonly Chunk[], q: { startLine: number; endLine: number; bareSymbol: string }): Chunk | undefined {
  const i = chunks.findIndex((c) => c.startLine === q.startLine && c.symbol === q.bareSymbol && c.kind !== 'lines');
  const c = chunks[i];
  if (c === undefined || c.doc !== '') return undefined;
  if (c.endLine === q.endLine) return c;
  const next = chunks.slice(i + 1).find((n) => n.startLine === c.endLine + 1 && n.symbol === c.symbol && n.kind === c.kind && n.container === c.container);
  return next === undefined ? c : undefined;
}

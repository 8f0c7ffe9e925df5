// Per-package extraction of (query, code) candidates: chunk every source file, keep documented
// definitions whose documentation yields a query (src/core/tune/doc-query.ts), and record each with its code
// without documentation. Runs inside the worker threads of pairs.ts.

import { readFile } from 'node:fs/promises';
import type { Chunk } from '../../src/core/types.js';
import { codeWithoutDoc } from '../../src/core/chunk/index.js';
import { TOOL_DIRECTIVE } from '../../src/core/chunk/docs.js';
import { classifyContent } from '../../src/core/crawl/classify.js';
import { type CatalogEntry, type Pair, type SourceFile, increment, normalisedCodeHash, sha1 } from './common.js';
import { LineIndex } from '../../src/core/chunk/lines.js';
import { type QueryRejection, queryFromDoc } from '../../src/core/tune/doc-query.js';
import { firstPieces, withPythonDocSpan } from '../../src/core/tune/doc-spans.js';

export interface ChunkerLike {
  chunk(path: string, text: string): Promise<Chunk[]>;
}

/** A pair before the corpus-wide deduplication, with what that and the benchmark need. */
export interface Candidate extends Pair {
  /** Hash of the code with whitespace removed. */
  codeHash: string;
  /** Pieces the chunker cut the definition into (> 1: too long; only its first piece is recorded). */
  pieces: number;
  /** The chunk's own symbol (`symbol` is qualified with its container). */
  name: string;
}

export interface ExtractStats {
  files: number;
  chunks: number;
  definitions: number;
  documented: number;
  kept: number;
  rejected: Partial<Record<QueryRejection | 'tiny-code' | 'duplicate-in-package' | 'repeated-query' | 'generated-file', number>>;
}

export function emptyStats(): ExtractStats {
  return { files: 0, chunks: 0, definitions: 0, documented: 0, kept: 0, rejected: {} };
}

/** Code shorter than this (non-space characters) says too little to be an answer. */
const MIN_CODE_CHARS = 20;

export async function extractPackage(entry: CatalogEntry, files: readonly SourceFile[], chunker: ChunkerLike): Promise<{ candidates: Candidate[]; stats: ExtractStats }> {
  const stats = emptyStats();
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    const text = await readSourceText(file.absPath, file.path);
    if (text === undefined) {
      bump(stats, 'generated-file');
      continue;
    }
    stats.files++;
    const chunks = await chunker.chunk(file.path, text);
    stats.chunks += chunks.length;
    for (const c of candidatesFromChunks(entry, file.path, text, chunks, stats)) {
      if (seen.has(c.codeHash)) {
        bump(stats, 'duplicate-in-package');
        continue;
      }
      seen.add(c.codeHash);
      candidates.push(c);
    }
  }
  // A sentence the package repeats on many definitions ("Sends a checked request.") describes a
  // template, not the code: it is dropped everywhere in the package.
  const uses = new Map<string, number>();
  for (const c of candidates) uses.set(normaliseQuery(c.query), (uses.get(normaliseQuery(c.query)) ?? 0) + 1);
  const kept = candidates.filter((c) => {
    if ((uses.get(normaliseQuery(c.query)) ?? 0) <= MAX_QUERY_REPEATS) return true;
    bump(stats, 'repeated-query');
    return false;
  });
  stats.kept = kept.length;
  return { candidates: kept, stats };
}

/** How many definitions of one package may share a query. */
const MAX_QUERY_REPEATS = 2;

export function normaliseQuery(query: string): string {
  return query.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
}

/**
 * A source file's text, or undefined when it is not hand-written source: binary, minified or
 * generated (a "Code generated … DO NOT EDIT" style header), as the indexer classifies files.
 */
export async function readSourceText(absPath: string, path: string): Promise<string | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(absPath);
  } catch {
    return undefined;
  }
  if (classifyContent(path, bytes) !== 'text') return undefined;
  return bytes.toString('utf8');
}

/** The candidates of one chunked file (exported for tests). */
export function candidatesFromChunks(entry: CatalogEntry, path: string, text: string, chunks: readonly Chunk[], stats: ExtractStats = emptyStats()): Candidate[] {
  const out: Candidate[] = [];
  const lines = text.split('\n');
  const lineStarts = new LineIndex(text).starts;
  const first = firstPieces(chunks);
  const pieces = new Map<number, number>();
  for (const head of first) increment(pieces, head);
  for (let i = 0; i < chunks.length; i++) {
    const chunk = chunks[i];
    if (chunk === undefined || chunk.kind === 'lines' || chunk.symbol === '') continue;
    // Later pieces of a long definition repeat its doc: only the first piece counts.
    if (first[i] !== i) continue;
    stats.definitions++;
    if (chunk.doc.trim() === '') continue;
    stats.documented++;
    // A Python docstring the chunker gave no span for (one longer than the definition's first
    // piece): find it, or leave the definition out rather than leak its doc into the code.
    const docChunk = withPythonDocSpan(chunk, text, lineStarts);
    if (docChunk === 'beyond') {
      bump(stats, 'tiny-code');
      continue;
    }
    const raw = rawDocText(lines, docChunk);
    const result = queryFromDoc(raw ?? chunk.doc, chunk.symbol);
    if ('rejected' in result) {
      bump(stats, result.rejected);
      continue;
    }
    const code = codeWithoutDoc(docChunk);
    if (code.replace(/\s+/g, '').length < MIN_CODE_CHARS) {
      bump(stats, 'tiny-code');
      continue;
    }
    const symbol = chunk.container === '' ? chunk.symbol : `${chunk.container}.${chunk.symbol}`;
    out.push({
      id: sha1(`${entry.registry}:${entry.name}:${path}:${chunk.startLine}:${symbol}`).slice(0, 16),
      pkg: entry.name,
      language: chunk.language,
      path,
      symbol,
      kind: chunk.kind,
      startLine: chunk.startLine,
      endLine: chunk.endLine,
      query: result.query,
      code,
      codeHash: normalisedCodeHash(code),
      pieces: pieces.get(i) ?? 1,
      name: chunk.symbol,
    });
  }
  return out;
}

function bump(stats: ExtractStats, reason: keyof ExtractStats['rejected']): void {
  stats.rejected[reason] = (stats.rejected[reason] ?? 0) + 1;
}

// ---------------------------------------------------------------------------------------------
// The documentation with its line structure (the chunker's `doc` is squashed to one line, which
// loses paragraphs, gtk-doc parameter blocks and docstring sections).

/**
 * The chunk's documentation as written, markers stripped but lines kept: the Python docstring
 * (dedented) or the comment block right above the definition. Undefined when it cannot be found.
 */
export function rawDocText(lines: readonly string[], chunk: Chunk): string | undefined {
  if (chunk.docSpan !== undefined) return docstringBody(chunk.text.slice(chunk.docSpan[0], chunk.docSpan[1]));
  const comment: string[] = [];
  const hashComments = chunk.language === 'python' || chunk.language === 'ruby' || chunk.language === 'php';
  let r = chunk.startLine - 2;
  while (r >= 0) {
    const line = (lines[r] ?? '').replace(/\r$/, '');
    const t = line.trim();
    if (t === '') break;
    if (t.startsWith('//!') || t.startsWith('/*!') || t.startsWith('#!') || t.startsWith('#[')) break;
    if (t.startsWith('//') || (hashComments && t.startsWith('#'))) {
      const stripped = stripLineMarker(t);
      if (!TOOL_DIRECTIVE.test(stripped.trim())) comment.push(stripped);
      r--;
      continue;
    }
    if ((!hashComments || chunk.language === 'php') && t.endsWith('*/')) {
      let open = r;
      while (open >= 0 && !(lines[open] ?? '').includes('/*')) open--;
      if (open < 0) break;
      const block: string[] = [];
      for (let k = open; k <= r; k++) block.push(lines[k] ?? '');
      comment.push(...stripBlock(block).reverse());
      r = open - 1;
      continue;
    }
    if (chunk.language === 'ruby' && t === '=end') {
      let open = r - 1;
      while (open >= 0 && !(lines[open] ?? '').startsWith('=begin')) open--;
      if (open < 0) break;
      for (let k = r - 1; k > open; k--) comment.push(lines[k] ?? '');
      r = open - 1;
      continue;
    }
    break;
  }
  if (comment.length === 0) return undefined;
  const text = comment.reverse().join('\n');
  return text.trim() === '' ? undefined : text;
}

function stripLineMarker(line: string): string {
  return line.replace(/^(?:\/\/\/?|#+)\s?/, '');
}

function stripBlock(block: readonly string[]): string[] {
  return block.map((line, k) => {
    let s = line;
    if (k === 0) s = s.slice(s.indexOf('/*') + 2).replace(/^[*!]+/, '');
    if (k === block.length - 1) s = s.replace(/\*+\/\s*$/, '');
    if (k > 0) s = s.replace(/^\s*\*(?!\/)\s?/, '');
    return s.replace(/\s+$/, '');
  });
}

/** A docstring literal's text, dedented like Python's inspect.cleandoc. */
export function docstringBody(literal: string): string {
  const body = literal.replace(/^[rRuUbBfF]+/, '');
  const quote = body.startsWith('"""') || body.startsWith("'''") ? body.slice(0, 3) : body.slice(0, 1);
  let inner = body.slice(quote.length);
  if (inner.endsWith(quote)) inner = inner.slice(0, inner.length - quote.length);
  const lines = inner.replace(/\r\n?/g, '\n').split('\n');
  let indent = Infinity;
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    indent = Math.min(indent, line.length - line.trimStart().length);
  }
  const first = (lines[0] ?? '').trim();
  const rest = lines.slice(1).map((l) => (Number.isFinite(indent) ? l.slice(indent) : l.trim()));
  return [first, ...rest].join('\n').trim();
}

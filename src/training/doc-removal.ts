// Removes the documentation of definitions from a source file while keeping every line where it
// was, so that line ranges recorded before the removal stay exact:
// - a leading doc comment (`/** … */`, `///`, `//`, `#`, `=begin … =end`) becomes blank lines;
// - a Python docstring becomes blank lines when its body has other statements, and `...` (at the
//   docstring's indentation) when the docstring was the whole body, so the file still parses.
// Pure; callers verify the result by chunking it again (see bench-workspaces.ts).

import type { Chunk, LanguageId } from '../core/types.js';
import { firstPieces, findPythonDocstring } from '../core/tune/doc-spans.js';

export type { Line };

export interface DocRemovalResult {
  text: string;
  /** Chunks whose documentation was found and removed. */
  removed: number;
  /** Chunks with documentation that could not be located (left as they were). */
  notFound: Chunk[];
}

interface Edit {
  start: number;
  end: number;
  replacement: string;
}

/** Removes the documentation of every chunk that has some (`chunk.doc !== ''`). */
export function removeDocs(text: string, language: LanguageId, chunks: readonly Chunk[]): DocRemovalResult {
  const lines = splitLines(text);
  const edits: Edit[] = [];
  const notFound: Chunk[] = [];
  let removed = 0;
  const first = firstPieces(chunks);
  for (let i = 0; i < chunks.length; i++) {
    const chunk = chunks[i];
    if (chunk === undefined || chunk.doc.trim() === '') continue;
    // Later pieces of a long definition repeat its doc; the first piece carries it.
    if (first[i] !== i) continue;
    const chunkLanguage = chunk.language === 'text' ? language : chunk.language;
    const found: Edit[] = [];
    // A Python definition may have both a comment above and a docstring (the docstring wins as
    // `doc`, the comment would take its place): both go.
    if (chunkLanguage === 'python') {
      const span = docstringSpan(text, lines, chunk);
      if (span !== undefined) found.push(...docstringEdits(text, lines, chunk, span));
    }
    found.push(...(leadingCommentEdits(lines, chunkLanguage, chunk.startLine) ?? []));
    if (found.length === 0) {
      notFound.push(chunk);
      continue;
    }
    edits.push(...found);
    removed++;
  }
  return { text: applyEdits(text, edits), removed, notFound };
}

// ---------------------------------------------------------------------------------------------
// Lines

interface Line {
  /** Offset of the first character. */
  start: number;
  /** Offset of the end of the content (before `\r\n` or `\n`). */
  end: number;
  content: string;
}

export function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    const stop = nl === -1 ? text.length : nl;
    const end = stop > start && text[stop - 1] === '\r' ? stop - 1 : stop;
    lines.push({ start, end, content: text.slice(start, end) });
    if (nl === -1) break;
    start = nl + 1;
  }
  return lines;
}

function blankLine(line: Line): Edit {
  return { start: line.start, end: line.end, replacement: '' };
}

function applyEdits(text: string, edits: Edit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start || b.end - a.end);
  let out = '';
  let at = 0;
  for (const e of sorted) {
    if (e.start < at) continue; // overlaps an edit already applied (same comment found twice)
    out += text.slice(at, e.start) + e.replacement;
    at = e.end;
  }
  return out + text.slice(at);
}

// ---------------------------------------------------------------------------------------------
// Leading comments

type CommentStyle = 'c' | 'hash' | 'ruby' | 'php';

function commentStyle(language: LanguageId): CommentStyle {
  switch (language) {
    case 'python':
      return 'hash';
    case 'ruby':
      return 'ruby';
    case 'php':
      return 'php';
    default:
      return 'c';
  }
}

/** Comments that steer tools rather than document: never removed. */
const DIRECTIVE = /^\s*(?:\/\/go:|\/\/\s*\+build\b|\/\/\/\s*<reference\b|\/\/\s*@ts-|\/\/\s*eslint-|\/\*\s*eslint|\/\/\s*prettier-ignore|\/\/\s*nolint|\/\/\s*NOLINT|#!|#\s*-\*-|#\s*(?:frozen_string_literal|encoding|coding|typed|warn_indent|shareable_constant_value)\s*:|#\s*(?:pylint|type|noqa|fmt|isort|mypy|pyright)\s*:|#\s*noqa\b|\/\/\s*@ts-check)/;

/** Lines between a doc comment and its definition that belong to neither: attributes, decorators, templates. */
function isAttributeLine(content: string, style: CommentStyle): boolean {
  const t = content.trim();
  if (t.startsWith('#[') || t.startsWith('#![')) return style !== 'hash' && style !== 'ruby';
  if (/^@[A-Za-z_][\w.]*/.test(t)) return true;
  if (/^\[\[?[A-Za-z_][^\]]*\]\]?\s*$/.test(t)) return true; // C# [Attr], C++ [[nodiscard]]
  if (/^template\s*<.*>\s*$/.test(t)) return true;
  return false;
}

function isLineComment(content: string, style: CommentStyle): boolean {
  const t = content.trimStart();
  switch (style) {
    case 'c':
      return t.startsWith('//');
    case 'hash':
    case 'ruby':
      return t.startsWith('#');
    case 'php':
      return t.startsWith('//') || (t.startsWith('#') && !t.startsWith('#['));
  }
}

/**
 * Blank-line edits for the comment block right above `startLine` (1-based), looking past blank
 * lines (at most two), attributes, decorators and tool directives. Undefined when there is none.
 */
function leadingCommentEdits(lines: readonly Line[], language: LanguageId, startLine: number): Edit[] | undefined {
  const style = commentStyle(language);
  let i = startLine - 2;
  let blanks = 0;
  while (i >= 0) {
    const content = lines[i]?.content ?? '';
    if (content.trim() === '') {
      if (++blanks > 2) return undefined;
    } else if (!isAttributeLine(content, style) && !DIRECTIVE.test(content)) {
      break;
    }
    i--;
  }
  const edits: Edit[] = [];
  while (i >= 0) {
    const line = lines[i];
    if (line === undefined) break;
    const t = line.content.trim();
    if (t === '') break;
    if (DIRECTIVE.test(line.content)) {
      i--;
      continue;
    }
    if (isLineComment(line.content, style)) {
      edits.push(blankLine(line));
      i--;
      continue;
    }
    if ((style === 'c' || style === 'php') && t.endsWith('*/')) {
      const block = blockCommentEdits(lines, i);
      if (block === undefined) break;
      edits.push(...block.edits);
      if (block.codeBefore) break;
      i = block.firstLine - 1;
      continue;
    }
    if (style === 'ruby' && t === '=end') {
      let j = i - 1;
      while (j >= 0 && !(lines[j]?.content ?? '').startsWith('=begin')) j--;
      if (j < 0) break;
      for (let k = j; k <= i; k++) {
        const l = lines[k];
        if (l !== undefined) edits.push(blankLine(l));
      }
      i = j - 1;
      continue;
    }
    break;
  }
  return edits.length > 0 ? edits : undefined;
}

/** The `/* … *\/` block ending on line `last`: its lines blanked (code before `/*` on the first line kept). */
function blockCommentEdits(lines: readonly Line[], last: number): { edits: Edit[]; firstLine: number; codeBefore: boolean } | undefined {
  const lastLine = lines[last];
  if (lastLine === undefined) return undefined;
  // A line that ends with `*/` but also opened the comment: `/** doc */`.
  for (let j = last, steps = 0; j >= 0 && steps < 5000; j--, steps++) {
    const line = lines[j];
    if (line === undefined) return undefined;
    // Search `/*` on the last line only before its closing `*/`.
    const searchIn = j === last ? line.content.slice(0, line.content.lastIndexOf('*/')) : line.content;
    const open = searchIn.lastIndexOf('/*');
    if (open === -1) {
      if (j !== last && line.content.includes('*/')) return undefined; // another comment ended here: unbalanced
      continue;
    }
    const before = line.content.slice(0, open);
    const codeBefore = before.trim() !== '';
    const edits: Edit[] = [];
    edits.push(codeBefore ? { start: line.start + open, end: line.end, replacement: '' } : blankLine(line));
    for (let k = j + 1; k <= last; k++) {
      const l = lines[k];
      if (l !== undefined) edits.push(blankLine(l));
    }
    return { edits, firstLine: j, codeBefore };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Python docstrings

/**
 * File offsets [start, end) of a Python chunk's docstring literal (prefix and quotes included):
 * from `docSpan` when the chunker gave one, else found after the definition's header (a long
 * definition cut into pieces may have a docstring longer than its first piece).
 */
export function docstringSpan(text: string, lines: readonly Line[], chunk: Chunk): [number, number] | undefined {
  const first = lines[chunk.startLine - 1];
  if (first === undefined) return undefined;
  if (chunk.docSpan !== undefined) {
    const literal = chunk.text.slice(chunk.docSpan[0], chunk.docSpan[1]);
    if (literal.trim() === '') return undefined;
    const found = text.indexOf(literal, first.start);
    if (found === -1) return undefined;
    let start = found;
    let end = found + literal.length;
    // Widen to the whole string literal if the span covers only its content.
    const quoteAt = (k: number): boolean => text[k] === '"' || text[k] === "'";
    if (!quoteAt(start) && !/^[rRuUbBfF]{1,2}["']/.test(text.slice(start, start + 3))) {
      let q = 0;
      while (q < 3 && start > 0 && quoteAt(start - 1)) {
        start--;
        q++;
      }
      while (q > 0 && end < text.length && quoteAt(end)) {
        end++;
        q--;
      }
    }
    while (start > 0 && /[rRuUbBfF]/.test(text[start - 1] ?? '') && !/[\w]/.test(text[start - 2] ?? '')) start--;
    return [start, end];
  }
  return findPythonDocstring(text, first.start);
}

function docstringEdits(text: string, lines: readonly Line[], chunk: Chunk, span: [number, number]): Edit[] {
  const [start, end] = span;
  const startLineIndex = lineIndexAt(lines, start);
  const endLineIndex = lineIndexAt(lines, end - 1);
  const startLine = lines[startLineIndex];
  const endLine = lines[endLineIndex];
  if (startLine === undefined || endLine === undefined) return [];
  const before = text.slice(startLine.start, start);
  const after = text.slice(end, endLine.end);
  if (before.trim() !== '' || (after.trim() !== '' && !after.trim().startsWith('#'))) {
    // Shares its line with code (`def f(): "doc"`, `"doc"; x = 1`): an Ellipsis keeps the statement.
    return [{ start, end, replacement: '...' }];
  }
  const hasOtherStatements = lines
    .slice(endLineIndex + 1, chunk.endLine)
    .some((l) => l.content.trim() !== '' && !l.content.trim().startsWith('#'));
  const edits: Edit[] = [];
  for (let k = startLineIndex; k <= endLineIndex; k++) {
    const l = lines[k];
    if (l === undefined) continue;
    if (k === startLineIndex && !hasOtherStatements) {
      edits.push({ start: l.start, end: l.end, replacement: `${before}...` });
    } else {
      edits.push(blankLine(l));
    }
  }
  return edits;
}

function lineIndexAt(lines: readonly Line[], offset: number): number {
  let lo = 0;
  let hi = lines.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((lines[mid]?.start ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

// Documentation attached to a definition: the comment block right above it, or a Python docstring.

import type { Chunk } from '../types.js';
import type { CodeLanguage, CommentStyle } from './languages.js';
import type { LineIndex } from './lines.js';

/** Bounds on the upward scan, so a pathological file cannot make it quadratic. */
const maxCommentRows = 400;

export interface LeadingComment {
  /** First row of the comment block (0-based). */
  firstRow: number;
  /** Its rows, top-down, trimmed, markers still in place. */
  lines: string[];
}

/**
 * The comment block that ends on the row just above `row`: a run of line comments and/or block
 * comments with no blank line in between or before the definition. A line that has code before
 * its comment (`x = 1; // note`) ends the block.
 */
export function leadingComment(lines: LineIndex, row: number, style: CommentStyle): LeadingComment | undefined {
  const blocks: string[][] = [];
  let firstRow = row;
  let r = row - 1;
  const stop = Math.max(0, row - maxCommentRows);
  while (r >= stop) {
    const line = lines.line(r).trim();
    if (line === '' || style.not.some((p) => line.startsWith(p))) break;
    if (style.line.some((p) => line.startsWith(p))) {
      blocks.push([line]);
      firstRow = r--;
      continue;
    }
    if (!style.block || !line.endsWith('*/')) break;
    let open = r;
    while (open >= stop && !lines.line(open).includes('/*')) open--;
    if (open < stop) break;
    const opener = lines.line(open).trim();
    if (!opener.startsWith('/*') || style.not.some((p) => opener.startsWith(p))) break;
    const block: string[] = [];
    for (let k = open; k <= r; k++) block.push(lines.line(k).trim());
    blocks.push(block);
    firstRow = open;
    r = open - 1;
  }
  if (blocks.length === 0) return undefined;
  return { firstRow, lines: blocks.reverse().flat() };
}

/** Tool directives that sit in comments but document nothing. */
export const TOOL_DIRECTIVE = /^(?:eslint-|eslint\s|@ts-|prettier-ignore|istanbul\s|c8\s|v8\s|tslint:|jshint\s|noqa\b|type:\s*ignore|pylint:|pyright:|mypy:|rubocop:|nolint\b|go:\w|\+build\b|NOSONAR|#?region\b|#?endregion\b|frozen_string_literal:|-\*-)/;

/** A block tag that follows prose on the same line. */
const inlineBlockTag = /(?<=\s)@(?:param|arg|argument|returns?|throws|exception|example|see|since|deprecated|type|typedef|template|remarks|yields|property|prop|default)\b/;

/** HTML that Javadoc/JSDoc/PHPDoc prose uses for layout: inline tags vanish, block tags separate. */
const inlineHtml = /<\/?(?:b|i|em|strong|code|tt|a(?:\s[^>]*)?)\s*>/gi;
const blockHtml = /<\/?(?:p|pre|br|ul|ol|li|h[1-6])\s*\/?>/gi;

/**
 * Comment text without markers, normalised to single spaces. Block tags end the prose: everything
 * from the first line that starts with `@tag` (JSDoc, Javadoc, PHPDoc, YARD) is dropped, as are
 * C# XML elements other than prose (`<param>`, `<returns>`, `<exception>`, …). Inline tags keep
 * their text (`{@link Foo}` → `Foo`, `<see cref="Foo"/>` → `Foo`). Lint/compiler directives
 * (`eslint-disable…`, `@ts-ignore`, `//go:generate`, `# noqa`) are dropped.
 */
export function cleanComment(raw: readonly string[], language: CodeLanguage): string {
  const prose: string[] = [];
  for (const line of raw) {
    const text = line
      .replace(/^\/\*+!?/, '')
      .replace(/\*+\/$/, '')
      .replace(/^(?:\/{2,}|#+)/, '')
      .replace(/^\s*\*+(?!\/)/, '')
      .trim();
    if (TOOL_DIRECTIVE.test(text)) continue;
    if (/^@[A-Za-z]/.test(text)) break;
    // A one-line `/** Does X. @param a … */` has its tags mid-line.
    const tag = inlineBlockTag.exec(text);
    if (tag !== null) {
      prose.push(text.slice(0, tag.index));
      break;
    }
    prose.push(text);
  }
  let text = prose.join('\n');
  if (language === 'csharp') text = csharpXml(text);
  else text = text.replace(inlineHtml, '').replace(blockHtml, ' ');
  return squash(text.replace(/\{@\w+\s*([^}]*)\}/g, (_m, inner: string) => inner.replace('|', ' ')));
}

function csharpXml(text: string): string {
  return text
    .replace(/<(param|typeparam|returns|exception|example|seealso|permission|value|include)\b[^>]*?\/>/g, ' ')
    .replace(/<(param|typeparam|returns|exception|example|seealso|permission|value|include)\b[^>]*>[\s\S]*?<\/\1\s*>/g, ' ')
    .replace(/<(?:see|paramref|typeparamref)\s+(?:cref|name|langword|href)\s*=\s*"(?:[A-Z]:)?([^"]*)"\s*\/?>/g, '$1')
    .replace(/<\/?(?:c|b|i|em|strong|tt|see)>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}

/** A Python string literal's content: prefix and quotes removed, whitespace normalised. */
export function cleanDocstring(literal: string): string {
  const body = literal.replace(/^[rRuUbBfF]+/, '');
  const quote = body.startsWith('"""') || body.startsWith("'''") ? body.slice(0, 3) : body.slice(0, 1);
  let inner = body.slice(quote.length);
  if (inner.endsWith(quote)) inner = inner.slice(0, inner.length - quote.length);
  return squash(inner);
}

function squash(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * The chunk's code with its documentation removed. Leading comments are never part of `text`, so
 * only an embedded docstring (`docSpan`) is cut; when the docstring had its line(s) to itself,
 * those lines go too.
 */
export function codeWithoutDoc(chunk: Chunk): string {
  const text = chunk.text;
  if (chunk.docSpan === undefined) return text;
  const [start, end] = chunk.docSpan;
  if (!(start >= 0 && end > start && end <= text.length)) return text;
  const lineStart = start === 0 ? 0 : text.lastIndexOf('\n', start - 1) + 1;
  const newline = text.indexOf('\n', end);
  const lineEnd = newline === -1 ? text.length : newline;
  if (text.slice(lineStart, start).trim() === '' && text.slice(end, lineEnd).trim() === '') {
    if (newline !== -1) return text.slice(0, lineStart) + text.slice(newline + 1);
    return text.slice(0, Math.max(0, lineStart - 1));
  }
  return text.slice(0, start) + text.slice(end);
}

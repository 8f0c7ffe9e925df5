// Where a definition's documentation sits, for the code that pairs documentation with code (tune's
// queries here, the training corpus in src/training/doc-removal.ts): the first piece of a definition
// the chunker split, and the span of a Python docstring the chunker could not place.

import type { Chunk } from '../types.js';

/**
 * For each chunk, the index of the first piece of its definition: the chunker cuts a long
 * definition into consecutive pieces with the same kind, symbol, container and doc (members of a
 * container may sit between them in the list).
 */
export function firstPieces(chunks: readonly Chunk[]): number[] {
  const openEnds = new Map<string, number>();
  const first: number[] = [];
  chunks.forEach((c, i) => {
    const identity = `${c.kind}\u0000${c.symbol}\u0000${c.container}\u0000${c.doc}`;
    const previous = c.kind === 'lines' ? undefined : openEnds.get(`${identity}\u0000${c.startLine - 1}`);
    const head = previous ?? i;
    first.push(head);
    openEnds.set(`${identity}\u0000${c.endLine}`, head);
  });
  return first;
}

/**
 * The chunk with the span of its Python docstring when the chunker could not place it (one longer
 * than the definition's first piece); 'beyond' when it runs past the chunk, which then cannot be
 * shown without it. `lineStarts`: offsets of the file's lines. Other chunks come back as they are.
 */
export function withPythonDocSpan(chunk: Chunk, text: string, lineStarts: readonly number[]): Chunk | 'beyond' {
  if (chunk.language !== 'python' || chunk.docSpan !== undefined || chunk.doc === '') return chunk;
  const start = lineStarts[chunk.startLine - 1];
  if (start === undefined) return chunk;
  const span = findPythonDocstring(text, start);
  if (span === undefined) return chunk;
  const end = start + chunk.text.length;
  if (span[0] > end) return chunk; // the docstring of something after this chunk
  if (span[1] > end) return 'beyond';
  return { ...chunk, docSpan: [span[0] - start, span[1] - start] };
}

/**
 * The docstring of the `def`/`class` at or after `from`: the header is read up to its `:` (outside
 * brackets and strings), then the first statement must be a string literal.
 */
export function findPythonDocstring(text: string, from: number): [number, number] | undefined {
  const header = /\b(?:def|class)\s/g;
  header.lastIndex = from;
  const m = header.exec(text);
  if (m === null || m.index - from > 10_000) return undefined;
  let depth = 0;
  let i = m.index;
  for (; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === '"' || c === "'") {
      const close = text.indexOf(c, i + 1);
      if (close === -1) return undefined;
      i = close;
    } else if (c === '#') {
      const nl = text.indexOf('\n', i);
      i = nl === -1 ? text.length : nl - 1;
    } else if (c === ':' && depth === 0) break;
  }
  // Skip blank space, line continuations and comments to the first statement.
  let j = i + 1;
  for (;;) {
    while (j < text.length && /[ \t\r\n\\]/.test(text[j] ?? '')) j++;
    if (text[j] !== '#') break;
    const nl = text.indexOf('\n', j);
    if (nl === -1) return undefined;
    j = nl + 1;
  }
  const lit = /^[rRuU]?("""|\'\'\'|"|')/.exec(text.slice(j, j + 5));
  if (lit === null) return undefined;
  const quote = lit[1] ?? '"';
  const bodyStart = j + lit[0].length;
  let k = bodyStart;
  for (;;) {
    const close = text.indexOf(quote, k);
    if (close === -1) return undefined;
    let backslashes = 0;
    for (let b = close - 1; b >= bodyStart && text[b] === '\\'; b--) backslashes++;
    if (backslashes % 2 === 0) return [j, close + quote.length];
    k = close + 1;
  }
}


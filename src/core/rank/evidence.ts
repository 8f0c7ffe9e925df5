// Why a hit matched, in terms a user can check: which words of the query it answers, with the
// identifier parts of the code they met (the same word, or one the model puts close to it: "retry"
// ↔ "backoff"), and the lines where most of the query's weight is found.

import type { Evidence, TermMatch, TokenSpace } from '../types.js';
import type { QueryTokens } from './features.js';

/** A code token counts as meeting a query word from this cosine on (an exact match is 1). */
export const NEAR_MATCH = 0.5;
const BEST_LINES = 3;
const PARTS_PER_TERM = 3;
/** Tokens of a line that are looked at. */
const LINE_TOKENS = 64;

interface Hit {
  text: string;
  startLine: number;
  endLine: number;
}

/** Evidence for one hit; `rows` are its distinct token rows (from its stored terms). */
export function evidence(space: TokenSpace, query: QueryTokens, hit: Hit, rows: Int32Array): Evidence {
  const q = query.rows.length;
  const sims = new Float32Array(rows.length);
  const terms: TermMatch[] = [];
  // Per query token: the rows it meets, for the line scores below.
  const meets: Array<Map<number, number>> = [];
  for (let i = 0; i < q; i++) {
    const qrow = query.rows[i]!;
    const near = new Map<number, number>();
    if (query.known[i] === 1) space.similarities(qrow, rows, sims);
    else sims.fill(0);
    rows.forEach((row, k) => {
      const s = row === qrow ? 1 : sims[k]!;
      if (s >= NEAR_MATCH) near.set(row, s);
    });
    meets.push(near);
    // A word far lighter than the query's average ("the", "of") says nothing about why.
    if (near.size === 0 || query.weights[i]! < 0.5 / q) continue;
    const matched = [...near]
      .sort((a, b) => b[1] - a[1])
      .slice(0, PARTS_PER_TERM)
      .map(([row]) => (space.known(row) ? (space.vocabulary[row] ?? '') : (query.tokens[i] ?? '')))
      .filter((part) => part !== '');
    terms.push({ term: query.tokens[i] ?? '', matched });
  }
  return { terms, lines: bestLines(space, query, hit, meets) };
}

/** Lines scored by the query weight they meet (each query token at its best in the line). */
function bestLines(space: TokenSpace, query: QueryTokens, hit: Hit, meets: ReadonlyArray<Map<number, number>>): number[] {
  const lines = hit.text.split('\n');
  // A collapsed container's text no longer lines up with the file: no line can be named safely.
  if (lines.length !== hit.endLine - hit.startLine + 1) return [];
  const scored: Array<{ line: number; score: number }> = [];
  lines.forEach((text, index) => {
    const rows = space.tokens(text, LINE_TOKENS).map((token) => space.row(token));
    let score = 0;
    meets.forEach((near, i) => {
      let best = 0;
      for (const row of rows) best = Math.max(best, near.get(row) ?? 0);
      score += (query.weights[i] ?? 0) * best;
    });
    if (score > 0) scored.push({ line: hit.startLine + index, score });
  });
  return scored
    .sort((a, b) => b.score - a.score || a.line - b.line)
    .slice(0, BEST_LINES)
    .map((s) => s.line);
}

// Spelling slips in a query ("seperate", "recieve"): a word that neither the model's vocabulary nor
// the index knows is replaced by the closest vocabulary word (optimal string alignment distance 1,
// 2 for long words; the more common word on a tie), and so is a rare vocabulary word one edit from
// a far more common one. A word the index holds is never "corrected":
// a project's own names are not typos.

import type { TokenSpace } from '../types.js';

export interface Correction {
  /** The query with each slip replaced. */
  text: string;
  /** [as typed, as corrected], in query order. */
  replaced: Array<[string, string]>;
}

/** Words shorter than this are left alone (too many real words are one edit apart). */
const MIN_LENGTH = 4;
/**
 * A large vocabulary learns common slips too ("recieve" is code-static-v3's word 30,700): a word
 * past this rank one edit away from a word RARE_SLIP_RATIO times more common (by rank: the
 * vocabulary is in frequency order, and frequency falls roughly as 1/rank) is taken as a slip.
 */
const RARE_WORD_RANK = 20_000;
const RARE_SLIP_RATIO = 20;

/** Vocabulary words by length, in vocabulary order (most common first), built on first use. */
const byLength = new WeakMap<TokenSpace, Map<number, string[]>>();

function wordsOfLength(space: TokenSpace, length: number): readonly string[] {
  let table = byLength.get(space);
  if (!table) {
    table = new Map();
    for (const word of space.vocabulary) {
      if (!/^[a-z]+$/.test(word)) continue;
      const list = table.get(word.length) ?? [];
      list.push(word);
      table.set(word.length, list);
    }
    byLength.set(space, table);
  }
  return table.get(length) ?? [];
}

/** Optimal string alignment distance of a and b, or limit + 1 once it must exceed `limit`. */
export function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = new Array<number>(b.length + 1).fill(0);
    current[0] = i;
    let best = current[0];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      current[j] = d;
      best = Math.min(best, d);
    }
    if (best > limit) return limit + 1;
    before = previous;
    previous = current;
  }
  return previous[b.length]!;
}

/** Endings of real words formed from a known one ("drawings", "stashing", "reworked"): not slips. */
const INFLECTIONS = /^(?:re|un|pre|de|dis|non)?([a-z]{3,}?)(?:s|es|ed|d|ing|er|ers|ly|ness|able|ible|ment|ments|al|ity|ize|ise|ized|ised)?$/;

/** Whether `word` is a known word with an English prefix or ending. */
function inflectionOfKnown(space: TokenSpace, word: string): boolean {
  const stem = INFLECTIONS.exec(word)?.[1];
  if (stem === undefined || stem === word) return false;
  return [stem, `${stem}e`].some((w) => space.known(space.row(w)));
}

/** The closest vocabulary word to `word` within its edit limit, or undefined. Long words may be two edits off, keeping their first letter. */
function closest(space: TokenSpace, word: string): string | undefined {
  const limit = word.length >= 8 ? 2 : 1;
  let best: { word: string; distance: number } | undefined;
  for (let length = word.length - limit; length <= word.length + limit; length++) {
    for (const candidate of wordsOfLength(space, length)) {
      const d = editDistance(word, candidate, best ? Math.min(limit, best.distance - 1) : limit);
      if (d === 2 && candidate[0] !== word[0]) continue;
      if (d <= limit && (!best || d < best.distance)) best = { word: candidate, distance: d };
      if (best?.distance === 1 && limit === 1) break; // the most common word one edit away
    }
  }
  return best?.word;
}

/** A rare vocabulary word one edit from a far more common one ("recieve" → "receive"), or undefined. */
function commonNeighbour(space: TokenSpace, word: string, rank: number): string | undefined {
  if (rank < RARE_WORD_RANK) return undefined;
  for (let length = word.length - 1; length <= word.length + 1; length++) {
    for (const candidate of wordsOfLength(space, length)) {
      if (space.row(candidate) * RARE_SLIP_RATIO > rank) break;
      if (editDistance(word, candidate, 1) === 1) return candidate;
    }
  }
  return undefined;
}

/**
 * The query with its slips corrected, or undefined when it has none. `inIndex` says whether the
 * index holds a (lower-case) word. Only plain lower-case words are looked at: `getUsr` and `HTTP`
 * are names, not prose.
 */
export function correctSpelling(space: TokenSpace, text: string, inIndex: (word: string) => boolean): Correction | undefined {
  const replaced: Array<[string, string]> = [];
  const corrected = text.replace(/\b[a-z]+\b/g, (word) => {
    if (word.length < MIN_LENGTH || inIndex(word) || inflectionOfKnown(space, word)) return word;
    const row = space.row(word);
    const known = space.known(row);
    const fix = known ? commonNeighbour(space, word, row) : closest(space, word);
    if (fix === undefined) return word;
    replaced.push([word, fix]);
    return fix;
  });
  return replaced.length > 0 ? { text: corrected, replaced } : undefined;
}

// The second stage's view of a candidate: a fixed list of numbers (FEATURE_NAMES) worked out from
// the first stage's lists, the chunk's stored terms and vector, and the model's token space. The
// training script and the product call this one function, so what is learned is what runs.

import type { CandidateHit, ChunkKind, TokenSpace } from '../types.js';
import { splitIdentifier } from '../tokens.js';
import { pathRole } from './paths.js';
import type { ParsedQuery } from './query.js';

/** A candidate of one or more folders' first-stage lists. */
export type Candidate = CandidateHit & { root?: string };

/** The first stage's lists, best first: cosine similarity (vector) and BM25 (lexical) scores. */
export interface CandidateLists<T extends Candidate = Candidate> {
  vector: readonly T[];
  lexical: readonly T[];
}

export const FEATURE_NAMES = [
  // first stage, score-aware
  'cos', 'cosZ', 'cosGap', 'bm25Norm', 'bm25Z', 'inVector', 'inLexical', 'rrfVector', 'rrfLexical',
  // late interaction and fields, in the model's token space (query tokens weighted by the model)
  'maxSim', 'bodyExact', 'unknownExact', 'nameSoft', 'nameExact', 'namePrecision', 'containerSoft', 'pathSoft', 'pathExact',
  // priors
  'test', 'locale', 'example', 'kindFunction', 'kindType', 'kindLines', 'logLines', 'tiny', 'lineWindowDoc',
  // file aggregation
  'fileCount', 'fileBestOther',
  // query form and language
  'whereFunction', 'howFunction', 'typeType', 'nounType', 'verbFunction', 'languageMatch', 'languageOther',
] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];
export const FEATURE_COUNT = FEATURE_NAMES.length;
const F = Object.fromEntries(FEATURE_NAMES.map((name, i) => [name, i])) as Record<FeatureName, number>;

/** The union of the lists, each candidate once, with a row of FEATURE_COUNT numbers. */
export interface FeatureTable<T extends Candidate = Candidate> {
  candidates: T[];
  /** candidates.length × FEATURE_COUNT, row-major. */
  values: Float32Array;
  /** The query's tokens as the model weighs them (for the evidence). */
  query: QueryTokens;
  /** Each candidate's distinct token rows (from its stored terms). */
  rows: Int32Array[];
}

/** The query's distinct tokens, their rows and weights (weights sum to 1). */
export interface QueryTokens {
  tokens: string[];
  rows: Int32Array;
  weights: Float32Array;
  known: Uint8Array;
}

const RRF_K = 5;
/** Query tokens lighter than this (of a total of 1) match only exactly. */
const NEAR_MATCH_MIN_WEIGHT = 0.02;
const FUNCTION_KINDS: ReadonlySet<ChunkKind> = new Set(['function', 'method']);
const TYPE_KINDS: ReadonlySet<ChunkKind> = new Set(['class', 'interface', 'type', 'enum', 'struct', 'trait', 'impl', 'module']);

export function candidateKey(hit: Pick<Candidate, 'root' | 'path' | 'startLine' | 'endLine'>): string {
  return `${hit.root ?? ''}\0${hit.path}:${hit.startLine}:${hit.endLine}`;
}

/** Weights of the query's tokens: the model's own, an unknown token (a typo, a compound) at most the median known one. */
export function queryTokens(space: TokenSpace, text: string): QueryTokens {
  const seen = new Map<number, string>();
  for (const token of space.tokens(text, 64)) {
    const row = space.row(token);
    if (row >= 0 && !seen.has(row)) seen.set(row, token);
  }
  const rows = Int32Array.from(seen.keys());
  const known = Uint8Array.from(rows, (row) => (space.known(row) ? 1 : 0));
  const raw = Float32Array.from(rows, (row) => Math.max(0, space.queryWeight(row)));
  const knownWeights = [...raw].filter((_, i) => known[i] === 1).sort((a, b) => a - b);
  const median = knownWeights.length > 0 ? (knownWeights[Math.floor(knownWeights.length / 2)] ?? 0) : 1;
  for (let i = 0; i < raw.length; i++) if (known[i] === 0) raw[i] = Math.min(raw[i] ?? 0, median);
  const total = raw.reduce((sum, w) => sum + w, 0);
  const weights = raw.map((w) => (total > 0 ? w / total : 1 / raw.length));
  return { tokens: [...seen.values()], rows, weights, known };
}

/** Marks for de-duplicating rows without a Set: a row is seen when its stamp is the current one. */
class RowMarks {
  private readonly stamps: Uint32Array;
  private current = 0;
  private buffer = new Int32Array(1024);

  constructor(rows: number) {
    this.stamps = new Uint32Array(rows);
  }

  /** Distinct rows of the space-separated terms, in first-occurrence order. */
  distinct(space: TokenSpace, terms: string): Int32Array {
    this.current = (this.current + 1) >>> 0;
    if (this.current === 0) {
      this.stamps.fill(0);
      this.current = 1;
    }
    let n = 0;
    let start = 0;
    while (start < terms.length) {
      let end = terms.indexOf(' ', start);
      if (end < 0) end = terms.length;
      if (end > start) {
        const row = space.row(terms.slice(start, end));
        if (row >= 0 && row < this.stamps.length && this.stamps[row] !== this.current) {
          this.stamps[row] = this.current;
          if (n === this.buffer.length) {
            const grown = new Int32Array(n * 2);
            grown.set(this.buffer);
            this.buffer = grown;
          }
          this.buffer[n++] = row;
        }
      }
      start = end + 1;
    }
    return this.buffer.slice(0, n);
  }
}

const rowMarks = new WeakMap<TokenSpace, RowMarks>();

function marksFor(space: TokenSpace): RowMarks {
  let marks = rowMarks.get(space);
  if (!marks) {
    marks = new RowMarks(space.rows);
    rowMarks.set(space, marks);
  }
  return marks;
}

function identifierRows(space: TokenSpace, identifier: string): Int32Array {
  const rows = new Set<number>();
  for (const part of splitIdentifier(identifier)) {
    const row = space.row(part);
    if (row >= 0) rows.add(row);
  }
  return Int32Array.from(rows);
}

/** Path parts that name things, as terms: folders and the file name without its extension, identifiers split. */
function pathTerms(path: string): string {
  return splitIdentifier(path.replace(/\.[A-Za-z0-9]+$/, '')).join(' ');
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) sum += (a[i] ?? 0) * (b[i] ?? 0);
  return sum;
}

function meanAndSpread(values: Float64Array): { mean: number; spread: number } {
  let sum = 0;
  for (const v of values) sum += v;
  const mean = values.length > 0 ? sum / values.length : 0;
  let squares = 0;
  for (const v of values) squares += (v - mean) * (v - mean);
  const spread = values.length > 1 ? Math.sqrt(squares / values.length) : 0;
  return { mean, spread: spread > 1e-6 ? spread : 1 };
}

/**
 * Each query token's similarity to a set of rows: `of(row)` is the offset in `values` of row's
 * query.rows.length similarities, or -1 for a row not in the set. Unknown rows (hash buckets
 * shared by unrelated words) only ever match themselves exactly.
 */
interface Similarities {
  values: Float32Array;
  of(row: number): number;
}

/** Per token space, a row → slot table reused across queries (cleared after each). */
const slotTables = new WeakMap<TokenSpace, Int32Array>();

function similarityTable(space: TokenSpace, query: QueryTokens, rows: Iterable<number>, vocabularyRows: number): Similarities & { release(): void } {
  let slots = slotTables.get(space);
  if (!slots) {
    slots = new Int32Array(vocabularyRows).fill(-1);
    slotTables.set(space, slots);
  }
  const table = slots;
  const used: number[] = [];
  for (const row of rows) {
    if (row < table.length && table[row] === -1) {
      table[row] = used.length;
      used.push(row);
    }
  }
  const q = query.rows.length;
  const values = new Float32Array(used.length * q);
  const list = Int32Array.from(used);
  const column = new Float32Array(used.length);
  for (let i = 0; i < q; i++) {
    const qrow = query.rows[i]!;
    // Near matches of a near-weightless token ("the", "of") cannot move a score: exact ones only.
    if (query.known[i] === 1 && query.weights[i]! >= NEAR_MATCH_MIN_WEIGHT) space.similarities(qrow, list, column);
    else column.fill(0);
    for (let k = 0; k < used.length; k++) values[k * q + i] = list[k] === qrow ? 1 : column[k]!;
  }
  return {
    values,
    of: (row) => {
      const slot = row < table.length ? table[row]! : -1;
      return slot < 0 ? -1 : slot * q;
    },
    release: () => {
      for (const row of used) table[row] = -1;
    },
  };
}

/** Σ_i w_i · max over `rows` of sim(i, row), the weight found exactly, and of that the unknown tokens'. */
function matchScores(query: QueryTokens, rows: Int32Array, sims: Similarities, best: Float32Array): { soft: number; exact: number; unknownExact: number } {
  best.fill(0);
  const q = best.length;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    const at = sims.of(row);
    if (at >= 0) {
      for (let i = 0; i < q; i++) {
        const v = sims.values[at + i]!;
        if (v > best[i]!) best[i] = v;
      }
    } else {
      // An unknown token: it matches a query token only when it is the same row.
      for (let i = 0; i < q; i++) if (query.rows[i] === row) best[i] = 1;
    }
  }
  let soft = 0;
  let exact = 0;
  let unknownExact = 0;
  for (let i = 0; i < q; i++) {
    const w = query.weights[i]!;
    const b = best[i]!;
    soft += w * Math.max(0, b);
    if (b >= 0.9999) {
      exact += w;
      if (query.known[i] === 0) unknownExact += w;
    }
  }
  return { soft, exact, unknownExact };
}

/** How much of a name the query covers: the mean over the name's known parts of their best similarity to a query token. */
function namePrecision(space: TokenSpace, name: Int32Array, sims: Similarities, q: number): number {
  let sum = 0;
  let count = 0;
  for (const row of name) {
    if (!space.known(row)) continue;
    const at = sims.of(row);
    let best = 0;
    for (let i = 0; at >= 0 && i < q; i++) best = Math.max(best, sims.values[at + i]!);
    sum += best;
    count++;
  }
  return count > 0 ? sum / count : 0;
}

/**
 * The feature table of the union of `lists`. `queryVector` is the (adapted) query vector the
 * vector list was searched with: cosine is worked out for lexical-only candidates too.
 */
export function featureTable<T extends Candidate>(parsed: ParsedQuery, queryVector: Float32Array | undefined, lists: CandidateLists<T>, space: TokenSpace): FeatureTable<T> {
  const order = new Map<string, T>();
  const vectorRank = new Map<string, number>();
  const lexicalRank = new Map<string, number>();
  const bm25 = new Map<string, number>();
  lists.vector.forEach((hit, i) => {
    const key = candidateKey(hit);
    if (!vectorRank.has(key)) vectorRank.set(key, i);
    if (!order.has(key)) order.set(key, hit);
  });
  lists.lexical.forEach((hit, i) => {
    const key = candidateKey(hit);
    if (!lexicalRank.has(key)) {
      lexicalRank.set(key, i);
      bm25.set(key, hit.score);
    }
    if (!order.has(key)) order.set(key, hit);
  });
  const candidates = [...order.values()];
  const keys = [...order.keys()];
  const n = candidates.length;
  const values = new Float32Array(n * FEATURE_COUNT);
  const query = queryTokens(space, parsed.core);

  // First-stage scores, made comparable across queries.
  const cos = new Float64Array(n);
  candidates.forEach((hit, k) => {
    cos[k] = vectorRank.has(keys[k] ?? '') || !queryVector ? hit.score : dot(queryVector, hit.vector);
  });
  const { mean: cosMean, spread: cosSpread } = meanAndSpread(cos);
  const cosMax = n > 0 ? Math.max(...cos) : 0;
  const lexicalScores = Float64Array.from(keys, (key) => bm25.get(key) ?? 0);
  const { mean: bmMean, spread: bmSpread } = meanAndSpread(lexicalScores);
  const bmMax = n > 0 ? Math.max(...lexicalScores) : 0;

  // Tokens of every candidate, and one similarity table over all of them.
  const marks = marksFor(space);
  const rows = candidates.map((hit) => marks.distinct(space, hit.terms));
  const names = candidates.map((hit) => identifierRows(space, hit.symbol));
  const containers = candidates.map((hit) => identifierRows(space, hit.container));
  const paths = candidates.map((hit) => marks.distinct(space, pathTerms(hit.path)));
  const known = function* (): Generator<number> {
    for (const list of [rows, names, containers, paths]) for (const r of list) for (const row of r) if (space.known(row)) yield row;
  };
  const sims = similarityTable(space, query, known(), space.vocabulary.length);
  const best = new Float32Array(query.rows.length);

  // Files with several candidates.
  const files = candidates.map((hit) => `${hit.root ?? ''}\0${hit.path}`);
  const byFile = new Map<string, number[]>();
  files.forEach((file, k) => {
    const list = byFile.get(file) ?? [];
    list.push(k);
    byFile.set(file, list);
  });
  const base = Float64Array.from(cos, (c, k) => (c - cosMean) / cosSpread + ((lexicalScores[k] ?? 0) - bmMean) / bmSpread);

  const form = parsed.form;
  for (let k = 0; k < n; k++) {
    const hit = candidates[k] as T;
    const key = keys[k] ?? '';
    const row = values.subarray(k * FEATURE_COUNT, (k + 1) * FEATURE_COUNT);
    const vr = vectorRank.get(key);
    const lr = lexicalRank.get(key);
    const c = cos[k] ?? 0;
    const b = lexicalScores[k] ?? 0;
    row[F.cos] = c;
    row[F.cosZ] = (c - cosMean) / cosSpread;
    row[F.cosGap] = c - cosMax;
    row[F.bm25Norm] = bmMax > 0 ? b / bmMax : 0;
    row[F.bm25Z] = (b - bmMean) / bmSpread;
    row[F.inVector] = vr === undefined ? 0 : 1;
    row[F.inLexical] = lr === undefined ? 0 : 1;
    row[F.rrfVector] = vr === undefined ? 0 : RRF_K / (RRF_K + vr + 1);
    row[F.rrfLexical] = lr === undefined ? 0 : RRF_K / (RRF_K + lr + 1);

    const body = matchScores(query, rows[k] as Int32Array, sims, best);
    row[F.maxSim] = body.soft;
    row[F.bodyExact] = body.exact;
    row[F.unknownExact] = body.unknownExact;
    const name = matchScores(query, names[k] as Int32Array, sims, best);
    row[F.nameSoft] = name.soft;
    row[F.nameExact] = name.exact;
    row[F.namePrecision] = namePrecision(space, names[k] as Int32Array, sims, query.rows.length);
    row[F.containerSoft] = matchScores(query, containers[k] as Int32Array, sims, best).soft;
    const inPath = matchScores(query, paths[k] as Int32Array, sims, best);
    row[F.pathSoft] = inPath.soft;
    row[F.pathExact] = inPath.exact;

    const role = pathRole(hit.path);
    const lines = hit.endLine - hit.startLine + 1;
    const isFunction = FUNCTION_KINDS.has(hit.kind);
    const isType = TYPE_KINDS.has(hit.kind);
    row[F.test] = role.test ? 1 : 0;
    row[F.locale] = role.locale ? 1 : 0;
    row[F.example] = role.example ? 1 : 0;
    row[F.kindFunction] = isFunction ? 1 : 0;
    row[F.kindType] = isType ? 1 : 0;
    row[F.kindLines] = hit.kind === 'lines' ? 1 : 0;
    row[F.logLines] = Math.log(Math.max(1, lines));

    row[F.tiny] = lines <= 3 ? 1 : 0;
    row[F.lineWindowDoc] = hit.kind === 'lines' && hit.language === 'text' ? 1 : 0;

    const same = byFile.get(files[k] ?? '') ?? [];
    row[F.fileCount] = Math.log(same.length);
    let other = -10;
    for (const j of same) if (j !== k) other = Math.max(other, base[j] ?? -10);
    row[F.fileBestOther] = same.length > 1 ? other : 0;

    row[F.whereFunction] = form === 'where' && isFunction ? 1 : 0;
    row[F.howFunction] = form === 'how' && isFunction ? 1 : 0;
    row[F.typeType] = form === 'type' && isType ? 1 : 0;
    row[F.nounType] = form === 'noun' && isType ? 1 : 0;
    row[F.verbFunction] = form === 'verb' && isFunction ? 1 : 0;
    row[F.languageMatch] = parsed.language !== undefined && sameLanguage(parsed.language, hit.language) ? 1 : 0;
    row[F.languageOther] = parsed.language !== undefined && !sameLanguage(parsed.language, hit.language) ? 1 : 0;
  }
  sims.release();
  return { candidates, values, query, rows };
}

/** TypeScript and TSX, and JavaScript, are one language to someone who names it. */
function sameLanguage(named: string, chunk: string): boolean {
  const family = (id: string) => (id === 'tsx' || id === 'javascript' ? 'typescript' : id);
  return family(named) === family(chunk);
}

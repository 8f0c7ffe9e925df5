// Scores of every query of a pool against every code of the same pool (n×n, row-major): the
// lexical baseline the static model is measured against, and the fusion of two such score tables.
// Used by the model card's evaluation and by hard-negative mining.

import { codeTokens } from '../core/tokens.js';
import { type TrainingPair, pairDocument } from './static-model.js';

/** BM25 (k1 1.2, b 0.75) over code tokens, with idf and length statistics from the pool itself. */
export function bm25Scores(pairs: readonly TrainingPair[], pool: readonly number[]): Float32Array {
  const n = pool.length;
  const postings = new Map<string, { doc: number; tf: number }[]>();
  const lengths = pool.map((index, doc) => {
    const tf = new Map<string, number>();
    const tokens = codeTokens(pairDocument(pairs[index] as TrainingPair));
    for (const t of tokens) tf.set(t, (tf.get(t) ?? 0) + 1);
    for (const [t, f] of tf) {
      const list = postings.get(t);
      if (list) list.push({ doc, tf: f });
      else postings.set(t, [{ doc, tf: f }]);
    }
    return tokens.length;
  });
  const avg = lengths.reduce((s, l) => s + l, 0) / Math.max(1, n);
  const scores = new Float32Array(n * n);
  pool.forEach((index, qi) => {
    for (const term of new Set(codeTokens((pairs[index] as TrainingPair).query))) {
      const list = postings.get(term);
      if (!list) continue;
      const idf = Math.log(1 + (n - list.length + 0.5) / (list.length + 0.5));
      for (const { doc, tf } of list) {
        scores[qi * n + doc] = (scores[qi * n + doc] ?? 0) + (idf * tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * (lengths[doc] ?? 0)) / avg));
      }
    }
  });
  return scores;
}

/** Per query row: α·z(dense) + (1-α)·z(bm25). */
export function fuseScores(dense: Float32Array, lexical: Float32Array, n: number, alpha: number): Float32Array {
  const outScores = new Float32Array(n * n);
  const z = (m: Float32Array, base: number): { mean: number; sd: number } => {
    let mean = 0;
    for (let j = 0; j < n; j++) mean += m[base + j] ?? 0;
    mean /= n;
    let v = 0;
    for (let j = 0; j < n; j++) v += ((m[base + j] ?? 0) - mean) ** 2;
    return { mean, sd: Math.sqrt(v / n) || 1 };
  };
  for (let i = 0; i < n; i++) {
    const base = i * n;
    const a = z(dense, base);
    const b = z(lexical, base);
    for (let j = 0; j < n; j++) outScores[base + j] = (alpha * ((dense[base + j] ?? 0) - a.mean)) / a.sd + ((1 - alpha) * ((lexical[base + j] ?? 0) - b.mean)) / b.sd;
  }
  return outScores;
}

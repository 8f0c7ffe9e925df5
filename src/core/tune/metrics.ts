// Retrieval metrics (MRR, R@1, R@10) of ranks or score matrices: tune reports them, training picks models by them.

export interface RetrievalMetrics {
  mrr: number;
  r1: number;
  r10: number;
  /** Queries (= candidates) in the pool. */
  n: number;
}

/**
 * Metrics of a score matrix: scores[i*n + j] = score of candidate j for query i; query i's answer
 * is candidate i. Rank = 1 + candidates scoring strictly higher, + half of the other ties.
 */
export function metricsFromScores(scores: Float32Array | Float64Array, n: number): RetrievalMetrics {
  let mrr = 0;
  let r1 = 0;
  let r10 = 0;
  for (let i = 0; i < n; i++) {
    const base = i * n;
    const own = scores[base + i] ?? 0;
    let higher = 0;
    let ties = 0;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const s = scores[base + j] ?? 0;
      if (s > own) higher++;
      else if (s === own) ties++;
    }
    const rank = 1 + higher + ties / 2;
    mrr += 1 / rank;
    if (rank <= 1) r1++;
    if (rank <= 10) r10++;
  }
  return n === 0 ? { mrr: 0, r1: 0, r10: 0, n: 0 } : { mrr: mrr / n, r1: r1 / n, r10: r10 / n, n };
}

/**
 * Ranks of each query's answer among m candidates: scores[i*m + j] is candidate j's score for query
 * i, and answers[i] lists the candidates that count as right (the best-scored one counts). Rank = 1 +
 * wrong candidates scoring strictly higher + half of the wrong ones tying (as `metricsFromScores`).
 */
export function answerRanks(scores: Float32Array, m: number, answers: readonly (readonly number[])[]): Float64Array {
  const ranks = new Float64Array(answers.length);
  answers.forEach((right, i) => {
    const base = i * m;
    let own = -Infinity;
    for (const j of right) own = Math.max(own, scores[base + j] ?? -Infinity);
    const isRight = new Set(right);
    let higher = 0;
    let ties = 0;
    for (let j = 0; j < m; j++) {
      if (isRight.has(j)) continue;
      const s = scores[base + j] ?? 0;
      if (s > own) higher++;
      else if (s === own) ties++;
    }
    ranks[i] = 1 + higher + ties / 2;
  });
  return ranks;
}

/** MRR, R@1 and R@10 of a list of ranks (or of those at `indices`). */
export function metricsFromRanks(ranks: ArrayLike<number>, indices?: readonly number[]): RetrievalMetrics {
  const at = indices ?? Array.from({ length: ranks.length }, (_, i) => i);
  let mrr = 0;
  let r1 = 0;
  let r10 = 0;
  for (const i of at) {
    const rank = ranks[i] ?? Infinity;
    mrr += 1 / rank;
    if (rank <= 1) r1++;
    if (rank <= 10) r10++;
  }
  const n = at.length;
  return n === 0 ? { mrr: 0, r1: 0, r10: 0, n: 0 } : { mrr: mrr / n, r1: r1 / n, r10: r10 / n, n };
}

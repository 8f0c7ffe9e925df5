// Fusing ranked lists and removing near-duplicate hits.

export interface Ranked {
  /** The workspace folder `path` is relative to, when hits of several folders are ranked together. */
  root?: string;
  path: string;
  startLine: number;
  endLine: number;
}

export interface WeightedList<T extends Ranked> {
  hits: readonly T[];
  weight: number;
}

/**
 * Weighted reciprocal-rank fusion: score = Σ weight / (k + rank). Rank-based, so scores of
 * different scales (cosine, BM25) need no calibration. Hits are identified by folder, path and range.
 */
export function reciprocalRankFusion<T extends Ranked>(lists: readonly WeightedList<T>[], k = 60): { hit: T; score: number }[] {
  const fused = new Map<string, { hit: T; score: number }>();
  for (const { hits, weight } of lists) {
    if (weight <= 0) continue;
    hits.forEach((hit, rank) => {
      const key = `${hit.root ?? ''}\0${hit.path}:${hit.startLine}:${hit.endLine}`;
      const entry = fused.get(key) ?? { hit, score: 0 };
      entry.score += weight / (k + rank + 1);
      fused.set(key, entry);
    });
  }
  return [...fused.values()].sort((a, b) => b.score - a.score);
}

/**
 * Drops a hit when a better-ranked hit of the same file (of the same folder) covers at least half of both ranges
 * (the same lines found twice: a class that is little more than its one method, a definition
 * captured under two names). A method inside a large class is kept: it is a small part of the class.
 */
export function dropOverlaps<T extends Ranked>(ranked: readonly T[]): T[] {
  const kept: T[] = [];
  for (const hit of ranked) {
    const duplicate = kept.some((other) => {
      if (other.root !== hit.root || other.path !== hit.path) return false;
      const overlap = Math.min(other.endLine, hit.endLine) - Math.max(other.startLine, hit.startLine) + 1;
      if (overlap <= 0) return false;
      const shorter = Math.min(other.endLine - other.startLine, hit.endLine - hit.startLine) + 1;
      const longer = Math.max(other.endLine - other.startLine, hit.endLine - hit.startLine) + 1;
      return overlap >= shorter * 0.5 && overlap >= longer * 0.5;
    });
    if (!duplicate) kept.push(hit);
  }
  return kept;
}

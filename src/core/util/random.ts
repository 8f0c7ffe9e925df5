// Seeded randomness: the same seed gives the same sample on every machine (tune's held-out split, training's pools).

/** mulberry32: a small, fast, seeded PRNG giving floats in [0, 1). */
export function createRng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffleInPlace<T>(items: T[], rng: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const a = items[i] as T;
    items[i] = items[j] as T;
    items[j] = a;
  }
  return items;
}

/** A deterministic sample of up to `size` indices of `candidates` (all of them when fewer), sorted. */
export function samplePool(candidates: readonly number[], size: number, seed: number): number[] {
  const copy = shuffleInPlace([...candidates], createRng(seed));
  return copy.slice(0, size).sort((a, b) => a - b);
}

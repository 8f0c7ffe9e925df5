// Content-addressed embedding cache: a text is embedded once per model and input kind.

import type { EmbedInputKind, Embedder } from '../types.js';
import { throwIfAborted } from '../util/abort.js';
import { positiveInt } from '../util/options.js';
import { sha256Hex } from '../util/hash.js';

/** Where cached vectors live; the persistent implementation sits on LanceDB (store.ts). */
export interface EmbeddingCacheStore {
  /** The vectors found for `keys` (missing keys are simply absent). */
  get(keys: readonly string[]): Promise<Map<string, Float32Array>>;
  set(entries: ReadonlyMap<string, Float32Array>): Promise<void>;
}

/** sha256(embedderId ‖ NUL ‖ kind ‖ NUL ‖ text) as lower-case hex. */
export function embeddingCacheKey(embedderId: string, kind: EmbedInputKind, text: string): string {
  return sha256Hex(embedderId, '\0', kind, '\0', text);
}

/**
 * Returns an Embedder with the same id and dimension that looks every text up in `store` first,
 * embeds only the misses (each distinct text once, even when repeated in one call) and stores them.
 * A cached vector of the wrong length counts as a miss. `store` may be one per input kind (queries
 * kept in memory, documents on disk).
 */
export function withCache(embedder: Embedder, stores: EmbeddingCacheStore | Readonly<Record<EmbedInputKind, EmbeddingCacheStore>>): Embedder {
  async function embed(texts: readonly string[], kind: EmbedInputKind, signal?: AbortSignal): Promise<Float32Array[]> {
    throwIfAborted(signal);
    if (texts.length === 0) return [];
    const store = 'get' in stores ? stores : stores[kind];
    const keys = texts.map((t) => embeddingCacheKey(embedder.id, kind, t));
    // key → first position holding that text
    const firstAt = new Map<string, number>();
    keys.forEach((k, i) => {
      if (!firstAt.has(k)) firstAt.set(k, i);
    });
    const distinct = [...firstAt.keys()];
    const found = await store.get(distinct);
    throwIfAborted(signal);

    const vectors = new Map<string, Float32Array>();
    const missKeys: string[] = [];
    for (const k of distinct) {
      const v = found.get(k);
      if (v !== undefined && v.length === embedder.dimension) vectors.set(k, v);
      else missKeys.push(k);
    }
    if (missKeys.length > 0) {
      const missTexts = missKeys.map((k) => texts[firstAt.get(k) ?? -1] ?? '');
      const fresh = await embedder.embed(missTexts, kind, signal);
      if (fresh.length !== missKeys.length) {
        throw new Error(`withCache: ${embedder.id} returned ${fresh.length} vectors for ${missKeys.length} texts`);
      }
      const entries = new Map<string, Float32Array>();
      missKeys.forEach((k, i) => {
        const v = fresh[i];
        if (v === undefined || v.length !== embedder.dimension) {
          throw new Error(`withCache: ${embedder.id} returned a vector of length ${v?.length ?? 0}, expected ${embedder.dimension}`);
        }
        vectors.set(k, v);
        entries.set(k, v);
      });
      await store.set(entries);
    }

    // Each position gets its own array, so a caller changing one cannot change another (or the cache).
    const used = new Set<string>();
    return keys.map((k) => {
      const v = vectors.get(k);
      if (v === undefined) throw new Error(`withCache: no vector for key ${k}`);
      if (used.has(k)) return v.slice();
      used.add(k);
      return v;
    });
  }

  return {
    id: embedder.id,
    dimension: embedder.dimension,
    embed,
    dispose: () => embedder.dispose(),
  };
}

export interface MemoryEmbeddingCacheOptions {
  /** Oldest-used entries are dropped beyond this many (default: unlimited). */
  maxEntries?: number;
}

/** In-memory EmbeddingCacheStore (least-recently-used eviction when `maxEntries` is set). Stores copies. */
export class MemoryEmbeddingCache implements EmbeddingCacheStore {
  private readonly entries = new Map<string, Float32Array>();
  private readonly maxEntries: number;

  constructor(options: MemoryEmbeddingCacheOptions = {}) {
    this.maxEntries = options.maxEntries === undefined ? Infinity : positiveInt('MemoryEmbeddingCache', 'maxEntries', options.maxEntries);
  }

  get size(): number {
    return this.entries.size;
  }

  async get(keys: readonly string[]): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const k of keys) {
      const v = this.entries.get(k);
      if (v === undefined) continue;
      this.entries.delete(k);
      this.entries.set(k, v);
      out.set(k, v.slice());
    }
    return out;
  }

  async set(entries: ReadonlyMap<string, Float32Array>): Promise<void> {
    for (const [k, v] of entries) {
      this.entries.delete(k);
      this.entries.set(k, v.slice());
    }
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }
}

// Splits a large embed() call into batches and runs at most `concurrency` of them at once.

import pLimit from 'p-limit';
import type { EmbedInputKind, Embedder } from '../types.js';
import { throwIfAborted } from '../util/abort.js';
import { positiveInt } from '../util/options.js';

export interface BatchingOptions {
  /** Texts per call to the wrapped embedder. */
  batchSize: number;
  /** Batches in flight at once. */
  concurrency: number;
}

/**
 * Returns an Embedder with the same id and dimension whose embed() cuts its input into batches of
 * `batchSize`, runs at most `concurrency` batches at once (p-limit) and returns the vectors in input
 * order. The first failure (or an abort of `signal`) aborts the batches in flight, skips the queued
 * ones, and rejects with that failure (or the abort reason).
 */
export function withBatching(embedder: Embedder, options: BatchingOptions): Embedder {
  if (typeof options !== 'object' || options === null) throw new TypeError('withBatching: options must be an object');
  const batchSize = positiveInt('withBatching', 'batchSize', options.batchSize);
  const concurrency = positiveInt('withBatching', 'concurrency', options.concurrency);
  // One limiter per wrapper: concurrent embed() calls share the budget.
  const limit = pLimit(concurrency);

  async function embed(texts: readonly string[], kind: EmbedInputKind, signal?: AbortSignal): Promise<Float32Array[]> {
    throwIfAborted(signal);
    if (texts.length <= batchSize) {
      return limit(() => {
        throwIfAborted(signal);
        return embedder.embed(texts, kind, signal);
      });
    }
    const stop = new AbortController();
    const inner = signal === undefined ? stop.signal : AbortSignal.any([signal, stop.signal]);
    let firstError: { error: unknown } | undefined;
    const result = new Array<Float32Array>(texts.length);
    const tasks: Promise<void>[] = [];
    for (let start = 0; start < texts.length; start += batchSize) {
      const batch = texts.slice(start, start + batchSize);
      const at = start;
      tasks.push(
        limit(async () => {
          if (firstError !== undefined) return;
          throwIfAborted(inner);
          const vectors = await embedder.embed(batch, kind, inner);
          if (vectors.length !== batch.length) {
            throw new Error(`withBatching: ${embedder.id} returned ${vectors.length} vectors for ${batch.length} texts`);
          }
          vectors.forEach((v, i) => {
            result[at + i] = v;
          });
        }).catch((error: unknown) => {
          if (firstError === undefined) {
            // An abort from outside wins over the errors it causes in the batches.
            firstError = { error: signal?.aborted ? signal.reason : error };
            stop.abort(error);
          }
        }),
      );
    }
    await Promise.all(tasks);
    if (firstError !== undefined) throw firstError.error;
    throwIfAborted(signal);
    return result;
  }

  return {
    id: embedder.id,
    dimension: embedder.dimension,
    embed,
    dispose: () => embedder.dispose(),
  };
}

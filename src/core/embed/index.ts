// One entry point for every embedding backend. Each backend is loaded with `await import()` only
// when asked for, so choosing one never loads another's runtime (ONNX Runtime, TF.js, the
// OpenAI client).

import type { Embedder } from '../types.js';
import type { OpenAIEmbedderOptions } from './openai.js';
import type { StaticEmbedderOptions } from './static.js';
import type { TransformersEmbedderOptions } from './transformers.js';
import type { UseLiteEmbedderOptions } from './use.js';
import { describe } from './util.js';

export type EmbedderSpec =
  | ({ kind: 'transformers' } & TransformersEmbedderOptions)
  | ({ kind: 'openai'; apiKey?: string } & Omit<OpenAIEmbedderOptions, 'apiKey'>)
  | ({ kind: 'use-lite' } & UseLiteEmbedderOptions)
  | ({ kind: 'static' } & StaticEmbedderOptions);

export type EmbedderKind = EmbedderSpec['kind'];

/** Placeholder bearer token for OpenAI-compatible servers that want none (the client insists on one). */
export const NO_API_KEY = 'no-key';

/** Creates the embedder a spec names. `signal` can abort a slow start (the OpenAI dimension probe). */
export async function createEmbedder(spec: EmbedderSpec, signal?: AbortSignal): Promise<Embedder> {
  signal?.throwIfAborted();
  switch (spec.kind) {
    case 'transformers': {
      const { kind: _kind, ...options } = spec;
      const { createTransformersEmbedder } = await import('./transformers.js');
      return createTransformersEmbedder(options);
    }
    case 'openai': {
      const { kind: _kind, apiKey, ...rest } = spec;
      const { createOpenAIEmbedder } = await import('./openai.js');
      return createOpenAIEmbedder({ ...rest, apiKey: apiKey ?? NO_API_KEY }, signal);
    }
    case 'use-lite': {
      const { kind: _kind, ...options } = spec;
      const { createUseLiteEmbedder } = await import('./use.js');
      return createUseLiteEmbedder(options);
    }
    case 'static': {
      const { kind: _kind, ...options } = spec;
      const { createStaticEmbedder } = await import('./static.js');
      return createStaticEmbedder(options);
    }
    default: {
      const unknownSpec: unknown = spec;
      const kind = typeof unknownSpec === 'object' && unknownSpec !== null ? Reflect.get(unknownSpec, 'kind') : undefined;
      throw new TypeError(`createEmbedder: unknown embedder kind ${describe(kind)}; expected 'transformers', 'openai', 'use-lite' or 'static'`);
    }
  }
}

export { withBatching } from './batching.js';
export type { BatchingOptions } from './batching.js';
export { MemoryEmbeddingCache, embeddingCacheKey, withCache } from './cache.js';
export type { EmbeddingCacheStore, MemoryEmbeddingCacheOptions } from './cache.js';

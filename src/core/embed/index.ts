// One entry point for every embedding backend. Each backend is loaded with `await import()` only
// when asked for, so choosing one never loads another's runtime (ONNX Runtime, TF.js, the
// OpenAI client).

import type { Embedder } from '../types.js';
import type { OpenAIEmbedderOptions } from './openai.js';
import type { StaticEmbedderOptions } from './static.js';
import type { TransformersEmbedderOptions } from './transformers.js';
import type { UseLiteEmbedderOptions } from './use.js';
import { UserError } from '../errors.js';
import { describe } from '../util/options.js';

export type EmbedderSpec =
  | ({ kind: 'transformers' } & TransformersEmbedderOptions)
  | ({ kind: 'openai'; apiKey?: string } & Omit<OpenAIEmbedderOptions, 'apiKey'>)
  | ({ kind: 'use-lite' } & UseLiteEmbedderOptions)
  | ({ kind: 'static' } & StaticEmbedderOptions);

export type EmbedderKind = EmbedderSpec['kind'];

/** Placeholder bearer token for OpenAI-compatible servers that want none (the client insists on one). */
export const NO_API_KEY = 'no-key';

/**
 * Runs `create` for a backend whose runtime is an optional package; a build without it (the VS Code
 * extension ships our default model only) gets a message that says so instead of "Cannot find module".
 */
async function withOptionalRuntime(packageName: string, what: string, create: () => Promise<Embedder>): Promise<Embedder> {
  try {
    return await create();
  } catch (error) {
    const code: unknown = typeof error === 'object' && error !== null ? Reflect.get(error, 'code') : undefined;
    if ((code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') && String(error).includes(packageName)) {
      throw new UserError(`${what} needs ${packageName}, which this build of CodeIntent does not include (the VS Code extension ships the default model only): use the model 'default', or the codeintent CLI`);
    }
    throw error;
  }
}

/** Creates the embedder a spec names. `signal` can abort a slow start (the OpenAI dimension probe). */
export async function createEmbedder(spec: EmbedderSpec, signal?: AbortSignal): Promise<Embedder> {
  signal?.throwIfAborted();
  switch (spec.kind) {
    case 'transformers': {
      const { kind: _kind, ...options } = spec;
      return withOptionalRuntime('@huggingface/transformers', `The model folder ${options.modelPath}`, async () => {
        const { createTransformersEmbedder } = await import('./transformers.js');
        return createTransformersEmbedder(options);
      });
    }
    case 'openai': {
      const { kind: _kind, apiKey, ...rest } = spec;
      const { createOpenAIEmbedder } = await import('./openai.js');
      return createOpenAIEmbedder({ ...rest, apiKey: apiKey ?? NO_API_KEY }, signal);
    }
    case 'use-lite': {
      const { kind: _kind, ...options } = spec;
      return withOptionalRuntime('@energetic-ai', "The model 'use-lite'", async () => {
        const { createUseLiteEmbedder } = await import('./use.js');
        return createUseLiteEmbedder(options);
      });
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

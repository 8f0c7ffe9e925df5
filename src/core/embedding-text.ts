import type { Chunk } from './types.js';

/** Characters of a chunk that an embedding model sees; longer code is cut (models truncate anyway). */
export const MAX_EMBEDDED_CHARS = 2000;

type Embeddable = Pick<Chunk, 'path' | 'symbol' | 'container' | 'doc' | 'text'>;

/**
 * The text embedded for a chunk: where it lives and what it is called give context that the body
 * alone lacks. Training pairs are built with the same function, so the model learns what it will see.
 */
export function documentText(chunk: Embeddable): string {
  const name = chunk.container ? `${chunk.container}.${chunk.symbol}` : chunk.symbol;
  const head = [chunk.path, name, chunk.doc].filter((part) => part !== '').join('\n');
  return `${head}\n${chunk.text}`.slice(0, MAX_EMBEDDED_CHARS);
}

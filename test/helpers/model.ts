// A small static embedding model with random, seeded token vectors, for wiring tests. Random
// vectors are nearly orthogonal, so its similarities reduce to shared tokens: enough to check
// that the right function comes back, not a measure of quality.

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createRng } from '../../src/core/util/random.js';

export async function makeRandomStaticModel(dir: string, { dimension = 64, hashBuckets = 8192, seed = 7 } = {}): Promise<string> {
  const random = createRng(seed);
  const table = new Float32Array(hashBuckets * dimension).map(() => random() - 0.5);
  await mkdir(dir, { recursive: true });
  await writeFile(
    path.join(dir, 'model.json'),
    JSON.stringify({ format: 'codeintent-static', version: 1, dimension, tokenizer: 'code-tokens-v1', vocab: [], hashBuckets, quantization: 'f32' }),
  );
  await writeFile(path.join(dir, 'embeddings.bin'), new Uint8Array(table.buffer));
  return dir;
}

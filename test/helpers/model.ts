// A small static embedding model with random, seeded token vectors, for wiring tests. Random
// vectors are nearly orthogonal, so its similarities reduce to shared tokens: enough to check
// that the right function comes back, not a measure of quality.

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export async function makeRandomStaticModel(dir: string, { dimension = 64, hashBuckets = 8192, seed = 7 } = {}): Promise<string> {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
  const table = new Float32Array(hashBuckets * dimension).map(() => random());
  await mkdir(dir, { recursive: true });
  await writeFile(
    path.join(dir, 'model.json'),
    JSON.stringify({ format: 'codeintent-static', version: 1, dimension, tokenizer: 'code-tokens-v1', vocab: [], hashBuckets, quantization: 'f32' }),
  );
  await writeFile(path.join(dir, 'embeddings.bin'), new Uint8Array(table.buffer));
  return dir;
}

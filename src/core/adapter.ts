// The linear adapter: a d×d matrix W trained so that W·query lands near the code it asks for.
// It is applied to queries only, so a retrained adapter never forces re-embedding the index.

import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { messageOf, UserError } from './errors.js';
import { firstSubfolder, writeFileAtomic } from './files.js';

export const ADAPTER_FORMAT = 'codeintent-adapter';
export const ADAPTER_FILE = 'adapter.json';
export const MATRIX_FILE = 'matrix.f32';
export const ADAPTER_CARD_FILE = 'README.md';

export interface AdapterInfo {
  format: typeof ADAPTER_FORMAT;
  version: 1;
  /** The embedder id (Embedder.id) the adapter was trained on; it fits no other model. */
  modelId: string;
  dimension: number;
  /** Row-major little-endian float32 matrix, next to adapter.json. */
  matrixFile: string;
}

export interface Adapter {
  /** Where it came from ('identity' when none applies). */
  readonly source: string;
  apply(query: Float32Array): Float32Array;
}

export const IDENTITY_ADAPTER: Adapter = { source: 'identity', apply: (query) => query };

export class AdapterError extends UserError {
  override readonly name = 'AdapterError';
}

export function linearAdapter(source: string, matrix: Float32Array, dimension: number): Adapter {
  if (matrix.length !== dimension * dimension) {
    throw new AdapterError(`${source}: matrix has ${matrix.length} values, expected ${dimension}×${dimension}`);
  }
  return {
    source,
    apply(query) {
      if (query.length !== dimension) throw new AdapterError(`${source}: query has ${query.length} dimensions, expected ${dimension}`);
      const out = new Float32Array(dimension);
      let norm = 0;
      for (let row = 0; row < dimension; row++) {
        let sum = 0;
        const offset = row * dimension;
        for (let col = 0; col < dimension; col++) sum += (matrix[offset + col] ?? 0) * (query[col] ?? 0);
        out[row] = sum;
        norm += sum * sum;
      }
      norm = Math.sqrt(norm) || 1;
      for (let i = 0; i < dimension; i++) out[i] = (out[i] ?? 0) / norm;
      return out;
    },
  };
}

/** Reads an adapter folder (or its adapter.json). */
export async function readAdapter(location: string): Promise<{ info: AdapterInfo; adapter: Adapter; matrix: Float32Array }> {
  const file = location.endsWith('.json') ? location : path.join(location, ADAPTER_FILE);
  let info: AdapterInfo;
  try {
    info = JSON.parse(await readFile(file, 'utf8')) as AdapterInfo;
  } catch (error) {
    throw new AdapterError(`cannot read the adapter at ${file}: ${messageOf(error)}`);
  }
  if (info.format !== ADAPTER_FORMAT || typeof info.modelId !== 'string' || !Number.isInteger(info.dimension) || info.dimension < 1) {
    throw new AdapterError(`${file} is not a CodeIntent adapter (expected format "${ADAPTER_FORMAT}")`);
  }
  const matrixFile = path.join(path.dirname(file), String(info.matrixFile));
  let bytes: Buffer;
  try {
    bytes = await readFile(matrixFile);
  } catch (error) {
    throw new AdapterError(`cannot read the adapter's matrix at ${matrixFile}: ${messageOf(error)}`);
  }
  const expected = info.dimension * info.dimension * Float32Array.BYTES_PER_ELEMENT;
  if (bytes.byteLength !== expected) {
    throw new AdapterError(`${matrixFile} holds ${bytes.byteLength} bytes, but a ${info.dimension}×${info.dimension} adapter needs ${expected}: the adapter is damaged; train it again or use --adapter none`);
  }
  const matrix = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return { info, adapter: linearAdapter(path.dirname(file), matrix, info.dimension), matrix };
}

export interface AdapterFiles {
  modelId: string;
  dimension: number;
  /** d×d, row-major: the adapted query is matrix · query. */
  matrix: Float32Array;
  /** README.md: what it was trained on, how well it does, how to rebuild it. */
  card: string;
}

/**
 * Writes an adapter folder that `readAdapter` loads: matrix.f32 (little-endian float32), README.md,
 * then adapter.json last, each through a temporary file and a rename, so a reader never finds an
 * adapter.json whose matrix is missing or half written.
 */
export async function writeAdapter(dir: string, { modelId, dimension, matrix, card }: AdapterFiles): Promise<AdapterInfo> {
  if (!Number.isInteger(dimension) || dimension < 1) throw new TypeError(`writeAdapter: \`dimension\` must be a positive integer, not ${dimension}`);
  if (matrix.length !== dimension * dimension) {
    throw new TypeError(`writeAdapter: \`matrix\` has ${matrix.length} values, expected ${dimension}×${dimension}`);
  }
  if (!matrix.every(Number.isFinite)) throw new TypeError('writeAdapter: `matrix` holds a value that is not finite');
  await mkdir(dir, { recursive: true });
  const bytes = new Uint8Array(matrix.length * 4);
  const view = new DataView(bytes.buffer);
  matrix.forEach((value, i) => view.setFloat32(i * 4, value, true));
  const info: AdapterInfo = { format: ADAPTER_FORMAT, version: 1, modelId, dimension, matrixFile: MATRIX_FILE };
  const put = (name: string, data: string | Uint8Array): Promise<void> => writeFileAtomic(path.join(dir, name), data);
  await put(MATRIX_FILE, bytes);
  await put(ADAPTER_CARD_FILE, card.endsWith('\n') ? card : `${card}\n`);
  await put(ADAPTER_FILE, `${JSON.stringify(info, null, 2)}\n`);
  return info;
}

/** Deletes an adapter folder (adapter.json first, so it stops counting at once). */
export async function removeAdapter(dir: string): Promise<void> {
  await rm(path.join(dir, ADAPTER_FILE), { force: true });
  await rm(dir, { recursive: true, force: true });
}

/** The first adapter for this exact model in `searchDirs` (sub-folders in name order), or undefined. */
export function findAdapter(modelId: string, searchDirs: readonly string[]): Promise<{ dir: string; info: AdapterInfo; adapter: Adapter; matrix: Float32Array } | undefined> {
  return firstSubfolder(searchDirs, async (dir) => ({ dir, ...(await readAdapter(dir)) }), (found) => found.info.modelId === modelId);
}

/** Where `codeintent tune` keeps a workspace's own adapters: beside its index. */
export function tunedAdaptersDir(indexDir: string): string {
  return path.join(indexDir, 'adapters');
}

/** Where 'default' looks, in order: the workspace's tuned adapters, then the ones shipped with the package. */
export function adapterSearchDirs(indexDir: string, shippedAdaptersDir: string): string[] {
  return [tunedAdaptersDir(indexDir), shippedAdaptersDir];
}

export interface AdapterChoice {
  /** 'default', 'none', or a path to an adapter folder. */
  choice: string;
  modelId: string;
  /** Folders searched for 'default', in order (e.g. the workspace's own tuned adapter first, then the shipped ones). */
  searchDirs: readonly string[];
}

/**
 * 'none' → identity; a path → that adapter, which must fit the model; 'default' → the first adapter
 * found for this exact model, else identity.
 */
export async function resolveAdapter({ choice, modelId, searchDirs }: AdapterChoice): Promise<Adapter> {
  if (choice === 'none') return IDENTITY_ADAPTER;
  if (choice !== 'default') {
    const { info, adapter } = await readAdapter(choice);
    if (info.modelId !== modelId) {
      throw new AdapterError(`the adapter at ${choice} was trained for model ${info.modelId}, but the index uses ${modelId}; use --adapter none or train one for this model`);
    }
    return adapter;
  }
  return (await findAdapter(modelId, searchDirs))?.adapter ?? IDENTITY_ADAPTER;
}

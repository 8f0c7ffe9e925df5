// An index worker (a worker_threads Worker started by index-pool.ts): its own chunker and, for a
// cheap embedder (the static model), its own embedder; it turns a batch of files' text into chunk
// rows with their terms and vectors, and sends them back with the vectors in one transferred buffer.

import { parentPort, workerData } from 'node:worker_threads';
import { createChunker } from './chunk/index.js';
import { chunkFiles, embedRows } from './chunk-rows.js';
import { createEmbedder } from './embed/index.js';
import { messageOf } from './errors.js';
import type { IndexWorkerData, PrepareReply, PrepareRequest } from './index-pool.js';

if (!parentPort) throw new Error('index-worker.ts runs as a worker thread of the indexer (index-pool.ts)');
const port = parentPort;
const data = workerData as IndexWorkerData;

const logs: string[] = [];
// No top-level await: the extension's copy of this module is a CommonJS bundle.
const loaded = Promise.all([createChunker({ ...data.chunker, log: (message) => logs.push(message) }), data.embedder ? createEmbedder(data.embedder) : undefined]);
loaded.then(
  () => port.postMessage({ type: 'ready' } satisfies PrepareReply),
  (error: unknown) => port.postMessage({ type: 'unusable', error: messageOf(error) } satisfies PrepareReply),
);

port.on('message', (request: PrepareRequest) => {
  void prepare(request).then(
    ({ reply, transfer }) => port.postMessage(reply, transfer),
    (error: unknown) => port.postMessage({ type: 'failed', error: messageOf(error) } satisfies PrepareReply),
  );
});

async function prepare({ files }: PrepareRequest): Promise<{ reply: PrepareReply; transfer: ArrayBuffer[] }> {
  const [chunker, embedder] = await loaded;
  const chunked = await chunkFiles(chunker, files);
  const rows = chunked.flatMap((file) => ('rows' in file ? file.rows : []));
  const dimension = embedder?.dimension ?? 0;
  const vectors = new Float32Array(rows.length * dimension);
  if (embedder && rows.length > 0) {
    await embedRows(rows, embedder);
    rows.forEach((row, i) => vectors.set(row.vector, i * dimension));
  }
  // The vectors travel in `vectors`; the rows' own arrays would only cost cloning.
  for (const row of rows) Reflect.deleteProperty(row, 'vector');
  return { reply: { type: 'done', files: chunked, vectors, logs: logs.splice(0) }, transfer: [vectors.buffer] };
}

// Candidate dumps: each query's first-stage lists (POOL per ranker, as the product retrieves them),
// with every chunk's stored terms and vector, written once per workspace so that training and
// ablations of the second stage read files instead of searching again.
//
// .cache/rerank/<model>/<literal|parsed>/<set>/<workspace>.json

import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../src/core/models.js';
import { parseQuery, type ParsedQuery } from '../../src/core/rank/query.js';
import { candidateKey } from '../../src/core/rank/features.js';
import type { Candidates } from '../../src/core/search.js';
import type { CandidateHit } from '../../src/core/types.js';

export const DUMP_ROOT = path.join(PACKAGE_ROOT, '.cache', 'rerank');
/** Candidates per ranker: what the second stage reranks. */
export const POOL = 100;

export type QueryReading = 'literal' | 'parsed';

interface DumpedChunk extends Omit<CandidateHit, 'vector' | 'score'> {
  vector: string;
}

export interface DumpedQuery {
  id: string;
  query: string;
  /** Indexes into the workspace's chunks. */
  answers: number[];
  vector: [number, number][];
  lexical: [number, number][];
  queryVector?: string;
}

export interface WorkspaceDump {
  workspace: string;
  modelId: string;
  chunks: DumpedChunk[];
  queries: DumpedQuery[];
}

function toBase64(v: Float32Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

function fromBase64(s: string): Float32Array {
  const bytes = Buffer.from(s, 'base64');
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

export function dumpDir(model: string, reading: QueryReading, set: string): string {
  return path.join(DUMP_ROOT, model, reading, set);
}

/** Collects one workspace's dump. */
export class DumpWriter {
  private readonly chunks: DumpedChunk[] = [];
  private readonly index = new Map<string, number>();
  private readonly queries: DumpedQuery[] = [];

  constructor(
    private readonly workspace: string,
    private readonly modelId: string,
  ) {}

  private chunkIndex(hit: CandidateHit): number {
    const key = candidateKey(hit);
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.chunks.length;
      const { vector, score: _score, ...rest } = hit;
      this.chunks.push({ ...rest, vector: toBase64(vector) });
      this.index.set(key, i);
    }
    return i;
  }

  add(id: string, query: string, candidates: Candidates, answers: (hit: CandidateHit) => boolean): void {
    const found = new Set<number>();
    const list = (hits: readonly CandidateHit[]): [number, number][] =>
      hits.map((hit) => {
        const i = this.chunkIndex(hit);
        if (answers(hit)) found.add(i);
        return [i, hit.score];
      });
    this.queries.push({
      id,
      query,
      vector: list(candidates.vector),
      lexical: list(candidates.lexical),
      answers: [...found],
      ...(candidates.queryVector ? { queryVector: toBase64(candidates.queryVector) } : {}),
    });
  }

  async write(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    const dump: WorkspaceDump = { workspace: this.workspace, modelId: this.modelId, chunks: this.chunks, queries: this.queries };
    await writeFile(path.join(dir, `${this.workspace}.json`), JSON.stringify(dump));
  }
}

/** A dumped query, as the second stage sees it. */
export interface LoadedQuery {
  set: string;
  workspace: string;
  id: string;
  parsed: ParsedQuery;
  candidates: Candidates;
  /** Keys (candidateKey) of the hits that answer it. */
  answers: Set<string>;
}

/** Every query of a set's dump; the hits are shared between the queries of a workspace. */
export async function loadSet(model: string, reading: QueryReading, set: string): Promise<LoadedQuery[]> {
  const dir = dumpDir(model, reading, set);
  const out: LoadedQuery[] = [];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.json')).sort()) {
    const dump = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as WorkspaceDump;
    const chunks = dump.chunks.map(({ vector, ...rest }) => ({ ...rest, vector: fromBase64(vector), score: 0 }));
    const hits = (list: [number, number][]): CandidateHit[] => list.map(([i, score]) => ({ ...(chunks[i] as CandidateHit), score }));
    for (const q of dump.queries) {
      const answers = new Set(q.answers.map((i) => candidateKey(chunks[i] as CandidateHit)));
      const read = parseQuery(q.query);
      // Read literally, the second stage also weighs every word as typed.
      const parsed = reading === 'literal' ? { ...read, core: read.text } : read;
      const candidates: Candidates = { vector: hits(q.vector), lexical: hits(q.lexical), query: parsed, ...(q.queryVector ? { queryVector: fromBase64(q.queryVector) } : {}) };
      out.push({ set, workspace: dump.workspace, id: q.id, parsed, candidates, answers });
    }
  }
  return out;
}

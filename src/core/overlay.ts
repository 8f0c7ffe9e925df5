// A checkout's view of a team's shared index: the shared index as published, with the files this
// checkout changed or deleted masked, and a small local index of just those files (the overlay)
// searched beside it, in one ranking. The shared index is only ever read.

import { UserError } from './errors.js';
import type { FileRow, HitFilter, IndexStore } from './store.js';
import type { CandidateHit } from './types.js';

/** What search needs of an index (search.ts): an IndexStore, or an overlay over a shared one. */
export type SearchableIndex = Pick<IndexStore, 'vectorSearch' | 'textSearch'>;

export class OverlayIndex implements SearchableIndex {
  private mask: Promise<string[]> | undefined;
  private unreachable = false;

  /** `sharedFiles`: the shared index's file rows, read once when it was opened. */
  constructor(
    readonly shared: IndexStore,
    readonly local: IndexStore,
    private readonly sharedFiles: ReadonlyMap<string, FileRow>,
    private readonly warn?: (message: string) => void,
  ) {}

  /** After the overlay was indexed: which shared files are masked is worked out again. */
  changed(): void {
    this.mask = undefined;
  }

  /**
   * The shared index's files whose chunks no longer stand for this checkout: gone, changed, or not
   * indexed here (the overlay records a file it found unchanged with the shared index's hash).
   */
  masked(): Promise<string[]> {
    return (this.mask ??= this.local.fileRows({ own: true }).then((local) =>
      [...this.sharedFiles].filter(([file, row]) => local.get(file)?.hash !== row.hash).map(([file]) => file),
    ));
  }

  async vectorSearch(vector: Float32Array, limit: number, filter: HitFilter = {}): Promise<CandidateHit[]> {
    return this.merged(limit, filter, (store, f) => store.vectorSearch(vector, limit, f));
  }

  /**
   * BM25 scores depend on the corpus: in the overlay's few files every term is common, so its
   * scores come out several times lower than the shared index's for the same match. Its scores are
   * scaled so its best match counts as much as the shared index's best (never scaled down).
   */
  async textSearch(terms: string, limit: number, filter: HitFilter = {}): Promise<CandidateHit[]> {
    return this.merged(limit, filter, (store, f) => store.textSearch(terms, limit, f), (shared, local) => {
      const factor = Math.max(1, (shared[0]?.score ?? 0) / (local[0]?.score || 1));
      return local.map((hit) => ({ ...hit, score: hit.score * factor }));
    });
  }

  /** Both lists in one, best first: cosines as they are, BM25 scores through `rescale`. */
  private async merged(
    limit: number,
    filter: HitFilter,
    find: (store: IndexStore, filter: HitFilter) => Promise<CandidateHit[]>,
    rescale: (shared: readonly CandidateHit[], local: readonly CandidateHit[]) => CandidateHit[] = (_shared, local) => [...local],
  ): Promise<CandidateHit[]> {
    const exclude = [...(filter.exclude ?? []), ...(await this.masked())];
    const [shared, local] = await Promise.all([this.fromShared(() => find(this.shared, { ...filter, exclude })), find(this.local, filter)]);
    return [...shared, ...rescale(shared, local)].sort((a, b) => b.score - a.score).slice(0, limit);
  }

  /**
   * The shared index's hits; when its server cannot be reached, none (said once, until it answers
   * again), so the overlay still answers.
   */
  private async fromShared(find: () => Promise<CandidateHit[]>): Promise<CandidateHit[]> {
    try {
      const hits = await find();
      this.unreachable = false;
      return hits;
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      if (!this.unreachable) this.warn?.(`${error.message}; searching only this checkout's changes`);
      this.unreachable = true;
      return [];
    }
  }
}

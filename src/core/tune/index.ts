// `codeintent tune`: what moves search on one workspace, fitted to the workspace's own documented
// definitions (first sentence of the doc → the code without its doc) and kept only when held-out
// files rank better through the product's own search. Two things can move: a linear query adapter
// (trained on cosine, src/core/tune/adapter-training.ts) and the second stage's weights (the
// shipped ranker fine-tuned, src/core/tune/ranker-tuning.ts); each alone and both together are
// compared on the early-stopping files, the best one is judged on the held-out files.
//
// Honesty rules of the evaluation:
// - the split is by FILE: held-out files contribute no training pair, and their chunks are never
//   seen in training (neither as answers nor as negatives, nor as a second-stage candidate);
// - a query's own documentation is removed from the code it must find (leading comments are not in
//   a chunk's text; Python docstrings are cut out with `codeWithoutDoc`), and so is every other doc
//   in the held-out files, so no held-out candidate carries a query's words for free;
// - each part of the split is searched as an index of its own (split-search.ts): vector and
//   lexical candidates, fusion and the second stage as `codeintent search` runs them, over only
//   that part's chunks (documented or not, all pieces). That is a smaller index than the whole
//   workspace, so absolute numbers are higher than in real use; before and after are measured on
//   the same one.
//
// Everything goes through the workspace's embedder (and so its embedding cache): chunks without
// documentation are cache hits, and a second `tune` re-embeds nothing.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { queryFromDoc } from './doc-query.js';
import { ADAPTER_FILE, findAdapter, IDENTITY_ADAPTER, linearAdapter, removeAdapter, tunedAdaptersDir, writeAdapter, type Adapter } from '../adapter.js';
import { codeWithoutDoc } from '../chunk/index.js';
import { documentText } from '../embedding-text.js';
import { DEFAULT_ADAPTER_OPTIONS, identityMatrix, mineHardNegatives, trainAdapter } from './adapter-training.js';
import type { AdapterTrainOptions, AdapterTrainReport, EmbeddedPairs, TrainedAdapter } from './adapter-training.js';
import type { Chunk, Embedder, LanguageId } from '../types.js';
import type { IndexOptions, Workspace } from '../workspace.js';
import { pathExists } from '../files.js';
import { messageOf } from '../errors.js';
import { LineIndex } from '../chunk/lines.js';
import { samplePool } from '../util/random.js';
import { metricsFromRanks, type RetrievalMetrics } from './metrics.js';
import { firstPieces, withPythonDocSpan } from './doc-spans.js';
import { candidateKey } from '../rank/features.js';
import { createRanker, findRanker, RANKER_FILE, removeRanker, tunedRankersDir, writeRanker, type Ranker, type RankerFile } from '../rank/model.js';
import type { SecondStage } from '../search.js';
import { listMetrics, tuneRanker, type RankerTuneOptions, type RankerTuneReport } from './ranker-tuning.js';
import { searchQueries, SplitIndexes, type SearchedQuery, type SplitQuery } from './split-search.js';
import type { IndexStore } from '../store.js';

/** Sub-folder of `<indexDir>/adapters/` (and of `<indexDir>/rankers/`) where tune keeps what it fitted (searched before the shipped ones). */
export const TUNED_ADAPTER_NAME = 'tuned';

export type TunePhase = 'index' | 'chunk' | 'embed' | 'train' | 'search' | 'evaluate';

export interface TuneProgress {
  phase: TunePhase;
  done: number;
  total: number;
}

export interface TuneOptions {
  /** Share of the documented files held out for the verdict (default 0.2). */
  heldOutShare?: number;
  /** Share of the remaining documented files used for early stopping (default 0.15). */
  validShare?: number;
  /** Most training pairs (a seeded sample beyond; default 20 000). */
  maxTrainPairs?: number;
  /** Most training queries the second stage is fitted on (each is searched: a seeded sample beyond; default 1000). */
  maxRankerQueries?: number;
  /** Fewer training pairs than this, or fewer held-out queries than `minHeldOut`: nothing is tuned (defaults 40 and 10). */
  minTrainPairs?: number;
  minHeldOut?: number;
  /** Relative MRR gain over the baseline required to keep what was tuned (default 0.01 = 1%). */
  minGain?: number;
  /**
   * And the gain must be this many standard errors of the mean paired difference of reciprocal
   * ranks (default 1.64: one-sided 95%), so a small held-out set's noise is not taken for a gain.
   */
  minZ?: number;
  seed?: number;
  /** Adapter trainer settings (src/core/tune/adapter-training.ts); `initial` is set here. */
  train?: Partial<Omit<AdapterTrainOptions, 'initial'>>;
  /** Second-stage fine-tuning settings (src/core/tune/ranker-tuning.ts). */
  rankerTrain?: Partial<RankerTuneOptions>;
  /** Folders of shipped adapters (the baseline); default `workspace.shippedAdaptersDir`. */
  shippedAdapters?: readonly string[];
  /** Folders of shipped rankers (the baseline second stage); default `workspace.shippedRankersDir`. */
  shippedRankers?: readonly string[];
  /** How to rebuild, for the cards (e.g. the command line). */
  command?: string;
  index?: Omit<IndexOptions, 'signal'>;
  signal?: AbortSignal;
  onProgress?: (progress: TuneProgress) => void;
  log?: (message: string) => void;
}

export interface TuneMetrics {
  before: RetrievalMetrics;
  after: RetrievalMetrics;
}

/** What can be tuned: the query adapter, the second stage's weights, or both. */
export type TuneChoice = 'adapter' | 'second stage' | 'adapter + second stage';

export interface TuneReport {
  root: string;
  indexDir: string;
  modelId: string;
  dimension: number;
  files: { indexed: number; documented: number; train: number; valid: number; heldOut: number };
  pairs: { train: number; valid: number; heldOut: number };
  /** Chunks of the held-out files: the index each held-out query is searched in. */
  candidates: number;
  /** What search uses without a tuned adapter: 'identity' or the shipped adapter's folder. */
  baseline: string;
  /** The second stage search uses without tuning: the shipped ranker's file, or 'none' (fused first stage). */
  rankerBaseline: string;
  /** Early-stopping MRR through search: the baseline and each thing tried; the best one is judged on the held-out files. */
  validation: Array<{ name: 'baseline' | TuneChoice; mrr: number }>;
  /** The one judged on the held-out files (best on early stopping), null when nothing differed from the baseline. */
  choice: TuneChoice | null;
  /** Held-out metrics through search (before: the baseline; after: `choice`), null when there was too little data to train. */
  before: RetrievalMetrics | null;
  after: RetrievalMetrics | null;
  /** after.mrr / before.mrr. */
  factor: number | null;
  /** Mean paired difference of reciprocal ranks (after − before) over its standard error. */
  z: number | null;
  byLanguage: Record<string, TuneMetrics>;
  improved: boolean;
  /** Folder of the saved adapter, or null when none was kept. */
  adapter: string | null;
  /** Folder of the saved second stage, or null when none was kept. */
  ranker: string | null;
  /** What an earlier run had tuned and this run removed (it was not kept this time). */
  removed: string[];
  /** What was kept, or why nothing was, in a sentence. */
  verdict: string;
  /** The adapter's training (judged by cosine on the early-stopping files). */
  training: AdapterTrainReport | null;
  rankerTraining: RankerTuneReport | null;
  seconds: Record<TunePhase | 'total', number>;
}

interface FilePair {
  query: string;
  language: LanguageId;
  /** The definition's first piece, its answer for the adapter's training. */
  head: number;
  /** Every piece of the definition: any of them answers a search. */
  answers: number[];
}

interface FileData {
  path: string;
  /** Each chunk as indexed, documentation removed: what the split's indexes hold. */
  chunks: Chunk[];
  languages: LanguageId[];
  pairs: FilePair[];
}

/** Code shorter than this (non-space characters) says too little to be an answer (as in the corpus). */
const MIN_CODE_CHARS = 20;

function fraction(text: string, seed: number): number {
  return createHash('sha256').update(`${seed}\0${text}`).digest().readUInt32BE(0) / 2 ** 32;
}

function checkShare(name: string, value: number): number {
  if (!(value > 0 && value < 1)) throw new TypeError(`tuneWorkspace: \`${name}\` must be between 0 and 1, not ${String(value)}`);
  return value;
}

function checkCount(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`tuneWorkspace: \`${name}\` must be a positive integer, not ${String(value)}`);
  return value;
}

/** A file's chunks without their docs and its (query, code) pairs, built as the training corpus builds them. */
function fileData(file: string, text: string, chunks: readonly Chunk[]): FileData {
  const lineStarts = new LineIndex(text).starts;
  const first = firstPieces(chunks);
  const data: FileData = { path: file, chunks: [], languages: [], pairs: [] };
  const docless = chunks.map((chunk) => {
    const placed = withPythonDocSpan(chunk, text, lineStarts);
    const code = placed === 'beyond' ? chunk.text : codeWithoutDoc(placed);
    return { placed, code };
  });
  chunks.forEach((chunk, i) => {
    const { code } = docless[i] ?? { code: chunk.text };
    const { docSpan: _span, ...rest } = chunk;
    data.chunks.push({ ...rest, doc: '', text: code });
    data.languages.push(chunk.language);
  });
  chunks.forEach((chunk, i) => {
    if (first[i] !== i || chunk.kind === 'lines' || chunk.symbol === '' || chunk.doc.trim() === '') return;
    const entry = docless[i];
    if (!entry || entry.placed === 'beyond') return;
    const result = queryFromDoc(chunk.doc, chunk.symbol);
    if ('rejected' in result) return;
    if (entry.code.replace(/\s+/g, '').length < MIN_CODE_CHARS) return;
    const answers = first.flatMap((head, j) => (head === i ? [j] : []));
    data.pairs.push({ query: result.query, language: chunk.language, head: i, answers });
  });
  return data;
}

function rows(vectors: readonly Float32Array[], d: number): Float32Array {
  const out = new Float32Array(vectors.length * d);
  vectors.forEach((v, i) => out.set(v, i * d));
  return out;
}

/** TuneOptions' numbers, defaulted and checked. */
interface TuneSettings {
  heldOutShare: number;
  validShare: number;
  maxTrainPairs: number;
  maxRankerQueries: number;
  minTrainPairs: number;
  minHeldOut: number;
  minGain: number;
  minZ: number;
  seed: number;
}

function tuneSettings(options: TuneOptions): TuneSettings {
  const heldOutShare = checkShare('heldOutShare', options.heldOutShare ?? 0.2);
  const validShare = checkShare('validShare', options.validShare ?? 0.15);
  const maxTrainPairs = checkCount('maxTrainPairs', options.maxTrainPairs ?? 20_000);
  const maxRankerQueries = checkCount('maxRankerQueries', options.maxRankerQueries ?? 1000);
  const minTrainPairs = checkCount('minTrainPairs', options.minTrainPairs ?? 40);
  const minHeldOut = checkCount('minHeldOut', options.minHeldOut ?? 10);
  const minGain = options.minGain ?? 0.01;
  if (!(minGain >= 0)) throw new TypeError(`tuneWorkspace: \`minGain\` must be a non-negative number, not ${String(minGain)}`);
  const minZ = options.minZ ?? 1.64;
  if (!(minZ >= 0)) throw new TypeError(`tuneWorkspace: \`minZ\` must be a non-negative number, not ${String(minZ)}`);
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) throw new TypeError(`tuneWorkspace: \`seed\` must be an integer, not ${String(seed)}`);
  return { heldOutShare, validShare, maxTrainPairs, maxRankerQueries, minTrainPairs, minHeldOut, minGain, minZ, seed };
}

type ReportProgress = (phase: TunePhase, done: number, total: number) => void;

/** A lap function: adds the time since the previous lap (or since now) to the phase's seconds. */
function phaseClock(seconds: TuneReport['seconds']): (phase: TunePhase) => void {
  let last = performance.now();
  return (phase: TunePhase) => {
    const now = performance.now();
    seconds[phase] += (now - last) / 1000;
    last = now;
  };
}

/** The indexed files' chunks and pairs, chunked as the indexer chunks them; a file that cannot be read is left out. */
async function readIndexedFiles(workspace: Workspace, indexed: readonly string[], progress: ReportProgress, signal?: AbortSignal, log?: (message: string) => void): Promise<FileData[]> {
  const chunker = await workspace.chunker();
  const files: FileData[] = [];
  for (const [n, file] of indexed.entries()) {
    signal?.throwIfAborted();
    if (n % 50 === 0) progress('chunk', n, indexed.length);
    let text: string;
    try {
      text = new TextDecoder('utf-8').decode(await readFile(path.join(workspace.root, file)));
    } catch (error) {
      log?.(`tune: cannot read ${file} (${messageOf(error)}); left out`);
      continue;
    }
    files.push(fileData(file, text, await chunker.chunk(file, text)));
  }
  progress('chunk', indexed.length, indexed.length);
  return files;
}

/** One part of the split: its files' chunks (what its index holds) and their queries. */
interface SplitPart {
  files: FileData[];
  chunks: Chunk[];
  /** Each pair with the index of its head chunk in `chunks`. */
  pairs: Array<FilePair & { at: number; keys: string[] }>;
}

/** The files and pairs of each side of the split by file (see the header). */
interface TuneSplit {
  documented: FileData[];
  train: SplitPart;
  valid: SplitPart;
  /** Documented or not: every file below the held-out hash threshold. */
  heldOut: SplitPart;
  /** The training pairs the adapter learns from (a seeded sample beyond maxTrainPairs). */
  trainPairs: SplitPart['pairs'];
}

function splitPart(files: FileData[]): SplitPart {
  const chunks: Chunk[] = [];
  const pairs: SplitPart['pairs'] = [];
  for (const f of files) {
    const offset = chunks.length;
    chunks.push(...f.chunks);
    for (const p of f.pairs) pairs.push({ ...p, at: offset + p.head, keys: p.answers.map((a) => candidateKey(f.chunks[a] ?? f.chunks[p.head]!)) });
  }
  return { files, chunks, pairs };
}

/**
 * Documented files in hash order: the first heldOutShare are held out, and undocumented files below
 * the same hash threshold join the held-out index; of the rest, the last validShare are for early
 * stopping. Undocumented files above the threshold join the training or the early-stopping index
 * by the same hash ranges (they are candidates, never queries). Training pairs beyond maxTrainPairs
 * are a seeded sample.
 */
function splitByFile(files: readonly FileData[], { heldOutShare, validShare, maxTrainPairs, seed }: TuneSettings): TuneSplit {
  const position = new Map(files.map((f) => [f, fraction(f.path, seed)]));
  const at = (f: FileData): number => position.get(f) ?? 0;
  const documented = files.filter((f) => f.pairs.length > 0).sort((a, b) => at(a) - at(b));
  const heldCount = documented.length < 2 ? 0 : Math.max(1, Math.round(documented.length * heldOutShare));
  const lastHeld = heldCount > 0 ? documented[heldCount - 1] : undefined;
  const threshold = lastHeld ? at(lastHeld) : -1;
  const heldOut = files.filter((f) => at(f) <= threshold);
  const rest = documented.slice(heldCount);
  const validCount = rest.length < 2 ? 0 : Math.max(1, Math.round(rest.length * validShare));
  const validFiles = rest.slice(rest.length - validCount);
  const trainFiles = rest.slice(0, rest.length - validCount);
  const firstValid = validFiles[0];
  const validFrom = firstValid ? at(firstValid) : Infinity;
  const undocumented = files.filter((f) => f.pairs.length === 0 && at(f) > threshold);
  const train = splitPart([...trainFiles, ...undocumented.filter((f) => at(f) < validFrom)]);
  const trainPairs =
    train.pairs.length > maxTrainPairs
      ? samplePool(
          train.pairs.map((_, i) => i),
          maxTrainPairs,
          seed,
        ).flatMap((i) => train.pairs[i] ?? [])
      : train.pairs;
  return { documented, train, valid: splitPart([...validFiles, ...undocumented.filter((f) => at(f) >= validFrom)]), heldOut: splitPart(heldOut), trainPairs };
}

/** The report before any training: what was indexed and how it was split; no metrics, no verdict yet. */
function initialReport(
  workspace: Workspace,
  { modelId, dimension, indexed, split, baseline, rankerBaseline, seconds }: { modelId: string; dimension: number; indexed: number; split: TuneSplit; baseline: string; rankerBaseline: string; seconds: TuneReport['seconds'] },
): TuneReport {
  const documentedIn = (part: SplitPart) => part.files.filter((f) => f.pairs.length > 0).length;
  return {
    root: workspace.root,
    indexDir: workspace.indexDir,
    modelId,
    dimension,
    files: { indexed, documented: split.documented.length, train: documentedIn(split.train), valid: documentedIn(split.valid), heldOut: documentedIn(split.heldOut) },
    pairs: { train: split.trainPairs.length, valid: split.valid.pairs.length, heldOut: split.heldOut.pairs.length },
    candidates: split.heldOut.chunks.length,
    baseline,
    rankerBaseline,
    validation: [],
    choice: null,
    before: null,
    after: null,
    factor: null,
    z: null,
    byLanguage: {},
    improved: false,
    adapter: null,
    ranker: null,
    removed: [],
    verdict: '',
    training: null,
    rankerTraining: null,
    seconds,
  };
}

/** Why there is too little to tune on, or null when the split has enough of each kind of pair. */
function tooLittleData({ trainPairs, valid, heldOut, documented }: TuneSplit, { minTrainPairs, minHeldOut }: TuneSettings): string | null {
  if (trainPairs.length >= minTrainPairs && valid.pairs.length >= 2 && heldOut.pairs.length >= minHeldOut) return null;
  return (
    `too little documented code to tune: ${trainPairs.length} training pairs (need ${minTrainPairs}), ${valid.pairs.length} for early stopping (need 2), ` +
    `${heldOut.pairs.length} held-out queries (need ${minHeldOut}) from ${documented.length} files with usable doc comments`
  );
}

/** Where this run's tuned adapter and second stage go. */
interface TunedDirs {
  adapter: string;
  ranker: string;
}

/** Sets the verdict; what an earlier run tuned goes unless this run kept a new one in its place. */
async function finishReport(report: TuneReport, dirs: TunedDirs, verdict: string, started: number): Promise<TuneReport> {
  report.verdict = verdict;
  if (report.adapter === null && (await pathExists(path.join(dirs.adapter, ADAPTER_FILE)))) {
    await removeAdapter(dirs.adapter);
    report.removed.push(dirs.adapter);
  }
  if (report.ranker === null && (await pathExists(path.join(dirs.ranker, RANKER_FILE)))) {
    await removeRanker(dirs.ranker);
    report.removed.push(dirs.ranker);
  }
  report.seconds.total = (performance.now() - started) / 1000;
  return report;
}

/** `texts` embedded 256 at a time (reporting each step's start). */
async function embedAll(embedder: Embedder, texts: readonly string[], kind: 'query' | 'document', onStep: (start: number) => void, signal?: AbortSignal): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  const step = 256;
  for (let start = 0; start < texts.length; start += step) {
    onStep(start);
    out.push(...(await embedder.embed(texts.slice(start, start + step), kind, signal)));
  }
  return out;
}

interface EmbeddedSplit {
  /** The adapter's pairs. */
  train: EmbeddedPairs;
  valid: EmbeddedPairs;
  /** Each part's chunk vectors, as its index holds them. */
  vectors: { train: Float32Array[]; valid: Float32Array[]; heldOut: Float32Array[] };
}

/** Every chunk of the split and the adapter's queries through the workspace's embedder (and so its cache), with one progress count. */
async function embedSplit(embedder: Embedder, d: number, split: TuneSplit, progress: ReportProgress, signal?: AbortSignal): Promise<EmbeddedSplit> {
  const { train, valid, heldOut, trainPairs } = split;
  const total = train.chunks.length + valid.chunks.length + heldOut.chunks.length + trainPairs.length + valid.pairs.length;
  let done = 0;
  const embed = async (texts: readonly string[], kind: 'query' | 'document'): Promise<Float32Array[]> => {
    const before = done;
    const vectors = await embedAll(embedder, texts, kind, (start) => progress('embed', before + start, total), signal);
    done += texts.length;
    return vectors;
  };
  const embedChunks = (part: SplitPart) => embed(part.chunks.map(documentText), 'document');
  const vectors = { train: await embedChunks(train), valid: await embedChunks(valid), heldOut: await embedChunks(heldOut) };
  const pairsOf = async (pairs: SplitPart['pairs'], chunkVectors: Float32Array[]): Promise<EmbeddedPairs> => ({
    dimension: d,
    queries: rows(await embed(pairs.map((p) => p.query), 'query'), d),
    codes: rows(pairs.map((p) => chunkVectors[p.at] ?? new Float32Array(d)), d),
  });
  const embedded = { train: await pairsOf(trainPairs, vectors.train), valid: await pairsOf(valid.pairs, vectors.valid), vectors };
  progress('embed', total, total);
  return embedded;
}

/** Mines hard negatives under the baseline `initial`, then trains from it. */
function trainFromBaseline({ train, valid }: EmbeddedSplit, initial: Float32Array, options: TuneOptions, seed: number, progress: ReportProgress): TrainedAdapter {
  train.hardNegatives = mineHardNegatives(train, options.train?.hardNegatives ?? 3, { matrix: initial, seed });
  options.signal?.throwIfAborted();
  return trainAdapter(train, valid, {
    seed,
    ...options.train,
    initial,
    onEpoch: (e) => progress('train', e.epoch, options.train?.epochs ?? DEFAULT_ADAPTER_OPTIONS.epochs),
  });
}

/** A part's queries with the keys of the chunks that answer each. */
function splitQueries(part: SplitPart): SplitQuery[] {
  return part.pairs.map((p) => ({ query: p.query, answers: p.keys }));
}

/** The ranks of a part's searched queries under a second stage (or, without one, in the fused first stage). */
function ranksOf(lists: readonly SearchedQuery[], ranker: Ranker | undefined): Float64Array {
  return ranker ? listMetrics(lists, ranker).ranks : Float64Array.from(lists, (l) => l.fusedRank);
}

/** A way of searching that tune tried: which adapter, which second stage, and its early-stopping MRR. */
interface Candidate {
  name: 'baseline' | TuneChoice;
  adapter: Adapter;
  /** The fine-tuned second stage, when this candidate has one, and how it was trained. */
  ranker?: RankerFile;
  training?: RankerTuneReport;
  mrr: number;
}

/** What tune searches with: the split's indexes and the workspace's embedder. */
interface SplitSearch {
  stores: { train: IndexStore; valid: IndexStore; heldOut: IndexStore };
  /** trainStage: the training queries the second stage learns from (a seeded sample of at most maxRankerQueries). */
  queries: { trainStage: SplitQuery[]; valid: SplitQuery[]; heldOut: SplitQuery[] };
  embedder: Embedder;
  stage: SecondStage | undefined;
  progress: (queries: number) => void;
  signal?: AbortSignal;
}

function searchPart(s: SplitSearch, part: 'trainStage' | 'valid' | 'heldOut', adapter: Adapter): Promise<SearchedQuery[]> {
  let last = 0;
  return searchQueries(
    { store: s.stores[part === 'trainStage' ? 'train' : part], embedder: s.embedder, adapter, stage: s.stage },
    s.queries[part],
    (done) => {
      s.progress(done - last);
      last = done;
    },
    s.signal,
  );
}

/**
 * The candidates tried on the early-stopping files, the baseline first: the tuned adapter (when its
 * training beat the baseline), the fine-tuned second stage (when there is one to tune and it beat
 * the shipped weights), and both (the second stage fine-tuned on the tuned adapter's candidates).
 */
async function tryCandidates(
  s: SplitSearch,
  { baselineAdapter, tunedAdapter, options }: { baselineAdapter: Adapter; tunedAdapter: Adapter | undefined; options: TuneOptions },
  report: TuneReport,
): Promise<{ candidates: Candidate[]; lists: Map<Adapter, SearchedQuery[]> }> {
  const shipped = s.stage?.ranker;
  const mrrOf = (lists: readonly SearchedQuery[], ranker: Ranker | undefined) => metricsFromRanks(ranksOf(lists, ranker)).mrr;
  const validBase = await searchPart(s, 'valid', baselineAdapter);
  const candidates: Candidate[] = [{ name: 'baseline', adapter: baselineAdapter, mrr: mrrOf(validBase, shipped) }];
  const tuneStage = async (adapter: Adapter, valid: SearchedQuery[], name: TuneChoice): Promise<void> => {
    if (!shipped) return;
    const train = await searchPart(s, 'trainStage', adapter);
    const tuned = tuneRanker(shipped.file, train, valid, options.rankerTrain, options.signal);
    report.rankerTraining ??= tuned.report;
    if (tuned.report.bestStep > 0) candidates.push({ name, adapter, ranker: tuned.file, training: tuned.report, mrr: tuned.report.validAfter.mrr });
  };
  await tuneStage(baselineAdapter, validBase, 'second stage');
  const lists = new Map([[baselineAdapter, validBase]]);
  if (tunedAdapter) {
    const validTuned = await searchPart(s, 'valid', tunedAdapter);
    lists.set(tunedAdapter, validTuned);
    const adapterAlone = mrrOf(validTuned, shipped);
    candidates.push({ name: 'adapter', adapter: tunedAdapter, mrr: adapterAlone });
    // Both together only when the adapter alone moved search: its candidates are the second stage's data.
    if (adapterAlone > candidates[0]!.mrr) await tuneStage(tunedAdapter, validTuned, 'adapter + second stage');
  }
  return { candidates, lists };
}

/** Before (the baseline) and after (`chosen`) on the held-out files: metrics overall and per language, factor and z. */
async function judgeHeldOut(s: SplitSearch, report: TuneReport, split: TuneSplit, baseline: Candidate, chosen: Candidate): Promise<TuneMetrics> {
  const shipped = s.stage?.ranker;
  const beforeLists = await searchPart(s, 'heldOut', baseline.adapter);
  const afterLists = chosen.adapter === baseline.adapter ? beforeLists : await searchPart(s, 'heldOut', chosen.adapter);
  const before = ranksOf(beforeLists, shipped);
  const after = ranksOf(afterLists, chosen.ranker ? createRanker(chosen.ranker, 'tuned') : shipped);
  const metrics = { before: metricsFromRanks(before), after: metricsFromRanks(after) };
  report.before = metrics.before;
  report.after = metrics.after;
  report.factor = metrics.before.mrr > 0 ? metrics.after.mrr / metrics.before.mrr : null;
  report.z = pairedZ(before, after);
  const pairs = split.heldOut.pairs;
  for (const language of [...new Set(pairs.map((p) => p.language))].sort()) {
    const at = pairs.flatMap((p, i) => (p.language === language ? [i] : []));
    report.byLanguage[language] = { before: metricsFromRanks(before, at), after: metricsFromRanks(after, at) };
  }
  return metrics;
}

/** Why `chosen` is not kept, or null: it must have beaten the baseline on the early-stopping files, and on held-out files by minGain and by minZ standard errors. */
function rejection({ before, after }: TuneMetrics, z: number | null, validWon: boolean, heldQueries: number, { minGain, minZ }: TuneSettings): string | null {
  const gainOk = after.mrr > before.mrr * (1 + minGain);
  const zOk = z !== null && z >= minZ;
  if (validWon && gainOk && zOk) return null;
  if (!validWon) return 'neither the adapter nor the second stage beat the baseline on the early-stopping files';
  if (!gainOk) return `held-out MRR ${before.mrr.toFixed(3)} → ${after.mrr.toFixed(3)} is not at least ${(minGain * 100).toFixed(0)}% better`;
  return `held-out MRR ${before.mrr.toFixed(3)} → ${after.mrr.toFixed(3)} is within the noise of ${heldQueries} queries (z ${(z ?? 0).toFixed(2)} < ${minZ})`;
}

/**
 * Indexes the workspace, fits a query adapter and the second stage's weights on its documented
 * definitions, and keeps the best of them (in `<indexDir>/adapters/tuned/`, `<indexDir>/rankers/tuned/`)
 * only when it beats the baseline through search on held-out files.
 */
export async function tuneWorkspace(workspace: Workspace, options: TuneOptions = {}): Promise<TuneReport> {
  const started = performance.now();
  const settings = tuneSettings(options);
  const { signal, log } = options;
  const progress: ReportProgress = (phase, done, total) => options.onProgress?.({ phase, done, total });
  const seconds: TuneReport['seconds'] = { index: 0, chunk: 0, embed: 0, train: 0, search: 0, evaluate: 0, total: 0 };
  const lap = phaseClock(seconds);

  // 1. The index, up to date (what is tuned is for its model; undocumented chunks' vectors come from its cache).
  progress('index', 0, 1);
  await workspace.index({ ...options.index, ...(signal ? { signal } : {}) });
  lap('index');

  // 2. Chunks of every indexed file, as the indexer makes them.
  const indexed = [...(await workspace.store.fileRows()).keys()].sort();
  const files = await readIndexedFiles(workspace, indexed, progress, signal, log);
  lap('chunk');

  // 3. The split, by file, and the baselines: what search uses untuned.
  const split = splitByFile(files, settings);
  const modelId = workspace.store.info.embedderId;
  const d = workspace.embedder.dimension;
  const shipped = await findAdapter(modelId, options.shippedAdapters ?? [workspace.shippedAdaptersDir]);
  const shippedRanker = await findRanker(modelId, options.shippedRankers ?? [workspace.shippedRankersDir]);
  const space = workspace.embedder.tokenSpace;
  const stage = shippedRanker && space ? { ranker: shippedRanker, space } : undefined;
  const dirs: TunedDirs = { adapter: path.join(tunedAdaptersDir(workspace.indexDir), TUNED_ADAPTER_NAME), ranker: path.join(tunedRankersDir(workspace.indexDir), TUNED_ADAPTER_NAME) };
  const report = initialReport(workspace, { modelId, dimension: d, indexed: indexed.length, split, baseline: shipped?.dir ?? 'identity', rankerBaseline: stage?.ranker.source ?? 'none', seconds });
  const tooLittle = tooLittleData(split, settings);
  if (tooLittle !== null) return finishReport(report, dirs, tooLittle, started);

  // 4. Embeddings, through the workspace's embedder and its cache.
  const embedded = await embedSplit(workspace.embedder, d, split, progress, signal);
  lap('embed');

  // 5. The adapter, from the baseline (a shipped adapter for this model, else the identity).
  progress('train', 0, 1);
  const initial = shipped?.matrix ?? identityMatrix(d);
  const trained = trainFromBaseline(embedded, initial, options, settings.seed, progress);
  report.training = trained.report;
  lap('train');

  // 6. Each part of the split as an index of its own; the second stage fitted on the training
  //    part's searches; each candidate measured on the early-stopping part, the best on held-out files.
  const indexes = await SplitIndexes.create();
  try {
    const add = (part: SplitPart, vectors: Float32Array[]) => indexes.add(workspace.root, modelId, d, part.chunks, vectors);
    const stores = { train: await add(split.train, embedded.vectors.train), valid: await add(split.valid, embedded.vectors.valid), heldOut: await add(split.heldOut, embedded.vectors.heldOut) };
    const trainQueries = splitQueries(split.train);
    const trainStage =
      trainQueries.length > settings.maxRankerQueries
        ? samplePool(
            trainQueries.map((_, i) => i),
            settings.maxRankerQueries,
            settings.seed,
          ).flatMap((i) => trainQueries[i] ?? [])
        : trainQueries;
    const queries = { trainStage, valid: splitQueries(split.valid), heldOut: splitQueries(split.heldOut) };
    const adapterRuns = trained.report.bestEpoch > 0 ? 2 : 1;
    const total = adapterRuns * (queries.valid.length + (stage ? queries.trainStage.length : 0) + queries.heldOut.length);
    let done = 0;
    const s: SplitSearch = { stores, queries, embedder: workspace.embedder, stage, progress: (n) => progress('search', (done += n), total), ...(signal ? { signal } : {}) };
    const baselineAdapter = shipped?.adapter ?? IDENTITY_ADAPTER;
    const tunedAdapter = trained.report.bestEpoch > 0 ? linearAdapter(TUNED_ADAPTER_NAME, trained.matrix, d) : undefined;
    const { candidates } = await tryCandidates(s, { baselineAdapter, tunedAdapter, options }, report);
    report.validation = candidates.map(({ name, mrr }) => ({ name, mrr }));
    lap('search');

    progress('evaluate', 0, 1);
    const baseline = candidates[0]!;
    const best = candidates.slice(1).reduce<Candidate | undefined>((a, c) => (!a || c.mrr > a.mrr ? c : a), undefined);
    const chosen = best ?? baseline;
    report.choice = best && best.name !== 'baseline' ? best.name : null;
    if (chosen.training) report.rankerTraining = chosen.training;
    const metrics = await judgeHeldOut(s, report, split, baseline, chosen);
    lap('evaluate');

    const rejected = rejection(metrics, report.z, chosen.mrr > baseline.mrr, split.heldOut.pairs.length, settings);
    report.improved = rejected === null;
    if (rejected !== null) return await finishReport(report, dirs, rejected, started);
    if (chosen.adapter !== baselineAdapter) {
      await writeAdapter(dirs.adapter, { modelId, dimension: d, matrix: trained.matrix, card: tuneCard(report, options.command, 'adapter') });
      report.adapter = dirs.adapter;
    }
    if (chosen.ranker) {
      await writeRanker(dirs.ranker, { ...chosen.ranker, training: { tunedFor: report.root, from: report.rankerBaseline } }, tuneCard(report, options.command, 'second stage'));
      report.ranker = dirs.ranker;
    }
    const figures = `held-out MRR ${metrics.before.mrr.toFixed(3)} → ${metrics.after.mrr.toFixed(3)}, ×${(report.factor ?? 0).toFixed(2)}, z ${(report.z ?? 0).toFixed(1)}`;
    return await finishReport(report, dirs, `${report.choice ?? ''}: ${figures}`, started);
  } finally {
    await indexes.close();
  }
}

/** Mean of 1/after − 1/before over its standard error; null for fewer than 2 queries (or no spread with no change). */
function pairedZ(before: Float64Array, after: Float64Array): number | null {
  const n = before.length;
  if (n < 2) return null;
  const diffs = Array.from(before, (b, i) => 1 / (after[i] ?? Infinity) - 1 / b);
  const mean = diffs.reduce((a, b) => a + b, 0) / n;
  const variance = diffs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  const se = Math.sqrt(variance / n);
  if (se === 0) return mean === 0 ? 0 : mean > 0 ? Infinity : -Infinity;
  return mean / se;
}

function metricsRow(name: string, m: RetrievalMetrics): string {
  return `| ${name} | ${m.n} | ${m.mrr.toFixed(3)} | ${m.r1.toFixed(3)} | ${m.r10.toFixed(3)} |`;
}

/** The README.md of what tune saved: the adapter's or the second stage's. */
function tuneCard(report: TuneReport, command: string | undefined, part: 'adapter' | 'second stage'): string {
  const t = report.training;
  const o = t?.options;
  const r = report.rankerTraining;
  const what =
    part === 'adapter'
      ? [
          `# Tuned query adapter for ${report.root}`,
          '',
          `A ${report.dimension}×${report.dimension} linear map applied to query vectors of model \`${report.modelId}\` (then L2-normalised);`,
          'the index is never re-embedded.',
        ]
      : [
          `# Tuned second stage for ${report.root}`,
          '',
          `The weights of ${report.rankerBaseline} (model \`${report.modelId}\`) fine-tuned on this workspace; its features, calibration and`,
          '"no close match" threshold are the shipped ones.',
        ];
  const lines = [
    ...what,
    `Written by \`codeintent tune\` (src/core/tune/index.ts) on ${new Date().toISOString()}; kept: ${report.choice ?? 'nothing'}.`,
    'Search picks it up by default; `--adapter none` turns off what tune fitted (adapter and second stage).',
    '',
    '## Data',
    '',
    `Pairs are (first sentence of a definition's documentation → the definition's code without that documentation), from ${report.files.documented} of the`,
    `${report.files.indexed} indexed files. Split by file (sha-256 of the path): ${report.files.train} files (${report.pairs.train} pairs) for training,`,
    `${report.files.valid} files (${report.pairs.valid} pairs) for early stopping, ${report.files.heldOut} files (${report.pairs.heldOut} queries) held out.`,
    '',
    '## Held-out evaluation',
    '',
    `Each held-out query is searched as \`codeintent search\` runs (vector and lexical candidates, the second stage) in an index of only the`,
    `${report.candidates} chunks of the held-out files, with every doc comment and docstring removed. Baseline: ` +
      `${report.baseline === 'identity' ? 'no adapter' : `the shipped adapter ${report.baseline}`}, second stage ${report.rankerBaseline}.`,
    '',
    '| | n | MRR | R@1 | R@10 |',
    '|---|---:|---:|---:|---:|',
    ...(report.before ? [metricsRow('before (baseline)', report.before)] : []),
    ...(report.after ? [metricsRow(`after (${report.choice ?? 'baseline'})`, report.after)] : []),
    ...Object.entries(report.byLanguage).flatMap(([language, m]) => [metricsRow(`${language}: before`, m.before), metricsRow(`${language}: after`, m.after)]),
    '',
    `Early-stopping MRR through search: ${report.validation.map((v) => `${v.name} ${v.mrr.toFixed(3)}`).join(', ')}.`,
    '',
    '## Training',
    '',
    t && o
      ? `Adapter: softmax cross-entropy over in-batch negatives plus ${o.hardNegatives} mined hard negatives per query, temperature ${o.temperature}; ` +
        `L2 penalty ${o.l2}·‖W − W0‖² (W0 = the baseline); Adam, step ${o.learningRate}, batch ${o.batchSize}; early stopping on cosine MRR ` +
        `(patience ${o.patience}); seed ${o.seed}. Kept epoch ${t.bestEpoch} of ${t.epochs}; early-stopping MRR ${t.validBefore.mrr.toFixed(3)} → ${t.validAfter.mrr.toFixed(3)}; ${t.seconds.toFixed(1)} s.`
      : '',
    '',
    r
      ? `Second stage: the shipped listwise loss over each training query's candidates (${r.queries} queries with an answer among them) plus ` +
        `${r.options.l2}·‖θ − θ0‖² (θ0 = the shipped weights); full-batch Adam, step ${r.options.learningRate}; early stopping on MRR through search ` +
        `every ${r.options.checkEvery} steps (patience ${r.options.patience}). Kept step ${r.bestStep} of ${r.steps}; early-stopping MRR ${r.validBefore.mrr.toFixed(3)} → ${r.validAfter.mrr.toFixed(3)}; ${r.seconds.toFixed(1)} s.`
      : '',
    '',
    '## Rebuild',
    '',
    '```sh',
    command ?? `codeintent tune ${report.root}`,
    '```',
  ];
  return lines.join('\n');
}

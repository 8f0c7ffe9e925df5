// `codeintent tune`: a workspace-specific query adapter, trained on the workspace's own documented
// definitions (first sentence of the doc → the code without its doc) and kept only when it ranks
// held-out code better than what search uses without it.
//
// Honesty rules of the evaluation:
// - the split is by FILE: held-out files contribute no training pair, and their chunks are never
//   seen in training (neither as answers nor as negatives);
// - a query's own documentation is removed from the code it must find (leading comments are not in
//   a chunk's text; Python docstrings are cut out with `codeWithoutDoc`), and so is every other doc
//   in the held-out files, so no held-out candidate carries a query's words for free;
// - scores are plain cosine similarities between the (adapted) query vectors and every chunk of the
//   held-out files (documented or not, all pieces), embedded exactly as the index embeds them except
//   for the removed docs. That is a smaller candidate set than the full index, so absolute numbers
//   are higher than in real use; before and after are measured on the same set.
//
// Everything goes through the workspace's embedder (and so its embedding cache): chunks without
// documentation are cache hits, and a second `tune` re-embeds nothing.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { queryFromDoc } from './doc-query.js';
import { ADAPTER_FILE, findAdapter, removeAdapter, tunedAdaptersDir, writeAdapter } from '../adapter.js';
import { codeWithoutDoc } from '../chunk/index.js';
import { documentText } from '../embedding-text.js';
import { DEFAULT_ADAPTER_OPTIONS, identityMatrix, mineHardNegatives, rankAgainst, trainAdapter } from './adapter-training.js';
import type { AdapterTrainOptions, AdapterTrainReport, EmbeddedPairs, TrainedAdapter } from './adapter-training.js';
import type { Chunk, Embedder, LanguageId } from '../types.js';
import type { IndexOptions, Workspace } from '../workspace.js';
import { pathExists } from '../files.js';
import { messageOf } from '../errors.js';
import { LineIndex } from '../chunk/lines.js';
import { samplePool } from '../util/random.js';
import { metricsFromRanks, type RetrievalMetrics } from './metrics.js';
import { firstPieces, withPythonDocSpan } from './doc-spans.js';

/** Sub-folder of `<indexDir>/adapters/` where the tuned adapter lives (searched before the shipped ones). */
export const TUNED_ADAPTER_NAME = 'tuned';

export type TunePhase = 'index' | 'chunk' | 'embed' | 'train' | 'evaluate';

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
  /** Fewer training pairs than this, or fewer held-out queries than `minHeldOut`: no adapter (defaults 40 and 10). */
  minTrainPairs?: number;
  minHeldOut?: number;
  /** Relative MRR gain over the baseline required to keep the adapter (default 0.01 = 1%). */
  minGain?: number;
  /**
   * And the gain must be this many standard errors of the mean paired difference of reciprocal
   * ranks (default 1.64: one-sided 95%), so a small held-out set's noise is not taken for a gain.
   */
  minZ?: number;
  seed?: number;
  /** Trainer settings (src/core/tune/adapter-training.ts); `initial` is set here. */
  train?: Partial<Omit<AdapterTrainOptions, 'initial'>>;
  /** Folders of shipped adapters (the baseline); default `workspace.shippedAdaptersDir`. */
  shippedAdapters?: readonly string[];
  /** How to rebuild, for the adapter's card (e.g. the command line). */
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

export interface TuneReport {
  root: string;
  indexDir: string;
  modelId: string;
  dimension: number;
  files: { indexed: number; documented: number; train: number; valid: number; heldOut: number };
  pairs: { train: number; valid: number; heldOut: number };
  /** Chunks of the held-out files: the candidates each held-out query is ranked against. */
  candidates: number;
  /** What search uses without a tuned adapter: 'identity' or the shipped adapter's folder. */
  baseline: string;
  /** Held-out metrics, null when there was too little data to train. */
  before: RetrievalMetrics | null;
  after: RetrievalMetrics | null;
  /** after.mrr / before.mrr. */
  factor: number | null;
  /** Mean paired difference of reciprocal ranks (after − before) over its standard error. */
  z: number | null;
  /** Identity metrics when the baseline is a shipped adapter. */
  identity: RetrievalMetrics | null;
  byLanguage: Record<string, TuneMetrics>;
  improved: boolean;
  /** Folder of the saved adapter, or null when none was kept. */
  adapter: string | null;
  /** A tuned adapter of an earlier run that this run removed (it did not help). */
  removed: string | null;
  /** Why no adapter was kept, in a sentence. */
  verdict: string;
  training: AdapterTrainReport | null;
  seconds: Record<TunePhase | 'total', number>;
}

interface FileData {
  path: string;
  /** What the held-out evaluation ranks: each chunk as indexed, documentation removed. */
  candidates: string[];
  languages: LanguageId[];
  pairs: { query: string; code: string; language: LanguageId; answers: number[] }[];
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

/** A file's candidates and (query, code) pairs, built as the training corpus builds them. */
function fileData(file: string, text: string, chunks: readonly Chunk[]): FileData {
  const lineStarts = new LineIndex(text).starts;
  const first = firstPieces(chunks);
  const data: FileData = { path: file, candidates: [], languages: [], pairs: [] };
  const docless = chunks.map((chunk) => {
    const placed = withPythonDocSpan(chunk, text, lineStarts);
    const code = placed === 'beyond' ? chunk.text : codeWithoutDoc(placed);
    return { placed, code };
  });
  chunks.forEach((chunk, i) => {
    const { code } = docless[i] ?? { code: chunk.text };
    data.candidates.push(documentText({ path: chunk.path, symbol: chunk.symbol, container: chunk.container, doc: '', text: code }));
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
    data.pairs.push({ query: result.query, code: data.candidates[i] ?? '', language: chunk.language, answers });
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
  const minTrainPairs = checkCount('minTrainPairs', options.minTrainPairs ?? 40);
  const minHeldOut = checkCount('minHeldOut', options.minHeldOut ?? 10);
  const minGain = options.minGain ?? 0.01;
  if (!(minGain >= 0)) throw new TypeError(`tuneWorkspace: \`minGain\` must be a non-negative number, not ${String(minGain)}`);
  const minZ = options.minZ ?? 1.64;
  if (!(minZ >= 0)) throw new TypeError(`tuneWorkspace: \`minZ\` must be a non-negative number, not ${String(minZ)}`);
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) throw new TypeError(`tuneWorkspace: \`seed\` must be an integer, not ${String(seed)}`);
  return { heldOutShare, validShare, maxTrainPairs, minTrainPairs, minHeldOut, minGain, minZ, seed };
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

/** The indexed files' candidates and pairs, chunked as the indexer chunks them; a file that cannot be read is left out. */
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

interface HeldOutQuery {
  query: string;
  language: LanguageId;
  /** Indices into the held-out candidates. */
  answers: number[];
}

/** The files and pairs of each side of the split by file (see the header). */
interface TuneSplit {
  documented: FileData[];
  /** Documented or not: every file below the held-out hash threshold. */
  heldOut: FileData[];
  trainFiles: FileData[];
  validFiles: FileData[];
  trainPairs: FileData['pairs'];
  validPairs: FileData['pairs'];
  heldPairs: HeldOutQuery[];
  /** The held-out files' chunks, in file order: what each held-out query is ranked against. */
  candidates: string[];
}

/**
 * Documented files in hash order: the first heldOutShare are held out, and undocumented files below
 * the same hash threshold join the held-out candidates; of the rest, the last validShare are for
 * early stopping. Training pairs beyond maxTrainPairs are a seeded sample.
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
  const allTrainPairs = trainFiles.flatMap((f) => f.pairs);
  const trainPairs =
    allTrainPairs.length > maxTrainPairs
      ? samplePool(
          allTrainPairs.map((_, i) => i),
          maxTrainPairs,
          seed,
        ).flatMap((i) => allTrainPairs[i] ?? [])
      : allTrainPairs;
  const validPairs = validFiles.flatMap((f) => f.pairs);
  return { documented, heldOut, trainFiles, validFiles, trainPairs, validPairs, ...heldOutQueries(heldOut) };
}

/** The held-out files' queries, their answers renumbered into the candidates of all held-out files. */
function heldOutQueries(heldOut: readonly FileData[]): { heldPairs: HeldOutQuery[]; candidates: string[] } {
  const heldPairs: HeldOutQuery[] = [];
  const candidates: string[] = [];
  for (const f of heldOut) {
    const offset = candidates.length;
    candidates.push(...f.candidates);
    for (const p of f.pairs) heldPairs.push({ query: p.query, language: p.language, answers: p.answers.map((a) => a + offset) });
  }
  return { heldPairs, candidates };
}

/** The report before any training: what was indexed and how it was split; no metrics, no verdict yet. */
function initialReport(
  workspace: Workspace,
  { modelId, dimension, indexed, split, baseline, seconds }: { modelId: string; dimension: number; indexed: number; split: TuneSplit; baseline: string; seconds: TuneReport['seconds'] },
): TuneReport {
  return {
    root: workspace.root,
    indexDir: workspace.indexDir,
    modelId,
    dimension,
    files: { indexed, documented: split.documented.length, train: split.trainFiles.length, valid: split.validFiles.length, heldOut: split.heldOut.filter((f) => f.pairs.length > 0).length },
    pairs: { train: split.trainPairs.length, valid: split.validPairs.length, heldOut: split.heldPairs.length },
    candidates: split.candidates.length,
    baseline,
    before: null,
    after: null,
    factor: null,
    z: null,
    identity: null,
    byLanguage: {},
    improved: false,
    adapter: null,
    removed: null,
    verdict: '',
    training: null,
    seconds,
  };
}

/** Why there is too little to tune on, or null when the split has enough of each kind of pair. */
function tooLittleData({ trainPairs, validPairs, heldPairs, documented }: TuneSplit, { minTrainPairs, minHeldOut }: TuneSettings): string | null {
  if (trainPairs.length >= minTrainPairs && validPairs.length >= 2 && heldPairs.length >= minHeldOut) return null;
  return (
    `too little documented code to tune: ${trainPairs.length} training pairs (need ${minTrainPairs}), ${validPairs.length} for early stopping (need 2), ` +
    `${heldPairs.length} held-out queries (need ${minHeldOut}) from ${documented.length} files with usable doc comments`
  );
}

/** Sets the verdict; a tuned adapter of an earlier run goes unless this run kept a new one. */
async function finishReport(report: TuneReport, tunedDir: string, verdict: string, started: number): Promise<TuneReport> {
  report.verdict = verdict;
  if (!report.improved && (await pathExists(path.join(tunedDir, ADAPTER_FILE)))) {
    await removeAdapter(tunedDir);
    report.removed = tunedDir;
  }
  report.seconds.total = (performance.now() - started) / 1000;
  return report;
}

/** `texts` embedded 256 at a time (reporting each step's start), as one n×d block. */
async function embedRows(embedder: Embedder, texts: readonly string[], kind: 'query' | 'document', d: number, onStep: (start: number) => void, signal?: AbortSignal): Promise<Float32Array> {
  const out: Float32Array[] = [];
  const step = 256;
  for (let start = 0; start < texts.length; start += step) {
    onStep(start);
    out.push(...(await embedder.embed(texts.slice(start, start + step), kind, signal)));
  }
  return rows(out, d);
}

interface EmbeddedSplit {
  train: EmbeddedPairs;
  valid: EmbeddedPairs;
  heldQueries: Float32Array;
  heldCandidates: Float32Array;
}

/** Every text of the split through the workspace's embedder (and so its cache), with one progress count over all of them. */
async function embedSplit(embedder: Embedder, d: number, split: TuneSplit, progress: ReportProgress, signal?: AbortSignal): Promise<EmbeddedSplit> {
  const total = 2 * split.trainPairs.length + 2 * split.validPairs.length + split.heldPairs.length + split.candidates.length;
  let done = 0;
  const embedAll = async (texts: readonly string[], kind: 'query' | 'document'): Promise<Float32Array> => {
    const before = done;
    const block = await embedRows(embedder, texts, kind, d, (start) => progress('embed', before + start, total), signal);
    done += texts.length;
    return block;
  };
  const embedPairs = async (pairs: readonly { query: string; code: string }[]): Promise<EmbeddedPairs> => {
    const queries = await embedAll(pairs.map((p) => p.query), 'query');
    const codes = await embedAll(pairs.map((p) => p.code), 'document');
    return { dimension: d, queries, codes };
  };
  const train = await embedPairs(split.trainPairs);
  const valid = await embedPairs(split.validPairs);
  const heldQueries = await embedAll(split.heldPairs.map((p) => p.query), 'query');
  const heldCandidates = await embedAll(split.candidates, 'document');
  progress('embed', total, total);
  return { train, valid, heldQueries, heldCandidates };
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

/**
 * Ranks the held-out queries against the held-out candidates with the baseline and with the
 * trained matrix, and writes before/after (overall and per language), factor, z and, when the
 * baseline is a shipped adapter, the identity's metrics into the report.
 */
function evaluateHeldOut(report: TuneReport, embedded: EmbeddedSplit, heldPairs: readonly HeldOutQuery[], initial: Float32Array, trained: Float32Array, withIdentity: boolean): TuneMetrics {
  const { heldQueries, heldCandidates } = embedded;
  const d = report.dimension;
  const answers = heldPairs.map((p) => p.answers);
  const before = rankAgainst(heldQueries, heldCandidates, d, answers, initial);
  const after = rankAgainst(heldQueries, heldCandidates, d, answers, trained);
  const metrics = { before: metricsFromRanks(before), after: metricsFromRanks(after) };
  report.before = metrics.before;
  report.after = metrics.after;
  report.factor = report.before.mrr > 0 ? report.after.mrr / report.before.mrr : null;
  report.z = pairedZ(before, after);
  if (withIdentity) report.identity = metricsFromRanks(rankAgainst(heldQueries, heldCandidates, d, answers));
  const languages = [...new Set(heldPairs.map((p) => p.language))].sort();
  for (const language of languages) {
    const at = heldPairs.flatMap((p, i) => (p.language === language ? [i] : []));
    report.byLanguage[language] = { before: metricsFromRanks(before, at), after: metricsFromRanks(after, at) };
  }
  return metrics;
}

/** Why the adapter is not kept, or null: it must have beaten the baseline in training, by minGain and by minZ standard errors on held-out files. */
function rejection({ before, after }: TuneMetrics, z: number | null, bestEpoch: number, heldQueries: number, { minGain, minZ }: TuneSettings): string | null {
  const gainOk = after.mrr > before.mrr * (1 + minGain);
  const zOk = z !== null && z >= minZ;
  if (bestEpoch > 0 && gainOk && zOk) return null;
  if (bestEpoch === 0) return 'training never beat the baseline on the early-stopping files';
  if (!gainOk) return `held-out MRR ${before.mrr.toFixed(3)} → ${after.mrr.toFixed(3)} is not at least ${(minGain * 100).toFixed(0)}% better`;
  return `held-out MRR ${before.mrr.toFixed(3)} → ${after.mrr.toFixed(3)} is within the noise of ${heldQueries} queries (z ${(z ?? 0).toFixed(2)} < ${minZ})`;
}

/**
 * Indexes the workspace, trains an adapter on its documented definitions and keeps it in
 * `<indexDir>/adapters/tuned/` only when it beats the baseline on held-out files.
 */
export async function tuneWorkspace(workspace: Workspace, options: TuneOptions = {}): Promise<TuneReport> {
  const started = performance.now();
  const settings = tuneSettings(options);
  const { signal, log } = options;
  const progress: ReportProgress = (phase, done, total) => options.onProgress?.({ phase, done, total });
  const seconds: TuneReport['seconds'] = { index: 0, chunk: 0, embed: 0, train: 0, evaluate: 0, total: 0 };
  const lap = phaseClock(seconds);

  // 1. The index, up to date (the adapter is for its model; undocumented chunks' vectors come from its cache).
  progress('index', 0, 1);
  await workspace.index({ ...options.index, ...(signal ? { signal } : {}) });
  lap('index');

  // 2. Chunks of every indexed file, as the indexer makes them.
  const indexed = [...(await workspace.store.fileRows()).keys()].sort();
  const files = await readIndexedFiles(workspace, indexed, progress, signal, log);
  lap('chunk');

  // 3. The split, by file.
  const split = splitByFile(files, settings);
  const modelId = workspace.store.info.embedderId;
  const d = workspace.embedder.dimension;
  const shipped = await findAdapter(modelId, options.shippedAdapters ?? [workspace.shippedAdaptersDir]);
  const tunedDir = path.join(tunedAdaptersDir(workspace.indexDir), TUNED_ADAPTER_NAME);
  const report = initialReport(workspace, { modelId, dimension: d, indexed: indexed.length, split, baseline: shipped?.dir ?? 'identity', seconds });
  const tooLittle = tooLittleData(split, settings);
  if (tooLittle !== null) return finishReport(report, tunedDir, tooLittle, started);

  // 4. Embeddings, through the workspace's embedder and its cache.
  const embedded = await embedSplit(workspace.embedder, d, split, progress, signal);
  lap('embed');

  // 5. Training, from the baseline (a shipped adapter for this model, else the identity).
  progress('train', 0, 1);
  const initial = shipped?.matrix ?? identityMatrix(d);
  const trained = trainFromBaseline(embedded, initial, options, settings.seed, progress);
  report.training = trained.report;
  lap('train');

  // 6. The verdict on the held-out files.
  progress('evaluate', 0, 1);
  const metrics = evaluateHeldOut(report, embedded, split.heldPairs, initial, trained.matrix, shipped !== undefined);
  lap('evaluate');

  const rejected = rejection(metrics, report.z, trained.report.bestEpoch, split.heldPairs.length, settings);
  report.improved = rejected === null;
  if (rejected !== null) return finishReport(report, tunedDir, rejected, started);
  await writeAdapter(tunedDir, { modelId, dimension: d, matrix: trained.matrix, card: tuneCard(report, options.command) });
  report.adapter = tunedDir;
  return finishReport(report, tunedDir, `held-out MRR ${metrics.before.mrr.toFixed(3)} → ${metrics.after.mrr.toFixed(3)}, ×${(report.factor ?? 0).toFixed(2)}, z ${(report.z ?? 0).toFixed(1)}`, started);
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

function tuneCard(report: TuneReport, command: string | undefined): string {
  const t = report.training;
  const o = t?.options;
  const lines = [
    `# Tuned query adapter for ${report.root}`,
    '',
    `A ${report.dimension}×${report.dimension} linear map applied to query vectors of model \`${report.modelId}\` (then L2-normalised);`,
    'the index is never re-embedded. Written by `codeintent tune` (src/core/tune/index.ts) on ' + new Date().toISOString() + '.',
    'Search picks it up with `--adapter default` (the default); `--adapter none` turns it off.',
    '',
    '## Data',
    '',
    `Pairs are (first sentence of a definition's documentation → the definition's code without that documentation), from ${report.files.documented} of the`,
    `${report.files.indexed} indexed files. Split by file (sha-256 of the path): ${report.files.train} files (${report.pairs.train} pairs) for training,`,
    `${report.files.valid} files (${report.pairs.valid} pairs) for early stopping, ${report.files.heldOut} files (${report.pairs.heldOut} queries) held out.`,
    '',
    '## Held-out evaluation',
    '',
    `Each held-out query is ranked by cosine similarity against all ${report.candidates} chunks of the held-out files (embedded as the`,
    'index embeds them, with every doc comment and docstring removed). Baseline: ' + (report.baseline === 'identity' ? 'no adapter.' : `the shipped adapter ${report.baseline}.`),
    '',
    '| | n | MRR | R@1 | R@10 |',
    '|---|---:|---:|---:|---:|',
    ...(report.identity ? [metricsRow('no adapter', report.identity)] : []),
    ...(report.before ? [metricsRow('before (baseline)', report.before)] : []),
    ...(report.after ? [metricsRow('after (this adapter)', report.after)] : []),
    ...Object.entries(report.byLanguage).flatMap(([language, m]) => [metricsRow(`${language}: before`, m.before), metricsRow(`${language}: after`, m.after)]),
    '',
    '## Training',
    '',
    t && o
      ? `Softmax cross-entropy over in-batch negatives plus ${o.hardNegatives} mined hard negatives per query, temperature ${o.temperature}; ` +
        `L2 penalty ${o.l2}·‖W − W0‖² (W0 = the baseline); Adam, step ${o.learningRate}, batch ${o.batchSize}; early stopping on MRR ` +
        `(patience ${o.patience}); seed ${o.seed}. Kept epoch ${t.bestEpoch} of ${t.epochs}; early-stopping MRR ${t.validBefore.mrr.toFixed(3)} → ${t.validAfter.mrr.toFixed(3)}; ${t.seconds.toFixed(1)} s.`
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

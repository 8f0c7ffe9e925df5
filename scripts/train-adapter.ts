// Trains the shipped query adapter of a model (adapters/<model folder name>/) on the harvested
// (query → code) pairs, and writes it only when it lifts held-out (test split) MRR.
//
//   npm run train:adapter -- [--model default|use-lite|FOLDER] [--max-train N] [--test-pool N] [...; see --help]
//
// Pairs: .cache/corpus/pairs/{train,valid,test}.jsonl (node out/scripts/corpus/build.js), split by
// whole packages. Documents are embedded exactly as the index embeds a chunk of that code
// (documentText with no doc), queries as 'query'. Vectors are cached on disk per model
// (.cache/adapter/embeddings/), so a re-run with other hyperparameters embeds nothing new.

import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import { readAdapter, writeAdapter } from '../src/core/adapter.js';
import { createEmbedder, withCache } from '../src/core/embed/index.js';
import type { EmbeddingCacheStore } from '../src/core/embed/index.js';
import { resolveModel } from '../src/core/models.js';
import { DEFAULT_ADAPTER_OPTIONS, mineHardNegatives, rankAgainst, trainAdapter } from '../src/core/tune/adapter-training.js';
import type { AdapterTrainOptions, EmbeddedPairs, TrainedAdapter } from '../src/core/tune/adapter-training.js';
import { pairDocument } from '../src/training/static-model.js';
import type { TrainingPair } from '../src/training/static-model.js';
import type { Embedder } from '../src/core/types.js';
import { num, out, parseFlags, runScript } from './script-args.js';
import { countBy, readPairs, SPLITS, type Split } from './training-pairs.js';
import { samplePool } from '../src/core/util/random.js';
import { metricsFromRanks, type RetrievalMetrics } from '../src/core/tune/metrics.js';

const D = DEFAULT_ADAPTER_OPTIONS;
const helpText = `Usage: npm run train:adapter -- [options]   (node out/scripts/train-adapter.js)

Data and output
  --model M            default | use-lite | a model folder                     (default)
  --pairs DIR          folder with train.jsonl, valid.jsonl, test.jsonl          (.cache/corpus/pairs)
  --out DIR            adapter folder to write                 (adapters/<model folder name>)
  --max-train N        training pairs (a seeded sample)                          (20000)
  --max-valid N        early-stopping pairs (a seeded sample)                    (1000)
  --test-pool N        held-out test pairs: each query ranked among these codes (1000)
  --cache DIR          embedding cache                               (.cache/adapter/embeddings)
  --min-z X            keep the adapter only if the test MRR gain is X standard errors (1.64)
  --no-write           train and evaluate, write nothing

Training
  --epochs N           (${D.epochs})
  --batch N            (${D.batchSize})
  --lr X               Adam step size                                            (${D.learningRate})
  --temperature X      (${D.temperature})
  --l2 X               penalty on ‖W − I‖²                                       (${D.l2})
  --hard-negatives K   mined per query within its package, at the identity       (${D.hardNegatives})
  --patience N         (${D.patience})
  --seed N             (${D.seed})
  --help`;

const parseOptions = {
  model: { type: 'string', default: 'default' },
  pairs: { type: 'string', default: '.cache/corpus/pairs' },
  out: { type: 'string' },
  'max-train': { type: 'string', default: '20000' },
  'max-valid': { type: 'string', default: '1000' },
  'test-pool': { type: 'string', default: '1000' },
  cache: { type: 'string', default: '.cache/adapter/embeddings' },
  'min-z': { type: 'string', default: '1.64' },
  'no-write': { type: 'boolean', default: false },
  epochs: { type: 'string' },
  batch: { type: 'string' },
  lr: { type: 'string' },
  temperature: { type: 'string' },
  l2: { type: 'string' },
  'hard-negatives': { type: 'string' },
  patience: { type: 'string' },
  seed: { type: 'string' },
  help: { type: 'boolean', default: false },
} as const;

const progress = (line: string): void => {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${line}`);
};

// ---- embedding, with a file-backed cache ----

/** Append-only file of (sha-256 key, float32 vector) records, loaded whole at start. */
async function fileCache(file: string, dimension: number): Promise<EmbeddingCacheStore & { size: number }> {
  const entries = new Map<string, Float32Array>();
  const record = 32 + dimension * 4;
  try {
    const bytes = await readFile(file);
    for (let at = 0; at + record <= bytes.length; at += record) {
      const key = bytes.toString('hex', at, at + 32);
      const vector = new Float32Array(dimension);
      for (let k = 0; k < dimension; k++) vector[k] = bytes.readFloatLE(at + 32 + k * 4);
      entries.set(key, vector);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(path.dirname(file), { recursive: true });
  return {
    get size() {
      return entries.size;
    },
    async get(keys) {
      const found = new Map<string, Float32Array>();
      for (const k of keys) {
        const v = entries.get(k);
        if (v) found.set(k, v);
      }
      return found;
    },
    async set(fresh) {
      const buffer = Buffer.alloc(fresh.size * record);
      let at = 0;
      for (const [k, v] of fresh) {
        entries.set(k, v);
        buffer.write(k, at, 'hex');
        for (let i = 0; i < dimension; i++) buffer.writeFloatLE(v[i] ?? 0, at + 32 + i * 4);
        at += record;
      }
      await appendFile(file, buffer);
    },
  };
}

async function embedTexts(embedder: Embedder, texts: readonly string[], kind: 'query' | 'document', label: string): Promise<Float32Array> {
  const d = embedder.dimension;
  const rows = new Float32Array(texts.length * d);
  const started = performance.now();
  const step = 64;
  for (let start = 0; start < texts.length; start += step) {
    const vectors = await embedder.embed(texts.slice(start, start + step), kind);
    vectors.forEach((v, i) => rows.set(v, (start + i) * d));
    const done = Math.min(texts.length, start + step);
    progress(`embedding ${label}: ${done}/${texts.length} (${(done / ((performance.now() - started) / 1000)).toFixed(1)}/s)`);
  }
  progress('');
  return rows;
}

// ---- evaluation ----

interface Evaluation {
  name: string;
  before: RetrievalMetrics;
  after: RetrievalMetrics;
}

/** Each test query ranked among all the pool's codes; per language = that language's queries, same pool. */
function evaluateTest(pairs: readonly TrainingPair[], split: EmbeddedPairs, matrix: Float32Array): { rows: Evaluation[]; z: number } {
  const d = split.dimension;
  const answers = pairs.map((_, i) => [i]);
  const before = rankAgainst(split.queries, split.codes, d, answers);
  const after = rankAgainst(split.queries, split.codes, d, answers, matrix);
  const rows: Evaluation[] = [{ name: 'all', before: metricsFromRanks(before), after: metricsFromRanks(after) }];
  for (const language of countBy(pairs, (p) => p.language).keys()) {
    const at = pairs.flatMap((p, i) => (p.language === language ? [i] : []));
    rows.push({ name: language, before: metricsFromRanks(before, at), after: metricsFromRanks(after, at) });
  }
  const diffs = Array.from(before, (b, i) => 1 / (after[i] ?? Infinity) - 1 / b);
  const mean = diffs.reduce((a, b) => a + b, 0) / diffs.length;
  const sd = Math.sqrt(diffs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, diffs.length - 1));
  return { rows, z: sd > 0 ? mean / (sd / Math.sqrt(diffs.length)) : 0 };
}

const f3 = (x: number): string => x.toFixed(3);
const fmt = (m: RetrievalMetrics): string => `MRR ${f3(m.mrr)}  R@1 ${f3(m.r1)}  R@10 ${f3(m.r10)}`;

/** The folder name an adapter for this model choice gets under adapters/. */
async function modelDirName(choice: string): Promise<string> {
  const spec = await resolveModel(choice);
  switch (spec.kind) {
    case 'static':
    case 'transformers':
      return path.basename(path.resolve(spec.modelPath));
    case 'use-lite':
      return 'use-lite';
    case 'openai':
      return `openai-${spec.model}`.replace(/[^A-Za-z0-9._-]+/g, '_');
  }
}

// ---- main ----

async function main(): Promise<void> {
  const args = parseFlags(parseOptions);
  if (args.help) {
    out(helpText);
    return;
  }
  const given: Partial<AdapterTrainOptions> = {};
  const set = <K extends keyof AdapterTrainOptions>(key: K, value: AdapterTrainOptions[K] | undefined): void => {
    if (value !== undefined) given[key] = value;
  };
  set('epochs', num('epochs', args.epochs));
  set('batchSize', num('batch', args.batch));
  set('learningRate', num('lr', args.lr));
  set('temperature', num('temperature', args.temperature));
  set('l2', num('l2', args.l2));
  set('hardNegatives', num('hard-negatives', args['hard-negatives']));
  set('patience', num('patience', args.patience));
  set('seed', num('seed', args.seed));
  const seed = given.seed ?? D.seed;
  const caps: Record<Split, number> = {
    train: num('max-train', args['max-train']) ?? 20000,
    valid: num('max-valid', args['max-valid']) ?? 1000,
    test: num('test-pool', args['test-pool']) ?? 1000,
  };
  const minZ = num('min-z', args['min-z']) ?? 1.64;

  const t0 = performance.now();
  const all = new Map<Split, TrainingPair[]>();
  const splits = new Map<Split, TrainingPair[]>();
  for (const [k, split] of SPLITS.entries()) {
    const pairs = await readPairs(path.join(args.pairs, `${split}.jsonl`));
    all.set(split, pairs);
    splits.set(
      split,
      samplePool(
        pairs.map((_, i) => i),
        caps[split],
        seed + 100 * k,
      ).flatMap((i) => pairs[i] ?? []),
    );
  }
  const pick = (s: Split): TrainingPair[] => splits.get(s) ?? [];
  out(`pairs (sampled from ${SPLITS.map((s) => `${s} ${all.get(s)?.length ?? 0}`).join(', ')}): train ${pick('train').length}, valid ${pick('valid').length}, test ${pick('test').length}; read in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const base = await createEmbedder(await resolveModel(args.model));
  const cacheFile = path.join(args.cache, `${base.id.replace(/[^A-Za-z0-9._-]+/g, '_')}.bin`);
  const cache = await fileCache(cacheFile, base.dimension);
  const embedder = withCache(base, cache);
  out(`model ${base.id} (${base.dimension} dimensions); ${cache.size} vectors cached in ${cacheFile}`);

  const t1 = performance.now();
  const embedded = new Map<Split, EmbeddedPairs>();
  for (const split of SPLITS) {
    const pairs = pick(split);
    embedded.set(split, {
      dimension: base.dimension,
      queries: await embedTexts(embedder, pairs.map((p) => p.query), 'query', `${split} queries`),
      codes: await embedTexts(embedder, pairs.map(pairDocument), 'document', `${split} code`),
    });
  }
  const embedSeconds = (performance.now() - t1) / 1000;
  out(`embedded in ${embedSeconds.toFixed(0)} s`);
  await base.dispose();

  const train = embedded.get('train');
  const valid = embedded.get('valid');
  const test = embedded.get('test');
  if (!train || !valid || !test) throw new Error('unreachable');
  const t2 = performance.now();
  const k = given.hardNegatives ?? D.hardNegatives;
  train.hardNegatives = mineHardNegatives(train, k, { groups: pick('train').map((p) => p.pkg) });
  const mineSeconds = (performance.now() - t2) / 1000;
  const trained = trainAdapter(train, valid, {
    ...given,
    onEpoch: (e) => out(`epoch ${e.epoch}: loss ${e.loss.toFixed(4)}  valid ${fmt(e.valid)}  ${e.seconds.toFixed(1)} s${e.best ? '  *' : ''}`),
  });
  const r = trained.report;
  out(`trained in ${r.seconds.toFixed(1)} s (+ ${mineSeconds.toFixed(1)} s mining hard negatives); kept epoch ${r.bestEpoch}; valid ${fmt(r.validBefore)} → ${fmt(r.validAfter)}`);

  const { rows, z } = evaluateTest(pick('test'), test, trained.matrix);
  out('');
  out(`test (held-out packages; each query among the pool's ${pick('test').length} codes):`);
  for (const row of rows) out(`  ${row.name.padEnd(11)} n=${String(row.before.n).padEnd(5)} before ${fmt(row.before)}   after ${fmt(row.after)}   ×${(row.after.mrr / Math.max(1e-9, row.before.mrr)).toFixed(2)}`);
  const overall = rows[0];
  if (!overall) throw new Error('unreachable');
  const helps = r.bestEpoch > 0 && overall.after.mrr > overall.before.mrr && z >= minZ;
  const folder = path.resolve(args.out ?? path.join('adapters', await modelDirName(args.model)));
  out(`gain z = ${z.toFixed(1)} (paired reciprocal ranks)`);
  if (!helps) {
    out(`decision: NOT written — the adapter does not lift held-out MRR (${f3(overall.before.mrr)} → ${f3(overall.after.mrr)}, z ${z.toFixed(1)}, needs > 0 and z ≥ ${minZ})`);
    return;
  }
  if (args['no-write']) {
    out(`decision: it helps (${f3(overall.before.mrr)} → ${f3(overall.after.mrr)}), but --no-write: nothing written`);
    return;
  }
  const card = adapterCard({ folder, modelId: base.id, modelChoice: args.model, all, splits, trained, rows, z, embedSeconds, caps });
  await writeAdapter(folder, { modelId: base.id, dimension: base.dimension, matrix: trained.matrix, card });
  const check = await readAdapter(folder);
  if (check.info.modelId !== base.id || check.matrix.length !== trained.matrix.length) throw new Error(`${folder} does not read back`);
  out(`decision: written to ${path.relative(process.cwd(), folder)}/ (held-out MRR ${f3(overall.before.mrr)} → ${f3(overall.after.mrr)}, ×${(overall.after.mrr / overall.before.mrr).toFixed(2)})`);
}

interface CardInput {
  folder: string;
  modelId: string;
  modelChoice: string;
  all: Map<Split, TrainingPair[]>;
  splits: Map<Split, TrainingPair[]>;
  trained: TrainedAdapter;
  rows: Evaluation[];
  z: number;
  embedSeconds: number;
  caps: Record<Split, number>;
}

function adapterCard(input: CardInput): string {
  const { splits, trained } = input;
  const r = trained.report;
  const o = r.options;
  const row = (cells: (string | number)[]): string => `| ${cells.join(' | ')} |`;
  const languages = [...countBy([...splits.values()].flat(), (p) => p.language).keys()];
  const dataTable = [
    row(['split', 'pairs used', 'of', 'packages', ...languages]),
    row(['---', '---:', '---:', '---:', ...languages.map(() => '---:')]),
    ...SPLITS.map((s) => {
      const pairs = splits.get(s) ?? [];
      const byLanguage = countBy(pairs, (p) => p.language);
      return row([s, pairs.length, input.all.get(s)?.length ?? 0, new Set(pairs.map((p) => p.pkg)).size, ...languages.map((l) => byLanguage.get(l) ?? 0)]);
    }),
  ].join('\n');
  const heldOut = (s: Split): string => {
    const pkgs = [...new Set((splits.get(s) ?? []).map((p) => p.pkg))].sort();
    const shown = pkgs.slice(0, 60).map((p) => `\`${p}\``).join(', ');
    return pkgs.length > 60 ? `${shown}, … (${pkgs.length} in all)` : shown;
  };
  const metrics = [
    row(['test pool', 'n', 'MRR before', 'after', 'R@1 before', 'after', 'R@10 before', 'after', 'MRR ×']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...input.rows.map((e) => row([e.name, e.before.n, f3(e.before.mrr), f3(e.after.mrr), f3(e.before.r1), f3(e.after.r1), f3(e.before.r10), f3(e.after.r10), (e.after.mrr / Math.max(1e-9, e.before.mrr)).toFixed(2)])),
  ].join('\n');
  const epochs = [
    row(['epoch', 'loss', 'valid MRR', 'R@1', 'R@10', 'seconds']),
    row(['---:', '---:', '---:', '---:', '---:', '---:']),
    row([0, '–', f3(r.validBefore.mrr), f3(r.validBefore.r1), f3(r.validBefore.r10), '–']),
    ...r.history.map((e) => row([`${e.epoch}${e.epoch === r.bestEpoch ? ' (kept)' : ''}`, e.loss.toFixed(4), f3(e.valid.mrr), f3(e.valid.r1), f3(e.valid.r10), e.seconds.toFixed(1)])),
  ].join('\n');
  const argv = process.argv.slice(2).map((a) => (/^[\w./=:-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`));
  return `# Query adapter for \`${input.modelId}\`

A ${Math.round(Math.sqrt(trained.matrix.length))}×${Math.round(Math.sqrt(trained.matrix.length))} linear map W applied to query vectors only (then L2-normalised): search scores
cos(W·q, c), so the index is never re-embedded. Loaded by \`readAdapter\` (src/core/adapter.ts); picked up
by \`--adapter default\` for model \`${input.modelId}\` (\`--model ${input.modelChoice}\`) when the workspace has no
tuned adapter of its own. Trained by src/core/tune/adapter-training.ts through scripts/train-adapter.ts.

## Data

Harvested (first doc sentence → code without its doc) pairs, split by whole packages: no validation or
test package contributes training pairs. Codes are embedded as the index embeds them
(\`documentText({ path, symbol, container: '', doc: '', text: code })\`), queries as queries. Seeded samples
(caps: train ${input.caps.train}, valid ${input.caps.valid}, test ${input.caps.test}):

${dataTable}

Held-out packages, validation (early stopping): ${heldOut('valid')}

Held-out packages, test (the verdict): ${heldOut('test')}

## Training

- loss: softmax cross-entropy of each query over the batch's codes (in-batch negatives) plus ${o.hardNegatives} hard negatives
  per query (the codes of its own package that score highest for it without an adapter); temperature ${o.temperature};
  codes or queries with identical vectors are not used as each other's negatives
- W initialised at the identity, L2 penalty ${o.l2}·‖W − I‖²_F; Adam, step ${o.learningRate}, batch ${o.batchSize}; seed ${o.seed}
- early stopping on validation MRR (pool of ${r.validPairs}), patience ${o.patience}; kept epoch ${r.bestEpoch} of ${r.epochs} (at most ${o.epochs})
- ${r.seconds.toFixed(1)} s of training on one core, deterministic for a seed (embedding: ${input.embedSeconds.toFixed(0)} s in this run; vectors embedded by earlier runs come from the cache in .cache/adapter/embeddings/)

${epochs}

## Held-out quality (test split)

Each test query must find its own code among all ${(splits.get('test') ?? []).length} codes of the test pool (a seeded sample of the
test split); the per-language rows are the queries of that language, ranked in the same pool. Plain cosine, vector
search only (no BM25, no fusion). Gain over the identity: z = ${input.z.toFixed(1)} standard errors (paired reciprocal ranks).

${metrics}

## Rebuild

\`\`\`sh
npx tsc -p tsconfig.json
node out/scripts/train-adapter.js ${argv.join(' ')}
\`\`\`
`;
}

runScript(main, helpText);

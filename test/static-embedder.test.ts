import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  EMBEDDINGS_FILE,
  MODEL_FILE,
  StaticEncoder,
  compoundRows,
  createStaticEmbedder,
  fnv1a,
  parseModelFile,
} from '../src/core/embed/static.js';
import { embedBags, prepareCorpus, saveStaticModel, trainStaticModel } from '../src/training/static-model.js';
import type { StaticTrainOptions, TrainedStaticModel, TrainingPair } from '../src/training/static-model.js';
import { createRng } from '../src/core/util/random.js';

// ---- a synthetic task: queries and code about the same concept share no words ----

function makeWord(rng: () => number, used: Set<string>): string {
  const consonants = 'bdfgklmnprstvz';
  const vowels = 'aeiou';
  for (;;) {
    let word = '';
    const syllables = 2 + Math.floor(rng() * 2);
    for (let s = 0; s < syllables; s++) word += (consonants[Math.floor(rng() * consonants.length)] ?? 'b') + (vowels[Math.floor(rng() * vowels.length)] ?? 'a');
    if (!used.has(word)) {
      used.add(word);
      return word;
    }
  }
}

const cap = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1);
const pick = <T>(items: readonly T[], rng: () => number): T => items[Math.floor(rng() * items.length)] as T;

interface Concept {
  queryWords: string[];
  codeWords: string[];
}

/** `perConcept` pairs for each of `concepts` concepts; the query speaks English-ish, the code uses other words. */
function syntheticPairs(concepts: readonly Concept[], perConcept: number, seed: number): TrainingPair[] {
  const rng = createRng(seed);
  const queryFiller = ['the', 'a', 'of', 'given', 'value', 'from', 'into'];
  const codeFiller = ['data', 'input', 'item', 'options', 'ctx'];
  const pairs: TrainingPair[] = [];
  concepts.forEach((concept, c) => {
    for (let k = 0; k < perConcept; k++) {
      const q1 = pick(concept.queryWords, rng);
      const q2 = pick(concept.queryWords, rng);
      const [a, b, x, y] = [pick(concept.codeWords, rng), pick(concept.codeWords, rng), pick(concept.codeWords, rng), pick(concept.codeWords, rng)];
      const symbol = `${a}${cap(b)}`;
      pairs.push({
        pkg: `pkg-${c % 6}`,
        language: c % 2 === 0 ? 'typescript' : 'python',
        path: `src/${a}/${x}.ts`,
        symbol,
        query: `${pick(queryFiller, rng)} ${q1} ${pick(queryFiller, rng)} ${q2}`,
        code: `export function ${symbol}(${pick(codeFiller, rng)}) {\n  const result = ${x}${cap(y)}(${pick(codeFiller, rng)});\n  return result;\n}`,
      });
    }
  });
  return pairs;
}

function syntheticSplits(): Map<string, TrainingPair[]> {
  const rng = createRng(42);
  const used = new Set<string>();
  const concepts: Concept[] = [];
  for (let c = 0; c < 30; c++) {
    concepts.push({
      queryWords: [makeWord(rng, used), makeWord(rng, used), makeWord(rng, used)],
      codeWords: [makeWord(rng, used), makeWord(rng, used), makeWord(rng, used), makeWord(rng, used)],
    });
  }
  return new Map([
    ['train', syntheticPairs(concepts, 8, 1)],
    // One validation pair per concept, so exactly one candidate is right for each query.
    ['valid', syntheticPairs(concepts, 1, 2)],
  ]);
}

const TRAIN: Partial<StaticTrainOptions> = {
  dimension: 32,
  hashBuckets: 64,
  minCount: 1,
  maxVocab: 5000,
  batchSize: 48,
  epochs: 25,
  learningRate: 0.02,
  weightLearningRate: 0.01,
  patience: 100,
  groupSize: 0,
  separateQueryWeights: false,
  seed: 7,
};

const dot = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0);
const norm = (a: Float32Array): number => Math.sqrt(dot(a, a));

describe('static embedding model', () => {
  const splits = syntheticSplits();
  let trained: TrainedStaticModel;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'codeintent-static-'));
    trained = trainStaticModel(splits, TRAIN);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('training raises validation MRR well above the untrained initialisation', () => {
    const initial = trained.initialValid;
    const best = trained.bestValid;
    assert.ok(initial && best);
    assert.equal(best.n, 30);
    assert.ok(initial.mrr < 0.35, `untrained MRR ${initial.mrr}`);
    assert.ok(best.mrr > initial.mrr + 0.4, `trained MRR ${best.mrr} vs untrained ${initial.mrr}`);
    assert.ok(best.r10 >= 0.9, `trained R@10 ${best.r10}`);
    const first = trained.history[0];
    const last = trained.history.at(-1);
    assert.ok(first && last && last.loss < first.loss, 'loss goes down');
  });

  test('package-grouped batching and fixed temperature also train', () => {
    const grouped = trainStaticModel(splits, { ...TRAIN, groupSize: 4, learnTemperature: false, learnWeights: false, epochs: 15 });
    assert.ok(grouped.bestValid && grouped.initialValid);
    assert.ok(grouped.bestValid.mrr > grouped.initialValid.mrr + 0.3, `${grouped.bestValid.mrr} vs ${grouped.initialValid.mrr}`);
    assert.ok(grouped.history.every((e) => Math.abs(e.temperature - 0.05) < 1e-9));
  });

  test('separate query pooling weights train, save and load', async () => {
    const model = trainStaticModel(splits, { ...TRAIN, separateQueryWeights: true, epochs: 10 });
    assert.ok(model.bestValid && model.initialValid && model.bestValid.mrr > model.initialValid.mrr + 0.3);
    const queryWeights = model.parts.queryWeights;
    assert.ok(queryWeights);
    assert.ok(queryWeights.some((w, i) => Math.abs(w - (model.parts.weights[i] ?? 0)) > 1e-3), 'the two sides learned different weights');
    const folder = join(dir, 'query-weights');
    await saveStaticModel(folder, model.parts, { quantization: 'f32' });
    const embedder = await createStaticEmbedder({ modelPath: folder });
    const encoder = new StaticEncoder(model.parts);
    const text = splits.get('valid')?.[0]?.query ?? '';
    const [query] = await embedder.embed([text], 'query');
    const [document] = await embedder.embed([text], 'document');
    assert.deepEqual(query, encoder.encode(text, 'query'));
    assert.deepEqual(document, encoder.encode(text, 'document'));
    assert.notDeepEqual(query, document);
  });

  test('the same seed gives the same bytes; another seed does not', async () => {
    const again = trainStaticModel(splits, TRAIN);
    const other = trainStaticModel(splits, { ...TRAIN, seed: 8 });
    const save = async (name: string, model: TrainedStaticModel): Promise<Buffer> => {
      await saveStaticModel(join(dir, name), model.parts, { quantization: 'int8' });
      return Buffer.concat([await readFile(join(dir, name, MODEL_FILE)), await readFile(join(dir, name, EMBEDDINGS_FILE))]);
    };
    const a = await save('det-a', trained);
    const b = await save('det-b', again);
    const c = await save('det-c', other);
    assert.ok(a.equals(b), 'same seed, same bytes');
    assert.ok(!a.equals(c), 'another seed, other bytes');
  });

  test('save → load gives the vectors the trainer computed (f32 exactly, int8 and f16 closely)', async () => {
    const folder = join(dir, 'code-static-test');
    await saveStaticModel(folder, trained.parts, { quantization: 'f32' });
    const embedder = await createStaticEmbedder({ modelPath: folder });
    assert.match(embedder.id, /^static:code-static-test:[0-9a-f]{12}$/);
    assert.equal(embedder.dimension, 32);
    const valid = splits.get('valid') ?? [];
    const texts = valid.map((p) => p.query);
    const loaded = await embedder.embed(texts, 'query');
    // The trainer's own tokenisation and pooling (what validation MRR was measured with).
    const corpus = prepareCorpus(splits, { ...trained.options, maxTokens: trained.parts.maxTokens, tf: trained.parts.tf });
    const bags = corpus.splits.get('valid');
    assert.ok(bags);
    const fromTrainer = embedBags(bags.queries, valid.map((_, i) => i), trained.parts, 'query');
    const encoder = new StaticEncoder(trained.parts);
    loaded.forEach((v, i) => {
      assert.deepEqual(v, fromTrainer.subarray(i * 32, (i + 1) * 32));
      assert.deepEqual(v, encoder.encode(texts[i] ?? '', 'query'));
    });
    // Reloading is stable, and the id depends on the content.
    const again = await createStaticEmbedder({ modelPath: folder });
    assert.equal(again.id, embedder.id);
    for (const quantization of ['int8', 'f16'] as const) {
      const qFolder = join(dir, `code-static-${quantization}`);
      await saveStaticModel(qFolder, trained.parts, { quantization });
      const q = await createStaticEmbedder({ modelPath: qFolder });
      assert.notEqual(q.id.split(':')[2], embedder.id.split(':')[2]);
      const vectors = await q.embed(texts, 'query');
      vectors.forEach((v, i) => assert.ok(dot(v, loaded[i] ?? v) > 0.995, `${quantization} cosine ${dot(v, loaded[i] ?? v)}`));
    }
    await embedder.dispose();
    await again.dispose();
    await assert.rejects(embedder.embed(['x'], 'query'), /disposed/);
  });

  test('unseen identifiers go to hash buckets: shared parts make them close', async () => {
    const folder = join(dir, 'oov');
    for (const token of ['zorblax', 'frumple', 'quintor', 'mivvel', 'dransk', 'plovik']) assert.ok(!trained.parts.vocab.includes(token));
    // A table with enough buckets and dimensions that collisions and chance similarity stay small.
    const dimension = 128;
    const hashBuckets = 4096;
    const rows = trained.parts.vocab.length + hashBuckets;
    const rng = createRng(3);
    const table = new Float32Array(rows * dimension).map(() => rng() * 2 - 1);
    const parts = { ...trained.parts, dimension, hashBuckets, weights: new Float32Array(rows).fill(1), table: { kind: 'f32' as const, data: table } };
    await saveStaticModel(folder, parts, { quantization: 'int8' });
    const embedder = await createStaticEmbedder({ modelPath: folder });
    const [a, b, c] = await embedder.embed(['zorblaxFrumple', 'zorblaxQuintor', 'mivvelDransk'], 'document');
    assert.ok(a && b && c);
    assert.ok(dot(a, b) > dot(a, c) + 0.2, `related ${dot(a, b)} vs unrelated ${dot(a, c)}`);
    // Different unseen identifiers still get different vectors (not one shared "unknown" row).
    const [d, e] = await embedder.embed(['plovik', 'dransk'], 'document');
    assert.ok(d && e && dot(d, e) < 0.99);
    assert.equal(fnv1a(''), 0x811c9dc5);
    assert.equal(fnv1a('a'), 0xe40c292c);
    // The trained model's buckets carry signal too.
    const trainedFolder = join(dir, 'oov-trained');
    await saveStaticModel(trainedFolder, trained.parts, { quantization: 'int8' });
    const small = await createStaticEmbedder({ modelPath: trainedFolder });
    const [s1, s2] = await small.embed(['zorblaxFrumple', 'zorblaxFrumple'], 'query');
    assert.ok(s1 && s2 && dot(s1, s2) > 0.999);
  });

  test('compounds: an unknown word made of two vocabulary words is pooled as them, in training and after loading', async () => {
    const words = trained.parts.vocab.filter((t) => /^[a-z]{4,}$/.test(t));
    const [left, right] = words;
    assert.ok(left && right);
    const glued = `${left}${right}`;
    assert.ok(!trained.parts.vocab.includes(glued));
    const folder = join(dir, 'compounds');
    await saveStaticModel(folder, { ...trained.parts, compounds: true }, { quantization: 'f32' });
    const embedder = await createStaticEmbedder({ modelPath: folder });
    const [compound, apart] = await embedder.embed([glued, `${left} ${right}`], 'query');
    assert.deepEqual(compound, apart);
    const plain = new StaticEncoder({ ...trained.parts, compounds: false });
    assert.ok(dot(plain.encode(glued, 'query'), plain.encode(`${left} ${right}`, 'query')) < 0.99, 'without compounds it is a hash bucket');
    // The trainer bags a compound the same way, so what it measures is what the loaded model does.
    const probe: TrainingPair = { ...(splits.get('valid')?.[0] as TrainingPair), query: `${glued} ${left}` };
    const corpus = prepareCorpus(new Map([...splits, ['probe', [probe]]]), { ...trained.options, compounds: true, maxTokens: trained.parts.maxTokens, tf: trained.parts.tf });
    const bags = corpus.splits.get('probe');
    assert.ok(bags);
    const [expected] = await embedder.embed([probe.query], 'query');
    assert.deepEqual(embedBags(bags.queries, [0], trained.parts, 'query'), expected);
    await embedder.dispose();
  });

  test('compounds split at the boundary whose rarer part is most frequent, and only words', () => {
    const vocab = new Map([['file', 0], ['load', 1], ['upload', 2], ['fil', 40], ['eupload', 90], ['up', 3]]);
    assert.deepEqual(compoundRows('fileupload', vocab), [0, 2]);
    assert.equal(compoundRows('uploadfile', new Map([['up', 0], ['loadfile', 1]])), undefined, 'parts are at least 3 letters');
    assert.equal(compoundRows('416667', new Map([['416', 0], ['667', 1]])), undefined);
    assert.equal(compoundRows('filezzz', vocab), undefined);
  });

  test('outputs are unit-norm and finite, empty and token-less texts included', async () => {
    const folder = join(dir, 'norms');
    await saveStaticModel(folder, trained.parts, { quantization: 'int8' });
    const embedder = await createStaticEmbedder({ modelPath: folder });
    const texts = ['', '   ', '{}();', 'return result', 'def parse_json(text): return json.loads(text)', 'x'.repeat(10000)];
    const vectors = await embedder.embed(texts, 'document');
    assert.equal(vectors.length, texts.length);
    for (const v of vectors) {
      assert.equal(v.length, 32);
      assert.ok(v.every(Number.isFinite));
      assert.ok(Math.abs(norm(v) - 1) < 1e-5, `norm ${norm(v)}`);
    }
    assert.deepEqual(await embedder.embed([], 'query'), []);
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(embedder.embed(['a'], 'query', controller.signal));
  });

  test('a malformed model folder is rejected with the reason', async () => {
    const folder = join(dir, 'bad');
    await saveStaticModel(folder, trained.parts, { quantization: 'int8' });
    const json = JSON.parse(await readFile(join(folder, MODEL_FILE), 'utf8')) as Record<string, unknown>;
    assert.throws(() => parseModelFile({ ...json, format: 'other' }), /format/);
    assert.throws(() => parseModelFile({ ...json, quantization: 'int4' }), /quantization/);
    assert.throws(() => parseModelFile({ ...json, weights: [1, 2] }), /weights/);
    await writeFile(join(folder, EMBEDDINGS_FILE), new Uint8Array(10));
    await assert.rejects(createStaticEmbedder({ modelPath: folder }), /embeddings\.bin has 10 bytes/);
    assert.equal(basename(folder), 'bad');
  });
});

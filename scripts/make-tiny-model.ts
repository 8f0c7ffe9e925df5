// Generates a tiny BERT-shaped model folder that transformers.js loads offline:
//   <dir>/config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx
//
// FOR WIRING TESTS ONLY. The weights are random (seeded, so the folder is byte-for-byte
// deterministic) and the vocabulary is a small hand-written WordPiece list: the vectors this model
// produces have no meaning at all. It exists so that the transformers.js backend (tokenizer,
// ONNX session, pooling, truncation, batching, ids) can be tested without any downloaded weights.
//
// Usage as a script:  node out/scripts/make-tiny-model.js [dir]   (default: ./tiny-bert)

import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { encodeEncoderModel, FLOAT, GraphBuilder } from './onnx-graph.js';
import { messageOf } from '../src/core/errors.js';
import { createRng } from '../src/core/util/random.js';

export interface TinyBertOptions {
  /** Seed of the weight generator (default 1). */
  seed?: number;
  /** Default 32. Must be divisible by `numHeads`. */
  hiddenSize?: number;
  /** Default 2. */
  numLayers?: number;
  /** Default 2. */
  numHeads?: number;
  /** Default 4 × hiddenSize. */
  intermediateSize?: number;
  /** Longest sequence (tokens, [CLS]/[SEP] included) the model accepts (default 512). */
  maxPositions?: number;
}

export interface TinyBertInfo {
  dir: string;
  hiddenSize: number;
  numLayers: number;
  vocabSize: number;
  maxPositions: number;
}

// ---------------------------------------------------------------------------------------------
// Vocabulary: special tokens, single characters (word-initial and ## continuation), then common
// English and code words, each both word-initial and as a ## continuation so that lower-cased
// identifiers such as `getuserbyid` split into get ##user ##by ##id.

const SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

const CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

const SUFFIXES = [
  's', 'es', 'ed', 'ing', 'er', 'ers', 'est', 'ly', 'tion', 'tions', 'sion', 'ment', 'ness', 'able',
  'ible', 'al', 'ize', 'ise', 'ized', 'izer', 'ity', 'ive', 'less', 'ful', 'ous', 'ic', 'ar', 'or',
  'ory', 'ant', 'ent', 'ence', 'ance', 'ship', 'ify', 'fy', 'ate', 'ated', 'ation', 'en', 'y', 'ie',
];

const WORDS = `
the of and to in is it that for on with as was be by this are or at from an have not but what all
were when we there can been has if more will one do no so out up about which their them some would
other into only its then also than now any may use new most these such very after first how our
well way even because through where much should before must both each between same another while
under last never over down again without during against within among since until upon every
make get set put take give find show call run read write open close start stop begin end load save
send receive create delete remove add insert update append push pop shift clear reset init build
parse format render print log check test validate verify compare sort filter map reduce merge split
join copy move rename convert transform encode decode encrypt decrypt hash sign compress extract
fetch request response handle handler process execute apply invoke dispatch emit listen watch wait
retry resolve reject throw catch try finally return yield await async sync lock unlock acquire
release connect disconnect bind unbind mount attach detach register subscribe publish notify
user users name id key value type types data item items list array map set dict table row rows column
file files path dir directory folder line lines text string char byte bytes number int integer
float double bool boolean true false null none nil undefined void object class struct enum
interface trait impl module package import export default public private protected static const
let var function func fn def method field property prop attr attribute param params arg args
argument option options config setting settings env environment error errors exception warning
info debug trace level message event events state status result results output input source target
node nodes tree graph edge edges child children parent root leaf depth size length count index
offset start end min max sum avg total limit page pages cursor token tokens session cookie header
headers body query search match pattern regex url uri http https host port server client socket
stream buffer cache queue stack heap pool thread task job worker timer time date day month year
hour minute second timeout interval delay rate sleep random seed uuid email password secret auth
login logout account role permission admin group team project repo branch commit version release
image video audio color width height x y z point rect area view model controller service api route
router middleware plugin hook component element window document html css json xml yaml csv sql db
database schema record entry entries field fields unique primary foreign order price amount cost
payment invoice customer product cart shop store stock currency total tax discount address city
zip phone contact profile avatar upload download image thumbnail resize crop scale rotate
in out on off up down left right top bottom next prev previous current old new temp tmp default
is has can should will did was get set by to from for of with at as all any no not and or
async sync local global remote internal external shared common util utils helper helpers core base
abstract main app application context manager factory builder adapter wrapper provider loader
reader writer parser lexer scanner compiler runtime engine driver runner scheduler executor
vector matrix tensor embed embedding model score rank weight bias layer
`;

function buildVocab(): string[] {
  const seen = new Set<string>();
  const vocab: string[] = [];
  const add = (t: string): void => {
    if (t.length > 0 && !seen.has(t)) {
      seen.add(t);
      vocab.push(t);
    }
  };
  for (const t of SPECIAL) add(t);
  for (const c of CHARS) add(c);
  for (const c of CHARS) add(`##${c}`);
  for (const s of SUFFIXES) add(`##${s}`);
  const words = WORDS.split(/\s+/).filter((w) => w.length > 0);
  for (const w of words) add(w);
  for (const w of words) add(`##${w}`);
  return vocab;
}

// ---------------------------------------------------------------------------------------------
// Deterministic weights.

function gaussianFill(rand: () => number, n: number, std: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u1 = Math.max(rand(), 1e-12);
    const u2 = rand();
    const r = Math.sqrt(-2 * Math.log(u1)) * std;
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

/** Writes the model folder into `dir` (created if missing) and returns what it wrote. */
export async function makeTinyBertModel(dir: string, opts: TinyBertOptions = {}): Promise<TinyBertInfo> {
  const hidden = opts.hiddenSize ?? 32;
  const layers = opts.numLayers ?? 2;
  const heads = opts.numHeads ?? 2;
  const inter = opts.intermediateSize ?? hidden * 4;
  const maxPos = opts.maxPositions ?? 512;
  const seed = opts.seed ?? 1;
  for (const [name, v] of Object.entries({ hiddenSize: hidden, numLayers: layers, numHeads: heads, intermediateSize: inter, maxPositions: maxPos })) {
    if (!Number.isInteger(v) || v < 1) throw new TypeError(`makeTinyBertModel: option ${name} must be a positive integer, got ${String(v)}`);
  }
  if (hidden % heads !== 0) throw new TypeError(`makeTinyBertModel: hiddenSize ${hidden} is not divisible by numHeads ${heads}`);
  const headDim = hidden / heads;

  const vocab = buildVocab();
  const rand = createRng(seed);
  const g = new GraphBuilder();
  const w = (name: string, dims: number[], std: number): string =>
    g.floatTensor(name, dims, gaussianFill(rand, dims.reduce((a, b) => a * b, 1), std));
  const constant = (name: string, dims: number[], value: number): string =>
    g.floatTensor(name, dims, new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(value));

  // Constants.
  const one = constant('const_one', [], 1);
  const half = constant('const_half', [], 0.5);
  const invSqrt2 = constant('const_inv_sqrt2', [], Math.SQRT1_2);
  const negBig = constant('const_neg_big', [], -10000);
  const scale = constant('const_attn_scale', [], 1 / Math.sqrt(headDim));
  const idxOne = g.int64Tensor('const_idx_one', [1], [1]);
  const zeroStart = g.int64Tensor('const_zero_start', [1], [0]);
  const axes12 = g.int64Tensor('const_axes_1_2', [2], [1, 2]);
  const shapeHeads = g.int64Tensor('const_shape_heads', [4], [0, 0, heads, headDim]);
  const shapeHidden = g.int64Tensor('const_shape_hidden', [3], [0, 0, hidden]);

  const layerNorm = (x: string, prefix: string, output?: string): string =>
    g.op('LayerNormalization', [x, constant(`${prefix}.gamma`, [hidden], 1), constant(`${prefix}.beta`, [hidden], 0)], [
      { name: 'axis', i: -1 },
      { name: 'epsilon', f: 1e-12 },
    ], output);
  const dense = (x: string, prefix: string, inDim: number, outDim: number, std: number): string =>
    g.op('Add', [g.op('MatMul', [x, w(`${prefix}.weight`, [inDim, outDim], std)]), w(`${prefix}.bias`, [outDim], 0.02)]);

  // Embeddings: word + token type + position (positions sliced to the sequence length).
  const wordEmb = w('embeddings.word', [vocab.length, hidden], 1);
  const typeEmb = w('embeddings.token_type', [2, hidden], 0.1);
  const posEmb = w('embeddings.position', [maxPos, hidden], 0.1);
  const seqLen = g.op('Gather', [g.op('Shape', ['input_ids']), idxOne], [{ name: 'axis', i: 0 }]);
  const positions = g.op('Slice', [posEmb, zeroStart, seqLen, g.int64Tensor('const_axis_zero', [1], [0])]);
  const embSum = g.op('Add', [
    g.op('Add', [g.op('Gather', [wordEmb, 'input_ids'], [{ name: 'axis', i: 0 }]), g.op('Gather', [typeEmb, 'token_type_ids'], [{ name: 'axis', i: 0 }])]),
    positions,
  ]);
  let h = layerNorm(embSum, 'embeddings.ln');

  // Additive attention mask [B, 1, 1, S]: 0 where attended, -10000 where padded.
  const maskF = g.op('Cast', ['attention_mask'], [{ name: 'to', i: FLOAT }]);
  const maskBias = g.op('Unsqueeze', [g.op('Mul', [g.op('Sub', [one, maskF]), negBig]), axes12]);

  for (let l = 0; l < layers; l++) {
    const p = `layer${l}`;
    const std = 0.3;
    const splitHeads = (x: string, perm: number[]): string =>
      g.op('Transpose', [g.op('Reshape', [x, shapeHeads])], [{ name: 'perm', ints: perm }]);
    const q = splitHeads(dense(h, `${p}.q`, hidden, hidden, std), [0, 2, 1, 3]); // [B, nh, S, hd]
    const k = splitHeads(dense(h, `${p}.k`, hidden, hidden, std), [0, 2, 3, 1]); // [B, nh, hd, S]
    const v = splitHeads(dense(h, `${p}.v`, hidden, hidden, std), [0, 2, 1, 3]); // [B, nh, S, hd]
    const scores = g.op('Add', [g.op('Mul', [g.op('MatMul', [q, k]), scale]), maskBias]);
    const probs = g.op('Softmax', [scores], [{ name: 'axis', i: -1 }]);
    const ctx = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [probs, v])], [{ name: 'perm', ints: [0, 2, 1, 3] }]), shapeHidden]);
    const attnOut = layerNorm(g.op('Add', [dense(ctx, `${p}.o`, hidden, hidden, std), h]), `${p}.attn_ln`);
    // Feed-forward with exact GELU: 0.5·x·(1 + erf(x/√2)).
    const f = dense(attnOut, `${p}.ffn_in`, hidden, inter, std);
    const gelu = g.op('Mul', [g.op('Mul', [f, half]), g.op('Add', [one, g.op('Erf', [g.op('Mul', [f, invSqrt2])])])]);
    const ffnOut = dense(gelu, `${p}.ffn_out`, inter, hidden, std);
    h = layerNorm(g.op('Add', [ffnOut, attnOut]), `${p}.ffn_ln`, l === layers - 1 ? 'last_hidden_state' : undefined);
  }

  const bytes = encodeEncoderModel(g, {
    name: 'tiny_bert',
    producer: 'codeintent-make-tiny-model',
    inputs: ['input_ids', 'attention_mask', 'token_type_ids'],
    hidden,
  });

  const config = {
    _comment: 'Tiny random BERT generated by scripts/make-tiny-model.ts for wiring tests only; its vectors are meaningless.',
    architectures: ['BertModel'],
    model_type: 'bert',
    hidden_size: hidden,
    num_hidden_layers: layers,
    num_attention_heads: heads,
    intermediate_size: inter,
    hidden_act: 'gelu',
    max_position_embeddings: maxPos,
    type_vocab_size: 2,
    vocab_size: vocab.length,
    layer_norm_eps: 1e-12,
    pad_token_id: 0,
  };

  const idOf = (t: string): number => vocab.indexOf(t);
  const special = (t: string) => ({ id: t, ids: [idOf(t)], tokens: [t] });
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL.map((content) => ({
      id: idOf(content),
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: { '[CLS]': special('[CLS]'), '[SEP]': special('[SEP]') },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
    },
  };
  const tokenizerConfig = {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    model_max_length: maxPos,
    clean_up_tokenization_spaces: true,
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    mask_token: '[MASK]',
  };

  const abs = resolve(dir);
  await mkdir(join(abs, 'onnx'), { recursive: true });
  await Promise.all([
    writeFile(join(abs, 'onnx', 'model.onnx'), bytes),
    writeFile(join(abs, 'config.json'), JSON.stringify(config, null, 2) + '\n'),
    writeFile(join(abs, 'tokenizer.json'), JSON.stringify(tokenizer) + '\n'),
    writeFile(join(abs, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig, null, 2) + '\n'),
  ]);
  return { dir: abs, hiddenSize: hidden, numLayers: layers, vocabSize: vocab.length, maxPositions: maxPos };
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && import.meta.url === pathToFileURL(resolve(invokedPath)).href) {
  const target = process.argv[2] ?? 'tiny-bert';
  const started = performance.now();
  makeTinyBertModel(target).then(
    (info) => {
      process.stdout.write(
        `Wrote a tiny random BERT (wiring tests only) to ${info.dir}: hidden ${info.hiddenSize}, ${info.numLayers} layers, ` +
          `vocab ${info.vocabSize}, in ${Math.round(performance.now() - started)} ms\n`,
      );
    },
    (err: unknown) => {
      process.stderr.write(`make-tiny-model: ${messageOf(err)}\n`);
      process.exitCode = 1;
    },
  );
}

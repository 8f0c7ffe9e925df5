// Packages a static model (the default, models/code-static-v3) as a transformers.js model folder: config.json,
// tokenizer.json, tokenizer_config.json, onnx/model.onnx, plus the sentence-transformers files
// that carry the query prompt and the token limit. Any transformers.js / ONNX Runtime host can then
// run our model; CodeIntent itself keeps the native format (exact, and ~10× faster in Node).
//
//   node out/scripts/export-static-onnx.js [--model models/code-static-v3] [--out MODEL-onnx beside the model]
//
// How the static model maps onto an encoder:
// - tokenizer.json: a Split pre-tokenizer with the identifier-part pattern of src/core/tokens.ts and
//   a WordPiece vocabulary with no ## pieces (so: word level). Tokenizers lower-case before they
//   split, which would lose camelCase boundaries, so each word is listed in the three case forms
//   the pattern can produce (parse, Parse, PARSE) and the graph maps all three to one row.
// - onnx/model.onnx: last_hidden_state[b, i] = coef(token i) · tf(count of its row in text b) / count · E[row]
//   so transformers.js's attention-masked mean, L2-normalised, equals the static model's weighted,
//   tf-scaled sum up to scale. Queries start with the special token [QUERY] (the "query" prompt),
//   which switches to the query-side pooling weights.
// - What cannot be expressed: the hash buckets for out-of-vocabulary words and the split of an
//   unknown compound into two known words (here both [UNK], a zero
//   vector), and for a `code-tokens-v1` model the whole-identifier token (getuserbyid) it adds.
//   docs/quality.md measures what that costs.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { DEFAULT_MODEL_DIR } from '../src/core/models.js';
import { decodeTable, EMBEDDINGS_FILE, encodeTable, MODEL_FILE, parseModelFile, partsFromFile, type StaticModelParts, type TfScaling } from '../src/core/embed/static.js';
import { IDENTIFIER_PART_PATTERN } from '../src/core/tokens.js';
import { pathToFileURL } from 'node:url';
import { encodeEncoderModel, FLOAT, GraphBuilder } from './onnx-graph.js';
import { parseFlags, runScript } from './script-args.js';

const PAD = '[PAD]';
const UNK = '[UNK]';
export const QUERY_TOKEN = '[QUERY]';
const SPECIAL = [PAD, UNK, QUERY_TOKEN] as const;

/** Tokenizer vocabulary (specials, then each word's case forms) and the table row of every id. */
export function caseFormVocabulary(words: readonly string[]): { vocab: Map<string, number>; rows: number[] } {
  const vocab = new Map<string, number>();
  const rows: number[] = [];
  const zeroRow = words.length;
  for (const token of SPECIAL) {
    vocab.set(token, rows.length);
    rows.push(zeroRow);
  }
  words.forEach((word, row) => {
    const forms = [word, word.charAt(0).toUpperCase() + word.slice(1), word.toUpperCase()];
    for (const form of forms) {
      if (vocab.has(form)) continue;
      vocab.set(form, rows.length);
      rows.push(row);
    }
  });
  return { vocab, rows };
}

/** ONNX expression of tfFactor(count) / count, so that summing over a row's repeats gives tfFactor(count). */
function tfPerOccurrence(g: GraphBuilder, count: string, tf: TfScaling): string {
  const one = g.floatTensor('const_one', [], Float32Array.of(1));
  switch (tf) {
    case 'raw':
      return g.op('Div', [count, count]);
    case 'log':
      return g.op('Div', [g.op('Add', [one, g.op('Log', [count])]), count]);
    case 'sqrt':
      return g.op('Div', [g.op('Sqrt', [count]), count]);
    case 'binary':
      return g.op('Div', [one, count]);
  }
}

/** The vocabulary rows as int8 with one scale per row (the native int8 format), plus a zero row for specials and [UNK]. */
function int8Table(parts: StaticModelParts, rows: number): { table: Int8Array; scales: Float32Array } {
  const d = parts.dimension;
  const source = parts.table.kind === 'int8' ? parts.table : decodeTable(encodeTable(parts.table.data.subarray(0, rows * d), rows, d, 'int8'), rows, d, 'int8');
  if (source.kind !== 'int8') throw new Error('unreachable: an int8 table decodes as int8');
  const table = new Int8Array((rows + 1) * d);
  const scales = new Float32Array(rows + 1);
  table.set(source.data.subarray(0, rows * d));
  scales.set(source.scales.subarray(0, rows));
  return { table, scales };
}

export function buildGraph(parts: StaticModelParts, idRows: readonly number[], queryTokenId: number): Uint8Array {
  const g = new GraphBuilder();
  const d = parts.dimension;
  const words = parts.vocab.length;
  const { table, scales } = int8Table(parts, words);
  const coef = (weights: Float32Array) => Float32Array.from({ length: words + 1 }, (_, r) => (r < words ? (weights[r] ?? 0) * (scales[r] ?? 0) : 0));
  const embeddings = g.int8Tensor('embeddings', [words + 1, d], table);
  const documentCoef = g.floatTensor('document_coef', [words + 1], coef(parts.weights));
  const queryCoef = g.floatTensor('query_coef', [words + 1], coef(parts.queryWeights ?? parts.weights));
  const rowOfId = g.int64Tensor('row_of_id', [idRows.length], idRows);
  const axis0 = [{ name: 'axis', i: 0 }];
  const axes = (name: string, values: number[]) => g.int64Tensor(name, [values.length], values);

  const rows = g.op('Gather', [rowOfId, 'input_ids'], axis0);
  const vectors = g.op('Cast', [g.op('Gather', [embeddings, rows], axis0)], [{ name: 'to', i: FLOAT }]);
  // 1 for a text that contains [QUERY], else 0: selects the query-side pooling weights.
  const queryId = g.int64Tensor('query_token_id', [], [queryTokenId]);
  const isQuery = g.op('ReduceMax', [g.op('Cast', [g.op('Equal', ['input_ids', queryId])], [{ name: 'to', i: FLOAT }])], [
    { name: 'axes', ints: [1] },
    { name: 'keepdims', i: 1 },
  ]);
  const docC = g.op('Gather', [documentCoef, rows], axis0);
  const queryC = g.op('Gather', [queryCoef, rows], axis0);
  const tokenCoef = g.op('Add', [docC, g.op('Mul', [isQuery, g.op('Sub', [queryC, docC])])]);
  // How often each position's row occurs among the attended tokens of its text: [B, L].
  const mask = g.op('Cast', ['attention_mask'], [{ name: 'to', i: FLOAT }]);
  const same = g.op('Cast', [g.op('Equal', [g.op('Unsqueeze', [rows, axes('axes_2', [2])]), g.op('Unsqueeze', [rows, axes('axes_1', [1])])])], [
    { name: 'to', i: FLOAT },
  ]);
  const counted = g.op('ReduceSum', [g.op('Mul', [same, g.op('Unsqueeze', [mask, axes('axes_1b', [1])])]), axes('axes_2b', [2])], [{ name: 'keepdims', i: 0 }]);
  const count = g.op('Max', [counted, g.floatTensor('const_min_count', [], Float32Array.of(1))]);
  const weight = g.op('Mul', [tokenCoef, tfPerOccurrence(g, count, parts.tf)]);
  g.op('Mul', [vectors, g.op('Unsqueeze', [weight, axes('axes_2c', [2])])], [], 'last_hidden_state');
  return encodeEncoderModel(g, { name: 'codeintent_static', producer: 'codeintent-export-static-onnx', inputs: ['input_ids', 'attention_mask'], hidden: d });
}

export async function exportStaticOnnx(modelDir: string, outDir: string): Promise<{ tokens: number; bytes: number }> {
  const [json, bytes] = await Promise.all([readFile(join(modelDir, MODEL_FILE), 'utf8'), readFile(join(modelDir, EMBEDDINGS_FILE))]);
  const file = parseModelFile(JSON.parse(json) as unknown, join(modelDir, MODEL_FILE));
  const parts = partsFromFile(file, bytes);
  if (parts.queryPrefix) throw new Error(`${modelDir}: a model with a query prefix is not supported by the export`);
  const { vocab, rows } = caseFormVocabulary(parts.vocab);
  const queryTokenId = vocab.get(QUERY_TOKEN) ?? 0;
  const onnxBytes = buildGraph(parts, rows, queryTokenId);

  const specialToken = (content: string) => ({ id: vocab.get(content), content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL.map(specialToken),
    normalizer: null,
    // invert: the pattern matches the tokens; everything between them is dropped.
    pre_tokenizer: { type: 'Split', pattern: { Regex: IDENTIFIER_PART_PATTERN.source }, behavior: 'Removed', invert: true },
    post_processor: null,
    decoder: null,
    model: { type: 'WordPiece', unk_token: UNK, continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(vocab) },
  };
  const config = {
    _comment: `ONNX export of the static model ${basename(modelDir)} by scripts/export-static-onnx.ts: pooled token embeddings, no attention layers.`,
    architectures: ['BertModel'],
    model_type: 'bert',
    hidden_size: parts.dimension,
    num_hidden_layers: 0,
    max_position_embeddings: parts.maxTokens,
    vocab_size: rows.length,
    pad_token_id: 0,
  };
  const tokenizerConfig = { tokenizer_class: 'PreTrainedTokenizer', model_max_length: parts.maxTokens, pad_token: PAD, unk_token: UNK, clean_up_tokenization_spaces: false };
  const sentenceTransformers = { prompts: { query: `${QUERY_TOKEN} `, document: '' }, default_prompt_name: null, similarity_fn_name: 'cosine' };
  const card = `# ${basename(outDir)}: ${basename(modelDir)} for transformers.js

The static code embedding model \`${basename(modelDir)}\` (its card: data, training, metrics) packaged
as a transformers.js / ONNX Runtime model folder, written by \`scripts/export-static-onnx.ts\`:
\`config.json\`, \`tokenizer.json\`, \`tokenizer_config.json\`, \`onnx/model.onnx\` (${(onnxBytes.byteLength / 2 ** 20).toFixed(1)} MiB,
int8 table), and the sentence-transformers files \`config_sentence_transformers.json\` (the query
prompt \`${QUERY_TOKEN} \`) and \`sentence_bert_config.json\` (${parts.maxTokens} tokens).

- Tokenizer: the identifier-part pattern of src/core/tokens.ts as a Split pre-tokenizer, then a
  word-level WordPiece vocabulary of ${rows.length.toLocaleString('en-US')} ids (each of the ${parts.vocab.length.toLocaleString('en-US')} words in three case forms).
- Graph: no attention layers. Each token's output is its int8 row × pooling weight × tf(count)/count;
  transformers.js's masked mean, L2-normalised, is then the static model's vector. Texts that
  contain \`${QUERY_TOKEN}\` use the query-side pooling weights.
- Differences from the native model: words outside the vocabulary become \`[UNK]\` (a zero vector)
  instead of falling into hash buckets${file.compounds ? ' or being split into two known words ("fileupload")' : ''}${file.tokenizer === 'code-tokens-v1' ? ', and whole multi-part identifiers are not added as tokens' : ''}. For texts made of known words the vectors are
  the same (cosine > 0.999, test/onnx-export.test.ts).
- CodeIntent loads it with \`--model ${join('models', basename(outDir))}\`; its own default stays the native format,
  which is exact and about ten times faster in Node. Held-out quality and indexing speed of both:
  docs/quality.md.

Rebuild: \`npx tsc -p tsconfig.json && node out/scripts/export-static-onnx.js --model ${join('models', basename(modelDir))} --out ${join('models', basename(outDir))}\` (deterministic, about a second).
`;
  await mkdir(join(outDir, 'onnx'), { recursive: true });
  await Promise.all([
    writeFile(join(outDir, 'onnx', 'model.onnx'), onnxBytes),
    writeFile(join(outDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`),
    writeFile(join(outDir, 'tokenizer.json'), `${JSON.stringify(tokenizer)}\n`),
    writeFile(join(outDir, 'tokenizer_config.json'), `${JSON.stringify(tokenizerConfig, null, 2)}\n`),
    writeFile(join(outDir, 'config_sentence_transformers.json'), `${JSON.stringify(sentenceTransformers, null, 2)}\n`),
    writeFile(join(outDir, 'README.md'), card),
    writeFile(join(outDir, 'sentence_bert_config.json'), `${JSON.stringify({ max_seq_length: parts.maxTokens, do_lower_case: false }, null, 2)}\n`),
  ]);
  return { tokens: rows.length, bytes: onnxBytes.byteLength };
}

const HELP = 'Usage: node out/scripts/export-static-onnx.js [--model DIR] [--out DIR]';

const invokedPath = process.argv[1];
if (invokedPath !== undefined && import.meta.url === pathToFileURL(resolve(invokedPath)).href) {
  runScript(async () => {
    const values = parseFlags({
      model: { type: 'string', default: DEFAULT_MODEL_DIR },
      out: { type: 'string' },
    });
    const out = resolve(values.out ?? `${resolve(values.model)}-onnx`);
    const { tokens, bytes } = await exportStaticOnnx(resolve(values.model), out);
    process.stdout.write(`Wrote ${out}: ${tokens} tokenizer ids, onnx/model.onnx ${(bytes / 2 ** 20).toFixed(1)} MiB\n`);
  }, HELP);
}

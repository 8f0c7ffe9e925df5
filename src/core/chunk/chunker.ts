// The chunker: one parse and one tree walk per file, definitions turned into chunks, line
// windows wherever the tree cannot help (unsupported files, scripts, broken or unparsable code).

import type { Parser, Tree } from 'web-tree-sitter';
import type { Chunk, ChunkKind, LanguageId } from '../types.js';
import { extractDefinitions, unexplainedErrorChars, type Definition, type Extraction } from './definitions.js';
import { cleanComment, cleanDocstring, leadingComment } from './docs.js';
import { initRuntime, Parsers } from './grammar.js';
import { commentStyle, grammarFor, languageForPath, type CodeLanguage } from './languages.js';
import { evenPieces, LineIndex, windowRanges } from './lines.js';
import { messageOf } from '../errors.js';

export interface ChunkerOptions {
  /** Folder holding the `tree-sitter-<lang>.wasm` grammars; default: the installed `@repomix/tree-sitter-wasms/out`. */
  grammarDir?: string;
  /** Path of `web-tree-sitter.wasm`; default: found by web-tree-sitter itself. Process-wide: the first chunker's value wins. */
  treeSitterWasm?: string;
  /** Definitions longer than this many lines are split into consecutive pieces. Default 150. */
  maxChunkLines?: number;
  /** Lines per window for files chunked by lines. Default 40. */
  windowLines?: number;
  /** Lines shared by consecutive windows. Default 5; less than `windowLines`. */
  windowOverlap?: number;
  /**
   * In a file with definitions, a stretch of top-level code between definitions (imports and
   * comments not counted) gets line windows once it has this many non-blank lines, so test
   * suites and scripts with a helper function stay searchable. Default 8; `Infinity` turns it off.
   */
  minGapLines?: number;
  /**
   * Parsing budget per megabyte of text (at least one megabyte's worth): a parse that takes longer
   * is abandoned for line windows. Default 10 000 ms.
   */
  parseTimeoutMs?: number;
  /**
   * Longest text handed to tree-sitter, in characters; a longer file is chunked as line windows.
   * Default 1 048 576 (the crawler's default file size limit). Tree-sitter's memory and time grow
   * with the text: a 20 MB file took 3.8 GB and 86 s, and a 50 MB one ran its WebAssembly memory
   * out (2.4 GB) and aborted.
   */
  maxParseChars?: number;
  /** Receives one line for every fallback to line windows, saying why. */
  log?: (message: string) => void;
}

export interface Chunker {
  /** Never rejects for bad input: anything the tree cannot handle comes back as line windows. */
  chunk(path: string, text: string): Promise<Chunk[]>;
}

interface Settings {
  maxChunkLines: number;
  windowLines: number;
  windowOverlap: number;
  minGapLines: number;
  parseTimeoutMs: number;
  maxParseChars: number;
  log: (message: string) => void;
}

/** Share of a file in ERROR nodes (outside recognised definitions) above which its tree is not trusted. */
const maxErrorShare = 0.5;

export async function createChunker(options: ChunkerOptions = {}): Promise<Chunker> {
  const settings = validate(options);
  let runtime: string | undefined;
  try {
    await initRuntime(options.treeSitterWasm);
  } catch (error) {
    runtime = `tree-sitter runtime failed to load (${describe(error)})`;
    settings.log(`${runtime}; every file will be chunked as line windows`);
  }
  return new TreeSitterChunker(settings, new Parsers(options.grammarDir), runtime);
}

class TreeSitterChunker implements Chunker {
  /** Grammars that failed to load (reported once each). */
  private readonly broken = new Set<CodeLanguage>();

  constructor(
    private readonly settings: Settings,
    private readonly parsers: Parsers,
    private readonly runtimeFailure: string | undefined,
  ) {}

  async chunk(path: string, text: string): Promise<Chunk[]> {
    if (!/\S/.test(text)) return [];
    const lines = new LineIndex(text);
    const language = languageForPath(path);
    if (language === undefined) return this.windows(path, 'text', lines);
    // A header written in C++ parses with the C++ grammar and is labelled as such.
    const grammar = grammarFor(language, path, text);
    const parsed = await this.parse(path, grammar, text, lines);
    if (typeof parsed === 'string') {
      if (parsed !== '') this.settings.log(`${path}: ${parsed}; chunked as line windows`);
      return this.windows(path, grammar, lines);
    }
    const defs = parsed.defs.filter((d) => d.symbol !== '');
    if (defs.length === 0) return this.windows(path, grammar, lines); // a script
    let repeated = 0;
    for (const d of defs) repeated += lines.end(d.endRow) - lines.start(d.startRow);
    if (repeated > 4 * text.length + 1_000_000) {
      this.settings.log(`${path}: definitions would repeat ${repeated} characters of a ${text.length}-character file (minified?); chunked as line windows`);
      return this.windows(path, grammar, lines);
    }
    try {
      return this.build(path, grammar, lines, parsed, defs);
    } catch (error) {
      this.settings.log(`${path}: building chunks failed (${describe(error)}); chunked as line windows`);
      return this.windows(path, grammar, lines);
    }
  }

  /** The file's definitions, or why there are none to trust ('' = already reported). */
  private async parse(path: string, language: CodeLanguage, text: string, lines: LineIndex): Promise<Extraction | string> {
    if (this.runtimeFailure !== undefined) return '';
    if (this.broken.has(language)) return '';
    if (text.length > this.settings.maxParseChars) return `${text.length} characters is more than the parser takes (${this.settings.maxParseChars})`;
    let parser: Parser;
    try {
      parser = await this.parsers.get(language);
    } catch (error) {
      const reason = `tree-sitter grammar for ${language} failed to load (${describe(error)})`;
      this.broken.add(language);
      this.settings.log(`${reason}; ${language} files will be chunked as line windows (first: ${path})`);
      return '';
    }
    const budget = this.settings.parseTimeoutMs * Math.max(1, text.length / 1_000_000);
    const deadline = performance.now() + budget;
    let tree: Tree | null;
    try {
      tree = parser.parse(text, null, { progressCallback: () => performance.now() > deadline });
    } catch (error) {
      parser.reset();
      return `tree-sitter failed to parse (${describe(error)})`;
    }
    if (tree === null) {
      parser.reset();
      return `parsing took longer than ${Math.round(budget)} ms`;
    }
    try {
      const extraction = extractDefinitions(tree, language, lines.count);
      const share = unexplainedErrorChars(extraction) / Math.max(1, text.length);
      if (share > maxErrorShare) return `${Math.round(share * 100)}% of the file is syntax errors`;
      return extraction;
    } catch (error) {
      return `walking the syntax tree failed (${describe(error)})`;
    } finally {
      tree.delete();
    }
  }

  private build(path: string, language: CodeLanguage, lines: LineIndex, extraction: Extraction, defs: readonly Definition[]): Chunk[] {
    const style = commentStyle[language];
    const covered = new Uint8Array(lines.count);
    const members = new Map<Definition, Array<[number, number]>>();
    for (const d of defs) {
      const parent = extraction.defs[d.parent];
      if (parent === undefined || d.body === undefined) continue;
      const list = members.get(parent);
      if (list === undefined) members.set(parent, [d.body]);
      else list.push(d.body);
    }
    const out: Chunk[] = [];
    for (const d of defs) {
      covered.fill(1, d.startRow, d.endRow + 1);
      let doc = '';
      // Only a definition that opens its line can own the comment above (`class A { m() {} }`: m cannot).
      const lineStart = lines.start(d.startRow);
      const opensLine = d.startIndex <= lineStart || /^[ \t]*$/.test(lines.text.slice(lineStart, d.startIndex));
      const comment = opensLine ? leadingComment(lines, d.startRow, style) : undefined;
      if (comment !== undefined) {
        covered.fill(1, comment.firstRow, d.startRow);
        doc = cleanComment(comment.lines, language);
      }
      let docstring = d.docstring;
      if (docstring !== undefined) {
        const cleaned = cleanDocstring(lines.text.slice(docstring[0], docstring[1]));
        if (cleaned !== '') doc = cleaned;
        else docstring = undefined;
      }
      const base = { path, language, kind: d.kind, symbol: d.symbol, container: d.container, doc };
      const elisions = members.get(d);
      if (elisions === undefined) this.plain(out, base, lines, d.startRow, d.endRow, docstring);
      else this.collapsed(out, base, lines, d, elisions, docstring);
    }
    this.gaps(out, path, language, lines, covered, extraction.quietRows);
    // Document order; a container before the members that start on its first line.
    return out.sort((a, b) => a.startLine - b.startLine || b.endLine - a.endLine);
  }

  /** A definition's own lines, split into even consecutive pieces when too long. */
  private plain(out: Chunk[], base: ChunkBase, lines: LineIndex, first: number, last: number, docstring: [number, number] | undefined): void {
    for (const [at, length] of evenPieces(last - first + 1, this.settings.maxChunkLines)) {
      const start = first + at;
      const end = start + length - 1;
      const chunk: Chunk = { ...base, startLine: start + 1, endLine: end + 1, text: lines.slice(start, end) };
      if (docstring !== undefined) {
        const offset = lines.start(start);
        const span: [number, number] = [docstring[0] - offset, docstring[1] - offset];
        if (span[0] >= 0 && span[1] <= chunk.text.length) chunk.docSpan = span;
      }
      out.push(chunk);
    }
  }

  /** A container with its members' bodies elided; pieces of the collapsed text if still too long. */
  private collapsed(out: Chunk[], base: ChunkBase, lines: LineIndex, d: Definition, bodies: Array<[number, number]>, docstring: [number, number] | undefined): void {
    const from = lines.start(d.startRow);
    const to = lines.end(d.endRow);
    bodies.sort((a, b) => a[0] - b[0]);
    const folded = collapse(lines, d.startRow, from, to, bodies, elisionFor(base.language, lines.text));
    let docAt: [number, number] | undefined;
    const firstBody = bodies[0];
    if (docstring !== undefined && firstBody !== undefined && docstring[1] <= firstBody[0]) docAt = [docstring[0] - from, docstring[1] - from];
    let offset = 0;
    for (const [at, length] of evenPieces(folded.lines.length, this.settings.maxChunkLines)) {
      const joined = folded.lines.slice(at, at + length).join('\n');
      const text = joined.endsWith('\r') ? joined.slice(0, -1) : joined;
      const startRow = folded.rows[at]?.[0] ?? d.startRow;
      const endRow = folded.rows[at + length - 1]?.[1] ?? d.endRow;
      const chunk: Chunk = { ...base, startLine: startRow + 1, endLine: endRow + 1, text };
      if (docAt !== undefined && docAt[0] >= offset && docAt[1] <= offset + text.length) chunk.docSpan = [docAt[0] - offset, docAt[1] - offset];
      offset += joined.length + 1;
      out.push(chunk);
    }
  }

  /** Windows over stretches of loose top-level code that no definition covers. */
  private gaps(out: Chunk[], path: string, language: LanguageId, lines: LineIndex, covered: Uint8Array, quiet: Uint8Array): void {
    if (!Number.isFinite(this.settings.minGapLines)) return;
    let row = 0;
    while (row < lines.count) {
      if (covered[row] === 1) {
        row++;
        continue;
      }
      let firstLoose = -1;
      let lastLoose = -1;
      let loose = 0;
      for (; row < lines.count && covered[row] !== 1; row++) {
        if (quiet[row] === 1 || lines.isBlank(row)) continue;
        if (firstLoose === -1) firstLoose = row;
        lastLoose = row;
        loose++;
      }
      if (loose >= this.settings.minGapLines) this.pushWindows(out, path, language, lines, firstLoose, lastLoose);
    }
  }

  /** Whole-file line windows: unsupported files, scripts and fallbacks. */
  private windows(path: string, language: LanguageId, lines: LineIndex): Chunk[] {
    const out: Chunk[] = [];
    this.pushWindows(out, path, language, lines, lines.firstNonBlank(), lines.lastNonBlank());
    return out;
  }

  private pushWindows(out: Chunk[], path: string, language: LanguageId, lines: LineIndex, first: number, last: number): void {
    const { windowLines, windowOverlap } = this.settings;
    for (const [start, end] of windowRanges(first, last, windowLines, windowOverlap)) {
      if (lines.firstNonBlank(start, end) === -1) continue;
      out.push({ path, language, kind: 'lines', symbol: '', container: '', startLine: start + 1, endLine: end + 1, text: lines.slice(start, end), doc: '' });
    }
  }
}

interface ChunkBase {
  path: string;
  language: LanguageId;
  kind: ChunkKind;
  symbol: string;
  container: string;
  doc: string;
}

interface Folded {
  lines: string[];
  /** Source rows [first, last] that each folded line stands for. */
  rows: Array<[number, number]>;
}

/** Copies rows of text from `from` to `to`, replacing each body [start, end) with its elision. */
function collapse(lines: LineIndex, firstRow: number, from: number, to: number, bodies: ReadonlyArray<[number, number]>, elide: (start: number) => string): Folded {
  const text = lines.text;
  const folded: Folded = { lines: [], rows: [] };
  let pos = from;
  let row = firstRow;
  let lineStartRow = firstRow;
  let current = '';
  const copy = (until: number): void => {
    for (;;) {
      const newline = text.indexOf('\n', pos);
      if (newline === -1 || newline >= until) {
        current += text.slice(pos, until);
        pos = until;
        return;
      }
      current += text.slice(pos, newline);
      folded.lines.push(current); // keeps a `\r` of CRLF text, as plain chunks do
      folded.rows.push([lineStartRow, row]);
      current = '';
      row++;
      lineStartRow = row;
      pos = newline + 1;
    }
  };
  for (const [start, end] of bodies) {
    if (start < pos || end > to) continue; // overlapping or outside: keep the text as it is
    copy(start);
    current += elide(start);
    for (let i = text.indexOf('\n', start); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) row++;
    pos = end;
  }
  copy(to);
  folded.lines.push(current);
  folded.rows.push([lineStartRow, row]);
  return folded;
}

/** `{ … }` for braced bodies, `=> …` for expression bodies, `...` for Python and Ruby. */
function elisionFor(language: LanguageId, text: string): (start: number) => string {
  if (language === 'python' || language === 'ruby') return () => '...';
  return (start) => {
    if (text.charCodeAt(start) === 123 /* { */) return '{ … }';
    if (text.startsWith('=>', start)) return '=> …';
    return '…';
  };
}

function validate(options: ChunkerOptions): Settings {
  const integer = (name: keyof ChunkerOptions, value: number | undefined, fallback: number, min: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < min) throw new TypeError(`Expected \`${name}\` to be an integer from ${min} up, got ${String(value)}`);
    return value;
  };
  const maxChunkLines = integer('maxChunkLines', options.maxChunkLines, 150, 1);
  const windowLines = integer('windowLines', options.windowLines, 40, 1);
  const windowOverlap = integer('windowOverlap', options.windowOverlap, Math.min(5, windowLines - 1), 0);
  if (windowOverlap >= windowLines) throw new TypeError(`Expected \`windowOverlap\` (${windowOverlap}) to be less than \`windowLines\` (${windowLines})`);
  const minGapLines = options.minGapLines === Infinity ? Infinity : integer('minGapLines', options.minGapLines, 8, 1);
  const parseTimeoutMs = options.parseTimeoutMs ?? 10_000;
  if (!(parseTimeoutMs > 0)) throw new TypeError(`Expected \`parseTimeoutMs\` to be a positive number, got ${String(parseTimeoutMs)}`);
  const maxParseChars = integer('maxParseChars', options.maxParseChars, 1_048_576, 1);
  return { maxChunkLines, windowLines, windowOverlap, minGapLines, parseTimeoutMs, maxParseChars, log: options.log ?? (() => {}) };
}

function describe(error: unknown): string {
  const message = messageOf(error);
  return message === '' ? 'no message' : message;
}

// Loading web-tree-sitter and its grammars: each once per process, lazily.

import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Language, Parser } from 'web-tree-sitter';
import { grammarFile, type CodeLanguage } from './languages.js';

let runtime: Promise<void> | undefined;

/**
 * Initialises the web-tree-sitter runtime. The runtime is process-global, so the first caller's
 * `treeSitterWasm` wins; a failed initialisation is remembered and re-thrown to every caller.
 */
export function initRuntime(treeSitterWasm: string | undefined): Promise<void> {
  runtime ??= treeSitterWasm === undefined
    ? Parser.init()
    : Parser.init({ locateFile: (name: string) => (name.endsWith('.wasm') ? treeSitterWasm : name) });
  return runtime;
}

const languages = new Map<string, Promise<Language>>();

/** Loads (once per wasm path) the grammar of `language` from `grammarDir`, or from the installed package. */
export function loadLanguage(language: CodeLanguage, grammarDir: string | undefined): Promise<Language> {
  const wasm = grammarPath(language, grammarDir);
  let loaded = languages.get(wasm);
  if (loaded === undefined) {
    loaded = Language.load(wasm);
    languages.set(wasm, loaded);
  }
  return loaded;
}

function grammarPath(language: CodeLanguage, grammarDir: string | undefined): string {
  const file = grammarFile[language];
  if (grammarDir !== undefined) return join(grammarDir, file);
  // Resolved lazily: a CommonJS bundle has no import.meta.url and must pass grammarDir.
  return createRequire(import.meta.url).resolve(`@repomix/tree-sitter-wasms/out/${file}`);
}

/** One parser per language and chunker: parsing is synchronous, so a parser is never shared mid-parse. */
export class Parsers {
  private readonly parsers = new Map<CodeLanguage, Parser>();

  constructor(private readonly grammarDir: string | undefined) {}

  async get(language: CodeLanguage): Promise<Parser> {
    const existing = this.parsers.get(language);
    if (existing !== undefined) return existing;
    const grammar = await loadLanguage(language, this.grammarDir);
    const again = this.parsers.get(language); // another call may have finished first
    if (again !== undefined) return again;
    const parser = new Parser();
    parser.setLanguage(grammar);
    this.parsers.set(language, parser);
    return parser;
  }
}

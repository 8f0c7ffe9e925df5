import type { LanguageId } from '../types.js';

/** Languages that have a tree-sitter grammar (everything but `text`). */
export type CodeLanguage = Exclude<LanguageId, 'text'>;

const byExtension: ReadonlyMap<string, CodeLanguage> = new Map<string, CodeLanguage>([
  ['ts', 'typescript'],
  ['mts', 'typescript'],
  ['cts', 'typescript'],
  ['tsx', 'tsx'],
  ['js', 'javascript'],
  ['mjs', 'javascript'],
  ['cjs', 'javascript'],
  ['jsx', 'javascript'],
  ['py', 'python'],
  ['pyi', 'python'],
  ['go', 'go'],
  ['java', 'java'],
  ['rs', 'rust'],
  ['cs', 'csharp'],
  ['rb', 'ruby'],
  ['php', 'php'],
  ['c', 'c'],
  ['h', 'c'],
  ['cc', 'cpp'],
  ['cpp', 'cpp'],
  ['cxx', 'cpp'],
  ['hpp', 'cpp'],
  ['hh', 'cpp'],
  ['hxx', 'cpp'],
]);

/** The language of a file by its extension (case-insensitive); `undefined` when no grammar covers it. */
export function languageForPath(path: string): CodeLanguage | undefined {
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  const dot = path.lastIndexOf('.');
  if (dot <= slash + 1) return undefined; // no extension, or a dot file such as `.bashrc`
  return byExtension.get(path.slice(dot + 1).toLowerCase());
}

/** File name of each grammar in `@repomix/tree-sitter-wasms/out/`. */
export const grammarFile: Readonly<Record<CodeLanguage, string>> = {
  typescript: 'tree-sitter-typescript.wasm',
  tsx: 'tree-sitter-tsx.wasm',
  javascript: 'tree-sitter-javascript.wasm',
  python: 'tree-sitter-python.wasm',
  go: 'tree-sitter-go.wasm',
  java: 'tree-sitter-java.wasm',
  rust: 'tree-sitter-rust.wasm',
  csharp: 'tree-sitter-c_sharp.wasm',
  ruby: 'tree-sitter-ruby.wasm',
  php: 'tree-sitter-php.wasm',
  c: 'tree-sitter-c.wasm',
  cpp: 'tree-sitter-cpp.wasm',
};

/** How a language writes comments, for finding the documentation above a definition. */
export interface CommentStyle {
  /** Line-comment markers, longest first. */
  line: readonly string[];
  /** Whether `/* … *\/` block comments exist. */
  block: boolean;
  /** Line prefixes that look like comments but are not documentation of the next item. */
  not: readonly string[];
}

const cLike: CommentStyle = { line: ['///', '//'], block: true, not: [] };

export const commentStyle: Readonly<Record<CodeLanguage, CommentStyle>> = {
  typescript: cLike,
  tsx: cLike,
  javascript: { line: ['//'], block: true, not: ['#!'] },
  python: { line: ['#'], block: false, not: ['#!'] },
  go: cLike,
  java: cLike,
  rust: { line: ['///', '//'], block: true, not: ['//!', '/*!'] },
  csharp: cLike,
  ruby: { line: ['#'], block: false, not: ['#!'] },
  php: { line: ['//', '#'], block: true, not: ['#[', '#!'] },
  c: cLike,
  cpp: cLike,
};

/** Heuristic for `.h` files: parse with the C++ grammar when the header plainly is C++. */
export function looksLikeCpp(text: string): boolean {
  return /^[ \t]*(?:class\s+\w+[^;{]*\{|namespace\s+[\w:]*\s*\{|template\s*<|(?:public|private|protected)\s*:)/m.test(text);
}

/** The grammar to parse a file of `language` with: a `.h` header that looks like C++ is parsed as C++. */
export function grammarFor(language: CodeLanguage, path: string, text: string): CodeLanguage {
  return language === 'c' && path.toLowerCase().endsWith('.h') && looksLikeCpp(text) ? 'cpp' : language;
}

// How broken a file's syntax is, as tree-sitter sees it: the count of ERROR and MISSING nodes.
// Used to refuse an edit that breaks code which parsed before (or breaks it further).

import { Parser, type Node } from 'web-tree-sitter';
import { initRuntime, loadLanguage } from './grammar.js';
import { grammarFor, languageForPath } from './languages.js';

function problems(node: Node): number {
  if (node.isError || node.isMissing) return 1;
  if (!node.hasError) return 0;
  return node.children.reduce((sum, child) => sum + problems(child), 0);
}

/**
 * What `read` makes of the syntax tree of `text` parsed as `path`'s language; undefined when no
 * grammar covers it. `assets`: the tree-sitter runtime and grammars of a bundle (default: the
 * installed packages).
 */
export async function withSyntaxTree<T>(path: string, text: string, assets: { grammarDir?: string; treeSitterWasm?: string }, read: (root: Node) => T): Promise<T | undefined> {
  const language = languageForPath(path);
  if (language === undefined) return undefined;
  await initRuntime(assets.treeSitterWasm);
  const grammar = await loadLanguage(grammarFor(language, path, text), assets.grammarDir);
  const parser = new Parser();
  try {
    parser.setLanguage(grammar);
    const tree = parser.parse(text);
    if (tree === null) return undefined;
    try {
      return read(tree.rootNode);
    } finally {
      tree.delete();
    }
  } finally {
    parser.delete();
  }
}

/** ERROR and MISSING nodes in `text` parsed as `path`'s language; undefined when no grammar covers it. */
export function syntaxProblems(path: string, text: string, assets: { grammarDir?: string; treeSitterWasm?: string } = {}): Promise<number | undefined> {
  return withSyntaxTree(path, text, assets, problems);
}

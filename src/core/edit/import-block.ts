// The import block of a file: its leading run of import / require / use / include statements as
// the tree-sitter tree has them (comments, a shebang, a docstring or 'use strict' may come first).
// An edit may add an import there; anything else it touches must be inside its target. A require()
// or `use` further down (inside a function, say) is no part of it.

import type { Node } from 'web-tree-sitter';
import { withSyntaxTree } from '../chunk/syntax.js';

export interface ImportBlock {
  /** The block is lines 1..end (0: the file has no leading imports). */
  end: number;
  /** The lines of the import statements in it, 1-based. */
  lines: number[];
}

/** Top-level statements that import, by grammar node type (JavaScript's require() is checked apart). */
const IMPORT_NODES = new Set([
  'import_statement', // JavaScript, TypeScript, Python
  'import_from_statement', // Python
  'future_import_statement', // Python
  'package_clause', // Go
  'import_declaration', // Go, Java
  'package_declaration', // Java
  'use_declaration', // Rust
  'extern_crate_declaration', // Rust
  'using_directive', // C#
  'extern_alias_directive', // C#
  'namespace_use_declaration', // PHP
  'preproc_include', // C, C++
  'using_declaration', // C++
]);

/** Statements that may come before the imports without ending the run. */
const PREAMBLE_NODES = new Set(['hash_bang_line', 'php_tag', 'text', 'inner_attribute_item']);

const RUBY_REQUIRES = new Set(['require', 'require_relative']);
const PHP_REQUIRES = new Set(['require_expression', 'require_once_expression', 'include_expression', 'include_once_expression']);

/** `require('x')`, or a property of it (`require('x').y`). */
function isRequireCall(node: Node | null): boolean {
  if (node === null) return false;
  if (node.type === 'member_expression') return isRequireCall(node.childForFieldName('object'));
  return node.type === 'call_expression' && node.childForFieldName('function')?.text === 'require';
}

function isImport(node: Node): boolean {
  if (IMPORT_NODES.has(node.type)) return true;
  switch (node.type) {
    case 'export_statement': // export … from 'x'
      return node.childForFieldName('source') !== null;
    case 'lexical_declaration':
    case 'variable_declaration': {
      const declarators = node.namedChildren.filter((child) => child?.type === 'variable_declarator');
      return declarators.length > 0 && declarators.every((d) => isRequireCall(d?.childForFieldName('value') ?? null));
    }
    case 'expression_statement': {
      const expression = node.namedChild(0);
      return isRequireCall(expression) || PHP_REQUIRES.has(expression?.type ?? '');
    }
    case 'namespace_definition': // PHP's `namespace App;`, not a braced block
      return node.childForFieldName('body') === null;
    case 'call': // Ruby
      return node.childForFieldName('receiver') === null && RUBY_REQUIRES.has(node.childForFieldName('method')?.text ?? '');
    default:
      return false;
  }
}

/** Comments, a shebang, a PHP tag, a module docstring or a directive such as 'use strict'. */
function isPreamble(node: Node): boolean {
  if (node.type.includes('comment') || PREAMBLE_NODES.has(node.type)) return true;
  return node.type === 'expression_statement' && node.namedChildCount === 1 && node.namedChild(0)?.type === 'string';
}

function leadingImports(root: Node): ImportBlock {
  let end = 0;
  const lines = new Set<number>();
  for (const node of root.children) {
    if (node === null) continue;
    if (isImport(node)) {
      // A node that takes its line's end (#include) ends at column 0 of the next line.
      const last = node.endPosition.column === 0 && node.endPosition.row > node.startPosition.row ? node.endPosition.row - 1 : node.endPosition.row;
      for (let row = node.startPosition.row; row <= last; row++) lines.add(row + 1);
      end = last + 1;
    } else if (!isPreamble(node)) break;
  }
  return { end, lines: [...lines] };
}

/** The import block of `text` parsed as `path`'s language; none for a file no grammar covers. */
export async function importBlock(path: string, text: string, assets: { grammarDir?: string; treeSitterWasm?: string }): Promise<ImportBlock> {
  return (await withSyntaxTree(path, text, assets, leadingImports)) ?? { end: 0, lines: [] };
}

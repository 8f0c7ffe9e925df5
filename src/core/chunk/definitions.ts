// One walk over a syntax tree that finds the definitions worth a chunk, per language.
//
// The walk descends through everything that is not a definition (statements, calls, callbacks,
// object literals, namespaces) and into containers (classes, impls, modules) to find their
// members. What is nested in a function belongs to that function's chunk, with one exception in
// JavaScript, TypeScript and Python: a named function of a few lines defined inside a function (a
// handler in a React component, a closure) gets a chunk of its own too, with the enclosing
// function as its container; the enclosing function keeps its whole text.

import type { Node, Tree } from 'web-tree-sitter';
import type { ChunkKind } from '../types.js';
import type { CodeLanguage } from './languages.js';

/** A definition found in the tree; rows are 0-based. */
export interface Definition {
  kind: ChunkKind;
  symbol: string;
  container: string;
  /** First row of the definition, its export/decorators/attributes/template header included. */
  startRow: number;
  /** Offset where the definition starts (within `startRow`). */
  startIndex: number;
  endRow: number;
  endIndex: number;
  /** Offsets [start, end) of the body, elided when the enclosing container is collapsed. */
  body: [number, number] | undefined;
  /** Offsets [start, end) of a Python docstring (the string literal, quotes included). */
  docstring: [number, number] | undefined;
  /** Index of the enclosing definition in `defs`, -1 at top level. */
  parent: number;
}

export interface Extraction {
  /** In document (pre-)order: a container comes before its members. */
  defs: Definition[];
  /** 1 for rows of imports, package clauses and comments met outside definitions. */
  quietRows: Uint8Array;
  /** Offsets [start, end) of the outermost ERROR nodes, in document order. */
  errors: Array<[number, number]>;
}

/** What the walk knows about the place it is in. */
interface Ctx {
  container: string;
  /** Index of the enclosing definition, -1 if none. */
  parent: number;
  /** Directly inside a class-like body: functions here are methods. */
  classLike: boolean;
  inError: boolean;
  /** Inside a function body: only the language's nested function rules apply. */
  inFunction?: boolean;
}

/** A function nested in a function gets a chunk from this many lines on (smaller ones are part of their function). */
const NESTED_MIN_LINES = 3;

/** Applies to the following siblings (and their descendants) instead of the node's children. */
interface SiblingScope {
  siblings: Ctx;
}

/**
 * A handler looks at one node: `undefined` = not a definition, walk its children as usual;
 * `null` = do not walk its children; a `Ctx` = walk its children with that context.
 */
type Handler = (node: Node, ctx: Ctx, walk: Walker) => Ctx | SiblingScope | null | undefined;

/** Node types whose rows are imports/comments (not loose code), and types never worth descending into. */
type Rule = Handler | 'quiet' | 'skip';

interface DefOptions {
  kind: ChunkKind;
  symbol: string;
  /** The node whose extent (end row) is the definition's; defaults to the node. */
  outer?: Node | null | undefined;
  /** The node where the definition starts, when before `outer` (decorators, attributes). */
  first?: Node | null | undefined;
  body?: Node | null | undefined;
  container?: string;
  /** A container: walk its children for members. */
  members?: boolean;
  /** A function whose body is walked for nested named functions (languages with NESTED_RULES). */
  nested?: boolean;
  docstring?: Node | null | undefined;
}

class Walker {
  readonly defs: Definition[] = [];

  add(ctx: Ctx, node: Node, o: DefOptions): Ctx | null {
    const outer = o.outer ?? node;
    const first = o.first ?? outer;
    const container = o.container ?? ctx.container;
    const index = this.defs.length;
    const startRow = first.startPosition.row;
    if (ctx.inFunction && endRow(outer) - startRow + 1 < NESTED_MIN_LINES) return null;
    this.defs.push({
      kind: o.kind === 'function' && ctx.classLike ? 'method' : o.kind,
      symbol: o.symbol,
      container,
      startRow,
      startIndex: first.startIndex,
      endIndex: outer.endIndex,
      endRow: endRow(outer),
      // A nested function is not elided from its function's text: no body to fold.
      body: o.body && !ctx.inFunction ? [o.body.startIndex, o.body.endIndex] : undefined,
      docstring: o.docstring ? [o.docstring.startIndex, o.docstring.endIndex] : undefined,
      parent: ctx.parent,
    });
    if (o.members) return { container: joinName(container, o.symbol), parent: index, classLike: true, inError: ctx.inError };
    return o.nested ? { container: joinName(container, o.symbol), parent: index, classLike: false, inError: ctx.inError, inFunction: true } : null;
  }
}

/** Walks the tree once. Throws only if the tree itself misbehaves (the caller falls back). */
export function extractDefinitions(tree: Tree, language: CodeLanguage, lineCount: number): Extraction {
  const rules = rulesFor[language];
  const nestedRules = nestedRulesFor[language] ?? NO_RULES;
  const walker = new Walker();
  const quietRows = new Uint8Array(lineCount);
  const errors: Array<[number, number]> = [];
  const cursor = tree.walk();
  try {
    const stack: Ctx[] = [{ container: '', parent: -1, classLike: false, inError: false }];
    for (;;) {
      const type = cursor.nodeType;
      const ctx = stack[stack.length - 1] ?? { container: '', parent: -1, classLike: false, inError: false };
      let next: Ctx | null = ctx;
      if (type === 'ERROR') {
        if (!ctx.inError) {
          errors.push([cursor.startIndex, cursor.endIndex]);
          next = { ...ctx, inError: true };
        }
      } else if (cursor.nodeIsNamed) {
        // Anonymous nodes (keywords, punctuation) share type names with real nodes (`class`, `module`).
        const rule = ctx.inFunction ? nestedRules.get(type) : rules.get(type);
        if (rule === 'quiet') {
          const start = cursor.startPosition;
          const end = cursor.endPosition;
          const last = end.column === 0 && end.row > start.row ? end.row - 1 : end.row;
          for (let r = start.row; r <= last && r < lineCount; r++) quietRows[r] = 1;
          next = null;
        } else if (rule === 'skip') {
          next = null;
        } else if (rule !== undefined) {
          const result = rule(cursor.currentNode, ctx, walker);
          if (result === null) next = null;
          else if (result === undefined) next = ctx;
          else if ('siblings' in result) {
            stack[stack.length - 1] = result.siblings;
            next = null;
          } else next = result;
        }
      }
      if (next !== null && cursor.gotoFirstChild()) {
        stack.push(next);
        continue;
      }
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent()) return { defs: walker.defs, quietRows, errors };
        stack.pop();
      }
    }
  } finally {
    cursor.delete();
  }
}

/**
 * Characters inside ERROR nodes that no top-level definition accounts for. Tree-sitter may wrap
 * a whole file in an ERROR (a macro it cannot read) yet parse every function inside it cleanly.
 */
export function unexplainedErrorChars(extraction: Extraction): number {
  const tops = extraction.defs.filter((d) => d.parent === -1);
  let total = 0;
  let k = 0;
  for (const [start, end] of extraction.errors) {
    total += end - start;
    while (k < tops.length && (tops[k]?.endIndex ?? 0) <= start) k++;
    for (let j = k; j < tops.length; j++) {
      const d = tops[j];
      if (d === undefined || d.startIndex >= end) break;
      total -= Math.max(0, Math.min(end, d.endIndex) - Math.max(start, d.startIndex));
    }
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// Helpers

function endRow(node: Node): number {
  const end = node.endPosition;
  // A node that swallows its trailing newline (Rust `///`, Go statement lists) ends at column 0.
  return end.column === 0 && end.row > node.startPosition.row ? end.row - 1 : end.row;
}

function joinName(...parts: string[]): string {
  return parts.filter((p) => p !== '').join('.');
}

function field(node: Node | null | undefined, name: string): Node | null {
  return node ? node.childForFieldName(name) : null;
}

function nameOf(node: Node, fieldName = 'name'): string | undefined {
  const name = node.childForFieldName(fieldName);
  return name ? name.text : undefined;
}

function scope(ctx: Ctx, name: string | undefined): Ctx | undefined {
  return name ? { ...ctx, container: joinName(ctx.container, name), classLike: false } : undefined;
}

function unquote(text: string): string {
  return text.replace(/^(['"`])([\s\S]*)\1$/, '$2');
}

/** `a::B<T>::c` → ['a', 'B', 'c'] (C++, Ruby and PHP style qualified names). */
function qualifiedParts(text: string, separator: string): string[] {
  let name = text.replace(/\s+/g, '');
  for (let i = 0; i < 8 && name.includes('<'); i++) {
    const next = name.replace(/<[^<>]*>/g, '');
    if (next === name) break;
    name = next;
  }
  return name.split(separator).filter((p) => p !== '');
}

// ---------------------------------------------------------------------------------------------
// JavaScript / TypeScript / TSX

const jsFunctionValues: ReadonlySet<string> = new Set(['arrow_function', 'function_expression', 'function', 'generator_function']);

/** Extends a declaration over an enclosing `export` / `declare`. */
function jsOuter(node: Node): Node {
  let outer = node;
  for (let p = outer.parent; p !== null && (p.type === 'export_statement' || p.type === 'ambient_declaration'); p = outer.parent) outer = p;
  return outer;
}

/** Decorators of a class member are its preceding siblings in the class body. */
function jsFirstDecorator(node: Node): Node | undefined {
  let first: Node | undefined;
  for (let p = node.previousNamedSibling; p !== null && p.type === 'decorator'; p = p.previousNamedSibling) first = p;
  return first;
}

/** `const f = () => …` spans the whole statement when it declares one variable. */
function jsDeclaratorOuter(declarator: Node): Node {
  const decl = declarator.parent;
  if (decl === null || (decl.type !== 'lexical_declaration' && decl.type !== 'variable_declaration')) return declarator;
  let declarators = 0;
  for (const child of decl.namedChildren) if (child?.type === 'variable_declarator') declarators++;
  return declarators === 1 ? jsOuter(decl) : declarator;
}

function jsPropertyName(node: Node | null): string | undefined {
  if (node === null) return undefined;
  return node.type === 'string' ? unquote(node.text) : node.text;
}

/**
 * The block body of a function passed to a call, one call deep: `memo(function X() {…})`,
 * `forwardRef((props, ref) => {…})`, `memo(forwardRef(…))`. Expression bodies (`xs.map((x) => x * 2)`)
 * do not count: they do not make the call a definition.
 */
function jsWrappedFunctionBody(call: Node, depth = 0): Node | null {
  const args = field(call, 'arguments');
  if (args === null) return null;
  for (let arg = args.firstNamedChild; arg !== null; arg = arg.nextNamedSibling) {
    if (jsFunctionValues.has(arg.type)) {
      const body = field(arg, 'body');
      if (body !== null && body.type === 'statement_block') return body;
    } else if (arg.type === 'call_expression' && depth === 0) {
      const inner = jsWrappedFunctionBody(arg, 1);
      if (inner !== null) return inner;
    }
  }
  return null;
}

/** A name bound to a value: a function (maybe wrapped in a call) becomes a definition, a class a container, an object a naming scope. */
function jsBinding(node: Node, ctx: Ctx, walk: Walker, symbol: string | undefined, value: Node | null, outer: Node, first?: Node): Ctx | null | undefined {
  if (symbol === undefined || symbol === '' || value === null) return undefined;
  if (jsFunctionValues.has(value.type)) return walk.add(ctx, node, { kind: 'function', symbol, outer, first, body: field(value, 'body'), nested: true });
  if (value.type === 'call_expression') {
    const body = jsWrappedFunctionBody(value);
    return body === null ? undefined : walk.add(ctx, node, { kind: 'function', symbol, outer, first, body });
  }
  if (value.type === 'class') return walk.add(ctx, node, { kind: 'class', symbol, outer, first, body: field(value, 'body'), members: true });
  if (value.type === 'object') return scope(ctx, symbol);
  return undefined;
}

const jsIgnoredObjects: ReadonlySet<string> = new Set(['module', 'exports', 'prototype', 'this', 'window', 'globalThis', 'self']);

const jsRules: Record<string, Rule> = {
  function_declaration: (n, c, w) => w.add(c, n, { kind: 'function', symbol: nameOf(n) ?? 'default', outer: jsOuter(n), body: field(n, 'body'), nested: true }),
  generator_function_declaration: (n, c, w) => w.add(c, n, { kind: 'function', symbol: nameOf(n) ?? 'default', outer: jsOuter(n), body: field(n, 'body') }),
  class_declaration: (n, c, w) => w.add(c, n, { kind: 'class', symbol: nameOf(n) ?? 'default', outer: jsOuter(n), body: field(n, 'body'), members: true }),
  abstract_class_declaration: (n, c, w) => w.add(c, n, { kind: 'class', symbol: nameOf(n) ?? 'default', outer: jsOuter(n), body: field(n, 'body'), members: true }),
  // `export default class {}`; other class expressions are named by their variable/property.
  class: (n, c, w) => (n.parent?.type === 'export_statement'
    ? w.add(c, n, { kind: 'class', symbol: nameOf(n) ?? 'default', outer: n.parent, body: field(n, 'body'), members: true })
    : undefined),
  arrow_function: (n, c, w) => (n.parent?.type === 'export_statement' ? w.add(c, n, { kind: 'function', symbol: 'default', outer: n.parent, body: field(n, 'body') }) : undefined),
  function_expression: (n, c, w) => (n.parent?.type === 'export_statement' ? w.add(c, n, { kind: 'function', symbol: nameOf(n) ?? 'default', outer: n.parent, body: field(n, 'body') }) : undefined),
  interface_declaration: (n, c, w) => w.add(c, n, { kind: 'interface', symbol: nameOf(n) ?? '', outer: jsOuter(n), body: field(n, 'body') }),
  type_alias_declaration: (n, c, w) => w.add(c, n, { kind: 'type', symbol: nameOf(n) ?? '', outer: jsOuter(n) }),
  enum_declaration: (n, c, w) => w.add(c, n, { kind: 'enum', symbol: nameOf(n) ?? '', outer: jsOuter(n), body: field(n, 'body') }),
  method_definition: (n, c, w) => {
    const body = field(n, 'body');
    const symbol = jsPropertyName(field(n, 'name'));
    if (body === null || symbol === undefined) return null;
    return w.add(c, n, { kind: 'function', symbol, first: jsFirstDecorator(n), body, nested: true });
  },
  public_field_definition: (n, c, w) => jsBinding(n, c, w, jsPropertyName(field(n, 'name')), field(n, 'value'), n, jsFirstDecorator(n)),
  field_definition: (n, c, w) => jsBinding(n, c, w, jsPropertyName(field(n, 'property')), field(n, 'value'), n, jsFirstDecorator(n)),
  variable_declarator: (n, c, w) => {
    const name = field(n, 'name');
    if (name === null || name.type !== 'identifier') return undefined;
    return jsBinding(n, c, w, name.text, field(n, 'value'), jsDeclaratorOuter(n));
  },
  pair: (n, c, w) => jsBinding(n, c, w, jsPropertyName(field(n, 'key')), field(n, 'value'), n),
  // `Foo.prototype.bar = function () {}`, `exports.baz = () => …`
  assignment_expression: (n, c, w) => {
    const left = field(n, 'left');
    const right = field(n, 'right');
    if (left === null || right === null || !jsFunctionValues.has(right.type)) return undefined;
    const outer = n.parent?.type === 'expression_statement' ? n.parent : n;
    if (left.type === 'identifier') return w.add(c, n, { kind: 'function', symbol: left.text, outer, body: field(right, 'body') });
    if (left.type !== 'member_expression') return undefined;
    const symbol = jsPropertyName(field(left, 'property'));
    if (symbol === undefined) return undefined;
    const object = field(left, 'object')?.text ?? '';
    const path = /^[\w$.]+$/.test(object) ? object.split('.').filter((p) => !jsIgnoredObjects.has(p)) : [];
    return w.add(c, n, { kind: 'function', symbol, container: joinName(c.container, ...path), outer, body: field(right, 'body') });
  },
  // Namespaces name their members but are not worth a chunk of their own.
  internal_module: (n, c) => scope(c, jsPropertyName(field(n, 'name'))),
  module: (n, c) => scope(c, jsPropertyName(field(n, 'name'))),
  // Functions in an object literal inside a class are not methods of the class.
  object: (_n, c) => (c.classLike ? { ...c, classLike: false } : undefined),
  import_statement: 'quiet',
  comment: 'quiet',
  hash_bang_line: 'quiet',
  decorator: 'skip',
  string: 'skip',
  template_string: 'skip',
  regex: 'skip',
  type_annotation: 'skip',
  type_arguments: 'skip',
  type_parameters: 'skip',
  function_signature: 'skip',
  method_signature: 'skip',
  abstract_method_signature: 'skip',
};

// ---------------------------------------------------------------------------------------------
// Python

/** The docstring: the first statement of a body when it is a lone string literal. */
function pyDocstring(body: Node | null): Node | null {
  if (body === null) return null;
  for (let child = body.firstNamedChild; child !== null; child = child.nextNamedSibling) {
    if (child.type === 'comment') continue;
    if (child.type !== 'expression_statement' || child.namedChildCount !== 1) return null;
    const value = child.firstNamedChild;
    return value !== null && value.type === 'string' ? value : null;
  }
  return null;
}

function pyOuter(node: Node): Node {
  return node.parent?.type === 'decorated_definition' ? node.parent : node;
}

const pyRules: Record<string, Rule> = {
  function_definition: (n, c, w) => {
    const body = field(n, 'body');
    return w.add(c, n, { kind: 'function', symbol: nameOf(n) ?? '', outer: pyOuter(n), body, docstring: pyDocstring(body), nested: true });
  },
  class_definition: (n, c, w) => {
    const body = field(n, 'body');
    return w.add(c, n, { kind: 'class', symbol: nameOf(n) ?? '', outer: pyOuter(n), body, members: true, docstring: pyDocstring(body) });
  },
  import_statement: 'quiet',
  import_from_statement: 'quiet',
  future_import_statement: 'quiet',
  comment: 'quiet',
  decorator: 'skip',
  string: 'skip',
};

// ---------------------------------------------------------------------------------------------
// Go

function goTypeSpec(n: Node, c: Ctx, w: Walker): Ctx | null {
  const type = field(n, 'type')?.type;
  const kind: ChunkKind = type === 'struct_type' ? 'struct' : type === 'interface_type' ? 'interface' : 'type';
  // `type Foo struct{}` spans the `type` keyword; a spec inside `type ( … )` spans itself.
  const parent = n.parent;
  let specs = 0;
  if (parent !== null && parent.type === 'type_declaration') {
    for (const child of parent.namedChildren) if (child?.type === 'type_spec' || child?.type === 'type_alias') specs++;
  }
  const outer = parent !== null && specs === 1 ? parent : n;
  return w.add(c, n, { kind, symbol: nameOf(n) ?? '', outer });
}

const goRules: Record<string, Rule> = {
  function_declaration: (n, c, w) => w.add(c, n, { kind: 'function', symbol: nameOf(n) ?? '', body: field(n, 'body') }),
  method_declaration: (n, c, w) => {
    const receiver = field(n, 'receiver')?.descendantsOfType('type_identifier')[0]?.text ?? '';
    return w.add(c, n, { kind: 'method', symbol: nameOf(n) ?? '', container: joinName(c.container, receiver), body: field(n, 'body') });
  },
  type_spec: goTypeSpec,
  type_alias: goTypeSpec,
  package_clause: 'quiet',
  import_declaration: 'quiet',
  comment: 'quiet',
  interpreted_string_literal: 'skip',
  raw_string_literal: 'skip',
};

// ---------------------------------------------------------------------------------------------
// Java

function javaMember(n: Node, c: Ctx, w: Walker): Ctx | null {
  const body = field(n, 'body');
  if (body === null) return null; // abstract / interface method: part of its container's text
  return w.add(c, n, { kind: 'function', symbol: nameOf(n) ?? '', body });
}

/** A named type whose `body` holds members (Java, C#, PHP). */
function typeWithBody(kind: ChunkKind, members = true): Handler {
  return (n, c, w) => w.add(c, n, { kind, symbol: nameOf(n) ?? '', body: field(n, 'body'), members });
}

const javaRules: Record<string, Rule> = {
  class_declaration: typeWithBody('class'),
  record_declaration: typeWithBody('class'),
  interface_declaration: typeWithBody('interface'),
  annotation_type_declaration: typeWithBody('interface'),
  enum_declaration: typeWithBody('enum'),
  method_declaration: javaMember,
  constructor_declaration: javaMember,
  compact_constructor_declaration: javaMember,
  package_declaration: 'quiet',
  import_declaration: 'quiet',
  line_comment: 'quiet',
  block_comment: 'quiet',
  modifiers: 'skip',
  string_literal: 'skip',
};

// ---------------------------------------------------------------------------------------------
// C#

function csMember(n: Node, c: Ctx, w: Walker): Ctx | null {
  const body = field(n, 'body');
  if (body === null) return null;
  const operator = field(n, 'operator');
  const symbol = nameOf(n) ?? (operator !== null ? `operator ${operator.text}` : nameOf(n, 'type') ?? '');
  return w.add(c, n, { kind: 'function', symbol, body });
}

const csRules: Record<string, Rule> = {
  class_declaration: typeWithBody('class'),
  record_declaration: typeWithBody('class'),
  struct_declaration: typeWithBody('struct'),
  record_struct_declaration: typeWithBody('struct'),
  interface_declaration: typeWithBody('interface'),
  enum_declaration: typeWithBody('enum', false),
  method_declaration: csMember,
  constructor_declaration: csMember,
  destructor_declaration: csMember,
  operator_declaration: csMember,
  conversion_operator_declaration: csMember,
  local_function_statement: csMember,
  namespace_declaration: (n, c) => scope(c, nameOf(n)),
  // `namespace Pay;` names everything after it.
  file_scoped_namespace_declaration: (n, c) => {
    const inner = scope(c, nameOf(n));
    return inner ? { siblings: inner } : null;
  },
  using_directive: 'quiet',
  extern_alias_directive: 'quiet',
  comment: 'quiet',
  attribute_list: 'skip',
  string_literal: 'skip',
  verbatim_string_literal: 'skip',
  interpolated_string_expression: 'skip',
};

// ---------------------------------------------------------------------------------------------
// Rust

/** Outer attributes (`#[derive(…)]`) are the item's preceding siblings; comments may sit between them. */
function rustFirstAttribute(node: Node): Node | undefined {
  let first: Node | undefined;
  for (let p = node.previousNamedSibling; p !== null; p = p.previousNamedSibling) {
    if (p.type === 'attribute_item') first = p;
    else if (p.type !== 'line_comment' && p.type !== 'block_comment') break;
  }
  return first;
}

function rustTypeName(node: Node | null): string {
  if (node === null) return '';
  switch (node.type) {
    case 'generic_type':
    case 'reference_type':
    case 'pointer_type':
      return rustTypeName(field(node, 'type'));
    case 'scoped_type_identifier':
      return field(node, 'name')?.text ?? node.text;
    default:
      return node.text;
  }
}

function rustItem(kind: ChunkKind, members = false): Handler {
  return (n, c, w) => w.add(c, n, { kind, symbol: nameOf(n) ?? '', first: rustFirstAttribute(n), body: field(n, 'body'), members });
}

const rustRules: Record<string, Rule> = {
  function_item: rustItem('function'),
  struct_item: rustItem('struct'),
  union_item: rustItem('struct'),
  enum_item: rustItem('enum'),
  trait_item: rustItem('trait', true),
  type_item: rustItem('type'),
  impl_item: (n, c, w) => w.add(c, n, { kind: 'impl', symbol: rustTypeName(field(n, 'type')), first: rustFirstAttribute(n), body: field(n, 'body'), members: true }),
  mod_item: (n, c) => (field(n, 'body') !== null ? scope(c, nameOf(n)) : null),
  use_declaration: 'quiet',
  extern_crate_declaration: 'quiet',
  inner_attribute_item: 'quiet',
  line_comment: 'quiet',
  block_comment: 'quiet',
  attribute_item: 'skip',
  macro_invocation: 'skip',
  string_literal: 'skip',
  raw_string_literal: 'skip',
};

// ---------------------------------------------------------------------------------------------
// Ruby

function rubyContainer(kind: ChunkKind): Handler {
  return (n, c, w) => {
    const parts = qualifiedParts(field(n, 'name')?.text ?? '', '::');
    const symbol = parts.pop();
    if (symbol === undefined) return undefined;
    return w.add(c, n, { kind, symbol, container: joinName(c.container, ...parts), body: field(n, 'body'), members: true });
  };
}

const rubyRules: Record<string, Rule> = {
  class: rubyContainer('class'),
  module: rubyContainer('module'),
  method: (n, c, w) => w.add(c, n, { kind: 'function', symbol: nameOf(n) ?? '', body: field(n, 'body') }),
  singleton_method: (n, c, w) => w.add(c, n, { kind: 'method', symbol: nameOf(n) ?? '', body: field(n, 'body') }),
  comment: 'quiet',
  string: 'skip',
};

// ---------------------------------------------------------------------------------------------
// PHP

const phpRules: Record<string, Rule> = {
  class_declaration: typeWithBody('class'),
  interface_declaration: typeWithBody('interface'),
  trait_declaration: typeWithBody('trait'),
  enum_declaration: typeWithBody('enum'),
  function_definition: (n, c, w) => w.add(c, n, { kind: 'function', symbol: nameOf(n) ?? '', body: field(n, 'body') }),
  method_declaration: (n, c, w) => {
    const body = field(n, 'body');
    return body === null ? null : w.add(c, n, { kind: 'function', symbol: nameOf(n) ?? '', body });
  },
  // `namespace App\Billing { … }` contains; `namespace App\Billing;` names what follows.
  namespace_definition: (n, c) => {
    const name = qualifiedParts(field(n, 'name')?.text ?? '', '\\').join('.');
    const inner = scope(c, name);
    if (field(n, 'body') !== null) return inner;
    return inner ? { siblings: inner } : null;
  },
  php_tag: 'quiet',
  namespace_use_declaration: 'quiet',
  comment: 'quiet',
  attribute_list: 'skip',
  string: 'skip',
  encapsed_string: 'skip',
  heredoc: 'skip',
};

// ---------------------------------------------------------------------------------------------
// C / C++

function cDeclaratorName(fn: Node): Node | null {
  let d = field(fn, 'declarator');
  for (let depth = 0; d !== null && depth < 16; depth++) {
    if (d.type === 'function_declarator') return field(d, 'declarator');
    let inner = field(d, 'declarator');
    if (inner === null) {
      // reference_declarator / parenthesized_declarator keep their inner declarator unnamed.
      for (const child of d.namedChildren) if (child !== null && child.type.endsWith('declarator')) inner = child;
    }
    d = inner;
  }
  return null;
}

function cFunction(n: Node, c: Ctx, w: Walker): Ctx | null {
  const body = field(n, 'body');
  const name = cDeclaratorName(n);
  if (body === null || name === null) return null;
  const parts = qualifiedParts(name.text, '::');
  const symbol = parts.pop();
  if (symbol === undefined) return null;
  const outer = n.parent?.type === 'template_declaration' ? n.parent : n;
  // `void Billing::charge()` defined out of line: a method of Billing.
  const kind: ChunkKind = parts.length > 0 ? 'method' : 'function';
  return w.add(c, n, { kind, symbol, container: joinName(c.container, ...parts), outer, body });
}

function cRecord(kind: ChunkKind, members: boolean): Handler {
  return (n, c, w) => {
    const body = field(n, 'body');
    if (body === null) return null; // a reference such as `struct point *p`
    let name = field(n, 'name')?.text;
    let outer = n;
    const parent = n.parent;
    if (parent !== null && parent.type === 'type_definition') {
      const alias = field(parent, 'declarator');
      if (alias !== null && alias.type === 'type_identifier') name = alias.text;
      outer = parent;
    } else if (parent !== null && (parent.type === 'declaration' || parent.type === 'template_declaration')) {
      outer = parent;
    }
    if (name === undefined) return null; // anonymous: part of whatever declares it
    const parts = qualifiedParts(name, '::');
    const symbol = parts.pop() ?? name;
    return w.add(c, n, { kind, symbol, container: joinName(c.container, ...parts), outer, body, members });
  };
}

const cRules: Record<string, Rule> = {
  function_definition: cFunction,
  struct_specifier: cRecord('struct', false),
  union_specifier: cRecord('struct', false),
  enum_specifier: cRecord('enum', false),
  preproc_include: 'quiet',
  comment: 'quiet',
  string_literal: 'skip',
};

const cppRules: Record<string, Rule> = {
  ...cRules,
  struct_specifier: cRecord('struct', true),
  union_specifier: cRecord('struct', true),
  class_specifier: cRecord('class', true),
  namespace_definition: (n, c) => scope(c, qualifiedParts(field(n, 'name')?.text ?? '', '::').join('.')),
  using_declaration: 'quiet',
  raw_string_literal: 'skip',
  attribute_declaration: 'skip',
};

// ---------------------------------------------------------------------------------------------

function toMap(rules: Record<string, Rule>): ReadonlyMap<string, Rule> {
  return new Map(Object.entries(rules));
}

/** Inside a function body: the rules for named functions defined there; strings and types are skipped. */
const jsNestedRules: Record<string, Rule> = {
  function_declaration: jsRules['function_declaration'] as Rule,
  variable_declarator: jsRules['variable_declarator'] as Rule,
  string: 'skip',
  template_string: 'skip',
  regex: 'skip',
  type_annotation: 'skip',
};
const pyNestedRules: Record<string, Rule> = { function_definition: pyRules['function_definition'] as Rule, string: 'skip' };
const NO_RULES: ReadonlyMap<string, Rule> = new Map();

const nestedRulesFor: Readonly<Partial<Record<CodeLanguage, ReadonlyMap<string, Rule>>>> = {
  typescript: toMap(jsNestedRules),
  tsx: toMap(jsNestedRules),
  javascript: toMap(jsNestedRules),
  python: toMap(pyNestedRules),
};

const rulesFor: Readonly<Record<CodeLanguage, ReadonlyMap<string, Rule>>> = {
  typescript: toMap(jsRules),
  tsx: toMap(jsRules),
  javascript: toMap(jsRules),
  python: toMap(pyRules),
  go: toMap(goRules),
  java: toMap(javaRules),
  rust: toMap(rustRules),
  csharp: toMap(csRules),
  ruby: toMap(rubyRules),
  php: toMap(phpRules),
  c: toMap(cRules),
  cpp: toMap(cppRules),
};

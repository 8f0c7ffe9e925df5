// Public surface of the chunker: source text in, `Chunk`s out.
//
// What a chunk is, precisely:
// - One chunk per definition: function, method, class, interface, type alias, enum, struct,
//   trait, impl, Ruby module; plus functions bound to a name (`const f = () => …`, object
//   properties, class fields, `Foo.prototype.bar = function …`). Anything nested in a function
//   body stays in that function's chunk. Namespaces (TS, C#, C++, PHP, Rust inline `mod`) only
//   name their members' `container`; they get no chunk of their own.
// - `startLine..endLine` (1-based, inclusive) span the definition with its `export`, decorators,
//   annotations, attributes and `template <…>` header, never the comment above it.
// - `text` is the full source lines of that range (from column 0 of the first line to the end of
//   the last), line terminators kept between lines, none after the last.
// - Containers with member chunks are collapsed: their text keeps header, fields, comments and
//   member signatures, each member body replaced by `{ … }` (`=> …` for expression bodies, `...`
//   in Python and Ruby). Containers without member chunks keep their full text.
// - A definition longer than `maxChunkLines` (collapsed text counted in its own lines) becomes
//   the fewest consecutive, equally long pieces, each with the same kind/symbol/container/doc,
//   exact and contiguous ranges covering every line.
// - `doc` is the comment block directly above (no blank line between), markers stripped and
//   whitespace collapsed to single spaces; the prose ends at the first block tag (`@param`,
//   `@returns`, YARD tags, C# `<param>`/`<returns>`); inline tags keep their text; lint
//   directives (`eslint-disable…`, `//go:generate`, `# noqa`) are dropped. Python uses the
//   docstring when there is one (`docSpan` locates it in `text`), else the `#` comment above.
// - Line windows (`kind: 'lines'`, `windowLines` long, `windowOverlap` shared, from the first to
//   the last non-blank line): files in no supported language (`language: 'text'`), files with no
//   definitions, files the tree cannot be trusted with (grammar missing, parse error or timeout,
//   more than half the text in ERROR nodes outside recognised definitions, definitions that would
//   repeat a minified line), and, within parsed files, stretches of top-level code between
//   definitions with at least `minGapLines` non-blank lines that are not imports or comments.

export { createChunker, type Chunker, type ChunkerOptions } from './chunker.js';
export { codeWithoutDoc } from './docs.js';
export { languageForPath } from './languages.js';

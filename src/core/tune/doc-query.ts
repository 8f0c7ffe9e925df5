// From a definition's documentation to a search query: the first sentence of its first prose
// paragraph, cleaned of markup, or nothing when the documentation does not make a usable query.
// Pure functions; see test/corpus.test.ts.

export const MIN_QUERY_WORDS = 3;
export const MAX_QUERY_WORDS = 40;

/** Why a documentation string gave no query (counted in the stats). */
export type QueryRejection = 'no-prose' | 'too-short' | 'too-long' | 'boilerplate' | 'name-copy' | 'not-english' | 'has-url';

export type QueryResult = { query: string } | { rejected: QueryRejection };

/**
 * The query for a documented definition: the first sentence of the documentation's first prose
 * paragraph, cleaned of markup (see `cleanMarkup`), with a leading copy of the symbol name dropped
 * (Go's "Foo returns …" convention), 3–40 words, and not boilerplate or a restatement of the name.
 */
export function queryFromDoc(doc: string, symbol: string): QueryResult {
  // C# XML documentation: the <summary> is the prose. Javadoc/HTML: <p> starts a paragraph.
  const summary = /<summary>([\s\S]*?)<\/summary>/i.exec(doc)?.[1];
  const text = (summary ?? doc).replace(/<p\s*\/?>/gi, '\n\n');
  const paragraph = firstProseParagraph(text);
  if (paragraph === undefined) return { rejected: 'no-prose' };
  const cleaned = cleanMarkup(paragraph);
  // TomDoc visibility prefixes (Ruby): "Public: Initializes …".
  if (/^Deprecated:/.test(cleaned)) return { rejected: 'boilerplate' };
  let sentence = firstSentence(cleaned.replace(/^(?:Public|Internal|Private):\s+/, '').replace(/\s*[(<]\s*(?:https?:\/\/|www\.)[^)>\s]*\s*[)>]/gi, ''));
  if (/\b(?:https?:\/\/|www\.)\S/i.test(sentence)) return { rejected: 'has-url' };
  sentence = dropLeadingName(sentence, symbol);
  sentence = sentence.replace(/[\s.:;,]+$/u, '').trim();
  if (sentence === '') return { rejected: 'no-prose' };
  const words = sentence.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w));
  if (words.length < MIN_QUERY_WORDS) return { rejected: 'too-short' };
  if (words.length > MAX_QUERY_WORDS) return { rejected: 'too-long' };
  if (!looksEnglish(sentence)) return { rejected: 'not-english' };
  if (isBoilerplate(sentence)) return { rejected: 'boilerplate' };
  if (copiesName(sentence, symbol)) return { rejected: 'name-copy' };
  return { query: sentence };
}

// ---------------------------------------------------------------------------------------------
// Paragraphs

/** A block tag that starts the structured part of a doc comment (JSDoc, Javadoc, PHPDoc, YARD, Doxygen, Sphinx). */
const TAG_LINE = /^\s*(?:[@\\](?!brief\b|summary\b|description\b|short\b|details?\b)[a-zA-Z]+\b|:(?:param|parameter|arg|argument|key|keyword|type|raises?|raise|except|exception|returns?|rtype|yields?|ytype|var|ivar|cvar|vartype|meta)\b[^:]*:)/;
/** A section heading after which no more summary text comes (Google/NumPy docstrings, Rust/markdown headings, RDoc). */
const SECTION_HEADING = /^\s*(?:#{1,6}\s+\S.*|(?:Args?|Arguments?|Parameters?|Params?|Returns?|Return value|Raises?|Throws?|Yields?|Examples?|Usage|Notes?|See also|References?|Attributes?|Keyword arguments?|Other parameters|Warnings?|Todo|Methods?|Properties|Fields?|Options?|Errors?|Panics?|Safety|Deprecated)\s*:?\s*)$/i;
const UNDERLINE = /^\s*(?:-{3,}|={3,}|~{3,})\s*$/;
/** gtk-doc/Doxygen-style first line naming the symbol: `g_strdup:`, `SECTION:gmain`, `MyClass::method:`. */
const SYMBOL_HEADER = /^\s*(?:SECTION:\s*)?[A-Za-z_][\w.:]*(?:\(\))?\s*:\s*(?:\([^)]*\)\s*)*$/;
/** RDoc `call-seq:` blocks list signatures, not prose. */
const CALL_SEQ = /^\s*:?call-seq:?\s*$/i;

/**
 * The first paragraph of prose: paragraphs are separated by blank lines; a paragraph that is only
 * tags, headings, a symbol header or a call-seq block is skipped; inside the chosen paragraph,
 * text stops at the first tag line or section heading.
 */
export function firstProseParagraph(doc: string): string | undefined {
  const lines = doc.replace(/\r\n?/g, '\n').split('\n');
  let current: string[] = [];
  let inCallSeq = false;
  let inTag = false;
  const flush = (): string | undefined => {
    const text = current.join(' ').replace(/\s+/g, ' ').trim();
    current = [];
    return text === '' ? undefined : text;
  };
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] ?? '').replace(/(?:^|\s)[\\@](?:internal|rst|endrst|nosubgrouping|ingroup\s+\S+)\b/g, ' ');
    let line = raw.replace(/^\s*(?:@brief|\\brief|@summary|@description|@short|\\short|@details|\\details)\b\s*/i, '');
    // Doxygen/Eigen style: a summary that opens with `\returns` is prose ("Returns the rows").
    if (current.length === 0 && !inTag) {
      const returns = /^\s*[\\@]returns?\b\s*(?:\{[^}]*\}\s*)?(.*)$/i.exec(line);
      if (returns !== null && (returns[1] ?? '').trim() !== '') line = `Returns ${returns[1] ?? ''}`;
    }
    if (line.trim() === '') {
      inCallSeq = false;
      inTag = false;
      const text = flush();
      if (text !== undefined) return text;
      continue;
    }
    if (CALL_SEQ.test(line)) {
      inCallSeq = true;
      continue;
    }
    if (inCallSeq) continue;
    if (current.length === 0 && SYMBOL_HEADER.test(line)) {
      // `g_strdup:` heading line, possibly followed by `@param:` lines: skip both.
      inTag = true;
      continue;
    }
    if (TAG_LINE.test(line)) {
      // Tags end the summary when prose was already found; gtk-doc puts `@param:` lines first.
      const text = flush();
      if (text !== undefined) return text;
      inTag = true;
      continue;
    }
    if (SECTION_HEADING.test(line) || (UNDERLINE.test(line) && current.length > 0)) {
      if (UNDERLINE.test(line)) current.pop(); // the heading word above a NumPy underline
      // Sections (Args:, Returns:, # Examples) come after the summary: none was written.
      return flush();
    }
    if (inTag) {
      // Continuation of a tag's text (indented or not) until the next blank line.
      continue;
    }
    if (/^\s*(?:```|~~~)/.test(line)) {
      const text = flush();
      if (text !== undefined) return text;
      // Skip a fenced code block.
      for (i++; i < lines.length && !/^\s*(?:```|~~~)/.test(lines[i] ?? ''); i++);
      continue;
    }
    if (/^\s*>>>/.test(line)) {
      const text = flush();
      if (text !== undefined) return text;
      continue;
    }
    current.push(line.trim());
  }
  return flush();
}

// ---------------------------------------------------------------------------------------------
// Markup

const HTML_TAGS = new Set([
  'p', 'a', 'b', 'i', 'u', 's', 'em', 'strong', 'code', 'tt', 'pre', 'br', 'hr', 'ul', 'ol', 'li', 'dl', 'dt', 'dd', 'sup', 'sub',
  'span', 'div', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'table', 'tr', 'td', 'th', 'thead', 'tbody', 'small', 'big',
  'var', 'kbd', 'samp', 'cite', 'strike', 'font', 'img', 'summary', 'remarks', 'para', 'c', 'see', 'seealso', 'paramref',
  'typeparamref', 'returns', 'value', 'example', 'note', 'warning', 'inheritdoc', 'list', 'item', 'term', 'description',
  'exception', 'param', 'typeparam', 'include', 'permission', 'nowiki', 'abbr', 'q', 'ins', 'del', 'mark',
]);

/**
 * Removes documentation markup, keeping the words: `{@link Foo#bar label}` → label, `{@code x}` → x,
 * HTML/XML doc tags (C# `<see cref="T:A.B"/>` → A.B), markdown links and emphasis, Sphinx roles
 * (`:func:`~a.b`` → b), RDoc `+x+`, Doxygen `\c x`, gtk-doc `%TRUE`/`#GType`/`@param`. The text inside
 * backticks is kept, without the backticks.
 */
export function cleanMarkup(text: string): string {
  let s = text;
  // JSDoc / Javadoc inline tags.
  s = s.replace(/\{@(?:link|linkcode|linkplain|see)\s+([^}\s|]+)(?:\s*\|\s*|\s+)([^}]+)\}/g, '$2');
  s = s.replace(/\{@(?:link|linkcode|linkplain|see)\s+([^}]+)\}/g, (_m, target: string) => target.replace(/^.*#/, '').replace(/\(.*\)$/, ''));
  s = s.replace(/\{@(?:code|literal|value|term)\s+([^}]*)\}/g, '$1');
  s = s.replace(/\{@inheritDoc\}/gi, '');
  // C# XML documentation.
  s = s.replace(/<(?:see|seealso)\s+(?:cref|href|langword)\s*=\s*"(?:[A-Z]:)?([^"]*)"\s*\/?>(?:\s*<\/(?:see|seealso)>)?/g, (_m, ref: string) =>
    ref.replace(/\{.*\}/g, '').replace(/\(.*\)$/, ''),
  );
  s = s.replace(/<(?:paramref|typeparamref)\s+name\s*=\s*"([^"]*)"\s*\/?>/g, '$1');
  // HTML tags (known names only, so that `List<String>` survives).
  s = s.replace(/<\/?([a-zA-Z][a-zA-Z0-9]*)\b[^<>]*\/?>/g, (m, tag: string) => (HTML_TAGS.has(tag.toLowerCase()) ? ' ' : m));
  s = s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;|&apos;/g, "'").replace(/&nbsp;/g, ' ');
  // Sphinx roles: :func:`name`, :class:`~pkg.Name`, :py:meth:`x <target>`.
  s = s.replace(/:(?:[a-z]+:)?[a-z]+:`~(?:[\w.]*\.)?(\w+)`/g, '$1');
  s = s.replace(/:(?:[a-z]+:)?[a-z]+:`([^`<]*?)(?:\s*<[^>]*>)?`/g, (_m, target: string) => target);
  // Markdown: images, links, reference links, intra-doc links ([`Foo`], [Foo], [pkg.Func]).
  s = s.replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1');
  s = s.replace(/\[([^\]]+)\]\([^)]*\)/g, '$1');
  s = s.replace(/\[([^\]]+)\]\[[^\]]*\]/g, '$1');
  s = s.replace(/\[(`[^`\]]+`|[\w:.#<>()-]+)\]/g, '$1');
  // Backticked code: keep the text.
  s = s.replace(/``([^`]+)``/g, '$1');
  s = s.replace(/`([^`]+)`/g, '$1');
  // Emphasis.
  s = s.replace(/\*\*([^*]+)\*\*/g, '$1').replace(/__([^_]+)__/g, '$1');
  s = s.replace(/(^|[\s(])\*([^*\s.][^*]*?)\*(?=[\s),;:!?]|\.(?:\s|$)|$)/g, '$1$2');
  s = s.replace(/(^|[\s(])_([^_\s.][^_]*?)_(?=[\s),;:!?]|\.(?:\s|$)|$)/g, '$1$2');
  // RST escapes: `Option`\s → Options.
  s = s.replace(/(\S)\\([a-z])\b/g, '$1$2');
  // RDoc +code+ and YARD {Link} / {Klass#method}.
  s = s.replace(/(^|[\s(])\+([\w.:#?!]+)\+(?=[\s).,;:!?]|$)/g, '$1$2');
  s = s.replace(/\{([A-Z][\w:]*(?:[#.]\w+[?!]?)?)\}/g, '$1');
  // Doxygen inline commands.
  s = s.replace(/[\\@](?:c|p|a|b|e|em|ref|link|endlink|copydoc)\s+/g, '');
  // gtk-doc: %TRUE, #GObject, @param, function().
  s = s.replace(/(^|[\s(])%([A-Za-z_]\w*)/g, '$1$2');
  s = s.replace(/(^|[\s(])#([A-Za-z_][\w:]*)/g, '$1$2');
  s = s.replace(/(^|[\s(])@([A-Za-z_]\w*)/g, '$1$2');
  return s.replace(/\s+/g, ' ').trim();
}

// ---------------------------------------------------------------------------------------------
// Sentences

const ABBREVIATIONS = /(?:^|[\s(])(?:e\.g|i\.e|etc|vs|cf|approx|incl|resp|esp|viz|al|Mr|Mrs|Dr|St|No|Fig|ca|min|max|std|ver|v)\.$/i;

/** The text up to the first sentence end (`.`, `!`, `?` or `。` followed by a space or the end; not after `e.g.` and the like). */
export function firstSentence(text: string): string {
  const re = /[.!?。](?=\s|$)/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const end = m.index + 1;
    const head = text.slice(0, end);
    if (m[0] === '.' && ABBREVIATIONS.test(head)) continue;
    // "1." as in a list number, or a single capital initial such as "J." are not sentence ends.
    if (m[0] === '.' && /(?:^|\s)(?:\d+|[A-Z])\.$/.test(head)) continue;
    return head.trim();
  }
  return text.trim();
}

/** Drops a leading copy of the symbol name (Go: "Foo returns …" → "Returns …"; "foo - does x" → "Does x"). */
export function dropLeadingName(sentence: string, symbol: string): string {
  const name = symbol.split(/[.:#]/).pop() ?? symbol;
  if (name === '') return sentence;
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // Only a case-exact name followed by a separator, "is"/"are", a verb in -s or -ed, or any word
  // when the name is plainly an identifier (camelCase, snake_case, digits): "Parse the input" is an
  // imperative, not a name.
  const identifier = /[a-z][A-Z]|_|\d/.test(name) || /^[A-Z][A-Z]+$/.test(name);
  const re = new RegExp(`^(?:[\\w.]*\\.)?${escaped}(?:\\(\\))?(?:\\s*[-:–—]+\\s+|\\s+(?:is|are)\\s+|\\s+(?=[a-z]+(?:s|ed)\\b)${identifier ? '|\\s+(?=\\S)' : ''})`);
  const m = re.exec(sentence);
  if (m === null) return sentence;
  const rest = sentence.slice(m[0].length);
  if (rest === '') return sentence;
  // "Foo is a thing" → "A thing"; "Foo returns x" → "Returns x".
  return rest.charAt(0).toUpperCase() + rest.slice(1);
}

// ---------------------------------------------------------------------------------------------
// Filters

/** Whole-sentence boilerplate (matched after lower-casing and trimming punctuation). */
const BOILERPLATE_EXACT = [
  /^(?:the |a |an )?(?:default |empty |copy |move |no-?arg(?:ument)? |private |protected |public |static )?(?:constructor|destructor|ctor|dtor|initiali[sz]er|finali[sz]er)(?: (?:for|of) (?:this|the|a|an) (?:class|object|type|struct|instance)| method)?$/,
  /^(?:creates?|constructs?|initiali[sz]es?|instantiates?|builds?|makes?|returns?) (?:a |an |the )?(?:new )?(?:instance|object|copy)(?: of (?:this|the|a|an)? ?(?:class|object|type|struct|instance))?$/,
  /^(?:returns?|gets?|sets?|retrieves?) (?:the |a |an )?(?:value|string|result|string representation|hash ?code|hash|object|instance|name|id|type)(?: of (?:this|the) (?:object|instance|class|property|field))?$/,
  /^(?:the |a )?(?:getter|setter|accessor|mutator)(?: (?:for|of) .{0,30})?$/,
  /^(?:main|entry point|main entry point|main function|program entry point|unit tests?|test case|test suite|helper(?: function| method)?|utility (?:function|method)|internal (?:function|method|use(?: only)?)|for internal use(?: only)?|not implemented(?: yet)?|no-?op|does nothing|placeholder|stub|dummy(?: function| method)?|see above|see below|override|overrides?|overridden|implementation|interface method|abstract method|callback|event handler|handler)$/,
  /^(?:implements?|overrides?|see|inherited from|specified by|copied from|same as|alias (?:for|of)) (?:the )?(?:interface |method |function )?[\w.#:<>()$\\-]+(?: (?:interface|method|function|trait))?$/,
  /^(?:this|the) (?:method|function|class|constructor) (?:is )?(?:overrides?|overridden|implements?|inherited)\b.*$/,
  /^(?:string representation|hash code|equality (?:check|comparison)|compares? (?:two|the) objects? for equality|returns? a string representation of (?:this|the) (?:object|instance|class)|returns? a hash ?code for (?:this|the) (?:object|instance))$/,
  /^(?:auto-?generated|do not (?:use|edit|call|modify)|deprecated|unused|obsolete|todo|fixme|xxx|hack|tbd|wip)\b.*$/,
];

/** Words or phrases that disqualify a sentence wherever they occur. */
const BOILERPLATE_ANYWHERE = /(?:\bTODO\b|\bFIXME\b|\bXXX\b|@deprecated|\bdeprecated\b|\binheritdoc\b|\bauto-?generated\b|\bgenerated by\b|\bDO NOT EDIT\b|\bcopyright\b|\blicensed under\b|\bpermission is hereby granted\b|\bSPDX\b|\bnoinspection\b|\beslint-disable\b|\bpylint:|\bnoqa\b|\btype: ?ignore\b|\bNOLINT\b)/i;

export function isBoilerplate(sentence: string): boolean {
  if (BOILERPLATE_ANYWHERE.test(sentence)) return true;
  const s = sentence.toLowerCase().replace(/[\s.:;,!?]+$/u, '').replace(/\s+/g, ' ').trim();
  return BOILERPLATE_EXACT.some((re) => re.test(s));
}

const FILLER_WORDS = new Set([
  'the', 'a', 'an', 'of', 'to', 'for', 'this', 'that', 'is', 'are', 'be', 'returns', 'return', 'gets', 'get', 'sets', 'set',
  'method', 'function', 'class', 'object', 'instance', 'value', 'property', 'field', 'new', 'creates', 'create', 'given',
  'specified', 'current', 'and', 'or', 'in', 'on', 'it', 'its', 'from', 'by', 'with', 'as', 'type', 'interface', 'struct',
  'constructs', 'construct', 'constructor', 'initializes', 'initialises', 'init', 'makes', 'make', 'builds', 'build',
  'retrieves', 'retrieve', 'checks', 'check', 'whether', 'if', 'true', 'false', 'default', 'implementation',
]);

/** Splits identifiers and words into lower-case parts: `getHTTPResponse_code` → get, http, response, code. */
export function wordParts(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
}

/** Whether the sentence says nothing beyond the name: its content words are all parts of the symbol. */
export function copiesName(sentence: string, symbol: string): boolean {
  const nameParts = new Set(wordParts(symbol));
  const content = wordParts(sentence).filter((w) => !FILLER_WORDS.has(w));
  if (content.length === 0) return true;
  return content.every((w) => nameParts.has(w) || nameParts.has(w.replace(/s$/, '')) || nameParts.has(`${w}s`));
}

/** At least 90% of the letters are Latin (a cheap guard against non-English documentation). */
export function looksEnglish(sentence: string): boolean {
  const letters = sentence.match(/\p{L}/gu) ?? [];
  if (letters.length === 0) return false;
  const latin = letters.filter((c) => /[A-Za-z]/.test(c)).length;
  return latin / letters.length >= 0.9;
}

// Token colouring for the sidebar's previews: comments, strings, numbers, keywords, called names and
// type-like names, line by line, carrying an open block comment or triple-quoted string over. Not a
// parser: a preview only has to read like code in the user's theme.

import { commentStyle } from '../core/chunk/languages.js';
import type { LanguageId } from '../core/types.js';

export type TokenClass = 'comment' | 'string' | 'number' | 'keyword' | 'function' | 'type';

export interface Token {
  text: string;
  cls?: TokenClass;
}

/** Keywords of the chunker's languages, together: a name that is a keyword elsewhere is rare enough in a preview. */
const KEYWORDS = new Set(
  `abstract and as async await begin break case catch chan class const continue crate def default defer del delete
  do dyn elif else elsif end ensure enum except export extends extern false False final finally fn for foreach from
  func function go goto if impl implements import in instanceof interface is lambda let loop match mod module move
  mut namespace new nil None not null or override package pass private protected pub public raise readonly ref
  rescue return self Self select static struct super switch template then this throw throws trait true True try
  type typeof typename union unless unsafe until use using var virtual void where while with yield`.split(/\s+/),
);

const NAME = /[A-Za-z_$][\w$]*/y;
const NUMBER = /(?:0[xX][\da-fA-F_]+|\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d+)?)[a-zA-Z]*/y;
/** A call after a name: only whitespace between it and `(`. */
const CALL = /\s*\(/y;

/** In these languages `'` opens a character literal (or a Rust lifetime), not a string. */
const CHAR_LITERALS: ReadonlySet<LanguageId> = new Set(['rust', 'c', 'cpp', 'java', 'csharp', 'go']);
const CHAR_LITERAL = /'(?:\\[^']{1,8}|[^'\\])'/y;

interface Style {
  line: readonly string[];
  block: boolean;
  /** Python's `"""` and `'''`. */
  triple: boolean;
  chars: boolean;
}

function styleOf(language: LanguageId): Style {
  if (language === 'text') return { line: [], block: false, triple: false, chars: false };
  const { line, block } = commentStyle[language];
  return { line, block, triple: language === 'python', chars: CHAR_LITERALS.has(language) };
}

/** One array of tokens per line of `code`. */
export function highlight(code: string, language: LanguageId): Token[][] {
  const style = styleOf(language);
  /** The text that closes what is open at the end of the previous line ('*\/', '"""', "'''"). */
  let open: string | undefined;
  return code.split('\n').map((line) => {
    const tokens: Token[] = [];
    const push = (text: string, cls?: TokenClass) => {
      const previous = tokens.at(-1);
      if (previous && previous.cls === cls) previous.text += text;
      else tokens.push(cls ? { text, cls } : { text });
    };
    let i = 0;
    if (open) {
      const end = line.indexOf(open);
      const cls: TokenClass = open === '*/' ? 'comment' : 'string';
      if (end === -1) {
        push(line, cls);
        return tokens;
      }
      push(line.slice(0, end + open.length), cls);
      i = end + open.length;
      open = undefined;
    }
    // Each test looks at `line` from `i`: copying the rest of the line at every character is quadratic.
    while (i < line.length) {
      if (style.line.some((m) => line.startsWith(m, i))) {
        push(line.slice(i), 'comment');
        break;
      }
      const triple = line.slice(i, i + 3);
      const opener = style.block && line.startsWith('/*', i) ? '*/' : style.triple && (triple === '"""' || triple === "'''") ? triple : undefined;
      if (opener) {
        const end = line.indexOf(opener, i + 2 + (opener === '*/' ? 0 : 1));
        if (end === -1) {
          push(line.slice(i), opener === '*/' ? 'comment' : 'string');
          open = opener;
          break;
        }
        push(line.slice(i, end + opener.length), opener === '*/' ? 'comment' : 'string');
        i = end + opener.length;
        continue;
      }
      const char = line.charAt(i);
      if (char === '"' || char === "'" || char === '`') {
        const end = closingQuote(line, i, style.chars);
        // An unclosed quote (a Rust lifetime, a template literal going on) is just a character.
        if (end !== -1) {
          push(line.slice(i, end + 1), 'string');
          i = end + 1;
          continue;
        }
      }
      NAME.lastIndex = i;
      const name = NAME.exec(line)?.[0];
      if (name) {
        CALL.lastIndex = i + name.length;
        push(name, KEYWORDS.has(name) ? 'keyword' : CALL.test(line) ? 'function' : /^[A-Z]/.test(name) ? 'type' : undefined);
        i += name.length;
        continue;
      }
      NUMBER.lastIndex = i;
      const number = /\d/.test(char) ? NUMBER.exec(line)?.[0] : undefined;
      if (number) {
        push(number, 'number');
        i += number.length;
        continue;
      }
      push(char);
      i += 1;
    }
    return tokens;
  });
}

function closingQuote(line: string, start: number, chars: boolean): number {
  const quote = line.charAt(start);
  if (quote === "'" && chars) {
    CHAR_LITERAL.lastIndex = start;
    const literal = CHAR_LITERAL.exec(line)?.[0];
    return literal ? start + literal.length - 1 : -1;
  }
  for (let i = start + 1; i < line.length; i++) {
    const char = line.charAt(i);
    if (char === '\\') i++;
    else if (char === quote) return i;
  }
  return -1;
}

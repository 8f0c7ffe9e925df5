// Reading a query the way a developer writes it: "where do we verify webhook signatures?",
// "how to parse a date in python", "the config type for the payments client". The question's
// scaffolding is not what the code says, so the rankers search for the rest; the scaffolding still
// tells what kind of definition is wanted (the query-form prior of the second stage), and a named
// language is a hint, not a word to match.

import type { LanguageId } from '../types.js';

/** Longest query searched; a longer one is cut here (a pasted file is not an intent). */
export const MAX_QUERY_CHARS = 1000;

/**
 * What the question asks for: `where`/`how` (behaviour: "where do we…", "how does…", "code
 * that…"), `type` (it names a type, class, interface, struct, enum or schema), `noun` (a noun
 * phrase: "the retry policy"), `verb` (an imperative or a docstring: "retry failed webhooks").
 */
export type QueryForm = 'where' | 'how' | 'type' | 'noun' | 'verb';

export interface ParsedQuery {
  /** As typed: whitespace collapsed, cut at MAX_QUERY_CHARS. */
  text: string;
  /** What the rankers search for: `text` without scaffolding, filler or language names. */
  core: string;
  form: QueryForm;
  /** The language the query names ("… in python"), if any. */
  language?: LanguageId;
  /** Whether `text` was cut. */
  truncated: boolean;
}

// Leading scaffolding, removed repeatedly ("please show me where do we…"). Each keeps the
// behaviour words: "where do we retry webhooks" → "retry webhooks".
const LEADING: readonly RegExp[] = [
  /^(?:please|pls|hey|ok|so)\b[\s,]*/i,
  /^(?:can|could) you\s+/i,
  /^(?:show|tell|give) me\s+/i,
  /^(?:i|we) (?:need|want|am looking for|are looking for|look for)\s+(?:to (?:find|see|know)\s+)?/i,
  /^(?:find|search for|search|look for|locate|get me)\s+(?=\S)/i,
  /^(?:where|how|when|why|what|which)\s+(?:exactly\s+)?(?:do|does|did|is|are|was|were|can|could|should|would|will|has|have)\s+(?:(?:we|i|you|they|it|one|the (?:code|app|application|project|codebase|server|client)|this (?:code|app|project)|our (?:code|app)|our)\b)?\s*/i,
  /^(?:where|how)\s+(?:to|we|i)\s+/i,
  /^(?:where|how)\s+(?=\S)/i,
  /^(?:is there|are there|do we have|does it have)\s+(?:a|an|any|some)?\s*/i,
  /^(?:the|a|an|some|any)?\s*(?:code|function|functions|method|methods|logic|place|part|routine|snippet|implementation|thing|class|interface|struct|enum|type)\s+(?:that|which|where|who|to|in charge of|responsible for)\s+/i,
  /^(?:code|logic|implementation)\s+(?:for|of)\s+/i,
];

// Trailing filler: "… in the codebase?", "… in our app", "… here".
const TRAILING: readonly RegExp[] = [/\s*[?.!]+$/, /\s+(?:in|inside|within|from|across) (?:the|this|our) (?:code ?base|code|repo|repository|project|app|application|source|server)$/i, /\s+(?:here|please)$/i];

/** Names of languages in a query, mapped to the chunker's ids. Single-letter and verb-like names count only after "in". */
const LANGUAGE_NAMES: ReadonlyArray<{ pattern: RegExp; language: LanguageId }> = [
  { pattern: /\b(?:in\s+)?(?:python3?|py)\b/i, language: 'python' },
  { pattern: /\b(?:in\s+)?(?:typescript|tsx)\b/i, language: 'typescript' },
  { pattern: /\b(?:in\s+)?(?:javascript|node\.?js|nodejs)\b/i, language: 'javascript' },
  { pattern: /\b(?:in\s+)?golang\b|\bin\s+go\b/i, language: 'go' },
  { pattern: /\b(?:in\s+)?java\b/i, language: 'java' },
  { pattern: /\b(?:in\s+)?(?:c#|csharp|c sharp|\.net|dotnet)(?=\s|$)/i, language: 'csharp' },
  { pattern: /\b(?:in\s+)?ruby\b/i, language: 'ruby' },
  { pattern: /\b(?:in\s+)?php\b/i, language: 'php' },
  { pattern: /\b(?:in\s+)?rust\b/i, language: 'rust' },
  { pattern: /\b(?:in\s+)?(?:c\+\+|cpp)(?=\s|$)/i, language: 'cpp' },
  { pattern: /\bin\s+c\b/i, language: 'c' },
];

const TYPE_WORDS = /\b(?:type|types|class|classes|interface|interfaces|struct|structs|enum|enums|schema|model|dataclass|record|props)\b/i;
/**
 * Where a query's head phrase ends: "the config type" of "the config type for the payments
 * client". A type word after it names what the code handles ("check rows against the column
 * types"), not what is wanted.
 */
const HEAD_END = /,|\s(?:that|which|who|whose|where|when|whenever|while|if|for|of|to|in|on|at|with|without|from|by|into|onto|against|across|between|through|via|before|after|so)\s/i;
const ARTICLE = /^(?:the|a|an|our|its|their)\s/i;

/** Reads a query. Never throws: an empty or symbol-only query has an empty `core`. */
export function parseQuery(raw: string): ParsedQuery {
  const collapsed = raw.replace(/\s+/g, ' ').trim();
  const truncated = collapsed.length > MAX_QUERY_CHARS;
  const text = truncated ? collapsed.slice(0, MAX_QUERY_CHARS) : collapsed;

  let language: LanguageId | undefined;
  let rest = text;
  for (const { pattern, language: id } of LANGUAGE_NAMES) {
    if (!pattern.test(rest)) continue;
    language ??= id;
    rest = rest.replace(pattern, ' ').replace(/\s+/g, ' ').trim();
  }

  const lowered = rest.toLowerCase();
  const head = lowered.split(HEAD_END, 1)[0] ?? lowered;
  const form: QueryForm = TYPE_WORDS.test(head)
    ? 'type'
    : /^(?:where|which|what)\b/.test(lowered) || /^(?:\w+\s+)?(?:code|function|logic|place)\s+(?:that|which|where)\b/.test(lowered)
      ? 'where'
      : /^how\b/.test(lowered)
        ? 'how'
        : ARTICLE.test(lowered)
          ? 'noun'
          : 'verb';

  let core = rest;
  for (let changed = true; changed; ) {
    changed = false;
    for (const pattern of [...LEADING, ...TRAILING]) {
      const next = core.replace(pattern, '').trim();
      // Never strip a query down to nothing: "how" alone is still what the user asked.
      if (next !== core && /\w/.test(next)) {
        core = next;
        changed = true;
      }
    }
  }
  return { text, core: /\w/.test(core) ? core : text, form, truncated, ...(language ? { language } : {}) };
}

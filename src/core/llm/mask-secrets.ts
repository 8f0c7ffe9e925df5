// Masks obvious secrets in source text before it leaves the machine (an LLM prompt, a remote
// embedding request). Heuristic and deliberately eager: masking a harmless literal costs a little
// prompt quality, sending a live key costs a rotation. Every match becomes SECRET_MASK; the
// surrounding code (quotes, names, PEM armour lines) stays, so the model still sees that a
// credential is there.
//
// Caught: PEM private-key blocks (also unterminated ones), OpenAI/Stripe-style `sk-`/`sk_live_`
// keys, AWS access key ids, GitHub/Slack/Google tokens, JWTs, passwords in URLs, quoted values
// assigned to password/secret/token/key-like names, unquoted values of such names on config lines
// (`.env`, .ini, .properties, YAML, TOML: `SECRET_TOKEN=value`, `secret_key = value`,
// `password: value`), and long high-entropy quoted strings.

import { IDENTIFIER_PART_PATTERN } from '../tokens.js';

export const SECRET_MASK = '<secret>';

export type SecretKind =
  | 'private-key'
  | 'api-key'
  | 'aws-access-key'
  | 'github-token'
  | 'slack-token'
  | 'google-api-key'
  | 'jwt'
  | 'url-password'
  | 'assignment'
  | 'high-entropy';

export interface MaskedSecret {
  kind: SecretKind;
  /** The lines it was on (1-based, inclusive), which are the same in the masked text. */
  startLine: number;
  endLine: number;
}

export interface MaskResult {
  /** The text with every secret replaced by SECRET_MASK; the same lines as the original. */
  text: string;
  /** How many secrets were masked. */
  masked: number;
  /** Masked secrets per kind (kinds with none are absent). */
  kinds: Partial<Record<SecretKind, number>>;
  /** Each masked secret, in the order the passes found them. */
  secrets: MaskedSecret[];
}

// The armour line, then a body of base64, whitespace, `\n` escapes, the quotes, `+` and commas of
// string literals (a key spread over code lines) and RFC 1421 header lines, then the END line if
// the snippet was not cut before it. A guard string such as "-----BEGIN PRIVATE KEY-----" followed
// by code has no body and stays.
const PRIVATE_KEY_BLOCK =
  /-----BEGIN ([A-Z0-9 ]*?)PRIVATE KEY( BLOCK)?-----((?:[A-Za-z0-9+/=\s'"`,]|\\[nr]|(?:Proc-Type|DEK-Info|Version|Comment):[^\n\\]*)*)(-----END [A-Z0-9 ]*?PRIVATE KEY(?: BLOCK)?-----)?/g;
const MIN_KEY_BODY = 16;

/** Token formats with a recognisable prefix. `check` rejects look-alikes without randomness. */
const TOKEN_PATTERNS: readonly { kind: SecretKind; re: RegExp; check?: (match: string) => boolean }[] = [
  // OpenAI (sk-, sk-proj-, sk-live-…), Stripe (sk_live_, rk_test_, …) and similar.
  { kind: 'api-key', re: /\b(?:sk|rk)[-_][A-Za-z0-9_-]{16,}/g, check: (m) => /[0-9]/.test(m) && /[A-Za-z]/.test(m.slice(3)) },
  { kind: 'aws-access-key', re: /\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA)[A-Z0-9]{16}\b/g },
  { kind: 'github-token', re: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})/g },
  { kind: 'slack-token', re: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  { kind: 'google-api-key', re: /\bAIza[0-9A-Za-z_-]{35}/g },
  { kind: 'jwt', re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
];

/** `scheme://user:password@host`: the password part. */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/'"`<>]+:)([^\s@/'"`<>]+)@/gi;

// Names whose assigned value is a secret. "Strong" names (passwords, secrets) mask any non-empty
// value; "weak" ones (tokens, keys) only values that look like a credential (8+ key characters
// with letters and digits), so a lexer's `closeToken = ")"` keeps its literal.
const STRONG_NAME = '(?:pass(?:word|wd|phrase)?|pwd|secret|secret[_-]?key)';
const WEAK_NAME = '(?:token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|auth|credentials?)';
// name (ending in one of the keywords), an optional closing quote/bracket, an operator, a quoted value.
const ASSIGNMENT = new RegExp(
  `((?<![\\w$])[\\w$.-]*?(${STRONG_NAME}|${WEAK_NAME})["'\\]]*\\s*(?::=|=|:|=>)\\s*)(["'\`])((?:\\\\.|(?!\\3)[^\\\\\\n])*)\\3`,
  'gi',
);
const STRONG_RE = new RegExp(`^${STRONG_NAME}$`, 'i');
/** The alphabet of a token or key value (see `credentialLike`). */
const CREDENTIAL_VALUE = /^[\w+/=.~:-]{8,}$/;

// `key = value` and `key: value` lines of config files (.ini, .properties, YAML, TOML, .env, shell),
// the value unquoted: `export DB_PASSWORD=hunter2`, `secret_key = wJal…`, `  password: Tr0ub…`.
// The value is one word, then maybe a ` # comment`: `password: str = Field(…)` or `token: string;` is
// code, not a config line.
const CONFIG_LINE = new RegExp(
  `^([ \\t]*(?:-[ \\t]+|export[ \\t]+)?[\\w.-]*?(${STRONG_NAME}|${WEAK_NAME})[ \\t]*[=:][ \\t]*)([^\\s'"\`$#{}()[\\];,<>%][^\\s'"\`{}()[\\];,<>]*)(?=(?:[ \\t]+#[^\\n]*)?[ \\t]*\\r?$)`,
  'gim',
);
/** An `.env` / shell head: `NAME=` in capitals, no spaces; any value there is a value, not code. */
const ENV_HEAD = /^[ \t]*(?:-[ \t]+|export[ \t]+)?[A-Z0-9_]+=$/;
const NOT_A_VALUE = new Set(['none', 'null', 'nil', 'true', 'false', 'undefined']);
const TYPE_NAMES = new Set(['string', 'str', 'number', 'int', 'integer', 'bool', 'boolean', 'any', 'unknown', 'bytes', 'text', 'object', 'char', 'float', 'double']);

/** Whether an unquoted value reads as code: a type (`string`, `SecretStr`) or a reference without digits (`process.env.TOKEN`). */
function readsAsCode(value: string): boolean {
  return TYPE_NAMES.has(value) || /^[A-Z][A-Za-z]*$/.test(value) || (/^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/.test(value) && !/[0-9]/.test(value));
}

/** Whether a token or key value looks like a credential: 8+ characters of a key alphabet, letters and digits. */
function credentialLike(value: string): boolean {
  return CREDENTIAL_VALUE.test(value) && /[0-9]/.test(value) && /[A-Za-z]/.test(value);
}

/** A quoted run of key-ish characters; judged by `looksRandom`. */
const QUOTED_TOKEN = /(["'`])([A-Za-z0-9+/=_.~-]{20,})\1/g;

/** Shannon entropy of the characters of `s`, in bits per character. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) {
    const p = c / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/**
 * Whether a segment reads like words: short lower- or upper-case runs, or camelCase words with an
 * average length of 3.5 or more (`receiveEip1193Result`, `SSHX509CertificateChain`); random
 * mixed-case text splits into one- and two-letter pieces.
 */
function wordlike(segment: string): boolean {
  if (segment.length === 0) return true;
  if (/^[a-z0-9]{1,12}$/.test(segment) || /^[A-Z0-9]{1,12}$/.test(segment)) return true;
  const words = segment.match(IDENTIFIER_PART_PATTERN) ?? [];
  return words.join('').length === segment.length && words.length * 3.5 <= segment.length;
}

/** Whether `s` looks like a random credential rather than a word, path, version or alphabet. */
export function looksRandom(s: string): boolean {
  if (s.length < 20) return false;
  // Runs of consecutive characters: alphabets ("ABC…xyz0123…"), digit strings.
  let steps = 0;
  for (let i = 1; i < s.length; i++) if (s.charCodeAt(i) - s.charCodeAt(i - 1) === 1) steps++;
  if (steps / (s.length - 1) > 0.4) return false;
  if (/^[0-9a-f]+$/i.test(s)) return s.length >= 32 && /[a-f]/i.test(s) && /[0-9]/.test(s) && shannonEntropy(s) >= 3;
  if (!/[0-9]/.test(s) || !/[A-Za-z]/.test(s)) return false;
  if (s.split(/[/._~+=-]+/).every(wordlike)) return false;
  return shannonEntropy(s) >= 0.85 * Math.log2(Math.min(s.length, 64));
}

/**
 * Masks obvious secrets in `text`. Idempotent: masking masked text changes nothing. Every line
 * break stays where it was (a private key's body lines become empty lines), so a line number of the
 * masked text is the same line of the original: text can be masked whole, then numbered or cut.
 */
export function maskSecrets(text: string): MaskResult {
  const secrets: MaskedSecret[] = [];
  let out = text;
  /** One pass of `re` over the text; `mask` returns a match's replacement, or the match to keep it. */
  const pass = (re: RegExp, kind: SecretKind, mask: (match: string, ...groups: string[]) => string): void => {
    let lineOf: ((offset: number) => number) | undefined;
    out = out.replace(re, (match: string, ...rest: unknown[]) => {
      const at = rest.findIndex((arg) => typeof arg === 'number');
      const replacement = mask(match, ...(rest.slice(0, at) as string[]));
      if (replacement === match) return match;
      const offset = rest[at] as number;
      lineOf ??= lineLocator(rest[at + 1] as string);
      secrets.push({ kind, startLine: lineOf(offset), endLine: lineOf(offset + Math.max(0, match.length - 1)) });
      return replacement;
    });
  };

  pass(PRIVATE_KEY_BLOCK, 'private-key', (block, type = '', suffix, body = '', end) => {
    if (body.replace(/\\[nr]|[^A-Za-z0-9+/=]/g, '').length < MIN_KEY_BODY) return block;
    const armour = `${type}PRIVATE KEY${suffix ?? ''}`;
    const lineBreaks = body.match(/\r?\n/g)?.join('') ?? '';
    return `-----BEGIN ${armour}-----${SECRET_MASK}${lineBreaks}${end !== undefined ? `-----END ${armour}-----` : ''}`;
  });

  for (const { kind, re, check } of TOKEN_PATTERNS) pass(re, kind, (m) => (check !== undefined && !check(m) ? m : SECRET_MASK));

  pass(URL_PASSWORD, 'url-password', (m, head = '', password = '') => {
    if (password === SECRET_MASK || /^\$\{.*\}$|^\{\{.*\}\}$|^%s$/.test(password)) return m;
    return `${head}${SECRET_MASK}@`;
  });

  pass(ASSIGNMENT, 'assignment', (m, head = '', keyword = '', quote = '', value = '') => {
    if (value.length === 0 || value === SECRET_MASK || isPlaceholder(value)) return m;
    if (!STRONG_RE.test(keyword) && !credentialLike(value)) return m;
    return `${head}${quote}${SECRET_MASK}${quote}`;
  });

  pass(CONFIG_LINE, 'assignment', (m, head = '', keyword = '', value = '') => {
    if (NOT_A_VALUE.has(value.toLowerCase())) return m;
    const masks = ENV_HEAD.test(head) || (STRONG_RE.test(keyword) ? !readsAsCode(value) : credentialLike(value));
    return masks ? `${head}${SECRET_MASK}` : m;
  });

  pass(QUOTED_TOKEN, 'high-entropy', (m, quote = '', value = '') => (looksRandom(value) ? `${quote}${SECRET_MASK}${quote}` : m));

  const kinds: Partial<Record<SecretKind, number>> = {};
  for (const { kind } of secrets) kinds[kind] = (kinds[kind] ?? 0) + 1;
  return { text: out, masked: secrets.length, kinds, secrets };
}

/** offset → 1-based line number in `text`. */
function lineLocator(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let [lo, hi] = [0, starts.length - 1];
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/** Template placeholders and references, not values: `${DB_PASSWORD}`, `{{ secret }}`, `%s`, `<secret>`. */
function isPlaceholder(value: string): boolean {
  return /^\$\{[^}]*\}$|^\{\{.*\}\}$|^%[sd]$|^<[^<>]*>$|^\*+$/.test(value);
}

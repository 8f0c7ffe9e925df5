// Intent-style rewrites of docstring queries, by rules, for training only: a docstring says
// "Returns the user's session", a developer asks "get the user's session", "where do we get the
// user's session", "code that gets the user's session" or "how to get the user's session". Only a
// query that opens with a verb of the list below is rewritten; noun phrases ("The base class for…")
// are left alone, since no rule can turn them into an intent without guessing.

/** Verbs docstrings open with (base form). */
const VERBS = new Set(
  (
    'abort accept access accumulate activate add adjust advance allocate allow append apply assert assign attach attempt authenticate ' +
    'authorize bind block build cache calculate call cancel capture change check choose clean clear clone close collect combine ' +
    'commit compare compile complete compose compress compute configure connect construct consume contain convert copy count create ' +
    'decode decompress decrypt delete deliver describe deserialize destroy detach detect determine disable disconnect dispatch display ' +
    'download draw drop dump emit enable encode encrypt end enqueue ensure enumerate escape evaluate execute expand export extend extract ' +
    'fetch fill filter find finish fire flush format forward free generate get group guess handle hash hide highlight identify ignore ' +
    'implement import increment index initialize initialise insert inspect install instantiate intercept invalidate invoke iterate join ' +
    'keep list listen load locate lock log lookup make map mark match measure merge migrate mount move normalize normalise notify open ' +
    'override pad parse pause perform pick place poll populate post prepare prepend print process produce provide publish pull push put ' +
    'query queue raise read rebuild receive record redirect reduce refresh register reject release reload remove rename render reorder ' +
    'repeat replace report request reset resize resolve restore resume retrieve retry return reverse rotate round run sanitize ' +
    'sanitise save scale scan schedule search select send serialize set setup show shut sign skip sort split start stop store strip ' +
    'subscribe swap switch sync synchronize take terminate test throw toggle track transform translate traverse trigger trim truncate try ' +
    'unbind unlock unmount unpack unregister unsubscribe unwrap update upload use validate verify visit wait walk watch wrap write yield'
  ).split(' '),
);

/** How a docstring's verb reads in an intent: "returns X" is asked for as "get X". */
const INTENT_VERB: Readonly<Record<string, string>> = { return: 'get', retrieve: 'get', yield: 'get', fetch: 'get' };

export const INTENT_FORMS = ['imperative', 'where-do-we', 'code-that', 'how-to'] as const;
export type IntentForm = (typeof INTENT_FORMS)[number];

/** The base form of a docstring's first word when it is a verb of the list ("Creates" → "create"), else undefined. */
export function baseVerb(word: string): string | undefined {
  const w = word.toLowerCase();
  if (VERBS.has(w)) return w;
  if (w.endsWith('ies') && VERBS.has(`${w.slice(0, -3)}y`)) return `${w.slice(0, -3)}y`;
  if (w.endsWith('s') && VERBS.has(w.slice(0, -1))) return w.slice(0, -1);
  if (w.endsWith('es') && VERBS.has(w.slice(0, -2))) return w.slice(0, -2);
  return undefined;
}

/** "get" → "gets", "match" → "matches", "apply" → "applies". */
export function thirdPerson(verb: string): string {
  if (/[^aeiou]y$/.test(verb)) return `${verb.slice(0, -1)}ies`;
  if (/(?:s|sh|ch|x|z|o)$/.test(verb)) return `${verb}es`;
  return `${verb}s`;
}

/**
 * The docstring query rewritten into `form`, or undefined when it does not open with a verb (or
 * nothing would follow it). "Returns true if …" / "Returns whether …" become a check.
 */
export function rewriteAsIntent(query: string, form: IntentForm): string | undefined {
  const words = query.trim().replace(/[.:;]+$/, '').split(/\s+/);
  const first = words[0] ?? '';
  const base = baseVerb(first);
  if (base === undefined || words.length < 2) return undefined;
  let rest = words.slice(1);
  let verb = INTENT_VERB[base] ?? base;
  const next = (rest[0] ?? '').toLowerCase();
  if (base === 'return' && (next === 'whether' || ((next === 'true' || next === 'false') && /^(?:if|when|iff)$/i.test(rest[1] ?? '')))) {
    verb = 'check';
    rest = next === 'whether' ? rest : ['if', ...rest.slice(2)];
  }
  if (rest.length === 0) return undefined;
  const tail = rest.join(' ');
  switch (form) {
    case 'imperative':
      return `${verb} ${tail}`;
    case 'where-do-we':
      return `where do we ${verb} ${tail}`;
    case 'code-that':
      return `code that ${thirdPerson(verb)} ${tail}`;
    case 'how-to':
      return `how to ${verb} ${tail}`;
  }
}

/** A pair with the fields a rewrite needs; `source` names where a training pair's query came from. */
export interface RewritablePair {
  id?: string;
  query: string;
  source?: string;
}

export const INTENT_REWRITE_SOURCE = 'intent-rewrite';

/**
 * One intent-style copy of each pair whose query opens with a verb, marked with
 * source 'intent-rewrite'; the form cycles through INTENT_FORMS by position, so every form is
 * equally common and the result is deterministic.
 */
export function intentRewrites<T extends RewritablePair>(pairs: readonly T[]): T[] {
  const out: T[] = [];
  let k = 0;
  for (const pair of pairs) {
    const form = INTENT_FORMS[k % INTENT_FORMS.length] ?? 'imperative';
    const query = rewriteAsIntent(pair.query, form);
    if (query === undefined || query === pair.query) continue;
    k++;
    out.push({ ...pair, query, source: INTENT_REWRITE_SOURCE });
  }
  return out;
}

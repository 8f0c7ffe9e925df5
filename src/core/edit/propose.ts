// The edit flow: locate (search) → context per target → prompt → validate (format, placement,
// syntax, then the TypeScript compiler for TS/JS) → one retry with the problem → a proposal (a
// unified diff and the new text, with the checks it passed) or a reason it could not be done.
// Nothing is written here: applying is the front end's, after the user has seen the diff.

import { UserError } from '../errors.js';
import { ChatRequestError, type ChatClient, type ChatMessage, type TokenUsage } from '../llm/client.js';
import type { Workspace } from '../workspace.js';
import { gatherContext, type EditContext } from './context.js';
import type { LoggerInfo } from './detect-logger.js';
import { locateTargets, targetsOfHits, type LineRange } from './locate.js';
import type { SearchHit } from '../types.js';
import { editMessages, instructionFor, retryMessages } from './prompt.js';
import { unifiedDiff } from './unified-diff.js';
import { addedTypeErrors, type TypeCheck, type TypeError } from './type-check.js';
import { AnswerProblem, checkAnswer, type CheckedAnswer } from './validate-answer.js';

export interface EditProposal {
  path: string;
  ranges: LineRange[];
  /** The file as it was when the edit was made: apply only while the file still reads so. */
  originalText: string;
  newText: string;
  /** '' for an explanation with no change. */
  diff: string;
  explanation: string;
  logger: LoggerInfo;
  /** Secrets masked in what was sent for this target. */
  masked: number;
  /** Model answers it took (2 after a retry). */
  attempts: number;
  /** The checks the edited file went through, beyond the answer's format and placement. */
  checks: EditCheck[];
}

/** One check of the edited file; `problems` empty when it passed. */
export interface EditCheck {
  kind: 'syntax' | 'types';
  /** "tree-sitter", "TypeScript 5.9.3 with tsconfig.json". */
  by: string;
  /** What is still wrong after the retry: "line 12 (logger.info('start');): Cannot find name 'logger'. (TS2304)". */
  problems: string[];
}

export interface EditFailure {
  path: string;
  reason: string;
}

export interface EditOutcome {
  proposals: EditProposal[];
  failures: EditFailure[];
  usage: TokenUsage;
}

export interface ProposeOptions {
  workspace: Workspace;
  client: ChatClient;
  instruction: string;
  query: string;
  /** Search hits to consider (default 3). */
  top?: number;
  /** Edit these hits (a result the user acted on) instead of searching for `query`. */
  hits?: readonly SearchHit[];
  /** Whether the workspace's .codeintent/guidelines.md goes into the prompt (default true). */
  useGuidelines?: boolean;
  /** Streams the model's answers: each piece of text as it arrives, with the file it is for. */
  onDelta?: (path: string, text: string) => void;
  signal?: AbortSignal;
}

const MAX_ANSWER_TOKENS = 2000;
/**
 * An answer longer than this is refused whatever the server says about max_tokens: far more than
 * 2000 tokens of JSON take (a token is a few characters), and what a runaway or hostile server sends.
 */
const MAX_ANSWER_CHARS = 32_000;

async function ask(client: ChatClient, messages: readonly ChatMessage[], usage: TokenUsage, signal: AbortSignal | undefined, onDelta: ((text: string) => void) | undefined): Promise<string> {
  let result;
  try {
    result = await client.complete({ messages, json: true, temperature: 0, maxTokens: MAX_ANSWER_TOKENS, maxChars: MAX_ANSWER_CHARS, ...(signal ? { signal } : {}), ...(onDelta ? { onDelta } : {}) });
  } catch (error) {
    // The client has already retried what retrying can fix; the endpoint is unusable for now.
    if (error instanceof ChatRequestError) throw new UserError(error.message);
    throw error;
  }
  usage.promptTokens += result.usage.promptTokens;
  usage.completionTokens += result.usage.completionTokens;
  return result.content;
}

/** An answer that passed the checks that refuse it, with what the type check found; or why it was refused. */
type Attempt = { answer: string; checked: CheckedAnswer; types: TypeCheck | undefined } | { answer: string; problem: string };

function typeErrorText(error: TypeError): string {
  return `line ${error.line} (${error.source}): ${error.message} (TS${error.code})`;
}

/** The retry's problem when the TypeScript compiler finds new errors. */
function typeProblem(types: TypeCheck | undefined): string | undefined {
  if (!types || types.added.length === 0) return undefined;
  const n = types.added.length;
  return `the TypeScript compiler finds ${n} new error${n === 1 ? '' : 's'} in the edited file: ${types.added.map(typeErrorText).join('; ')}. Fix them: import what the code uses, or use only names the file already has`;
}

/**
 * One target: an answer, checked; on a problem (a refused answer, or new type errors), one more
 * answer with the problem explained. A retry that is refused leaves the first answer, with its
 * type errors shown.
 */
async function editTarget(context: EditContext, options: ProposeOptions, usage: TokenUsage): Promise<EditProposal | EditFailure> {
  const { target } = context;
  const explain = instructionFor(options.instruction).action === 'explain';
  const messages = editMessages(context, options.instruction);
  const { onDelta: report } = options;
  const onDelta = report && ((text: string) => report(target.path, text));
  const attempt = async (prompt: readonly ChatMessage[]): Promise<Attempt> => {
    const answer = await ask(options.client, prompt, usage, options.signal, onDelta);
    try {
      const checked = await checkAnswer(answer, context, explain, options.workspace.parserAssets);
      const types = explain ? undefined : await addedTypeErrors(options.workspace.root, target.path, target.text, checked.newText);
      return { answer, checked, types };
    } catch (error) {
      if (error instanceof AnswerProblem) return { answer, problem: error.message };
      throw error;
    }
  };
  const first = await attempt(messages);
  if ('checked' in first) {
    const problem = typeProblem(first.types);
    if (problem === undefined) return proposalOf(context, first, 1);
    const second = await attempt(retryMessages(messages, first.answer, problem));
    return proposalOf(context, 'checked' in second ? second : first, 2);
  }
  const second = await attempt(retryMessages(messages, first.answer, first.problem));
  if ('checked' in second) return proposalOf(context, second, 2);
  return { path: target.path, reason: `the model's answer could not be used, twice: ${first.problem}; then ${second.problem}` };
}

function proposalOf({ target, logger, masked }: EditContext, { checked, types }: Extract<Attempt, { checked: CheckedAnswer }>, attempts: number): EditProposal {
  const checks: EditCheck[] = [];
  if (checked.syntaxChecked) checks.push({ kind: 'syntax', by: 'tree-sitter', problems: [] });
  if (types) checks.push({ kind: 'types', by: types.checker, problems: types.added.map(typeErrorText) });
  return {
    path: target.path,
    ranges: target.ranges,
    originalText: target.text,
    newText: checked.newText,
    diff: unifiedDiff(target.path, target.text, checked.newText),
    explanation: checked.explanation,
    logger,
    masked,
    attempts,
    checks,
  };
}

export async function proposeEdits(options: ProposeOptions): Promise<EditOutcome> {
  const { workspace } = options;
  const located = options.hits ? await targetsOfHits(workspace.root, options.hits) : await locateTargets(workspace, options.query, options.top ?? 3, options.signal);
  const usage: TokenUsage = { promptTokens: 0, completionTokens: 0 };
  const outcome: EditOutcome = { proposals: [], failures: [...located.skipped], usage };
  if (located.targets.length === 0 && located.skipped.length === 0) {
    throw new UserError(`nothing matches ${JSON.stringify(options.query)}: try other words, or check that the folder is indexed`);
  }
  const indexed = [...(await workspace.store.fileRows()).keys()];
  const contexts = await Promise.all(located.targets.map((target) => gatherContext(workspace.root, target, indexed, workspace.parserAssets, options.useGuidelines)));
  // Concurrent: the client's own limit bounds the requests in flight.
  const results = await Promise.all(contexts.map((context) => editTarget(context, options, usage)));
  for (const result of results) {
    if ('diff' in result) outcome.proposals.push(result);
    else outcome.failures.push(result);
  }
  return outcome;
}

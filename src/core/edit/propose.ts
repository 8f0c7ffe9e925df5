// The edit flow: locate (search) → context per target → prompt → validate → one retry with the
// problem → a proposal (a unified diff and the new text) or a reason it could not be done.
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

/** One target: an answer, checked; on a problem, one more answer with the problem explained. */
async function editTarget(context: EditContext, options: ProposeOptions, usage: TokenUsage): Promise<EditProposal | EditFailure> {
  const { target } = context;
  const explain = instructionFor(options.instruction).action === 'explain';
  const messages = editMessages(context, options.instruction);
  const { onDelta: report } = options;
  const onDelta = report && ((text: string) => report(target.path, text));
  let answer = await ask(options.client, messages, usage, options.signal, onDelta);
  let checked: CheckedAnswer | undefined;
  let attempts = 1;
  try {
    checked = await checkAnswer(answer, context, explain, options.workspace.parserAssets);
  } catch (first) {
    if (!(first instanceof AnswerProblem)) throw first;
    answer = await ask(options.client, retryMessages(messages, answer, first.message), usage, options.signal, onDelta);
    attempts = 2;
    try {
      checked = await checkAnswer(answer, context, explain, options.workspace.parserAssets);
    } catch (second) {
      if (!(second instanceof AnswerProblem)) throw second;
      return { path: target.path, reason: `the model's answer could not be used, twice: ${first.message}; then ${second.message}` };
    }
  }
  return {
    path: target.path,
    ranges: target.ranges,
    originalText: target.text,
    newText: checked.newText,
    diff: unifiedDiff(target.path, target.text, checked.newText),
    explanation: checked.explanation,
    logger: context.logger,
    masked: context.masked,
    attempts,
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

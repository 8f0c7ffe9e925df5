// `codeintent edit`: the LLM endpoint from the environment, proposals from the core, diffs on
// stdout, token usage on stderr, and files written only with --apply, each re-checked first.

import { applyProposals } from '../core/edit/apply.js';
import { proposeEdits } from '../core/edit/propose.js';
import { NO_API_KEY } from '../core/embed/index.js';
import { messageOf, UserError } from '../core/errors.js';
import { createChatClient, type ChatClient } from '../core/llm/client.js';
import type { Workspace } from '../core/workspace.js';
import type { Command } from './args.js';
import { editJson, editText } from '../shared/report.js';
import { printable, printableJson } from '../shared/terminal-text.js';

type EditCommand = Extract<Command, { name: 'edit' }>;

const DOCS = 'see docs/llm.md';

function timeoutMs(env: NodeJS.ProcessEnv): number | undefined {
  const value = env['CODEINTENT_LLM_TIMEOUT_MS'];
  if (value === undefined || value === '') return undefined;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 1) throw new UserError(`CODEINTENT_LLM_TIMEOUT_MS must be a whole number of milliseconds, not ${JSON.stringify(value)}`);
  return ms;
}

/** The chat client the environment configures; a UserError (before any indexing) when it does not. */
export function llmClient(command: EditCommand, env: NodeJS.ProcessEnv): ChatClient {
  const baseURL = env['OPENAI_BASE_URL'] || undefined;
  const apiKey = env['OPENAI_API_KEY'] || undefined;
  if (baseURL === undefined && apiKey === undefined) {
    throw new UserError(`no LLM endpoint is configured: set OPENAI_BASE_URL (and OPENAI_API_KEY if it needs one), ${DOCS}; search works without one`);
  }
  const model = command.llmModel ?? (env['CODEINTENT_LLM_MODEL'] || undefined);
  if (model === undefined || model.trim() === '') throw new UserError(`no LLM model is configured: pass --model NAME or set CODEINTENT_LLM_MODEL, ${DOCS}`);
  const timeout = timeoutMs(env);
  try {
    return createChatClient({
      model,
      ...(baseURL !== undefined ? { baseURL } : {}),
      // Local servers (Ollama, LM Studio) take any key; the package insists on one.
      apiKey: apiKey ?? NO_API_KEY,
      ...(timeout !== undefined ? { timeoutMs: timeout } : {}),
    });
  } catch (error) {
    throw new UserError(`the LLM endpoint settings are not usable: ${messageOf(error)}`);
  }
}

export async function runEdit(workspace: Workspace, command: EditCommand, client: ChatClient, signal: AbortSignal, warn: (text: string) => void): Promise<void> {
  const outcome = await proposeEdits({ workspace, client, instruction: command.instruction, query: command.query, top: command.top, signal });
  process.stdout.write(command.json ? `${printableJson(editJson(outcome))}\n` : printable(editText(outcome)));
  const stats = client.stats();
  warn(`LLM ${client.model} at ${client.host}: ${stats.calls} answers, ${outcome.usage.promptTokens} prompt + ${outcome.usage.completionTokens} completion tokens`);
  for (const failure of outcome.failures) warn(`${failure.path}: ${failure.reason}`);
  if (outcome.failures.length > 0) {
    throw new UserError(`${outcome.failures.length} of ${outcome.failures.length + outcome.proposals.length} places could not be edited; no file was changed`);
  }
  if (!command.apply) return;
  const written = await applyProposals(workspace.root, outcome.proposals);
  warn(written.length === 0 ? 'nothing to apply' : `applied: ${written.join(', ')}`);
}

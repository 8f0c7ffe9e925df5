// The prompt: one target, one instruction, and a strict JSON answer format that names line
// numbers of the current file, so the answer can be checked before anything is shown.
//
// The answer format (also in docs/llm.md):
//   {"edits": [{"startLine": 12, "endLine": 14, "replacement": "…"}], "explanation": "…"}
// Each edit replaces lines startLine..endLine (1-based, inclusive) with `replacement` (its lines
// separated by \n); endLine = startLine - 1 inserts before startLine; "" with endLine ≥ startLine
// deletes. Edits stay inside the target's ranges, or in the import block to add an import.

import type { ChatMessage } from '../llm/client.js';
import { GUIDELINES_FILE, type EditContext } from './context.js';

export const EDIT_ACTIONS = ['add-logging', 'add-error-handling', 'explain'] as const;
export type EditAction = (typeof EDIT_ACTIONS)[number];

/** What each named action asks for; any other instruction is passed on as written. */
function actionInstruction(action: EditAction, context: EditContext): string {
  switch (action) {
    case 'add-logging':
      return `Add logging to this code with ${context.logger.name}, the way this codebase logs: an informative message where it starts or does its main work, and an error log where it fails. Do not log secrets or whole objects that may hold them.`;
    case 'add-error-handling':
      return 'Add error handling to this code: catch the failures it can really have, log or rethrow them the way this codebase does, and keep its behaviour otherwise unchanged.';
    case 'explain':
      return 'Explain what this code does, in a few sentences. Do not change it: answer with an empty "edits" array.';
  }
}

export function instructionFor(instruction: string): { action?: EditAction; text: string } {
  const action = EDIT_ACTIONS.find((a) => a === instruction.trim().toLowerCase());
  return action ? { action, text: instruction } : { text: instruction };
}

const SYSTEM = `You edit source code. You get one place in a file, with line numbers, and an instruction.
Answer with one JSON object and nothing else:
{"edits": [{"startLine": <number>, "endLine": <number>, "replacement": "<new text of those lines>"}], "explanation": "<one or two sentences>"}
Rules:
- An edit replaces lines startLine..endLine (1-based, inclusive) of the CURRENT file with "replacement" (lines separated by \\n, no line numbers). endLine = startLine - 1 inserts the replacement before startLine.
- Make the smallest change that does the job; keep the code's indentation and style; do not reformat.
- Edit only inside the given line ranges, except that you may add an import in the import block.
- Copy unchanged lines exactly. Never write <secret>: it stands for a value you cannot see.
- Edits must not overlap. The result must still parse.`;

export function editMessages(context: EditContext, instruction: string): ChatMessage[] {
  const { action, text } = instructionFor(instruction);
  const { target, logger } = context;
  const ranges = target.ranges.map((r, i) => `Range ${i + 1}: lines ${r.startLine}-${r.endLine}${r.symbol ? ` (${r.symbol})` : ''}\n${context.numberedRanges[i] ?? ''}`);
  const parts = [
    `Instruction: ${action ? actionInstruction(action, context) : text}`,
    `File: ${target.path} (${target.language})`,
    context.imports ? `Imports (the import block is lines 1-${context.importEnd}):\n${context.imports}` : 'The file has no imports; an import goes before line 1.',
    [
      `Logging in this codebase: call ${logger.name} (from ${logger.source}).`,
      logger.importLine ? `This file does not import it yet; if you log, add this import to the import block: ${logger.importLine}` : '',
      logger.example ? `Example from the codebase: ${logger.example}` : '',
    ].filter(Boolean).join('\n'),
    context.guidelines ? `Team conventions (${GUIDELINES_FILE}):\n${context.guidelines}` : '',
    `The code to work on:\n${ranges.join('\n\n')}`,
  ];
  return [
    { role: 'system', content: SYSTEM },
    { role: 'user', content: parts.filter(Boolean).join('\n\n') },
  ];
}

/** The conversation again, with the unusable answer and why, for the one retry. */
export function retryMessages(messages: readonly ChatMessage[], answer: string, problem: string): ChatMessage[] {
  return [
    ...messages,
    { role: 'assistant', content: answer },
    { role: 'user', content: `That answer cannot be used: ${problem}\nAnswer again with the corrected JSON object only.` },
  ];
}

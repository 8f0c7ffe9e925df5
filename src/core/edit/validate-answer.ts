// Validate: an answer is used only if it parses as the edit format, stays inside the target (or
// its file's import block), applies to the text the prompt showed, and leaves the file parsing no
// worse than before. Each failure is a message the model gets on its one retry.

import { syntaxProblems } from '../chunk/syntax.js';
import { messageOf } from '../errors.js';
import type { ParserAssets } from '../workspace.js';
import { SECRET_MASK } from '../llm/mask-secrets.js';
import type { EditContext } from './context.js';
import { fileLines } from './locate.js';

export interface LineEdit {
  startLine: number;
  endLine: number;
  replacement: string;
}

export interface CheckedAnswer {
  explanation: string;
  /** The file with the edits applied (the original when there are none). */
  newText: string;
  /** Whether tree-sitter parsed the file before and after (false: no grammar for its language). */
  syntaxChecked: boolean;
}

/** Why an answer cannot be used, worded for the model's retry and for the user. */
export class AnswerProblem extends Error {
  override readonly name = 'AnswerProblem';
}

/** The JSON object of an answer, also when wrapped in a ```json fence or a sentence. */
function parseJson(answer: string): unknown {
  const fenced = /```(?:json)?\s*\n([\s\S]*?)\n```/.exec(answer)?.[1];
  const candidate = fenced ?? answer.slice(answer.indexOf('{'), answer.lastIndexOf('}') + 1);
  try {
    return JSON.parse(candidate);
  } catch (error) {
    throw new AnswerProblem(`it is not a JSON object (${messageOf(error)})`);
  }
}

function parseEdits(value: unknown): { edits: LineEdit[]; explanation: string } {
  if (typeof value !== 'object' || value === null || !Array.isArray(Reflect.get(value, 'edits'))) {
    throw new AnswerProblem('it has no "edits" array');
  }
  const explanation = Reflect.get(value, 'explanation');
  const edits = (Reflect.get(value, 'edits') as unknown[]).map((edit, i): LineEdit => {
    const field = (name: string): unknown => (typeof edit === 'object' && edit !== null ? Reflect.get(edit, name) : undefined);
    const [startLine, endLine, replacement] = [field('startLine'), field('endLine'), field('replacement')];
    if (!Number.isInteger(startLine) || !Number.isInteger(endLine) || typeof replacement !== 'string') {
      throw new AnswerProblem(`edit ${i + 1} needs whole-number "startLine" and "endLine" and a string "replacement"`);
    }
    return { startLine: startLine as number, endLine: endLine as number, replacement };
  });
  return { edits, explanation: typeof explanation === 'string' ? explanation : '' };
}

/** Where edits may go: the target's ranges, and the import block (or before line 1). */
function checkPlacement(edits: readonly LineEdit[], context: EditContext, lineCount: number): void {
  const regions = [{ startLine: 1, endLine: context.importEnd }, ...context.target.ranges];
  const sorted = [...edits].sort((a, b) => a.startLine - b.startLine);
  sorted.forEach((edit, i) => {
    const where = `edit of lines ${edit.startLine}-${edit.endLine}`;
    if (edit.startLine < 1 || edit.endLine < edit.startLine - 1 || edit.endLine > lineCount) {
      throw new AnswerProblem(`the ${where} is not a range of the file (lines 1-${lineCount}; endLine = startLine - 1 inserts)`);
    }
    const inside = regions.some((r) => edit.startLine >= r.startLine && (edit.endLine <= r.endLine || (edit.endLine === edit.startLine - 1 && edit.startLine <= r.endLine + 1)));
    if (!inside) {
      const allowed = context.target.ranges.map((r) => `${r.startLine}-${r.endLine}`).join(', ');
      throw new AnswerProblem(`the ${where} is outside the code to work on (lines ${allowed}${context.importEnd > 0 ? `, or the import block 1-${context.importEnd}` : ''})`);
    }
    const previous = sorted[i - 1];
    if (previous !== undefined && edit.startLine <= previous.endLine) throw new AnswerProblem(`the ${where} overlaps the edit of lines ${previous.startLine}-${previous.endLine}`);
    if (edit.replacement.includes(SECRET_MASK)) throw new AnswerProblem(`the ${where} writes ${SECRET_MASK}, which stands for a value you cannot see: leave those lines unchanged`);
  });
}

/** Edits may write this many times the target's characters, plus a margin for a small target. */
const MAX_GROWTH = 4;
const GROWTH_MARGIN_CHARS = 2000;

/** An edit is a small change to its target: refuse one that writes far more than the target holds. */
function checkSize(edits: readonly LineEdit[], context: EditContext): void {
  const lines = fileLines(context.target.text);
  const target = context.target.ranges.reduce((n, r) => n + lines.slice(r.startLine - 1, r.endLine).join('\n').length, 0);
  const written = edits.reduce((n, edit) => n + edit.replacement.length, 0);
  const limit = MAX_GROWTH * target + GROWTH_MARGIN_CHARS;
  if (written > limit) throw new AnswerProblem(`the edits write ${written} characters in place of ${target} (at most ${limit}): make the smallest change that does the job`);
}

/** `text` with the edits applied, bottom first so that earlier line numbers stay valid. */
function applyLineEdits(text: string, edits: readonly LineEdit[]): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = fileLines(text);
  for (const edit of [...edits].sort((a, b) => b.startLine - a.startLine)) {
    const replacement = edit.replacement === '' ? [] : edit.replacement.replace(/\r?\n$/, '').split(/\r?\n/);
    lines.splice(edit.startLine - 1, edit.endLine - edit.startLine + 1, ...replacement);
  }
  return lines.length === 0 ? '' : lines.join(eol) + (text.endsWith('\n') ? eol : '');
}

/** `explain`: the answer's explanation is all that is used; any edits in it are dropped, never applied. */
export async function checkAnswer(answer: string, context: EditContext, explain: boolean, parserAssets: ParserAssets): Promise<CheckedAnswer> {
  const { edits, explanation } = parseEdits(parseJson(answer));
  const original = context.target.text;
  if (explain) return { explanation, newText: original, syntaxChecked: false };
  if (edits.length === 0) throw new AnswerProblem('it has no edits; make the change the instruction asks for');
  checkPlacement(edits, context, fileLines(original).length);
  checkSize(edits, context);
  const newText = applyLineEdits(original, edits);
  if (newText === original) throw new AnswerProblem('its edits change nothing');
  const before = await syntaxProblems(context.target.path, original, parserAssets);
  const after = await syntaxProblems(context.target.path, newText, parserAssets);
  const syntaxChecked = before !== undefined && after !== undefined;
  if (syntaxChecked && after > before) {
    throw new AnswerProblem(`the edited file no longer parses: tree-sitter finds ${after - before} new syntax error${after - before === 1 ? '' : 's'}`);
  }
  return { explanation, newText, syntaxChecked };
}

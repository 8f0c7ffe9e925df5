// Context for one target: its code with line numbers, the file's imports, how the codebase logs,
// and the team's conventions (.codeintent/guidelines.md). Secrets are masked here, before any of
// it can reach a prompt.

import path from 'node:path';
import { readRegularText } from '../files.js';
import { maskSecrets } from '../llm/mask-secrets.js';
import type { ParserAssets } from '../workspace.js';
import { detectLogger, type LoggerInfo } from './detect-logger.js';
import { importBlock } from './import-block.js';
import { fileLines, type EditTarget } from './locate.js';

export const GUIDELINES_FILE = '.codeintent/guidelines.md';
/** Guidelines beyond this are cut: conventions, not a manual. */
const MAX_GUIDELINES_CHARS = 4000;

export interface EditContext {
  target: EditTarget;
  /** Each range's lines as `  12| code`, secrets masked. */
  numberedRanges: string[];
  /** The file's import lines as `   3| import …`, secrets masked; '' when none. */
  imports: string;
  /** The import block (its leading import statements, see import-block.ts): lines 1..importEnd may take new imports (0 when the file has none). */
  importEnd: number;
  logger: LoggerInfo;
  guidelines: string;
  /** Secrets masked in what will be sent. */
  masked: number;
}

function numbered(lines: readonly string[], first: number, width: number): string {
  return lines.map((line, i) => `${String(first + i).padStart(width)}| ${line}`).join('\n');
}

/** `useGuidelines` false leaves the workspace's guidelines out (not consented to in an untrusted workspace). */
export async function gatherContext(root: string, target: EditTarget, indexedFiles: readonly string[], parserAssets: ParserAssets, useGuidelines = true): Promise<EditContext> {
  // The whole file is masked before it is numbered or cut: a number before each line would break a
  // private key's block apart, and a range may start inside one. Masking keeps every line in place.
  const file = maskSecrets(target.text);
  const lines = fileLines(file.text);
  const width = String(lines.length).length;
  const imports = await importBlock(target.path, target.text, parserAssets);
  const sentLines = [...target.ranges.map((r) => ({ first: r.startLine, last: r.endLine })), ...imports.lines.map((number) => ({ first: number, last: number }))];
  let masked = file.secrets.filter((secret) => sentLines.some(({ first, last }) => secret.startLine <= last && secret.endLine >= first)).length;
  const mask = (text: string): string => {
    const result = maskSecrets(text);
    masked += result.masked;
    return result.text;
  };
  const logger = await detectLogger(root, target.path, target.text, indexedFiles);
  return {
    target,
    numberedRanges: target.ranges.map((r) => numbered(lines.slice(r.startLine - 1, r.endLine), r.startLine, width)),
    imports: imports.lines.map((number) => `${String(number).padStart(width)}| ${lines[number - 1] ?? ''}`).join('\n'),
    importEnd: imports.end,
    logger: { ...logger, example: mask(logger.example) },
    guidelines: useGuidelines ? mask(await readGuidelines(root)) : '',
    masked,
  };
}

async function readGuidelines(root: string): Promise<string> {
  try {
    const text = await readRegularText(path.join(root, GUIDELINES_FILE));
    return text.length > MAX_GUIDELINES_CHARS ? `${text.slice(0, MAX_GUIDELINES_CHARS)}\n[…cut]` : text.trim();
  } catch {
    return '';
  }
}

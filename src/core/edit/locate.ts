// Locate: the places to edit are the top search hits of a query, grouped by file so that one
// answer (and one diff) covers every hit in a file.

import path from 'node:path';
import { describeFileError, readRegularText } from '../files.js';
import type { SearchHit } from '../types.js';
import type { Workspace } from '../workspace.js';

export interface LineRange {
  /** 1-based, inclusive. */
  startLine: number;
  endLine: number;
  /** The definition's name ('' for line windows). */
  symbol: string;
}

export interface EditTarget {
  /** Workspace-relative, forward slashes. */
  path: string;
  language: SearchHit['language'];
  /** In file order, not overlapping. */
  ranges: LineRange[];
  /** The file as read when located: an edit is made against, and only applied to, this text. */
  text: string;
}

export interface Located {
  targets: EditTarget[];
  /** Hits that could not become targets, and why. */
  skipped: { path: string; reason: string }[];
}

/** The file's lines, split on \n or \r\n (a final newline gives no extra line). */
export function fileLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (text.endsWith('\n')) lines.pop();
  return lines;
}

/** Hits searched for each target wanted, so that code can be preferred to the documents among them. */
const CANDIDATES_PER_TARGET = 4;
/** Prose and data: a query's hits in these are edited only when there is too little code among them. */
const DOCUMENT_OR_DATA = /\.(md|mdx|markdown|rst|adoc|txt|json|jsonc|ya?ml|toml|ini|cfg|csv|tsv|lock)$/i;

/**
 * The targets of a query: its top hits, code first. "Add logging" or "add error handling" to a
 * README or a package.json that mentions the query's words would fail or make no sense; a hit
 * the user picks themselves (`targetsOfHits`) is edited whatever the file.
 */
export async function locateTargets(workspace: Workspace, query: string, top: number, signal?: AbortSignal): Promise<Located> {
  const hits = await workspace.search(query, { mode: 'hybrid', top: top * CANDIDATES_PER_TARGET, ...(signal ? { signal } : {}) });
  const isDocument = (hit: SearchHit) => DOCUMENT_OR_DATA.test(hit.path);
  return targetsOfHits(workspace.root, [...hits.filter((hit) => !isDocument(hit)), ...hits.filter(isDocument)].slice(0, top));
}

/** The targets of hits a user chose (a search result's quick action), or of a search. */
export async function targetsOfHits(root: string, hits: readonly SearchHit[]): Promise<Located> {
  const byPath = new Map<string, SearchHit[]>();
  for (const hit of hits) byPath.set(hit.path, [...(byPath.get(hit.path) ?? []), hit]);
  const located: Located = { targets: [], skipped: [] };
  for (const [file, fileHits] of byPath) {
    // Only files the index holds are read: the crawl has already left out .env and secret files.
    let text: string;
    try {
      text = await readRegularText(path.join(root, file));
    } catch (error) {
      located.skipped.push({ path: file, reason: `cannot be read: ${describeFileError(error)}` });
      continue;
    }
    const lines = fileLines(text);
    // A hit's first line is never collapsed: if it differs, the index is older than the file.
    if (fileHits.some((hit) => hit.endLine > lines.length || lines[hit.startLine - 1] !== hit.text.split(/\r?\n/, 1)[0])) {
      located.skipped.push({ path: file, reason: 'changed since it was indexed' });
      continue;
    }
    located.targets.push({ path: file, language: fileHits[0]?.language ?? 'text', ranges: mergeRanges(fileHits), text });
  }
  return located;
}

/** Hits of one file as ranges in file order; overlapping ones (a class and its method) become one. */
function mergeRanges(hits: readonly SearchHit[]): LineRange[] {
  const sorted = [...hits].sort((a, b) => a.startLine - b.startLine || b.endLine - a.endLine);
  const ranges: LineRange[] = [];
  for (const hit of sorted) {
    const last = ranges.at(-1);
    if (last !== undefined && hit.startLine <= last.endLine) last.endLine = Math.max(last.endLine, hit.endLine);
    else ranges.push({ startLine: hit.startLine, endLine: hit.endLine, symbol: hit.symbol });
  }
  return ranges;
}

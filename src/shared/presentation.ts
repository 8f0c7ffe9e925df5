// How a hit and an index state read, the same in the quick pick, the status bar and the sidebar.
// No `vscode` here: the sidebar's script (src/webview/) bundles it too.

import type { ChunkKind, Evidence, LanguageId } from '../core/types.js';
import type { TunePhase, TuneProgress } from '../core/tune/index.js';
import type { IndexState } from './worker-protocol.js';

/** The codicon of each chunk kind (`$(name)` in the quick pick, `codicon-name` in the sidebar). */
export const KIND_ICONS: Readonly<Record<ChunkKind, string>> = {
  function: 'symbol-function',
  method: 'symbol-method',
  class: 'symbol-class',
  interface: 'symbol-interface',
  type: 'symbol-type-parameter',
  enum: 'symbol-enum',
  struct: 'symbol-struct',
  trait: 'symbol-interface',
  impl: 'symbol-class',
  module: 'symbol-namespace',
  lines: 'symbol-file',
};

export const LANGUAGE_LABELS: Readonly<Record<LanguageId, string>> = {
  typescript: 'TypeScript',
  tsx: 'TSX',
  javascript: 'JavaScript',
  python: 'Python',
  go: 'Go',
  java: 'Java',
  rust: 'Rust',
  csharp: 'C#',
  ruby: 'Ruby',
  php: 'PHP',
  c: 'C',
  cpp: 'C++',
  text: 'Other files',
};

export function isLanguageId(value: unknown): value is LanguageId {
  return typeof value === 'string' && Object.hasOwn(LANGUAGE_LABELS, value);
}

/** `Container.symbol`, or `file.ext lines 10–50` for a line window. */
export function hitName(hit: { symbol: string; container: string; path: string; startLine: number; endLine: number }): string {
  if (hit.symbol === '') return `${hit.path.slice(hit.path.lastIndexOf('/') + 1)} lines ${hit.startLine}–${hit.endLine}`;
  return hit.container ? `${hit.container}.${hit.symbol}` : hit.symbol;
}

type Located = { root: string; path: string; symbol: string; container: string; startLine: number };

/** Whether two hits are the same result: a definition by its name (edits may move it), a line window by its lines. */
export function sameResult(a: Located, b: Located): boolean {
  return a.root === b.root && a.path === b.path && a.symbol === b.symbol && a.container === b.container && (a.symbol !== '' || a.startLine === b.startLine);
}

/** The first line that says something (not blank, not a lone brace or decorator), whitespace collapsed. */
export function previewLine(text: string, max = 120): string {
  const lines = text.split('\n').map((line) => line.trim());
  const line = lines.find((l) => l.length > 1 && !l.startsWith('@')) ?? lines.find((l) => l !== '') ?? '';
  const collapsed = line.replace(/\s+/g, ' ');
  return collapsed.length > max ? `${collapsed.slice(0, max - 1)}…` : collapsed;
}

/** What a result list says first when even the best hit is not a close match (the CLI, the sidebar, the quick pick). */
export const NO_CLOSE_MATCH = 'No close match: nothing here clearly does this. The nearest results:';

/** A calibrated confidence as people read it: "87%". */
export function confidenceLabel(confidence: number): string {
  return `${Math.round(confidence * 100)}%`;
}

/**
 * Which of a hit's lines to preview (0-based, in order): its first `count`, or when its best line
 * lies further down, the first line (the signature) and then the best line and those after it.
 */
export function previewOffsets(hit: { text: string; startLine: number; why?: Evidence }, count: number): number[] {
  const lines = hit.text.split('\n').length;
  const best = hit.why?.lines[0];
  const first = Array.from({ length: count }, (_, j) => j);
  const offsets = best === undefined || best - hit.startLine < count ? first : [0, ...first.slice(0, count - 1).map((j) => best - hit.startLine + j)];
  return offsets.filter((j) => j < lines);
}

/** The words a hit matched, for marking in its preview: the query's words and the identifier parts they met. */
export function matchedWords(why: Evidence | undefined): string[] {
  const words = new Set((why?.terms ?? []).flatMap(({ term, matched }) => [term, ...matched]).map((word) => word.toLowerCase()));
  // One- and two-letter parts ("a", "id") would mark half the code.
  return [...words].filter((word) => word.length > 2).sort((a, b) => b.length - a.length);
}

/** `text` cut where it contains any of `words` (case-insensitive): the pieces, each flagged when it is a match. */
export function markMatches(text: string, words: readonly string[]): Array<{ text: string; match: boolean }> {
  if (words.length === 0 || text === '') return text === '' ? [] : [{ text, match: false }];
  const pattern = new RegExp(words.map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'gi');
  const pieces: Array<{ text: string; match: boolean }> = [];
  let at = 0;
  for (const found of text.matchAll(pattern)) {
    if (found.index > at) pieces.push({ text: text.slice(at, found.index), match: false });
    pieces.push({ text: found[0], match: true });
    at = found.index + found[0].length;
  }
  if (at < text.length) pieces.push({ text: text.slice(at), match: false });
  return pieces;
}

/** An embedding model's id as people read it: `static:code-static-v2:…` → "code-static-v2 (CodeIntent's code model)". */
export function modelName(embedderId: string): string {
  const [kind, name = embedderId] = embedderId.split(':');
  if (kind === 'static' && name.startsWith('code-static')) return `${name} (CodeIntent's code model)`;
  if (kind === 'openai') return `${embedderId.slice('openai:'.length)} (at the endpoint)`;
  return name.split(/[\\/]/).filter(Boolean).at(-1) ?? embedderId;
}

/** A query adapter's source as people read it: none, tuned to this workspace, or a shipped one by name. */
export function adapterName(source: string): string {
  if (source === 'identity') return 'none';
  const parts = source.split(/[\\/]/).filter(Boolean);
  return parts.at(-1) === 'tuned' ? 'tuned to this workspace' : `${parts.at(-1) ?? source} (shipped)`;
}

/** A size on disk: "29 KB", "12.3 MB", "1.4 GB". */
export function sizeLabel(bytes: number): string {
  if (bytes < 1_000_000) return `${Math.max(1, Math.round(bytes / 1000))} KB`;
  return bytes < 1_000_000_000 ? `${(bytes / 1_000_000).toFixed(1)} MB` : `${(bytes / 1_000_000_000).toFixed(1)} GB`;
}

/** Every folder's state in one: what the status bar and the sidebar show. */
export type Overall =
  | { kind: 'noFolder' }
  | { kind: 'none' }
  /** `percent` is undefined while files are being listed. */
  | { kind: 'indexing'; percent: number | undefined }
  /** `complete` is false when a run was cancelled or a folder is not indexed yet. */
  | { kind: 'ready'; files: number; chunks: number; complete: boolean }
  | { kind: 'error'; message: string };

const TUNE_PHASES: Readonly<Record<TunePhase, string>> = {
  index: 'updating the index',
  chunk: 'reading documented code',
  embed: 'embedding',
  train: 'training the adapter',
  search: 'searching and fitting the second stage',
  evaluate: 'evaluating on held-out files',
};

/** Where a tune is: "embedding 120/480". */
export function tuneProgressText({ phase, done, total }: TuneProgress): string {
  return `${TUNE_PHASES[phase]}${total > 0 ? ` ${done}/${total}` : ''}`;
}

export function overall(states: readonly IndexState[]): Overall {
  if (states.length === 0) return { kind: 'noFolder' };
  const error = states.find((s) => s.kind === 'error');
  if (error) return error;
  const indexing = states.filter((s) => s.kind === 'indexing');
  if (indexing.length > 0) {
    const total = indexing.reduce((sum, s) => sum + s.total, 0);
    const done = indexing.reduce((sum, s) => sum + s.done, 0);
    const listing = indexing.some((s) => s.phase === 'crawl');
    return { kind: 'indexing', percent: listing || total === 0 ? undefined : Math.floor((100 * done) / total) };
  }
  const ready = states.filter((s) => s.kind === 'ready');
  if (ready.length === 0) return { kind: 'none' };
  return {
    kind: 'ready',
    files: ready.reduce((sum, s) => sum + s.files, 0),
    chunks: ready.reduce((sum, s) => sum + s.chunks, 0),
    complete: ready.length === states.length && ready.every((s) => s.complete),
  };
}

// The messages between the sidebar's webview (src/webview/main.ts) and the extension host
// (src/extension/sidebar.ts), in one file both sides import. A webview is untrusted: the host accepts a message
// only through `parseViewMessage`.

import type { ChunkKind, LanguageId } from '../core/types.js';
import { isLanguageId, type Overall } from './presentation.js';

/** What the sidebar's buttons may ask the host to do; nothing else can be run from the webview. */
export const VIEW_ACTIONS = ['reindex', 'showLog', 'showStatus', 'openFolder', 'openSettings'] as const;
export type ViewAction = (typeof VIEW_ACTIONS)[number];

export interface ViewLocation {
  /** A workspace folder's absolute path (the host checks that it is one). */
  root: string;
  /** Relative to `root`, forward slashes. */
  path: string;
  /** 1-based, inclusive. */
  startLine: number;
  endLine: number;
  symbol: string;
}

/** Webview → host. */
export type ViewMessage =
  | { type: 'ready' }
  | { type: 'search'; seq: number; query: string; language: LanguageId | ''; folder: string }
  /** `beside`: in the editor group beside the active one (a modifier held). */
  | { type: 'open'; location: ViewLocation; beside: boolean }
  | { type: 'run'; action: ViewAction }
  /** A quick action (add logging, …) on the result at `location`, found by `query`. */
  | { type: 'act'; location: ViewLocation; query: string };

export interface ViewHit extends ViewLocation {
  /** The workspace folder's name, shown in a multi-root workspace. */
  folder: string;
  container: string;
  kind: ChunkKind;
  language: LanguageId;
  score: number;
  /** The second stage's calibrated confidence in [0, 1], comparable between queries; absent without one. */
  confidence?: number;
  /** Whether that confidence makes it a close match. */
  close?: boolean;
  /** The lines to preview, in order: the first ones, or the first and the best-matching ones. */
  preview: Array<{ line: number; text: string }>;
  /** Words to mark in the preview: the query's words and the identifier parts they met. */
  matched: string[];
  /** What the file's path says it is, when the ranking demotes it (tests, translation data, examples). */
  role?: 'test' | 'translations' | 'example';
}

/** Host → webview. */
export type HostMessage =
  | { type: 'status'; overall: Overall; multiRoot: boolean }
  /** `correction`: the query with its spelling slips corrected, offered as "did you mean" (both were searched). */
  | { type: 'results'; seq: number; hits: ViewHit[]; correction?: string }
  | { type: 'searchError'; seq: number; message: string };

const MAX_QUERY = 2000;
const MAX_PATH = 4096;
const MAX_LINE = 10_000_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isString(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length <= max && !value.includes('\0');
}

function isLine(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= MAX_LINE;
}

/** A relative path that stays inside its root: no absolute path, no drive, no `..` segment. */
function isRelativePath(value: unknown): value is string {
  if (!isString(value, MAX_PATH) || value === '') return false;
  if (value.startsWith('/') || value.includes('\\') || /^[A-Za-z]:/.test(value)) return false;
  return value.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

function parseLocation(value: unknown): ViewLocation | undefined {
  if (!isRecord(value)) return undefined;
  const { root, path, startLine, endLine, symbol } = value;
  if (!isString(root, MAX_PATH) || root === '' || !isRelativePath(path) || !isLine(startLine) || !isLine(endLine) || endLine < startLine) return undefined;
  if (!isString(symbol, MAX_PATH)) return undefined;
  return { root, path, startLine, endLine, symbol };
}

/** The message if it is a well-formed ViewMessage (rebuilt, so no extra fields get through), else undefined. */
export function parseViewMessage(value: unknown): ViewMessage | undefined {
  if (!isRecord(value)) return undefined;
  switch (value['type']) {
    case 'ready':
      return { type: 'ready' };
    case 'search': {
      const { seq, query, language, folder } = value;
      if (!Number.isSafeInteger(seq) || !isString(query, MAX_QUERY) || !isString(folder, MAX_PATH)) return undefined;
      if (language !== '' && !isLanguageId(language)) return undefined;
      return { type: 'search', seq: seq as number, query, language, folder };
    }
    case 'open': {
      const location = parseLocation(value['location']);
      return location && { type: 'open', location, beside: value['beside'] === true };
    }
    case 'run': {
      const action = VIEW_ACTIONS.find((a) => a === value['action']);
      return action && { type: 'run', action };
    }
    case 'act': {
      const location = parseLocation(value['location']);
      const query = value['query'];
      return location && isString(query, MAX_QUERY) ? { type: 'act', location, query } : undefined;
    }
    default:
      return undefined;
  }
}

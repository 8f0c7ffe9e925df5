// The `codeintent.*` settings: read once into a typed, frozen snapshot (one index run sees one set
// of values), turned into the worker's folder configuration, and each change sorted by what it
// takes to apply.

import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import { UserError } from '../core/errors.js';
import { defaultIndexDir } from '../core/paths.js';
import { isStorageUri } from '../core/storage-uri.js';
import type { FolderConfig } from '../shared/worker-protocol.js';
import { contributedScope, EXTENSION_ID, settingsEditorCommand } from './settings-scope.js';

/** A setting that cannot work as set; the message names it and says what to do. */
export class SettingsError extends UserError {
  constructor(
    /** The full id of the setting to change, e.g. `codeintent.llm.baseUrl`. */
    readonly setting: string,
    message: string,
  ) {
    super(message);
  }
}

/** Opens the settings editor on the tab where `setting` can be set, showing it (all of ours without one). */
export function openSettingsOf(setting?: string): Thenable<unknown> {
  const scope = setting === undefined ? undefined : contributedScope(vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON, setting);
  const { command, args } = settingsEditorCommand(setting, scope, vscode.env.remoteName !== undefined);
  return vscode.commands.executeCommand(command, args);
}

export interface Settings {
  /** 'default', 'use-lite', 'openai' (the `llm` endpoint) or a model folder. */
  readonly model: string;
  /** 'default', 'none' or an adapter folder. */
  readonly adapter: string;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly maxFileSize: number;
  /** false: tests and translation files are left out of the index. */
  readonly indexTestsAndTranslations: boolean;
  /** '' = the user's cache folder. */
  readonly indexLocation: string;
  /** Threads that chunk and embed while indexing; 0 = one per core. */
  readonly indexingThreads: number;
  /** The endpoint; `model` is the chat model quick actions use, `embeddingModel` the one search uses when `model` is 'openai'. */
  readonly llm: Readonly<{ baseUrl: string; model: string; embeddingModel: string }>;
  readonly maxResults: number;
  /** false: indexing is paused; only "Reindex Workspace" runs it (not start-up, file changes or settings). */
  readonly autoIndex: boolean;
}

/** The settings as seen from `scope` (a workspace folder: folder settings win). */
export function readSettings(scope?: vscode.ConfigurationScope): Settings {
  const config = vscode.workspace.getConfiguration('codeintent', scope);
  // settings.json is hand-edited: a value of the wrong type reads as the default.
  const text = (key: string, fallback: string) => {
    const value = config.get<unknown>(key);
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : fallback;
  };
  const count = (key: string, fallback: number, min: number, max: number) => {
    const value = config.get<unknown>(key);
    return typeof value === 'number' && Number.isFinite(value) ? Math.min(max, Math.max(min, Math.floor(value))) : fallback;
  };
  const globs = (key: string) => {
    const value = config.get<unknown>(key);
    return Object.freeze(Array.isArray(value) ? value.filter((g): g is string => typeof g === 'string' && g.trim() !== '') : []);
  };
  return Object.freeze({
    model: text('model', 'default'),
    adapter: text('adapter', 'default'),
    include: globs('include'),
    exclude: globs('exclude'),
    maxFileSize: count('maxFileSize', 1_048_576, 1024, Number.MAX_SAFE_INTEGER),
    indexTestsAndTranslations: config.get<unknown>('indexTestsAndTranslations') !== false,
    indexLocation: text('indexLocation', ''),
    indexingThreads: count('indexingThreads', 0, 0, 256),
    llm: Object.freeze({ baseUrl: text('llm.baseUrl', ''), model: text('llm.model', ''), embeddingModel: text('llm.embeddingModel', '') }),
    maxResults: count('maxResults', 30, 1, 200),
    autoIndex: config.get<unknown>('autoIndex') !== false,
  });
}

/** What a change takes: a new index run, reopening the folders (the adapter), or nothing (read on use). */
export type ChangeEffect = 'reindex' | 'reopen' | 'apply';

const EFFECTS: Readonly<Record<string, ChangeEffect>> = {
  model: 'reindex',
  'llm.baseUrl': 'reindex',
  'llm.embeddingModel': 'reindex',
  // The chat model is read when a quick action runs.
  'llm.model': 'apply',
  include: 'reindex',
  exclude: 'reindex',
  maxFileSize: 'reindex',
  indexTestsAndTranslations: 'reindex',
  indexLocation: 'reindex',
  // Taken by the next index run (the folder is reopened with it).
  indexingThreads: 'reopen',
  adapter: 'reopen',
  maxResults: 'apply',
  // Resuming catches up with what changed while paused.
  autoIndex: 'reindex',
};

const STRENGTH: readonly ChangeEffect[] = ['apply', 'reopen', 'reindex'];

/** The strongest effect among the changed settings; undefined when none of ours changed. */
export function changeEffect(event: vscode.ConfigurationChangeEvent): ChangeEffect | undefined {
  const effects = Object.entries(EFFECTS)
    .filter(([key]) => event.affectsConfiguration(`codeintent.${key}`))
    .map(([, effect]) => effect);
  return effects.sort((a, b) => STRENGTH.indexOf(b) - STRENGTH.indexOf(a))[0];
}

/** `~/x` from the home folder, a relative path from the workspace folder. */
function resolvePath(value: string, root: string): string {
  if (value === '~' || value.startsWith('~/')) return path.join(os.homedir(), value.slice(1));
  return path.resolve(root, value);
}

/** The worker's configuration of one workspace folder. */
export function folderConfig(folder: vscode.WorkspaceFolder, apiKey: string | undefined): FolderConfig {
  const settings = readSettings(folder.uri);
  const root = folder.uri.fsPath;
  let model = settings.model;
  const env: Record<string, string> = {};
  if (model === 'openai') {
    const { baseUrl, embeddingModel: name } = settings.llm;
    if (!baseUrl || !name) throw new SettingsError(baseUrl ? 'codeintent.llm.embeddingModel' : 'codeintent.llm.baseUrl', 'codeintent.model is "openai": set codeintent.llm.baseUrl and codeintent.llm.embeddingModel (and the key with "CodeIntent: Set API Key" if the server wants one)');
    model = `openai:${name}`;
    env['OPENAI_BASE_URL'] = baseUrl;
    if (apiKey) env['OPENAI_API_KEY'] = apiKey;
  } else if (model !== 'default' && model !== 'use-lite') {
    model = resolvePath(model, root);
  }
  const adapter = settings.adapter === 'default' || settings.adapter === 'none' ? settings.adapter : resolvePath(settings.adapter, root);
  // An index location holds one index per folder, laid out as the CLI's cache folder is; a storage
  // URI is a team's shared index, searched read-only with this folder's changes in a local overlay.
  const indexDir = isStorageUri(settings.indexLocation)
    ? settings.indexLocation
    : defaultIndexDir(root, settings.indexLocation ? { CODEINTENT_CACHE_DIR: resolvePath(settings.indexLocation, root) } : process.env);
  return {
    root,
    indexDir,
    model,
    adapter,
    crawl: { include: [...settings.include], exclude: [...settings.exclude], maxFileBytes: settings.maxFileSize, indexTestsAndTranslations: settings.indexTestsAndTranslations },
    indexingThreads: settings.indexingThreads,
    env,
  };
}

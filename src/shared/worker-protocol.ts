// The messages between the extension host (src/extension/indexClient.ts) and the indexing worker (src/extension/worker.ts).
// Everything here crosses a worker_threads port, so it is structured-clone data: no functions, no
// class instances. Neither side imports `vscode`.

import type { EditOutcome } from '../core/edit/propose.js';
import type { IndexSummary } from '../core/indexer.js';
import type { TuneProgress, TuneReport } from '../core/tune/index.js';
import type { FolderHit, FolderSearchResult } from '../core/search.js';
import type { LanguageId, Progress, SearchHit } from '../core/types.js';
import type { IndexStatus } from '../core/workspace.js';

/** The shipped files, found from the extension's folder: a CommonJS bundle cannot find them itself. */
export interface WorkerAssets {
  /** Holds models/ and adapters/. */
  packageRoot: string;
  grammarDir: string;
  treeSitterWasm: string;
  /** The index workers' bundle (dist/index-worker.cjs); absent: indexing chunks and embeds on the worker's own thread. */
  indexWorker?: string;
}

/** One workspace folder as the worker opens it, derived from the settings (config.ts). */
export interface FolderConfig {
  /** Absolute file-system path of the workspace folder. */
  root: string;
  indexDir: string;
  /** A core model choice: 'default', 'use-lite', 'openai:MODEL' or a model folder. */
  model: string;
  /** 'default', 'none' or an adapter folder. */
  adapter: string;
  crawl: { include: string[]; exclude: string[]; maxFileBytes: number; indexTestsAndTranslations: boolean };
  /** Threads that chunk and embed while indexing; 0 = one per core. */
  indexingThreads: number;
  /** OPENAI_BASE_URL and OPENAI_API_KEY for an 'openai:' model; never logged. */
  env: Record<string, string>;
}

export type IndexState =
  | { kind: 'none' }
  | { kind: 'indexing'; phase: Progress['phase']; done: number; total: number }
  /** `complete` is false after a cancelled run: what was finished is searchable. */
  | { kind: 'ready'; files: number; chunks: number; complete: boolean }
  | { kind: 'error'; message: string };

export interface FolderStatus {
  root: string;
  state: IndexState;
  /** What is on disk; absent when the folder has no index yet. */
  index?: IndexStatus;
  /** Where the query adapter search uses comes from ('identity': none). */
  adapter?: string;
}

/** A hit with the workspace folder its `path` is relative to (the core's multi-folder search gives them). */
export type Hit = FolderHit;

export interface SearchParams {
  query: string;
  top: number;
  language?: LanguageId;
  /** Only these workspace folders (all when absent). */
  roots?: string[];
  /** Only files under this folder, relative to each root. */
  pathPrefix?: string;
}

/** What `propose` needs: the folder, the search, the instruction and the endpoint (the key from SecretStorage). */
export interface ProposeParams {
  root: string;
  query: string;
  instruction: string;
  top: number;
  /** The results to edit (a quick action on search results); absent: the top hits of `query`. */
  hits?: SearchHit[];
  llm: { baseURL: string; model: string; apiKey?: string };
  /** Whether the folder's .codeintent/guidelines.md may go into the prompt (src/extension/guidelines-consent.ts). */
  useGuidelines: boolean;
}

/** How far a model's answer for one file has come (a streamed quick action). */
export interface AnswerProgress {
  phase: 'answer';
  path: string;
  chars: number;
}

/** What a long request reports while it runs: tune its phases, propose its answers. */
export type RequestProgress = TuneProgress | AnswerProgress;

/** Each request's parameters and result, by type. */
export interface Requests {
  /** Opens, replaces or closes folders so the worker holds exactly these. */
  configure: { params: { folders: FolderConfig[] }; result: void };
  /** Brings the folders' indexes up to date (all when `roots` is absent). */
  index: { params: { roots?: string[] }; result: { root: string; summary: IndexSummary }[] };
  search: { params: SearchParams; result: FolderSearchResult };
  status: { params: Record<string, never>; result: FolderStatus[] };
  /** Whether each folder has an index on disk: what start-up asks, cheaply (no store is opened). */
  indexed: { params: Record<string, never>; result: { root: string; indexed: boolean }[] };
  /** Deletes the folders' indexes; they stay empty until the next `index`. */
  clear: { params: { roots?: string[] }; result: void };
  tune: { params: { root: string }; result: TuneReport };
  /** Absolute paths created, changed or deleted; settles once the re-index they caused has. */
  fileChanged: { params: { paths: string[] }; result: void };
  /** LLM-proposed edits of one folder's hits for `query` (src/core/edit); nothing is written. */
  propose: { params: ProposeParams; result: EditOutcome };
}

export type RequestType = keyof Requests;

export type WorkerRequest = { [K in RequestType]: { type: K; id: number; params: Requests[K]['params'] } }[RequestType];

export type HostMessage = WorkerRequest | { type: 'cancel'; id: number };

/** 'user': a failure the user can act on (the message says how); 'bug': anything else (see the log). */
export interface WorkerError {
  kind: 'cancelled' | 'user' | 'bug';
  message: string;
  stack?: string;
}

export type WorkerMessage =
  | { type: 'response'; id: number; ok: true; result: unknown }
  | { type: 'response'; id: number; ok: false; error: WorkerError }
  | { type: 'progress'; id: number; progress: RequestProgress }
  | { type: 'state'; root: string; state: IndexState }
  | { type: 'log'; level: LogLevel; message: string };

/** 'debug': details (skipped files, parser fallbacks), shown when the log channel's level asks for them. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

// The indexing worker (a worker_threads Worker): owns one core Workspace per workspace folder
// (folder.ts) so that crawling, parsing, embedding and LanceDB never run on the extension host's
// event loop. Here its requests (src/shared/worker-protocol.ts) are dispatched to those folders,
// and their index states reported; it decides nothing on its own, not even when to index.

import { parentPort, workerData } from 'node:worker_threads';
import { messageOf, userFailure, UserError } from '../core/errors.js';
import { searchFolders } from '../core/search.js';
import type { FolderConfig, HostMessage, LogLevel, Requests, WorkerAssets, WorkerError, WorkerMessage, WorkerRequest } from '../shared/worker-protocol.js';
import { Folder, type FolderEvents } from './folder.js';
import { Cancelled } from './indexQueue.js';

if (!parentPort) throw new Error('worker.ts runs as a worker thread of the CodeIntent extension');
const port = parentPort;
const assets = workerData as WorkerAssets;

function post(message: WorkerMessage): void {
  port.postMessage(message);
}

function log(level: LogLevel, message: string): void {
  post({ type: 'log', level, message });
}

const events: FolderEvents = { log, state: (root, state) => post({ type: 'state', root, state }) };

const folders = new Map<string, { folder: Folder; key: string }>();

function selected(roots: readonly string[] | undefined): Folder[] {
  const all = [...folders.values()].map((entry) => entry.folder);
  return roots ? all.filter((folder) => roots.includes(folder.root)) : all;
}

function folderAt(root: string): Folder {
  const folder = folders.get(root)?.folder;
  if (!folder) throw new UserError(`${root} is not an open workspace folder`);
  return folder;
}

/** Other requests wait for the configuration sent before them: they must see the folders it set up. */
let configuring: Promise<void> = Promise.resolve();

function reconfigure(configs: readonly FolderConfig[]): Promise<void> {
  configuring = configuring.catch(() => undefined).then(() => configure(configs));
  return configuring;
}

async function configure(configs: readonly FolderConfig[]): Promise<void> {
  const wanted = new Map(configs.map((config) => [config.root, config]));
  for (const [root, entry] of folders) {
    const config = wanted.get(root);
    if (config && JSON.stringify(config) === entry.key) continue;
    folders.delete(root);
    await entry.folder.close();
  }
  for (const [root, config] of wanted) {
    if (!folders.has(root)) folders.set(root, { folder: new Folder(config, assets, events), key: JSON.stringify(config) });
  }
}

/** Settles every folder's run; fails with the first failure once all have finished. */
async function each<T>(list: readonly Folder[], work: (folder: Folder) => Promise<T>): Promise<T[]> {
  const settled = await Promise.allSettled(list.map(work));
  const failure = settled.find((s) => s.status === 'rejected');
  if (failure) throw failure.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

function cancelOnAbort(signal: AbortSignal, list: readonly Folder[]): void {
  signal.addEventListener('abort', () => list.forEach((folder) => folder.cancel()), { once: true });
}

/** One ranking over every selected folder (the core's `searchFolders`). */
function search({ query, top, language, roots, pathPrefix }: Requests['search']['params'], signal: AbortSignal): Promise<Requests['search']['result']> {
  return searchFolders(selected(roots), query, { mode: 'hybrid', top, signal, language, pathPrefix });
}

async function dispatch(request: WorkerRequest, signal: AbortSignal): Promise<unknown> {
  if (request.type !== 'configure') await configuring.catch(() => undefined);
  switch (request.type) {
    case 'configure':
      return reconfigure(request.params.folders);
    case 'index': {
      const list = selected(request.params.roots);
      cancelOnAbort(signal, list);
      return each(list, async (folder) => ({ root: folder.root, summary: await folder.index() }));
    }
    case 'search':
      return search(request.params, signal);
    case 'status':
      return each(selected(undefined), (folder) => folder.status());
    case 'indexed':
      return each(selected(undefined), async (folder) => ({ root: folder.root, indexed: await folder.hasIndex() }));
    case 'clear':
      return each(selected(request.params.roots), (folder) => folder.clear());
    case 'tune':
      return folderAt(request.params.root).tune(signal, (progress) => post({ type: 'progress', id: request.id, progress }));
    case 'propose':
      return folderAt(request.params.root).propose(request.params, signal, (progress) => post({ type: 'progress', id: request.id, progress }));
    case 'fileChanged': {
      const { paths } = request.params;
      await each(selected(undefined), (folder) => folder.changed(paths));
      return undefined;
    }
  }
}

function describe(error: unknown): WorkerError {
  if (error instanceof Cancelled || (error instanceof Error && error.name === 'AbortError')) return { kind: 'cancelled', message: messageOf(error) };
  const failure = userFailure(error);
  if (failure) return { kind: 'user', message: failure.message };
  return { kind: 'bug', message: messageOf(error), ...(error instanceof Error && error.stack ? { stack: error.stack } : {}) };
}

const requests = new Map<number, AbortController>();

async function handle(request: WorkerRequest): Promise<void> {
  const controller = new AbortController();
  requests.set(request.id, controller);
  try {
    const result = await dispatch(request, controller.signal);
    post({ type: 'response', id: request.id, ok: true, result });
  } catch (error) {
    post({ type: 'response', id: request.id, ok: false, error: controller.signal.aborted ? { kind: 'cancelled', message: 'cancelled' } : describe(error) });
  } finally {
    requests.delete(request.id);
  }
}

port.on('message', (message: HostMessage) => {
  if (message.type === 'cancel') requests.get(message.id)?.abort(new Cancelled('cancelled'));
  else void handle(message);
});

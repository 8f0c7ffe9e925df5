// What the test files that run `codeintent edit` share: for the file's tests, a scratch folder, a
// small random static model (no real model needed) and the OpenAI-protocol test server; fresh
// projects scripted for one test each; and the real CLI pointed at that server.

import path from 'node:path';
import { after, before } from 'node:test';
import { startChatServer, type ChatHandler, type ChatServer } from './chat-server.js';
import { runCodeintent, type Run, type RunOptions } from './cli.js';
import { tempDir, writeTree } from './fs.js';
import { makeRandomStaticModel } from './model.js';

export interface EditSuite {
  /** The scratch folder (projects, the CLI's cache and working folder are in it). */
  readonly dir: string;
  /** The static model folder, for `--embedding-model` / `--model`. */
  readonly model: string;
  readonly server: ChatServer;
  /** A fresh project holding `files` (edits write to it), the server scripted by `handler`; `from` is its first request's index. */
  project(files: Record<string, string>, handler?: ChatHandler): Promise<{ root: string; from: number }>;
  /** The real CLI, with the test server as its LLM endpoint (`options.env` on top). */
  codeintent(args: readonly string[], options?: Partial<RunOptions>): Promise<Run>;
}

/** Registers the file's before/after hooks; the fields are there once `before` has run. */
export function editSuite(prefix: string): EditSuite {
  let scratch: { dir: string; cleanup: () => Promise<void> } | undefined;
  let model = '';
  let server: ChatServer | undefined;
  let projects = 0;
  before(async () => {
    scratch = await tempDir(prefix);
    model = await makeRandomStaticModel(path.join(scratch.dir, 'model'));
    server = await startChatServer(() => ({ status: 500 }));
  });
  after(async () => {
    await server?.close();
    await scratch?.cleanup();
  });
  const ready = () => {
    if (!scratch || !server) throw new Error('the edit suite is used before its before() hook ran');
    return { dir: scratch.dir, server };
  };
  return {
    get dir() {
      return ready().dir;
    },
    get model() {
      return model;
    },
    get server() {
      return ready().server;
    },
    async project(files, handler = () => ({ status: 500 })) {
      const { dir, server: chat } = ready();
      const root = path.join(dir, `project-${++projects}`);
      await writeTree(root, files);
      chat.setHandler(handler);
      return { root, from: chat.requests.length };
    },
    codeintent(args, options = {}) {
      const { dir, server: chat } = ready();
      return runCodeintent(args, {
        cwd: dir,
        cacheDir: path.join(dir, 'cache'),
        ...options,
        env: { OPENAI_BASE_URL: chat.baseURL, OPENAI_API_KEY: 'test-key-0123456789', CODEINTENT_LLM_MODEL: 'test-model', CODEINTENT_LLM_TIMEOUT_MS: '5000', ...options.env },
      });
    },
  };
}

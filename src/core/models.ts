// Which embedding model a workspace uses, from one choice string (the CLI's --model, later the
// extension's setting).

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EmbedderSpec } from './embed/index.js';
import { UserError } from './errors.js';
import { pathExists } from './files.js';

/**
 * Where the files CodeIntent ships live. Run from the package (CLI, scripts, tests) they are found
 * from this module's location; a bundle (the extension) has no `import.meta.url` and passes its own.
 */
export interface PackageFiles {
  /** The model the project trained and ships (models/README.md says how it was chosen). */
  defaultModel: string;
  /** The shipped query adapters. */
  adapters: string;
  /** Folder of the tree-sitter grammars; absent: the installed `@repomix/tree-sitter-wasms`. */
  grammars?: string;
  /** `web-tree-sitter.wasm`; absent: web-tree-sitter finds its own. */
  treeSitterWasm?: string;
}

/** The repository (or installed package) root: out/src/core/ → ../../../. Computed on use: a bundle cannot. */
export function packageRoot(): string {
  return fileURLToPath(new URL('../../../', import.meta.url));
}

/** The model and adapters of a folder laid out like this repository (the extension's is). */
export function packageFiles(root = packageRoot()): PackageFiles {
  return { defaultModel: path.join(root, 'models', 'code-static-v1'), adapters: path.join(root, 'adapters') };
}

export const MODEL_CHOICES_HELP = "'default', 'use-lite', 'openai:MODEL' (OPENAI_BASE_URL, OPENAI_API_KEY) or a model folder";


export async function resolveModel(choice: string, env: NodeJS.ProcessEnv = process.env, files?: PackageFiles): Promise<EmbedderSpec> {
  if (choice === 'default') return { kind: 'static', modelPath: (files ?? packageFiles()).defaultModel };
  if (choice === 'use-lite') return { kind: 'use-lite' };
  if (choice.startsWith('openai:')) {
    const baseURL = env['OPENAI_BASE_URL'];
    if (!baseURL) throw new UserError(`--model ${choice} needs OPENAI_BASE_URL (and OPENAI_API_KEY if the server wants one)`);
    const apiKey = env['OPENAI_API_KEY'];
    return { kind: 'openai', baseURL, model: choice.slice('openai:'.length), ...(apiKey ? { apiKey } : {}) };
  }
  const folder = path.resolve(choice);
  if (await pathExists(path.join(folder, 'model.json'))) return { kind: 'static', modelPath: folder };
  if (await pathExists(path.join(folder, 'config.json'))) return { kind: 'transformers', modelPath: folder };
  throw new UserError(`unknown model ${JSON.stringify(choice)}: expected ${MODEL_CHOICES_HELP}`);
}

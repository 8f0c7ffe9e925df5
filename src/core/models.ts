// Which embedding model a workspace uses, from one choice string (the CLI's --model, later the
// extension's setting).

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EmbedderSpec } from './embed/index.js';
import { UserError } from './errors.js';
import { pathExists } from './files.js';

/**
 * The repository (or installed package) root: out/src/core/ → ../../../. A CommonJS bundle (the VS
 * Code extension) has no import.meta.url: there it is '' and the host passes its own folder instead
 * (`WorkspaceOptions.assets`).
 */
export const PACKAGE_ROOT = typeof import.meta.url === 'string' ? fileURLToPath(new URL('../../../', import.meta.url)) : '';

/** Where a package root keeps the model the project trained and ships (its card says how it was trained). */
const DEFAULT_MODEL_SUBDIR = path.join('models', 'code-static-v3');
/** This package's default model (scripts and tests; a bundle passes its own root to resolveModel). */
export const DEFAULT_MODEL_DIR = path.join(PACKAGE_ROOT, DEFAULT_MODEL_SUBDIR);
export const SHIPPED_ADAPTERS_DIR = path.join(PACKAGE_ROOT, 'adapters');
export const SHIPPED_RANKERS_DIR = path.join(PACKAGE_ROOT, 'rankers');

export const MODEL_CHOICES_HELP = "'default', 'use-lite', 'openai:MODEL' (OPENAI_BASE_URL, OPENAI_API_KEY) or a model folder";


/** `packageRoot` is the folder holding models/ (default: this package's). */
export async function resolveModel(choice: string, env: NodeJS.ProcessEnv = process.env, packageRoot = PACKAGE_ROOT): Promise<EmbedderSpec> {
  if (choice === 'default') return { kind: 'static', modelPath: path.join(packageRoot, DEFAULT_MODEL_SUBDIR) };
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

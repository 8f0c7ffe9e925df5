import path from 'node:path';
import envPaths from 'env-paths';
import { isStorageUri } from './storage-uri.js';
import { sha256Hex } from './util/hash.js';

/**
 * Where indexes live by default: the user's cache folder (never the workspace), or
 * CODEINTENT_CACHE_DIR when set.
 */
export function cacheHome(env: NodeJS.ProcessEnv = process.env): string {
  return env['CODEINTENT_CACHE_DIR'] || envPaths('codeintent', { suffix: '' }).cache;
}

/** One folder per workspace, named so a person can tell which is which. */
export function defaultIndexDir(root: string, env: NodeJS.ProcessEnv = process.env): string {
  return cacheFolder('indexes', root, '', env);
}

/** `kind/NAME-DIGEST` in the cache folder: the workspace folder's name, and a digest of its path (and `salt`). */
function cacheFolder(kind: string, root: string, salt: string, env: NodeJS.ProcessEnv): string {
  const absolute = path.resolve(root);
  const digest = sha256Hex(salt === '' ? absolute : `${absolute}\n${salt}`).slice(0, 12);
  const name = path.basename(absolute).replace(/[^A-Za-z0-9._-]+/g, '_') || 'root';
  return path.join(cacheHome(env), kind, `${name}-${digest}`);
}

/** Whether the workspace-relative `file` is one of `paths` or lies under one of them. */
export function isAtOrUnder(file: string, paths: readonly string[]): boolean {
  return paths.some((p) => file === p || file.startsWith(`${p}/`));
}

/** Workspace-relative path with forward slashes. */
export function toPosixRelative(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}

/** Where a workspace's own index writes go: `location` itself, or for a shared index (read, not published) its local overlay. */
export function localIndexDir(root: string, location: string, env: NodeJS.ProcessEnv = process.env): string {
  return isStorageUri(location) ? overlayIndexDir(root, location, env) : path.resolve(location);
}

/** The local overlay of a shared index (overlay.ts) for this workspace: one per workspace and index. */
export function overlayIndexDir(root: string, uri: string, env: NodeJS.ProcessEnv = process.env): string {
  return cacheFolder('overlays', root, uri, env);
}

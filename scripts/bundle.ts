// The esbuild set-ups: one for everything that runs inside VS Code's extension host — the extension's
// entries (scripts/package.ts), its tests (scripts/e2e/run.ts) and the worker test — and one for the
// sidebar's script. The host loads CommonJS, and this package is "type": "module", so every
// extension-host bundle is a .cjs file.

import { createRequire } from 'node:module';
import { build, type Metafile } from 'esbuild';
import { PACKAGE_ROOT } from '../src/core/models.js';

const require = createRequire(import.meta.url);

/**
 * Left out of every bundle:
 * - `vscode`, which the host provides;
 * - native addons (`*.node`): their `require('./x.node')` stays and finds the copy next to the bundle;
 * - LanceDB's per-platform packages, whose loader first tries `./lancedb.<triple>.node` (copied);
 * - the optional embedding backends that bring native or many-megabyte runtimes (ONNX Runtime,
 *   TensorFlow.js): the extension ships the default static model only;
 * - the TypeScript compiler, loaded only to check a proposed edit (scripts/package.ts ships it).
 */
const EXTERNAL = ['vscode', '*.node', '@lancedb/lancedb-*', '@huggingface/transformers', '@energetic-ai/*', 'typescript'];

/**
 * Bundles each entry (`{ name: source }`) to `<outdir>/<name>.cjs`; `external` adds to EXTERNAL.
 * Returns esbuild's metafile (inputs relative to the package root): test/architecture.test.ts reads it.
 */
export async function bundleForExtensionHost(entries: Record<string, string>, outdir: string, external: readonly string[] = []): Promise<Metafile> {
  const { metafile } = await build({
    entryPoints: entries,
    outdir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20', // VS Code 1.95's extension host
    outExtension: { '.js': '.cjs' },
    external: [...EXTERNAL, ...external],
    // The ESM build of web-tree-sitter finds its files through import.meta.url, which a CommonJS
    // bundle lacks; its CommonJS build uses __dirname, i.e. the bundle's folder.
    // apache-arrow: the core's `import` and LanceDB's `require` must get one copy (src/core/arrow.ts).
    alias: { 'web-tree-sitter': require.resolve('web-tree-sitter'), 'apache-arrow': require.resolve('apache-arrow') },
    // The core's import.meta.url defaults (PACKAGE_ROOT, the installed grammars) are never reached
    // in a bundle: the extension passes its own files (WorkspaceOptions.assets, from src/extension/main.ts).
    logOverride: { 'empty-import-meta': 'silent' },
    sourcemap: 'linked',
    logLevel: 'warning',
    absWorkingDir: PACKAGE_ROOT,
    metafile: true,
  });
  return metafile;
}

/** Bundles the sidebar's script for the webview (a browser): one self-contained IIFE, no Node. Returns the metafile. */
export async function bundleForWebview(entry: string, outfile: string): Promise<Metafile> {
  const { metafile } = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    sourcemap: 'linked',
    logLevel: 'warning',
    absWorkingDir: PACKAGE_ROOT,
    metafile: true,
  });
  return metafile;
}

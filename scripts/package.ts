// npm run package — builds the extension into dist/ and writes codeintent-linux-x64-<version>.vsix.
//
// dist/ holds the bundles (extension.cjs, worker.cjs, and webview.js for the sidebar) with what they
// load from disk next to them: LanceDB's native addon, web-tree-sitter's runtime, the grammars and
// the codicon font, and the TypeScript compiler in dist/node_modules. The model, the adapters, the
// rankers and media/ ship from their own folders; .vscodeignore lets nothing else in.

import { readdirSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createVSIX } from '@vscode/vsce';
import { grammarFile } from '../src/core/chunk/languages.js';
import { messageOf } from '../src/core/errors.js';
import { bundleForExtensionHost, bundleForWebview } from './bundle.js';
import { PACKAGE_ROOT } from '../src/core/models.js';

const require = createRequire(import.meta.url);

const DIST = path.join(PACKAGE_ROOT, 'dist');
const TARGET = 'linux-x64';

/** Extension-host bundle name → source. */
const ENTRIES: Record<string, string> = {
  extension: 'src/extension/main.ts',
  worker: 'src/extension/worker.ts',
};
/** The sidebar's script (runs in the webview, a browser). */
const WEBVIEW_ENTRY = 'src/webview/main.ts';

/** Files loaded at run time, copied into dist/ (destination relative to dist/ → source). */
function runtimeFiles(): Record<string, string> {
  const lancedb = path.dirname(require.resolve('@lancedb/lancedb-linux-x64-gnu/package.json'));
  const grammars = path.dirname(require.resolve('@repomix/tree-sitter-wasms/package.json'));
  const codicons = path.dirname(require.resolve('@vscode/codicons/dist/codicon.css'));
  return {
    // LanceDB's loader tries ./lancedb.<triple>.node next to the bundle first.
    'lancedb.linux-x64-gnu.node': path.join(lancedb, 'lancedb.linux-x64-gnu.node'),
    'web-tree-sitter.wasm': require.resolve('web-tree-sitter/web-tree-sitter.wasm'),
    ...Object.fromEntries(Object.values(grammarFile).map((file) => [path.join('grammars', file), path.join(grammars, 'out', file)])),
    'codicons/codicon.css': path.join(codicons, 'codicon.css'),
    'codicons/codicon.ttf': path.join(codicons, 'codicon.ttf'),
    ...typescriptFiles(),
  };
}

/**
 * The TypeScript compiler, for the check of proposed edits: left out of the worker's bundle (9 MB of
 * JavaScript would slow every start-up by ~0.3 s) and found by `require('typescript')` from dist/,
 * with the lib.*.d.ts it reads from its own folder, and its licence.
 */
function typescriptFiles(): Record<string, string> {
  const root = path.dirname(require.resolve('typescript/package.json'));
  const libs = readdirSync(path.join(root, 'lib')).filter((name) => /^lib\..*\.d\.ts$/.test(name));
  return Object.fromEntries(
    ['package.json', 'LICENSE.txt', 'ThirdPartyNoticeText.txt', 'lib/typescript.js', ...libs.map((name) => `lib/${name}`)].map((file) => [`node_modules/typescript/${file}`, path.join(root, file)]),
  );
}

/** Rebuilds dist/: the bundles and the files they load. */
async function buildDist(): Promise<void> {
  await rm(DIST, { recursive: true, force: true });
  await bundleForExtensionHost(Object.fromEntries(Object.entries(ENTRIES).map(([name, source]) => [name, path.join(PACKAGE_ROOT, source)])), DIST);
  await bundleForWebview(path.join(PACKAGE_ROOT, WEBVIEW_ENTRY), path.join(DIST, 'webview.js'));
  for (const [destination, source] of Object.entries(runtimeFiles())) {
    await mkdir(path.dirname(path.join(DIST, destination)), { recursive: true });
    await copyFile(source, path.join(DIST, destination));
  }
}

export async function vsixPath(): Promise<string> {
  const { name, version } = JSON.parse(await readFile(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
  return path.join(PACKAGE_ROOT, `${name}-${TARGET}-${version}.vsix`);
}

/** Builds dist/ and packs the VSIX; returns its path. */
export async function packageExtension(): Promise<string> {
  await buildDist();
  const packagePath = await vsixPath();
  // Everything the extension needs is in dist/ or in the whitelisted folders: no node_modules.
  // The README's relative links stay as they are: there is no public repository to point them at.
  await createVSIX({
    cwd: PACKAGE_ROOT,
    packagePath,
    target: TARGET,
    dependencies: false,
    allowMissingRepository: true,
    rewriteRelativeLinks: false,
    skipLicense: true,
    // The marketplace page says what users do; the repository's README.md is for developers.
    readmePath: 'docs/marketplace/README.md',
  });
  return packagePath;
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && import.meta.url === pathToFileURL(path.resolve(invokedPath)).href) {
  const started = performance.now();
  packageExtension().then(
    async (vsix) => {
      const megabytes = (await stat(vsix)).size / 1024 / 1024;
      console.log(`${path.relative(process.cwd(), vsix)}: ${megabytes.toFixed(1)} MB, in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    },
    (error: unknown) => {
      console.error(`package failed: ${messageOf(error)}`);
      process.exitCode = 1;
    },
  );
}

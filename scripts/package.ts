// npm run package — builds the extension into dist/ and writes one VSIX per platform of platforms.ts,
// codeintent-<target>-<version>.vsix (linux-x64, linux-arm64, darwin-arm64, win32-x64), each checked
// by vsix-check.ts. `npm run package -- --target linux-x64` (repeatable) builds only those.
//
// dist/ holds the bundles (extension.cjs, worker.cjs, index-worker.cjs, and webview.js for the sidebar) with what they
// load from disk next to them: web-tree-sitter's runtime, the grammars, the codicon font, the
// TypeScript compiler in dist/node_modules and the platform's LanceDB native addon (lancedb-addon.ts),
// the only part that differs between VSIXs. The model, the adapters, the rankers and media/ ship from
// their own folders; .vscodeignore lets nothing else in.

import { readdirSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createVSIX } from '@vscode/vsce';
import { grammarFile } from '../src/core/chunk/languages.js';
import { messageOf } from '../src/core/errors.js';
import { bundleForExtensionHost, bundleForWebview } from './bundle.js';
import { placeLanceAddon } from './lancedb-addon.js';
import { HOST_TARGET, platformOf, PLATFORMS, type Platform } from './platforms.js';
import { parseFlags, runScript, UsageError } from './script-args.js';
import { checkVsix } from './vsix-check.js';
import { PACKAGE_ROOT } from '../src/core/models.js';

const require = createRequire(import.meta.url);

const DIST = path.join(PACKAGE_ROOT, 'dist');

/** Extension-host bundle name → source. */
const ENTRIES: Record<string, string> = {
  extension: 'src/extension/main.ts',
  worker: 'src/extension/worker.ts',
  // Started by the worker's index runs (src/core/index-pool.ts), found through WorkerAssets.indexWorker.
  'index-worker': 'src/core/index-worker.ts',
};
/** The sidebar's script (runs in the webview, a browser). */
const WEBVIEW_ENTRY = 'src/webview/main.ts';

/** Files loaded at run time on every platform, copied into dist/ (destination relative to dist/ → source). */
function runtimeFiles(): Record<string, string> {
  const grammars = path.dirname(require.resolve('@repomix/tree-sitter-wasms/package.json'));
  const codicons = path.dirname(require.resolve('@vscode/codicons/dist/codicon.css'));
  return {
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

/** Rebuilds dist/: the bundles and the files they load, but no native addon. */
async function buildDist(): Promise<void> {
  await rm(DIST, { recursive: true, force: true });
  await bundleForExtensionHost(Object.fromEntries(Object.entries(ENTRIES).map(([name, source]) => [name, path.join(PACKAGE_ROOT, source)])), DIST);
  await bundleForWebview(path.join(PACKAGE_ROOT, WEBVIEW_ENTRY), path.join(DIST, 'webview.js'));
  for (const [destination, source] of Object.entries(runtimeFiles())) {
    await mkdir(path.dirname(path.join(DIST, destination)), { recursive: true });
    await copyFile(source, path.join(DIST, destination));
  }
}

export async function vsixPath({ target }: Platform): Promise<string> {
  const { name, version } = JSON.parse(await readFile(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
  return path.join(PACKAGE_ROOT, `${name}-${target}-${version}.vsix`);
}

/** Makes `platform`'s LanceDB addon the only native addon in dist/. */
async function useAddonOf(platform: Platform): Promise<void> {
  for (const name of await readdir(DIST)) if (name.endsWith('.node')) await rm(path.join(DIST, name));
  await placeLanceAddon(platform, DIST);
}

/**
 * Builds dist/ and packs a VSIX for each platform; returns their paths. This machine's is packed
 * last, so that dist/ is left with its addon: the e2e tests run the extension from dist/ too.
 */
export async function packageExtension(platforms: readonly Platform[] = PLATFORMS): Promise<string[]> {
  await buildDist();
  const vsixes: string[] = [];
  for (const platform of [...platforms].sort((a, b) => Number(a.target === HOST_TARGET) - Number(b.target === HOST_TARGET))) {
    await useAddonOf(platform);
    const packagePath = await vsixPath(platform);
    // Everything the extension needs is in dist/ or in the whitelisted folders: no node_modules.
    // The README's relative links stay as they are: there is no public repository to point them at.
    await createVSIX({
      cwd: PACKAGE_ROOT,
      packagePath,
      target: platform.target,
      dependencies: false,
      allowMissingRepository: true,
      rewriteRelativeLinks: false,
      skipLicense: true,
      // The marketplace page says what users do; the repository's README.md is for developers.
      readmePath: 'docs/marketplace/README.md',
    });
    await checkVsix(packagePath, platform);
    vsixes.push(packagePath);
  }
  return vsixes;
}

const HELP = `Usage: npm run package [-- --target TARGET ...]
  --target TARGET   build only this platform's VSIX (repeatable): ${PLATFORMS.map((p) => p.target).join(', ')} (default: all)`;

async function main(): Promise<void> {
  const flags = parseFlags({ target: { type: 'string', multiple: true } });
  let platforms: Platform[];
  try {
    platforms = (flags.target ?? PLATFORMS.map((p) => p.target)).map(platformOf);
  } catch (error) {
    throw new UsageError(messageOf(error));
  }
  const started = performance.now();
  try {
    for (const vsix of await packageExtension(platforms)) {
      console.log(`${path.relative(process.cwd(), vsix)}: ${((await stat(vsix)).size / 1024 / 1024).toFixed(1)} MB`);
    }
  } catch (error) {
    console.error(`package failed: ${messageOf(error)}`);
    process.exitCode = 1;
    return;
  }
  console.log(`packaged in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && import.meta.url === pathToFileURL(path.resolve(invokedPath)).href) runScript(main, HELP);

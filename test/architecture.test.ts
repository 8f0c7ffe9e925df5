// The layers and the one direction of their imports (docs/architecture.md): checked on the sources,
// and on what esbuild actually puts into the extension's, the worker's and the sidebar's bundles.

import assert from 'node:assert/strict';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { Metafile } from 'esbuild';
import { bundleForExtensionHost, bundleForWebview } from '../scripts/bundle.js';
import { PACKAGE_ROOT } from '../src/core/models.js';
import { tempDir, writeTree } from './helpers/fs.js';

const SRC = path.join(PACKAGE_ROOT, 'src');

type Layer = 'core' | 'shared' | 'training' | 'cli' | 'extension' | 'webview';

/** What each layer of src/ may import from src/; only the extension may import `vscode`. */
const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  core: ['core'],
  shared: ['core', 'shared'],
  training: ['core', 'training'],
  cli: ['core', 'shared', 'cli'],
  extension: ['core', 'shared', 'extension'],
  webview: ['core', 'shared', 'webview'],
};

function layerOf(src: string, file: string): Layer {
  const layer = path.relative(src, file).split(path.sep)[0] as Layer;
  assert.ok(layer in MAY_IMPORT, `${path.relative(src, file)} is in no known layer: add it to docs/architecture.md and MAY_IMPORT`);
  return layer;
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => path.join(e.parentPath, e.name));
}

/** Every module specifier a file names: static and dynamic imports, re-exports, require(). */
function specifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [/\b(?:import|export)\s[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const pattern of patterns) for (const m of source.matchAll(pattern)) found.push(m[1] ?? '');
  return found;
}

/** `layer imports target` lines that break the rules, for every file under `src`. */
async function violations(src: string): Promise<string[]> {
  const out: string[] = [];
  for (const file of await sourceFiles(src)) {
    const from = layerOf(src, file);
    for (const spec of specifiers(await readFile(file, 'utf8'))) {
      const name = path.relative(src, file);
      if (spec === 'vscode') {
        if (from !== 'extension') out.push(`${name} imports vscode`);
        continue;
      }
      if (!spec.startsWith('.')) continue;
      const target = path.resolve(path.dirname(file), spec);
      if (!target.startsWith(src + path.sep)) {
        out.push(`${name} imports ${spec}, outside src/`);
        continue;
      }
      const to = layerOf(src, target);
      if (!MAY_IMPORT[from].includes(to)) out.push(`${name} (${from}) imports ${spec} (${to})`);
    }
  }
  return out;
}

describe('architecture: imports run one way', () => {
  const outdir = path.join(PACKAGE_ROOT, 'out', 'architecture-test', String(process.pid));
  after(() => rm(outdir, { recursive: true, force: true }));

  test('the specifier reader sees every form of import', () => {
    const source = [
      "import a from '../a.js';",
      "import type { B } from './b.js';",
      "export { c } from '../c.js';",
      "import './side-effect.js';",
      "const d = await import('../d.js');",
      "const e = require('vscode');",
      'import {\n  f,\n  g,\n} from "../../f.js";',
    ].join('\n');
    assert.deepEqual(specifiers(source).sort(), ['../../f.js', '../a.js', '../c.js', '../d.js', './b.js', './side-effect.js', 'vscode'].sort());
  });

  test('the check names each import that runs the wrong way', async () => {
    const scratch = await tempDir('codeintent-arch-');
    try {
      await writeTree(path.join(scratch.dir, 'src'), {
        'core/a.ts': "import { b } from '../cli/b.js';\nimport * as vscode from 'vscode';\n",
        'cli/b.ts': "export { c } from '../core/c.js';\n",
        'core/c.ts': 'export const c = 1;\n',
        'webview/d.ts': "import type { E } from '../extension/e.js';\n",
        'extension/e.ts': "import { run } from '../cli/b.js';\n",
      });
      assert.deepEqual((await violations(path.join(scratch.dir, 'src'))).sort(), [
        'core/a.ts (core) imports ../cli/b.js (cli)',
        'core/a.ts imports vscode',
        'extension/e.ts (extension) imports ../cli/b.js (cli)',
        'webview/d.ts (webview) imports ../extension/e.js (extension)',
      ]);
    } finally {
      await scratch.cleanup();
    }
  });

  test('no layer of src/ imports one it stands above or beside, and only the extension imports vscode', async () => {
    assert.deepEqual(await violations(SRC), []);
  });

  test('the bundles the extension ships hold nothing of training, the CLI or (for the sidebar) the extension', async () => {
    const host = await bundleForExtensionHost(
      { extension: path.join(SRC, 'extension', 'main.ts'), worker: path.join(SRC, 'extension', 'worker.ts'), 'index-worker': path.join(SRC, 'core', 'index-worker.ts') },
      outdir,
    );
    const webview = await bundleForWebview(path.join(SRC, 'webview', 'main.ts'), path.join(outdir, 'webview.js'));
    const inputs = (metafile: Metafile): string[] => Object.keys(metafile.inputs).filter((input) => input.startsWith('src/'));
    const hostInputs = inputs(host);
    assert.ok(hostInputs.some((input) => input.startsWith('src/core/')), 'the metafile lists the sources it bundled');
    assert.deepEqual(hostInputs.filter((input) => /^src\/(training|cli|webview)\//.test(input)), []);
    const viewInputs = inputs(webview);
    assert.ok(viewInputs.includes('src/webview/main.ts'));
    assert.deepEqual(viewInputs.filter((input) => /^src\/(training|cli|extension)\//.test(input)), []);
  });
});

// Peak memory and time of `codeintent index --max-file-size 100000000` on a workspace that holds one
// huge source file (default 50 MB, generated) and a few normal ones: the figure in
// docs/security.md (the index-repair section). Real CLI, real files, a small random static model.
//
//   npx tsc -p tsconfig.json && node out/scripts/large-file-memory.js [--mb 50]

import path from 'node:path';
import { runCodeintent } from '../test/helpers/cli.js';
import { tempDir, writeTree } from '../test/helpers/fs.js';
import { peakMemory, writeLargeSource } from '../test/helpers/large-source.js';
import { makeRandomStaticModel } from '../test/helpers/model.js';
import { num, out, parseFlags, runScript } from './script-args.js';

const HELP = 'Usage: node out/scripts/large-file-memory.js [--mb N]   (N: size of the huge file in MB, default 50)';

async function main(): Promise<void> {
  const flags = parseFlags({ mb: { type: 'string' } });
  const bytes = (num('mb', flags.mb) ?? 50) * 1_000_000;
  const scratch = await tempDir('codeintent-large-file-');
  try {
    const project = path.join(scratch.dir, 'project');
    await writeTree(project, Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`src/normal${i}.ts`, `export function computeInvoiceTotal${i}(amount: number) {\n  return amount * ${i + 2};\n}\n`])));
    await writeLargeSource(path.join(project, 'src/huge.ts'), bytes);
    const model = await makeRandomStaticModel(path.join(scratch.dir, 'model'));
    let peak = (): number => 0;
    const started = performance.now();
    const run = await runCodeintent(['index', project, '--db', path.join(scratch.dir, 'db'), '--model', model, '--max-file-size', '100000000', '--verbose'], {
      cwd: scratch.dir,
      cacheDir: path.join(scratch.dir, 'cache'),
      onStart: (child) => (peak = peakMemory(child)),
    });
    out(`${run.stdout.trimEnd()}\n${run.stderr.trimEnd()}`);
    out(`exit ${run.code}; peak memory ${Math.round(peak() / 2 ** 20)} MB; ${((performance.now() - started) / 1000).toFixed(1)} s for a ${(bytes / 1e6).toFixed(0)} MB file`);
  } finally {
    await scratch.cleanup();
  }
}

runScript(main, HELP);

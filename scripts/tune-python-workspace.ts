// Builds the held-out Python workspace that `codeintent tune` is measured on (docs/quality.md,
// "`codeintent tune`"): the files of every Debian python3-* package whose split is `test` in the
// corpus's packages.jsonl, each package in a folder of its own, in one workspace folder. None of
// it was seen when the model or the shipped ranker were trained.
//
//   node out/scripts/tune-python-workspace.js [--out DIR]     (default .cache/tune/python-test)
//   node out/src/cli/main.js tune DIR

import { cp, rm } from 'node:fs/promises';
import path from 'node:path';
import { corpusPaths, packageDirName, readJsonLines, type CatalogEntry } from './corpus/common.js';
import { PACKAGE_ROOT } from '../src/core/models.js';
import { out, parseFlags, runScript } from './script-args.js';

const HELP = 'usage: node out/scripts/tune-python-workspace.js [--out DIR]';

type PackageLine = CatalogEntry & { split?: string };

async function main(): Promise<void> {
  const flags = parseFlags({ out: { type: 'string' } });
  const target = path.resolve(flags.out ?? path.join(PACKAGE_ROOT, '.cache', 'tune', 'python-test'));
  const corpus = corpusPaths();
  const packages = (await readJsonLines<PackageLine>(path.join(corpus.root, 'packages.jsonl'))).filter(
    (p) => p.split === 'test' && p.registry === 'debian' && p.name.startsWith('python3-'),
  );
  await rm(target, { recursive: true, force: true });
  for (const entry of packages) {
    const dir = packageDirName(entry);
    await cp(path.join(corpus.packages, dir, 'files'), path.join(target, dir), { recursive: true });
  }
  out(`${packages.length} test-split Python packages in ${target}`);
}

runScript(main, HELP);

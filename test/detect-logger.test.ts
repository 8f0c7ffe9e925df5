// How an edit finds the codebase's own logger (src/core/edit/detect-logger.ts), on real files:
// imported by a relative path or through an alias, the one the target's neighbours use winning.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { detectLogger } from '../src/core/edit/detect-logger.js';
import { tempDir, writeTree } from './helpers/fs.js';

let scratch: { dir: string; cleanup: () => Promise<void> };
before(async () => {
  scratch = await tempDir('codeintent-logger-');
});
after(() => scratch.cleanup());

/** A workspace of `files`; the logger for a new file at `target` (all files count as indexed). */
async function loggerFor(name: string, files: Record<string, string>, target: string) {
  const root = path.join(scratch.dir, name);
  await writeTree(root, files);
  return detectLogger(root, target, 'export function handler() {\n  return 1;\n}\n', Object.keys(files));
}

describe('the logger an edit uses', () => {
  test('a logger imported through an alias (tsconfig paths, package.json imports) is the codebase\'s own, imported as written', async () => {
    const aliased = await loggerFor(
      'alias',
      {
        'package.json': JSON.stringify({ name: 'shop', dependencies: { react: '18.0.0', '@acme/ui': '1.0.0' } }),
        'tsconfig.json': JSON.stringify({ compilerOptions: { paths: { '@/*': ['src/*'] } } }),
        'src/lib/logger.ts': 'export const log = { info: (m: string) => console.log(m) };\n',
        'src/api/orders.ts': "import { log } from '@/lib/logger';\n\nexport function placeOrder() {\n  log.info('placing order');\n}\n",
        'src/api/refunds.ts': "import { log } from '@/lib/logger';\n\nexport function refund() {\n  log.info('refunding');\n}\n",
      },
      'src/api/checkout.ts',
    );
    assert.equal(aliased.name, 'log');
    assert.equal(aliased.importLine, "import { log } from '@/lib/logger';");
    assert.match(aliased.source, /@\/lib\/logger \(imported by 2 files/);
    assert.equal(aliased.example, "log.info('placing order');");

    const subpath = await loggerFor(
      'imports',
      {
        'package.json': JSON.stringify({ name: 'shop', imports: { '#logger': './src/logging/index.js' } }),
        'src/jobs/nightly.js': "const { logger } = require('#logger');\n\nexports.run = () => logger.info('nightly');\n",
      },
      'src/jobs/hourly.js',
    );
    assert.deepEqual([subpath.name, subpath.importLine], ['logger', "const { logger } = require('#logger');"]);
  });

  test('a dependency whose name sounds like a logger is not taken for a local module', async () => {
    const found = await loggerFor(
      'dependency',
      {
        'package.json': JSON.stringify({ name: 'shop', dependencies: { '@acme/log': '1.0.0' } }),
        'src/a.ts': "import { log } from '@acme/log';\n\nexport const a = () => log('a');\n",
      },
      'src/b.ts',
    );
    assert.equal(found.name, 'console');
  });

  test('where the codebase has two loggers, the one the target\'s neighbours import wins, even if fewer files use it', async () => {
    const files: Record<string, string> = {
      'package.json': JSON.stringify({ name: 'shop' }),
      'src/legacy/log.ts': 'export const log = console;\n',
      'src/lib/logger.ts': 'export const logger = console;\n',
      'src/payments/charge.ts': "import { logger } from '../lib/logger';\n\nexport const charge = () => logger.info('charge');\n",
    };
    for (let i = 0; i < 4; i++) files[`src/reports/r${i}.ts`] = `import { log } from '../legacy/log';\n\nexport const r${i} = () => log.info('r${i}');\n`;
    const nearby = await loggerFor('two', files, 'src/payments/refund.ts');
    assert.deepEqual([nearby.name, nearby.importLine], ['logger', "import { logger } from '../lib/logger';"]);
    const elsewhere = await loggerFor('two-elsewhere', files, 'src/exports/csv.ts');
    assert.deepEqual([elsewhere.name, elsewhere.importLine], ['log', "import { log } from '../legacy/log';"], 'no neighbour: the one most files import');
  });
});

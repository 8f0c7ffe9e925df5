// The extension host loads this file (bundled to CommonJS by scripts/e2e/run.ts) and awaits run():
// mocha over the *.test.cjs bundles next to it that are meant for this window — restricted-*.test.cjs
// in the Restricted-Mode window (CODEINTENT_E2E_RESTRICTED), the others in the trusted one.

import { readdirSync } from 'node:fs';
import path from 'node:path';
import Mocha from 'mocha';

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 60_000 });
  const restricted = process.env['CODEINTENT_E2E_RESTRICTED'] === '1';
  const files = readdirSync(__dirname).filter((name) => name.endsWith('.test.cjs') && name.startsWith('restricted-') === restricted);
  if (files.length === 0) throw new Error(`no extension tests for this window in ${__dirname}`);
  for (const file of files.sort()) mocha.addFile(path.join(__dirname, file));
  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  if (failures > 0) throw new Error(`${failures} extension test(s) failed`);
}

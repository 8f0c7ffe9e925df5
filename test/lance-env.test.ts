// What the core sets in the environment before LanceDB starts (src/core/lance-env.ts).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';

const STORE = pathToFileURL(path.resolve('out/src/core/store.js')).href;

function envSeenByLance(env: NodeJS.ProcessEnv): string {
  const script = `await import(${JSON.stringify(STORE)}); process.stdout.write(process.env.LANCE_CPU_THREADS ?? 'unset');`;
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' });
}

test('LanceDB gets at least 4 CPU threads, so a large full-text index build cannot deadlock on a 2-core machine; a value the user set wins', () => {
  const { LANCE_CPU_THREADS: _unset, ...env } = process.env;
  assert.ok(Number(envSeenByLance(env)) >= 4, 'LANCE_CPU_THREADS is at least 4 when the store loads');
  assert.equal(envSeenByLance({ ...env, LANCE_CPU_THREADS: '7' }), '7');
});

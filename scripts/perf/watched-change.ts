// A file saved in an indexed workspace, as the extension's watcher reports it: one long-lived
// process edits one file back and forth (a function appended, then removed) and times
// `Workspace.index({ changed: [file] })` each time, with every IndexStore call it makes timed too.
// The file is restored at the end, and indexed once more as it was.
//
//   node out/scripts/perf/watched-change.js --root DIR --db DIR --file REL [--edits 6] [--grace-ms N]
//
// --grace-ms sets how long old index versions outlive a run (default: the product's minute);
// 0 makes every run prune, as a run does once a minute has passed since the one before.

import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Workspace } from '../../src/core/workspace.js';
import { num, out, parseFlags, runScript, UsageError } from '../script-args.js';
import { sum } from './stats.js';
import { timed, type AsyncFn } from './timed.js';

const helpText = `node out/scripts/perf/watched-change.js --root DIR --db DIR --file REL [--edits 6] [--grace-ms N]
  --root DIR      the indexed workspace
  --db DIR        its index folder (indexed already: a cold index is not what this measures)
  --file REL      the file edited, relative to --root (a C, TypeScript, Python… file)
  --edits N       edits timed (default 6)
  --grace-ms N    how long old index versions are kept (default: the product's)`;

/** Wraps every async method of the store in a timer; returns the times by method. */
function timeStore(store: object): Map<string, number[]> {
  const times = new Map<string, number[]>();
  const proto = Object.getPrototypeOf(store) as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(proto)) {
    const method = proto[name];
    if (typeof method !== 'function' || method.constructor.name !== 'AsyncFunction') continue;
    const list: number[] = [];
    times.set(name, list);
    (store as Record<string, unknown>)[name] = timed((method as AsyncFn<unknown[], unknown>).bind(store), (ms) => list.push(ms));
  }
  return times;
}

/** A C-like function to append: valid in the languages the chunker parses, and new each edit. */
function appended(edit: number): string {
  return `\nstatic int codeintent_probe_${edit}(int x)\n{\n\treturn x * ${edit} + 1;\n}\n`;
}

async function main(): Promise<void> {
  const v = parseFlags({ root: { type: 'string' }, db: { type: 'string' }, file: { type: 'string' }, edits: { type: 'string' }, 'grace-ms': { type: 'string' } });
  const { root, db, file } = v;
  if (!root || !db || !file) throw new UsageError('--root, --db and --file are required');
  const edits = num('edits', v.edits) ?? 6;
  const graceMs = num('grace-ms', v['grace-ms']);
  const ws = await Workspace.open({ root, indexDir: db, model: 'default', ...(graceMs !== undefined ? { versionGraceMs: graceMs } : {}) });
  const times = timeStore(ws.store);
  const abs = path.join(root, file);
  const original = await readFile(abs, 'utf8');
  const totals: number[] = [];
  try {
    for (let edit = 0; edit < edits; edit++) {
      await writeFile(abs, edit % 2 === 0 ? original + appended(edit) : original);
      const started = performance.now();
      await ws.index({ changed: [file] });
      totals.push(performance.now() - started);
    }
  } finally {
    await writeFile(abs, original);
    await ws.index({ changed: [file] });
    await ws.close();
  }
  const ms = (list: readonly number[]) => list.map((x) => x.toFixed(0)).join(' ');
  out(`one-file change (ms), edit by edit: ${ms(totals)}`);
  out('store calls (ms), slowest first (the last call of each is the restoring run):');
  const called = [...times].filter(([, list]) => list.length > 0);
  for (const [name, list] of called.sort((a, b) => sum(b[1]) - sum(a[1]))) out(`  ${name.padEnd(20)} ${sum(list).toFixed(0).padStart(6)} in ${list.length} calls: ${ms(list)}`);
}

runScript(main, helpText);

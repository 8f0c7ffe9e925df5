// Dumps the first-stage candidates of every benchmark query (scripts/rerank/dump.ts), indexing the
// benchmarks' workspaces first where needed.
//
//   node out/scripts/rerank/collect.js [--model default] [--reading parsed|literal|both]
//        [--sets docstring-train,docstring-valid,docstring-test,intent-valid,intent-test]

import { Workspace } from '../../src/core/workspace.js';
import { parseFlags } from '../script-args.js';
import { DumpWriter, POOL, dumpDir, type QueryReading } from './dump.js';
import { docstringSet, foreignSet, intentSets, modelSlug, setName, type QuerySet } from './sets.js';

const DEFAULT_SETS = 'docstring-train,docstring-valid,docstring-test,intent-valid,intent-test';

async function setsFor(names: readonly string[], model: string, log: (line: string) => void): Promise<QuerySet[]> {
  const sets: QuerySet[] = [];
  for (const name of names) {
    const [benchmark, split] = name.split('-');
    if (benchmark === 'docstring' && split) {
      const set = await docstringSet(split, model);
      sets.push(set);
      if (split === 'valid') sets.push(foreignSet(set));
    }
    else if (benchmark === 'intent' && split) {
      const [alone, distractors] = await intentSets(split, model, log);
      if (alone) sets.push(alone, foreignSet(alone));
      if (distractors) sets.push(distractors);
    }
    else throw new Error(`unknown set ${name} (known: ${DEFAULT_SETS})`);
  }
  return sets;
}

async function collect(set: QuerySet, model: string, readings: readonly QueryReading[], log: (line: string) => void): Promise<void> {
  for (const [i, ws] of set.workspaces.entries()) {
    const workspace = await Workspace.open({ root: ws.root, model, adapter: 'none', indexDir: ws.indexDir });
    try {
      await workspace.index();
      for (const reading of readings) {
        const writer = new DumpWriter(ws.name, workspace.store.info.embedderId);
        for (const q of ws.queries) {
          const candidates = await workspace.candidates(q.query, { mode: 'hybrid', top: 10, pool: POOL, literal: reading === 'literal' });
          writer.add(q.id, q.query, candidates, (hit) => q.answers(hit));
        }
        await writer.write(dumpDir(modelSlug(model), reading, setName(set)));
      }
    } finally {
      await workspace.close();
    }
    log(`${setName(set)}: ${i + 1}/${set.workspaces.length} workspaces`);
  }
}

async function main(): Promise<void> {
  const values = parseFlags({ model: { type: 'string' }, reading: { type: 'string' }, sets: { type: 'string' } }, process.argv.slice(2));
  const model = typeof values['model'] === 'string' ? values['model'] : 'default';
  const reading = typeof values['reading'] === 'string' ? values['reading'] : 'both';
  const readings: QueryReading[] = reading === 'both' ? ['parsed', 'literal'] : [reading as QueryReading];
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const names = (typeof values['sets'] === 'string' ? values['sets'] : DEFAULT_SETS).split(',');
  for (const set of await setsFor(names, model, log)) await collect(set, model, readings, log);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

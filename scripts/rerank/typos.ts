// How a spelling slip costs the product's search, and how much the correction wins back: each
// validation query with one slip (two neighbouring letters of its longest known word swapped),
// searched with and without correction, beside the query as written.
//
//   node out/scripts/rerank/typos.js [--sets docstring-valid,intent-valid] [--model default]

import { finalRanking, retrieve, SECOND_STAGE_POOL } from '../../src/core/search.js';
import type { SearchHit } from '../../src/core/types.js';
import { unitHash } from '../corpus/common.js';
import { Workspace } from '../../src/core/workspace.js';
import { parseFlags } from '../script-args.js';
import { cells, metrics } from './experiment.js';
import { docstringSet, intentSets, setName, type QuerySet } from './sets.js';

/** The query with a slip in its longest word of 5+ letters, or undefined when it has none. */
export function withSlip(query: string): string | undefined {
  const words = [...query.matchAll(/\b[a-z]{5,}\b/g)];
  const longest = words.sort((a, b) => b[0].length - a[0].length)[0];
  if (!longest || longest.index === undefined) return undefined;
  const word = longest[0];
  const at = 1 + Math.floor(unitHash(query) * (word.length - 3));
  const slipped = word.slice(0, at) + word[at + 1] + word[at] + word.slice(at + 2);
  if (slipped === word) return undefined;
  return query.slice(0, longest.index) + slipped + query.slice(longest.index + word.length);
}

async function main(): Promise<void> {
  const v = parseFlags({ model: { type: 'string' }, sets: { type: 'string' } }, process.argv.slice(2));
  const model = typeof v['model'] === 'string' ? v['model'] : 'default';
  const names = (typeof v['sets'] === 'string' ? v['sets'] : 'docstring-valid,intent-valid').split(',');
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const sets: QuerySet[] = [];
  for (const name of names) {
    const [benchmark, split = 'valid'] = name.split('-');
    if (benchmark === 'docstring') sets.push(await docstringSet(split, model));
    else sets.push(...(await intentSets(split, model, log)).filter((s) => s.setting !== undefined));
  }
  console.log('| set | queries with a slip | as written: MRR@10 | R@1 | R@5 | R@10 | with the slip, not corrected: MRR@10 | R@1 | R@5 | R@10 | with the slip, corrected: MRR@10 | R@1 | R@5 | R@10 |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const set of sets) {
    const ranks: Record<'written' | 'slipped' | 'corrected', number[]> = { written: [], slipped: [], corrected: [] };
    for (const ws of set.workspaces) {
      const workspace = await Workspace.open({ root: ws.root, model, adapter: 'none', indexDir: ws.indexDir });
      try {
        await workspace.index();
        const stage = await workspace.secondStage();
        const context = { store: workspace.store, embedder: workspace.embedder, adapter: await workspace.queryAdapter() };
        const options = { mode: 'hybrid', top: 10, pool: SECOND_STAGE_POOL } as const;
        const rankOf = async (query: string, correct: boolean, answers: (hit: SearchHit) => boolean): Promise<number> => {
          const i = finalRanking(await retrieve(context, query, { ...options, correct }), options, stage).findIndex(answers);
          return i < 0 ? Infinity : i + 1;
        };
        for (const q of ws.queries) {
          const slipped = withSlip(q.query);
          if (slipped === undefined) continue;
          const answers = (hit: SearchHit): boolean => q.answers(hit);
          ranks.written.push(await rankOf(q.query, true, answers));
          ranks.slipped.push(await rankOf(slipped, false, answers));
          ranks.corrected.push(await rankOf(slipped, true, answers));
        }
      } finally {
        await workspace.close();
      }
    }
    console.log(`| ${setName(set)} | ${ranks.written.length} | ${cells(metrics(ranks.written))} | ${cells(metrics(ranks.slipped))} | ${cells(metrics(ranks.corrected))} |`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

// Warm hybrid queries in one process with different second-stage pools (candidates per ranker),
// interleaved query by query so that the machine's load weighs on each pool alike.
//
//   node out/scripts/perf/warm-pools.js --root DIR --db DIR [--pools 100,75] [--rounds 3]
//
// The queries are the kernel's intents (scripts/perf/queries.ts); 5 untimed searches first.

import { performance } from 'node:perf_hooks';
import { Workspace } from '../../src/core/workspace.js';
import { num, out, parseFlags, runScript, UsageError } from '../script-args.js';
import { KERNEL_QUERIES } from './queries.js';
import { quantile } from './stats.js';

const helpText = `node out/scripts/perf/warm-pools.js --root DIR --db DIR [--pools 100,75] [--rounds 3]
  --root DIR       the indexed workspace
  --db DIR         its index folder
  --pools A,B,…    candidates per ranker to compare (default 100,75)
  --rounds N       times each query is searched with each pool (default 3)`;

async function main(): Promise<void> {
  const v = parseFlags({ root: { type: 'string' }, db: { type: 'string' }, pools: { type: 'string' }, rounds: { type: 'string' } });
  if (!v.root || !v.db) throw new UsageError('--root and --db are required');
  const pools = (v.pools ?? '100,75').split(',').map((p) => num('pools', p) ?? 0);
  const rounds = num('rounds', v.rounds) ?? 3;
  const ws = await Workspace.open({ root: v.root, indexDir: v.db, model: 'default' });
  try {
    for (const query of KERNEL_QUERIES.slice(0, 5)) await ws.search(query, { mode: 'hybrid', top: 10 });
    const times = new Map(pools.map((pool) => [pool, [] as number[]]));
    for (let round = 0; round < rounds; round++) {
      for (const query of KERNEL_QUERIES) {
        for (const pool of pools) {
          const started = performance.now();
          await ws.search(query, { mode: 'hybrid', top: 10, pool });
          times.get(pool)?.push(performance.now() - started);
        }
      }
    }
    for (const [pool, list] of times) out(`pool ${pool}: hybrid p50 ${quantile(list, 0.5).toFixed(1)} ms, p95 ${quantile(list, 0.95).toFixed(1)} ms (${list.length} searches)`);
  } finally {
    await ws.close();
  }
}

runScript(main, helpText);

// npm run bench:parallel [-- --runs 3] [--corpus theia] [--jobs N] [--no-profile]
//
// Cold index of one tree with one thread and with the pool of index workers, in the same run:
// each run indexes into a fresh folder twice, `codeintent index ROOT --db DIR --jobs 1` and
// `--jobs N` (N: os.availableParallelism() unless given), the order alternating from run to run,
// each a fresh process. Reports the medians, their ratio, the CPU time and the 1-minute load
// average beside each (the machine may be shared). Then, unless --no-profile, one more one-thread
// run under --cpu-prof splits its time into what the workers take over (chunk, terms, embed) and
// what stays on the writer's thread, and projects the pool's time on 2, 4 and 8 cores from it (a
// profile taken under load counts waiting for a core as the writer's: read it on a quiet machine).

import { spawn } from 'node:child_process';
import { mkdir, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../src/core/models.js';
import { corpusSpec, ensureCorpus } from './perf/corpus.js';
import { summarizeProfile } from './perf/profile.js';
import { median } from './perf/stats.js';
import { out, parseFlags, runScript, UsageError } from './script-args.js';

const HELP = `npm run bench:parallel [-- --runs 3] [--corpus theia|theia-core] [--jobs N] [--no-profile]`;
const CACHE = path.join(PACKAGE_ROOT, '.cache', 'perf');
const CLI = path.join(PACKAGE_ROOT, 'bin', 'codeintent.js');
/** Areas of a CPU profile (scripts/perf/profile.ts) whose work the index workers do. */
const WORKER_AREAS = ['WebAssembly (tree-sitter)', 'web-tree-sitter', 'src/core/chunk/', 'src/core/tokens', 'src/core/embed/', 'src/core/chunk-rows', 'src/core/embedding-text'];

interface Sample {
  jobs: number;
  wallS: number;
  cpuS: number;
  peakMiB: number;
  load: number;
}

function log(line: string): void {
  process.stderr.write(`bench-parallel: ${line}\n`);
}

/** One cold `codeintent index` in a fresh process, timed by /usr/bin/time (wall, user+system CPU, peak RSS). */
async function coldIndex(root: string, jobs: number, nodeArgs: readonly string[] = []): Promise<Sample> {
  const db = path.join(CACHE, 'parallel-index');
  await rm(db, { recursive: true, force: true });
  const load = os.loadavg()[0] ?? 0;
  const args = ['-f', '%e %U %S %M', process.execPath, ...nodeArgs, CLI, 'index', root, '--db', db, '--jobs', String(jobs), '--no-progress'];
  const stderr = await new Promise<string>((resolve, reject) => {
    const child = spawn('/usr/bin/time', args, { cwd: PACKAGE_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let text = '';
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`codeintent index --jobs ${jobs} exited ${code}: ${text.trim()}`))));
  });
  const [wall, user, system, rssKiB] = (stderr.trim().split('\n').at(-1) ?? '').split(' ').map(Number);
  await rm(db, { recursive: true, force: true });
  return { jobs, wallS: wall ?? NaN, cpuS: (user ?? NaN) + (system ?? NaN), peakMiB: (rssKiB ?? NaN) / 1024, load };
}

async function main(): Promise<void> {
  const values = parseFlags({ runs: { type: 'string' }, corpus: { type: 'string' }, jobs: { type: 'string' }, 'no-profile': { type: 'boolean' } });
  const runs = Number(values.runs ?? 3);
  const jobs = Number(values.jobs ?? os.availableParallelism());
  if (!Number.isInteger(runs) || runs < 1) throw new UsageError(`--runs takes a whole number from 1 up, not ${JSON.stringify(values.runs)}`);
  if (!Number.isInteger(jobs) || jobs < 2) throw new UsageError(`--jobs takes a whole number from 2 up, not ${JSON.stringify(values.jobs)}`);
  const corpus = await ensureCorpus(corpusSpec(values.corpus ?? 'theia'), CACHE, log);

  log('warm-up: one cold index with the pool (OS cache, grammars, model)');
  await coldIndex(corpus.root, jobs);
  const samples: Sample[] = [];
  for (let run = 1; run <= runs; run++) {
    for (const j of run % 2 === 1 ? [1, jobs] : [jobs, 1]) {
      const sample = await coldIndex(corpus.root, j);
      log(`run ${run}, --jobs ${j}: ${sample.wallS.toFixed(1)} s wall, ${sample.cpuS.toFixed(1)} s CPU, ${sample.peakMiB.toFixed(0)} MiB, load ${sample.load.toFixed(2)}`);
      samples.push(sample);
    }
  }
  const of = (j: number, pick: (s: Sample) => number) => samples.filter((s) => s.jobs === j).map(pick);
  const med = (j: number, pick: (s: Sample) => number) => median(of(j, pick));
  const loads = samples.map((s) => s.load);
  out(`Cold index of ${corpus.root} (${os.availableParallelism()} cores, ${runs} runs, medians; 1-minute load ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)}):`);
  out('| threads | wall (s) | CPU (s) | peak RSS (MiB) |');
  out('| ---: | ---: | ---: | ---: |');
  for (const j of [1, jobs]) out(`| ${j} | ${med(j, (s) => s.wallS).toFixed(1)} | ${med(j, (s) => s.cpuS).toFixed(1)} | ${med(j, (s) => s.peakMiB).toFixed(0)} |`);
  const wall1 = med(1, (s) => s.wallS);
  out(`Speed-up with ${jobs} threads: ${(wall1 / med(jobs, (s) => s.wallS)).toFixed(2)}× (wall times ${of(1, (s) => s.wallS).join(', ')} vs ${of(jobs, (s) => s.wallS).join(', ')} s)`);

  if (values['no-profile']) return;
  const profileDir = path.join(CACHE, 'parallel-profile');
  await rm(profileDir, { recursive: true, force: true });
  await mkdir(profileDir, { recursive: true });
  const profiled = await coldIndex(corpus.root, 1, ['--cpu-prof', '--cpu-prof-dir', profileDir]);
  const [file] = await readdir(profileDir);
  if (!file) throw new Error(`no CPU profile in ${profileDir}`);
  const summary = await summarizeProfile(path.join(profileDir, file));
  const parallelS = summary.byArea.filter((a) => WORKER_AREAS.includes(a.name)).reduce((total, a) => total + a.ms, 0) / 1000;
  const serialS = profiled.wallS - parallelS;
  out(`Profile of one --jobs 1 run (${profiled.wallS.toFixed(1)} s, load ${profiled.load.toFixed(2)}): ${parallelS.toFixed(1)} s chunk + terms + embed (the workers' share), ${serialS.toFixed(1)} s on the writer's thread (crawl, read, hash, LanceDB writes, optimize: ${((serialS / profiled.wallS) * 100).toFixed(0)}%)`);
  // The pipeline overlaps a batch's commit with the next batches' chunking, so the truth lies between
  // the writer's work not overlapping at all (Amdahl) and overlapping fully (the longer of the two).
  for (const cores of [2, 4, 8]) {
    const amdahl = serialS + parallelS / cores;
    const overlapped = Math.max(serialS, parallelS / cores);
    out(`Projected on ${cores} cores (${cores} workers): ${amdahl.toFixed(1)}–${overlapped.toFixed(1)} s, ${(profiled.wallS / amdahl).toFixed(2)}–${(profiled.wallS / overlapped).toFixed(2)}× (the writer's work not overlapping – fully overlapping the workers')`);
  }
}

runScript(main, HELP);

// The query sets the second stage is trained and measured on, as workspaces with queries and a
// rule for which hits answer each: the docstring benchmark (scripts/corpus/, splits train / valid /
// test) and the intent benchmark (scripts/intent-bench/, valid / test, each app alone and with
// distractors). Indexes are the benchmarks' own (cached under .cache/bench-index/).

import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../src/core/models.js';
import type { SearchHit } from '../../src/core/types.js';
import { readJsonLines, type BenchQuery } from '../corpus/common.js';
import { prefixGold, rankOfAnswer, TRAIN_APPS_DIR } from '../intent-bench/apps.js';
import { INDEX_ROOT as INTENT_INDEX_ROOT, prepareApps, type Setting } from '../intent-bench/run.js';

export const BENCH_DIR = path.join(PACKAGE_ROOT, '.cache', 'corpus', 'bench');
export const DOCSTRING_INDEX_ROOT = path.join(PACKAGE_ROOT, '.cache', 'bench-index');

export type Benchmark = 'docstring' | 'intent';

export interface SetQuery {
  id: string;
  query: string;
  answers(hit: Pick<SearchHit, 'path' | 'startLine' | 'endLine'>): boolean;
}

export interface SetWorkspace {
  name: string;
  root: string;
  indexDir: string;
  queries: SetQuery[];
}

export interface QuerySet {
  benchmark: Benchmark;
  split: string;
  /** The intent benchmark's setting, or `foreign`: another app's queries, which have no answer here. */
  setting?: Setting | 'foreign';
  workspaces: SetWorkspace[];
}

/** The set's name in file names and reports: docstring-valid, intent-test-distractors. */
export function setName(set: Pick<QuerySet, 'benchmark' | 'split' | 'setting'>): string {
  return [set.benchmark, set.split, set.setting].filter((x) => x !== undefined).join('-');
}

export function modelSlug(model: string): string {
  return model.replace(/[^A-Za-z0-9_-]+/g, '_');
}

/**
 * The docstring benchmark's answer: the same definition — same file, and the ranges overlap by at
 * least half of each, or it starts on the same line (bench-quality's rule).
 */
export function isDocstringAnswer(hit: Pick<SearchHit, 'path' | 'startLine' | 'endLine'>, answer: Pick<BenchQuery, 'path' | 'startLine' | 'endLine'>): boolean {
  if (hit.path !== answer.path) return false;
  if (hit.startLine === answer.startLine) return true;
  const overlap = Math.min(hit.endLine, answer.endLine) - Math.max(hit.startLine, answer.startLine) + 1;
  return overlap >= 0.5 * (hit.endLine - hit.startLine + 1) && overlap >= 0.5 * (answer.endLine - answer.startLine + 1);
}

export async function docstringSet(split: string, model: string): Promise<QuerySet> {
  const queries = await readJsonLines<BenchQuery>(path.join(BENCH_DIR, split, 'queries.jsonl'));
  const byWorkspace = new Map<string, SetQuery[]>();
  queries.forEach((q, i) => {
    const list = byWorkspace.get(q.workspace) ?? [];
    list.push({ id: `${split}-${i}`, query: q.query, answers: (hit) => isDocstringAnswer(hit, q) });
    byWorkspace.set(q.workspace, list);
  });
  const names = (await readdir(path.join(BENCH_DIR, split))).filter((n) => byWorkspace.has(n)).sort();
  return {
    benchmark: 'docstring',
    split,
    workspaces: names.map((name) => ({
      name,
      root: path.join(BENCH_DIR, split, name),
      indexDir: path.join(DOCSTRING_INDEX_ROOT, modelSlug(model), split, name),
      queries: byWorkspace.get(name) ?? [],
    })),
  };
}

/** The intent benchmark's sets for `split`: one alone, one with distractors. */
export async function intentSets(split: string, model: string, log: (line: string) => void): Promise<QuerySet[]> {
  const notes: string[] = [];
  // The train split's apps are others than the benchmark's (train-apps/).
  const appsDir = split === 'train' ? TRAIN_APPS_DIR : undefined;
  const prepared = await prepareApps({ models: [model], adapter: 'none', splits: [split], log, ...(appsDir ? { appsDir } : {}) }, notes);
  for (const note of notes) log(`intent: ${note}`);
  const sets: QuerySet[] = [];
  for (const setting of ['alone', 'distractors'] as const) {
    const workspaces: SetWorkspace[] = [];
    for (const { app, fetched, nested } of prepared) {
      const root = setting === 'alone' ? fetched.workspace : nested?.root;
      if (root === undefined) continue;
      const prefix = setting === 'alone' ? '' : (nested?.appFolder ?? '');
      workspaces.push({
        name: app.app,
        root,
        indexDir: path.join(INTENT_INDEX_ROOT, modelSlug(model), app.app, setting),
        queries: app.queries
          .filter((q) => q.split === split)
          .map((q) => {
            const gold = prefixGold(q.gold, prefix);
            return { id: q.id, query: q.query, answers: (hit) => rankOfAnswer([hit], gold) === 1 };
          }),
      });
    }
    sets.push({ benchmark: 'intent', split, setting, workspaces });
  }
  return sets;
}

/**
 * Queries with no answer: each app's queries searched in the next app's workspace (alone). What
 * the second stage's "no close match" threshold is chosen against.
 */
export function foreignSet(alone: QuerySet): QuerySet {
  const n = alone.workspaces.length;
  return {
    benchmark: alone.benchmark,
    split: alone.split,
    setting: 'foreign',
    workspaces: alone.workspaces.map((ws, i) => ({
      ...ws,
      queries: (alone.workspaces[(i + 1) % n]?.queries ?? []).map((q) => ({ ...q, answers: () => false })),
    })),
  };
}

// The intent benchmark: hand-written developer queries over real applications
// (scripts/intent-bench/apps/*.json), each app searched in two settings:
//
//   alone             .cache/intent/<app>/workspace indexed as its own workspace
//   with distractors  the app in app/ beside Eclipse Theia's ~2,500 TypeScript files (the bench:perf
//                     corpus) in one workspace, .cache/intent/<app>/nested; gold paths under app/
//
// Each workspace is indexed with the real pipeline (core Workspace, indexes under
// .cache/bench-index/intent/) and every query is searched as bench-quality searches: the candidates
// of each ranker (workspace.candidates / retrieve), then rank() for lexical, vector and hybrid with
// the product's default fusion (not tuned on these queries). A hit answers when it is in a gold file
// and its line range contains the gold line. Also reported: how often a gold definition is anywhere
// in the candidate pool (the union of the vector and lexical lists before fusion), at the size search
// uses (retrieve takes max(top × 5, 50) per ranker: 50 for top 10) and at 100 per ranker (the store
// asked directly), i.e. what a better fusion or re-ranker could at most reach.

import path from 'node:path';
import { IDENTITY_ADAPTER, resolveAdapter, type Adapter } from '../../src/core/adapter.js';
import { messageOf } from '../../src/core/errors.js';
import { PACKAGE_ROOT, SHIPPED_ADAPTERS_DIR } from '../../src/core/models.js';
import { DEFAULT_FUSION, rank, retrieve, SECOND_STAGE_POOL, type Candidates } from '../../src/core/search.js';
import { Workspace } from '../../src/core/workspace.js';
import { THEIA_VERSION } from '../perf/corpus.js';
import { AppFileError, goldWarnings, INTENT_SPLITS, listAppFiles, loadApp, prefixGold, rankOfAnswer, type AppFile, type Gold, type IntentQuery, type IntentSplit } from './apps.js';
import { ensureApp, ensureNested, type FetchedApp, type NestedWorkspace } from './fetch.js';
import { stagedSearch } from '../search-stages.js';

export const TOP = 10;
/** Candidates per ranker for the pool recall at 100. */
export const WIDE_POOL = 100;
export const INDEX_ROOT = path.join(PACKAGE_ROOT, '.cache', 'bench-index', 'intent');

export const SETTINGS = ['alone', 'distractors'] as const;
export type Setting = (typeof SETTINGS)[number];
const SETTING_TITLE: Record<Setting, string> = { alone: 'alone', distractors: 'with distractors' };

/** The first stage's three rankings, then the second stage (query as typed) and the product (query read, second stage). */
export const MODES = ['lexical', 'vector', 'hybrid', 'second stage', 'product'] as const;
export type Mode = (typeof MODES)[number];

export interface IntentMetrics {
  n: number;
  mrr: number;
  r1: number;
  r5: number;
  r10: number;
}

/** MRR@10 (0 beyond rank 10), Recall@1, @5, @10 of 1-based ranks (Infinity: not found). */
export function intentMetrics(ranks: readonly number[]): IntentMetrics {
  const n = ranks.length;
  const share = (k: number): number => (n === 0 ? 0 : ranks.filter((r) => r <= k).length / n);
  const mrr = n === 0 ? 0 : ranks.reduce((sum, r) => sum + (r <= TOP ? 1 / r : 0), 0) / n;
  return { n, mrr, r1: share(1), r5: share(5), r10: share(10) };
}

/** Whether any candidate of either ranker answers one of the gold definitions. */
export function inPool(candidates: Candidates, gold: readonly Gold[]): boolean {
  return rankOfAnswer([...candidates.vector, ...candidates.lexical], gold) !== Infinity;
}

export interface EvaluatedQuery {
  app: string;
  setting: Setting;
  id: string;
  split: IntentSplit;
  /** Rank of the first answering hit in each mode's top 10 (Infinity: none). */
  ranks: Record<Mode, number>;
  /** A gold definition among the candidates search fuses (50 per ranker). */
  inSearchPool: boolean;
  /** … among 100 per ranker. */
  inWidePool: boolean;
}

export interface WorkspaceRun {
  modelId: string;
  adapterSource: string;
  files: number;
  chunks: number;
  /** Gold files (as seen in this workspace) that the crawl did not index. */
  goldFilesNotIndexed: string[];
  queries: EvaluatedQuery[];
}

export interface EvaluateOptions {
  app: string;
  setting: Setting;
  root: string;
  indexDir: string;
  model: string;
  /** 'default' (the adapter shipped for the model, else identity), 'none', or an adapter folder. */
  adapter: string;
  queries: readonly IntentQuery[];
  /** The folder of `root` the app is in ('' when `root` is the app). */
  goldPrefix: string;
}

/** Indexes one workspace (incrementally, when its index exists) and searches every query in it. */
export async function evaluateWorkspace(options: EvaluateOptions): Promise<WorkspaceRun> {
  const workspace = await Workspace.open({ root: options.root, model: options.model, adapter: 'none', indexDir: options.indexDir });
  try {
    const modelId = workspace.store.info.embedderId;
    // Only shipped adapters (or the named one), as bench-quality: a tuned one is not held out.
    const adapter: Adapter = await resolveAdapter({ choice: options.adapter, modelId, searchDirs: [SHIPPED_ADAPTERS_DIR] });
    await workspace.index();
    const { files, chunks } = await workspace.store.counts();
    const indexed = await workspace.store.fileRows();
    const goldFiles = new Set(options.queries.flatMap((q) => prefixGold(q.gold, options.goldPrefix).map((g) => g.path)));
    const goldFilesNotIndexed = [...goldFiles].filter((p) => !indexed.has(p)).sort();
    const stage = await workspace.secondStage();
    const queries: EvaluatedQuery[] = [];
    for (const q of options.queries) {
      const gold = prefixGold(q.gold, options.goldPrefix);
      const staged = await stagedSearch(workspace, adapter, stage, q.query, TOP);
      const adapted = staged.firstStage;
      const raw = adapter === IDENTITY_ADAPTER ? adapted : (await stagedSearch(workspace, IDENTITY_ADAPTER, undefined, q.query, TOP)).firstStage;
      const ranks: Record<Mode, number> = {
        lexical: rankOfAnswer(rank(raw, 'lexical', TOP), gold),
        vector: rankOfAnswer(rank(adapted, 'vector', TOP), gold),
        hybrid: rankOfAnswer(rank(adapted, 'hybrid', TOP, DEFAULT_FUSION), gold),
        // NaN: this model has no second stage.
        'second stage': staged.secondStage ? rankOfAnswer(staged.secondStage, gold) : Number.NaN,
        product: staged.product ? rankOfAnswer(staged.product, gold) : Number.NaN,
      };
      queries.push({
        app: options.app,
        setting: options.setting,
        id: q.id,
        split: q.split,
        ranks,
        inSearchPool: inPool(adapted, gold),
        inWidePool: inPool(await widePool(workspace, adapter, q.query), gold),
      });
    }
    return { modelId, adapterSource: adapter.source, files, chunks, goldFilesNotIndexed, queries };
  } finally {
    await workspace.close();
  }
}

/** What retrieve() does for the query as typed, with WIDE_POOL candidates per ranker. */
function widePool(workspace: Workspace, adapter: Adapter, query: string): Promise<Candidates> {
  return retrieve({ store: workspace.store, embedder: workspace.embedder, adapter }, query, { mode: 'hybrid', top: TOP, pool: WIDE_POOL, literal: true });
}

// ---------------------------------------------------------------------------------------------
// The whole benchmark, as report lines

export interface IntentBenchmarkOptions {
  models: readonly string[];
  adapter: string;
  /** Splits reported, in this order ('valid', 'test'). */
  splits: readonly string[];
  /** Only these apps (default: every apps file). */
  apps?: readonly string[];
  appsDir?: string;
  /** Progress and one-line notes (stderr). */
  log: (line: string) => void;
}

export interface PreparedApp {
  app: AppFile;
  fetched: FetchedApp;
  /** Gold lines that do not name their symbol (goldWarnings). */
  warnings: string[];
  nested?: NestedWorkspace;
}

const firstLine = (error: unknown): string => messageOf(error).split('\n')[0] ?? '';

/** Fetches and checks the apps; every app that cannot be used becomes one note line. */
export async function prepareApps(options: IntentBenchmarkOptions, notes: string[]): Promise<PreparedApp[]> {
  const note = (line: string): void => {
    notes.push(line);
    options.log(`intent: ${line}`);
  };
  const files = (await listAppFiles(options.appsDir)).filter((f) => options.apps === undefined || options.apps.includes(path.basename(f, '.json')));
  const prepared: PreparedApp[] = [];
  for (const file of files) {
    const name = path.basename(file, '.json');
    let app: AppFile;
    try {
      app = await loadApp(file);
    } catch (error) {
      note(`${name}: skipped, ${error instanceof AppFileError ? error.summary : firstLine(error)}`);
      continue;
    }
    let fetched: FetchedApp;
    try {
      fetched = await ensureApp(app, { log: options.log });
    } catch (error) {
      note(`${name}: not fetched (${app.source.registry} ${app.source.name}@${app.source.version}): ${firstLine(error)}`);
      continue;
    }
    try {
      await loadApp(file, fetched.workspace);
    } catch (error) {
      note(`${name}: skipped, ${error instanceof AppFileError ? error.summary : firstLine(error)}`);
      continue;
    }
    if (!app.queries.some((q) => options.splits.includes(q.split))) {
      note(`${name}: no queries in the ${options.splits.join('/')} split`);
      continue;
    }
    const warnings = await goldWarnings(app, fetched.workspace);
    for (const w of warnings) options.log(`intent: ${name}: warning: ${w}`);
    prepared.push({ app, fetched, warnings });
  }
  for (const p of prepared) {
    try {
      p.nested = await ensureNested(p.app.app, p.fetched, { log: options.log });
    } catch (error) {
      note(`${p.app.app}: no distractor workspace (${firstLine(error)}); its "with distractors" rows are missing`);
    }
  }
  return prepared;
}

const f3 = (x: number): string => x.toFixed(3);
const cells = (m: IntentMetrics): string => `${f3(m.mrr)} | ${f3(m.r1)} | ${f3(m.r5)} | ${f3(m.r10)}`;
const share = (items: readonly EvaluatedQuery[], keep: (e: EvaluatedQuery) => boolean): string => (items.length === 0 ? '—' : f3(items.filter(keep).length / items.length));

const METRIC_HEADER = `| ${MODES.map((m) => `${m} MRR@10 | R@1 | R@5 | R@10`).join(' | ')} | pool@50 | pool@100 |`;
const METRIC_RULE = `|${MODES.map(() => '---|---|---|---|').join('')}---|---|`;

function metricCells(items: readonly EvaluatedQuery[]): string {
  const modes = MODES.map((mode) => (items.every((e) => Number.isNaN(e.ranks[mode])) ? '— | — | — | —' : cells(intentMetrics(items.map((e) => e.ranks[mode])))));
  return `${modes.join(' | ')} | ${share(items, (e) => e.inSearchPool)} | ${share(items, (e) => e.inWidePool)}`;
}

/** The report's tables for the evaluated queries of one model. */
export function intentTables(evaluated: readonly EvaluatedQuery[], splits: readonly string[], apps: readonly string[]): string[] {
  const lines: string[] = [];
  for (const split of splits) {
    const inSplit = evaluated.filter((e) => e.split === split);
    lines.push(`#### ${split} split — all apps`, '', `| setting | queries ${METRIC_HEADER}`, `|---|---${METRIC_RULE}`);
    for (const setting of SETTINGS) {
      const subset = inSplit.filter((e) => e.setting === setting);
      if (subset.length > 0) lines.push(`| ${SETTING_TITLE[setting]} | ${subset.length} ${`| ${metricCells(subset)} |`}`);
    }
    lines.push('');
    for (const setting of SETTINGS) {
      const subset = inSplit.filter((e) => e.setting === setting);
      if (subset.length === 0) continue;
      lines.push(`#### ${split} split — ${SETTING_TITLE[setting]}, per app`, '', `| app | queries ${METRIC_HEADER}`, `|---|---${METRIC_RULE}`);
      for (const app of apps) {
        const mine = subset.filter((e) => e.app === app);
        if (mine.length > 0) lines.push(`| ${app} | ${mine.length} | ${metricCells(mine)} |`);
      }
      lines.push(`| **all apps** | ${subset.length} | ${metricCells(subset)} |`, '');
    }
  }
  return lines;
}

/**
 * Runs the intent benchmark for each model and returns its report (markdown lines). Apps that are
 * missing, malformed or cannot be fetched are each one line of the report; nothing throws for them.
 */
export async function runIntentBenchmark(options: IntentBenchmarkOptions): Promise<string[]> {
  const lines = ['## Intent benchmark', ''];
  const splits = options.splits.filter((s): s is IntentSplit => (INTENT_SPLITS as readonly string[]).includes(s));
  if ((await listAppFiles(options.appsDir)).length === 0) {
    options.log('intent: no apps yet (scripts/intent-bench/apps/*.json): nothing to run');
    return [...lines, 'No apps yet: scripts/intent-bench/apps/ holds no <app>.json, so there is nothing to run.', ''];
  }
  const notes: string[] = [];
  const prepared = await prepareApps({ ...options, splits }, notes);
  if (notes.length > 0) lines.push('Not benchmarked:', '', ...notes.map((n) => `- ${n}`), '');
  if (prepared.length === 0) return [...lines, 'No app could be benchmarked.', ''];

  for (const model of options.models) {
    const evaluated: EvaluatedQuery[] = [];
    const sizes = new Map<string, Partial<Record<Setting, WorkspaceRun>>>();
    let modelId = '';
    let adapterSource = '';
    const modelSlug = model.replace(/[^A-Za-z0-9_-]+/g, '_');
    for (const [i, { app, fetched, nested }] of prepared.entries()) {
      const queries = app.queries.filter((q) => splits.includes(q.split));
      const settings: [Setting, string, string][] = [['alone', fetched.workspace, '']];
      if (nested) settings.push(['distractors', nested.root, nested.appFolder]);
      for (const [setting, root, goldPrefix] of settings) {
        options.log(`intent ${model}: ${app.app} ${SETTING_TITLE[setting]} (${i + 1}/${prepared.length}): indexing and searching ${queries.length} queries`);
        try {
          const run = await evaluateWorkspace({
            app: app.app,
            setting,
            root,
            indexDir: path.join(INDEX_ROOT, modelSlug, app.app, setting),
            model,
            adapter: options.adapter,
            queries,
            goldPrefix,
          });
          modelId = run.modelId;
          adapterSource = run.adapterSource;
          evaluated.push(...run.queries);
          sizes.set(app.app, { ...sizes.get(app.app), [setting]: run });
        } catch (error) {
          const line = `${app.app} ${SETTING_TITLE[setting]}: failed (${firstLine(error)})`;
          options.log(`intent: ${line}`);
          lines.push(`- ${line}`);
        }
      }
    }
    const adapter = adapterSource === IDENTITY_ADAPTER.source ? 'identity (none shipped for this model)' : path.relative(PACKAGE_ROOT, adapterSource) || adapterSource;
    lines.push(
      `### ${model} (${modelId})`,
      '',
      `Adapter: ${adapter}. Hybrid: RRF k=${DEFAULT_FUSION.k}, vector weight ${DEFAULT_FUSION.vector} (the product's default; not tuned on these queries). ` +
        `Second stage: the shipped ranker over ${SECOND_STAGE_POOL} candidates per ranker of the query as typed; product: the same after the query is read (scaffolding and language names out), as search runs. ` +
        `A hit answers when it is in a gold file and its line range contains the gold line. ` +
        `pool@50: a gold definition is among the candidates that search fuses (the vector and lexical lists, ${Math.max(TOP * 5, 50)} each for top ${TOP}); ` +
        `pool@100: among ${WIDE_POOL} of each. With distractors: the app in app/ beside Eclipse Theia ${THEIA_VERSION} in one workspace.`,
      '',
      '| app | stack | source | licence | queries (valid/test) | files | chunks | with distractors: files | chunks | gold files not indexed | gold lines not naming their symbol |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const { app, fetched, warnings } of prepared) {
      const size = sizes.get(app.app) ?? {};
      const m = fetched.manifest;
      const count = (s: string): number => app.queries.filter((q) => q.split === s).length;
      const missing = [...new Set([...(size.alone?.goldFilesNotIndexed ?? []), ...(size.distractors?.goldFilesNotIndexed ?? []).map((p) => p.replace(/^[^/]+\//, ''))])];
      lines.push(
        `| ${app.app} | ${app.stack} | ${m.registry} ${m.name} ${m.version} | ${m.licence} | ${count('valid')}/${count('test')} | ${size.alone?.files ?? '—'} | ${size.alone?.chunks ?? '—'} | ${size.distractors?.files ?? '—'} | ${size.distractors?.chunks ?? '—'} | ${missing.length === 0 ? 'none' : missing.join(', ')} | ${warnings.length} |`,
      );
    }
    lines.push('', ...intentTables(evaluated, splits, prepared.map((p) => p.app.app)));
  }
  return lines;
}

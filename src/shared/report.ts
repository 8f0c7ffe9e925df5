// Text the CLI prints on stdout (results, summaries, status; nothing else goes there), and the extension reuses for its log and messages.

import type { EditCheck, EditOutcome } from '../core/edit/propose.js';
import type { IndexSummary } from '../core/indexer.js';
import type { TuneReport } from '../core/tune/index.js';
import type { Correction } from '../core/rank/spelling.js';
import type { SearchHit } from '../core/types.js';
import type { IndexStatus } from '../core/workspace.js';
import { type RetrievalMetrics } from '../core/tune/metrics.js';
import { NO_CLOSE_MATCH, previewOffsets } from './presentation.js';

const PREVIEW_LINES = 3;

/**
 * The JSON shape scripts rely on: lines 1-based and inclusive, paths relative with forward slashes.
 * With the second stage, each hit also has `confidence` (the calibrated probability that it is a
 * right answer, comparable between queries), `close` (whether that reaches a close match; when the
 * first hit's is false, nothing in the code matches the query closely) and `why` (the query words
 * it answers with the identifier parts they met, and its best lines).
 */
export function hitsJson(hits: readonly SearchHit[]): string {
  return JSON.stringify(
    hits.map(({ path, startLine, endLine, symbol, kind, language, score, confidence, close, why }) => ({
      path,
      startLine,
      endLine,
      symbol,
      kind,
      language,
      score: Number(score.toFixed(6)),
      ...(confidence !== undefined ? { confidence: Number(confidence.toFixed(4)) } : {}),
      ...(close !== undefined ? { close } : {}),
      ...(why ? { why } : {}),
    })),
  );
}

/** The "did you mean" line of a search whose slips were corrected (both spellings were searched). */
export function correctionText(correction: Correction): string {
  return `Did you mean: ${correction.text}? (searched for ${correction.replaced.map(([typed, fixed]) => `"${fixed}" as well as "${typed}"`).join(', ')})\n\n`;
}

export function hitsText(hits: readonly SearchHit[]): string {
  if (hits.length === 0) return 'No results. Try other words, or --mode lexical for exact names.\n';
  const body = hits
    .map((hit, i) => {
      const name = hit.symbol ? `${hit.container ? `${hit.container}.` : ''}${hit.symbol}` : '(lines)';
      const how = hit.confidence !== undefined ? `confidence ${hit.confidence.toFixed(2)}` : `score ${hit.score.toFixed(4)}`;
      const header = `${i + 1}. ${hit.path}:${hit.startLine}-${hit.endLine}  ${name}  (${hit.kind}, ${hit.language})  ${how}`;
      const matched = hit.why && hit.why.terms.length > 0 ? [`   matched: ${hit.why.terms.map((t) => (t.matched.length === 1 && t.matched[0] === t.term ? t.term : `${t.term} → ${t.matched.join(', ')}`)).join('; ')}`] : [];
      return [header, ...matched, ...previewLines(hit)].join('\n');
    })
    .join('\n\n')
    .concat('\n');
  return hits[0]?.close === false ? `${NO_CLOSE_MATCH}\n\n${body}` : body;
}

/** A hit's preview lines, numbered, with a ⋮ where lines are left out. */
function previewLines(hit: SearchHit): string[] {
  const lines = hit.text.split('\n');
  const shown = previewOffsets(hit, PREVIEW_LINES);
  const width = String(hit.startLine + Math.max(...shown)).length;
  return shown.map((j, n, all) => `${n > 0 && j !== (all[n - 1] ?? 0) + 1 ? '   ' + ' '.repeat(width) + ' ⋮\n' : ''}   ${String(hit.startLine + j).padStart(width)} | ${(lines[j] ?? '').slice(0, 120)}`);
}

export function summaryText(summary: IndexSummary): string {
  const skipped = Object.entries(summary.skipped)
    .filter(([reason]) => reason !== 'ignored')
    .map(([reason, n]) => `${n} ${reason}`)
    .join(', ');
  const lines = [
    `Indexed ${summary.files} files, ${summary.chunks} chunks in ${summary.seconds.toFixed(1)} s ` +
      `(${summary.indexed} new or changed, ${summary.unchanged} unchanged, ${summary.removed} removed).`,
  ];
  if (skipped) lines.push(`Skipped: ${skipped}.`);
  if (summary.failed.length > 0) {
    lines.push(`${summary.failed.length} files could not be read:`);
    for (const { path, error } of summary.failed.slice(0, 10)) lines.push(`  ${path}: ${error}`);
  }
  return lines.join('\n') + '\n';
}

function size(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(0)} KiB`;
}

/** `adapter` and `ranker`: where the query adapter and the second stage that searches use come from. */
export function statusText(status: IndexStatus, adapter: string, ranker: string): string {
  return [
    `Workspace: ${status.root}`,
    `Index:     ${status.indexDir}${status.bytes === undefined ? '' : ` (${size(status.bytes)})`}`,
    ...(status.meta.commit ? [`Commit:    ${status.meta.commit}`] : []),
    `Model:     ${status.meta.embedderId} (${status.meta.dimension} dimensions)`,
    `Adapter:   ${adapter}`,
    `Ranker:    ${ranker}`,
    `Contents:  ${status.files} files, ${status.chunks} chunks`,
    `Updated:   ${status.meta.updatedAt}`,
  ].join('\n').concat('\n');
}

/**
 * What tuning did, in words: how often the right function comes first on the held-out part of the
 * workspace's own documented code, before and after (R@1, not MRR).
 */
export function tuneSummary(r: TuneReport, folder: string): string {
  const figures = r.before && r.after
    ? ` On ${r.pairs.heldOut} questions from your own documentation that tuning did not see, the right function now comes first ${percent(r.after.r1)} of the time, ${comparison(r.before.r1, r.after.r1)}.`
    : '';
  return r.improved ? `Search is now tuned to ${folder}.${figures}` : `Search is unchanged: ${r.verdict}.${figures}`;
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

function comparison(before: number, after: number): string {
  if (Math.round(before * 100) === Math.round(after * 100)) return `as before (${percent(before)})`;
  return `${after > before ? 'up' : 'down'} from ${percent(before)}`;
}

function metricsLine(name: string, m: RetrievalMetrics): string {
  return `  ${name.padEnd(28)} ${m.mrr.toFixed(3).padStart(6)}  ${m.r1.toFixed(3).padStart(6)}  ${m.r10.toFixed(3).padStart(6)}`;
}

export function tuneText(r: TuneReport): string {
  const lines = [
    `Workspace: ${r.root}`,
    `Model:     ${r.modelId} (${r.dimension} dimensions)`,
    `Data:      ${r.files.documented} of ${r.files.indexed} files have usable doc comments; split by file:`,
    `           training ${r.pairs.train} pairs (${r.files.train} files), early stopping ${r.pairs.valid} (${r.files.valid} files), held out ${r.pairs.heldOut} (${r.files.heldOut} files)`,
  ];
  const t = r.training;
  if (t) lines.push(`Adapter:   ${t.epochs} epochs, kept epoch ${t.bestEpoch} (cosine MRR on early stopping ${t.validBefore.mrr.toFixed(3)} → ${t.validAfter.mrr.toFixed(3)}), ${t.seconds.toFixed(1)} s`);
  const k = r.rankerTraining;
  if (k) lines.push(`2nd stage: fine-tuned from ${r.rankerBaseline} on ${k.queries} queries, ${k.steps} steps, kept step ${k.bestStep} (MRR on early stopping ${k.validBefore.mrr.toFixed(3)} → ${k.validAfter.mrr.toFixed(3)}), ${k.seconds.toFixed(1)} s`);
  else if (t) lines.push(`2nd stage: ${r.rankerBaseline === 'none' ? 'none for this model, nothing to fit' : 'not fitted'}`);
  if (r.validation.length > 0) lines.push(`Compared:  on the early-stopping files, MRR through search: ${r.validation.map((v) => `${v.name} ${v.mrr.toFixed(3)}`).join(', ')}`);
  if (r.before && r.after) {
    lines.push(
      `Held out:  each query searched as search runs it, in an index of the ${r.candidates} chunks of the held-out files (docs removed from the code)`,
      `  ${''.padEnd(28)} ${'MRR'.padStart(6)}  ${'R@1'.padStart(6)}  ${'R@10'.padStart(6)}`,
      metricsLine('before (untuned)', r.before),
      metricsLine(`after (${r.choice ?? 'untuned'})`, r.after),
      `  factor ${r.factor === null ? '–' : `×${r.factor.toFixed(2)}`} on MRR${r.z === null ? '' : ` (z ${r.z.toFixed(1)})`}`,
    );
    const languages = Object.entries(r.byLanguage);
    if (languages.length > 1) {
      for (const [language, m] of languages) lines.push(`  ${language.padEnd(12)} n=${String(m.before.n).padEnd(5)} MRR ${m.before.mrr.toFixed(3)} → ${m.after.mrr.toFixed(3)}`);
    }
  }
  const saved = [r.adapter && `adapter ${r.adapter}`, r.ranker && `second stage ${r.ranker}`].filter(Boolean);
  if (saved.length > 0) lines.push(`Saved:     ${saved.join(', ')} (${r.verdict}); search uses them by default, --adapter none turns them off`);
  else lines.push(`Not saved: ${r.verdict}; nothing tuned is kept${r.removed.length > 0 ? ` (removed the earlier ${r.removed.join(', ')})` : ''}`);
  const s = r.seconds;
  lines.push(
    `Time:      ${s.total.toFixed(1)} s (index ${s.index.toFixed(1)}, read ${s.chunk.toFixed(1)}, embed ${s.embed.toFixed(1)}, adapter ${s.train.toFixed(1)}, ` +
      `search and 2nd stage ${s.search.toFixed(1)}, held-out ${s.evaluate.toFixed(1)})`,
  );
  return `${lines.join('\n')}\n`;
}

/**
 * `text` as `#` lines, every line of it: a model's words can hold lines that read as a patch
 * (`+++ b/file`, `@@`), which `git apply` and `patch` would act on unless each is commented.
 */
function commented(text: string): string {
  return text.split(/\r\n|\r|\n/).map((line) => `# ${line}`).join('\n');
}

/**
 * The checks an edit went through, in plain words: "checks passed: syntax (tree-sitter), types
 * (TypeScript 5.9.3 with tsconfig.json)", then one phrase per check that still finds problems.
 */
export function checkPhrases(checks: readonly EditCheck[]): string[] {
  const name = (check: EditCheck) => `${check.kind} (${check.by})`;
  const passed = checks.filter((c) => c.problems.length === 0);
  const phrases = passed.length > 0 ? [`checks passed: ${passed.map(name).join(', ')}`] : [];
  for (const check of checks.filter((c) => c.problems.length > 0)) {
    const n = check.problems.length;
    phrases.push(`${name(check)}: ${n} new error${n === 1 ? '' : 's'} left after a retry: ${check.problems.join('; ')}`);
  }
  return phrases;
}

/** Each proposal as a unified diff, its explanation above it as `#` lines (which patch skips). */
export function editText(outcome: EditOutcome): string {
  return outcome.proposals
    .map((p) => {
      const note = [commented(`${p.path}: ${p.explanation.trimEnd() || 'no explanation given'}`)];
      // A problem quotes the model's code: commented line by line like the explanation.
      if (p.diff !== '') note.push(`# logging with ${p.logger.name} (${p.logger.source})`, ...checkPhrases(p.checks).map(commented));
      if (p.masked > 0) note.push(`# ${p.masked} secret${p.masked === 1 ? '' : 's'} masked before sending`);
      return `${note.join('\n')}\n${p.diff}`;
    })
    .join('\n');
}

/** {proposals: [{path, ranges, diff, newText, explanation, logger, attempts, checks}], failures: [{path, reason}], usage}. */
export function editJson(outcome: EditOutcome): string {
  return JSON.stringify({
    proposals: outcome.proposals.map(({ path, ranges, diff, newText, explanation, logger, attempts, checks }) => ({ path, ranges, diff, newText, explanation, logger, attempts, checks })),
    failures: outcome.failures,
    usage: outcome.usage,
  });
}

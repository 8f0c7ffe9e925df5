// What the CLI prints on stdout: results, summaries and status; nothing else goes there.

import type { IndexSummary } from '../core/indexer.js';
import type { SearchHit } from '../core/types.js';
import type { IndexStatus } from '../core/workspace.js';

const PREVIEW_LINES = 3;

/** The JSON shape scripts rely on: lines 1-based and inclusive, paths relative with forward slashes. */
export function hitsJson(hits: readonly SearchHit[]): string {
  return JSON.stringify(
    hits.map(({ path, startLine, endLine, symbol, kind, language, score }) => ({
      path,
      startLine,
      endLine,
      symbol,
      kind,
      language,
      score: Number(score.toFixed(6)),
    })),
  );
}

export function hitsText(hits: readonly SearchHit[]): string {
  if (hits.length === 0) return 'No results. Try other words, or --mode lexical for exact names.\n';
  return hits
    .map((hit, i) => {
      const name = hit.symbol ? `${hit.container ? `${hit.container}.` : ''}${hit.symbol}` : '(lines)';
      const header = `${i + 1}. ${hit.path}:${hit.startLine}-${hit.endLine}  ${name}  (${hit.kind}, ${hit.language})  score ${hit.score.toFixed(4)}`;
      const width = String(hit.startLine + PREVIEW_LINES).length;
      const preview = hit.text
        .split('\n')
        .slice(0, PREVIEW_LINES)
        .map((line, j) => `   ${String(hit.startLine + j).padStart(width)} | ${line.slice(0, 120)}`);
      return [header, ...preview].join('\n');
    })
    .join('\n\n')
    .concat('\n');
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

export function statusText(status: IndexStatus, adapter: string): string {
  return [
    `Workspace: ${status.root}`,
    `Index:     ${status.indexDir} (${size(status.bytes)})`,
    `Model:     ${status.meta.embedderId} (${status.meta.dimension} dimensions)`,
    `Adapter:   ${adapter}`,
    `Contents:  ${status.files} files, ${status.chunks} chunks`,
    `Updated:   ${status.meta.updatedAt}`,
  ].join('\n').concat('\n');
}

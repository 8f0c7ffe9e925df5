// A one-line progress bar on stderr, redrawn in place; only on a terminal.

import type { Progress } from '../core/types.js';

const WIDTH = 24;

export interface ProgressBar {
  update(progress: Progress): void;
  clear(): void;
}

export function progressBar(stream: NodeJS.WriteStream, enabled: boolean): ProgressBar {
  if (!enabled || !stream.isTTY) return { update() {}, clear() {} };
  const started = Date.now();
  let lastDraw = 0;
  let drawn = false;
  return {
    update(progress) {
      const now = Date.now();
      if (now - lastDraw < 80 && progress.phase !== 'done') return;
      lastDraw = now;
      const fraction = progress.total > 0 ? Math.min(1, progress.done / progress.total) : 0;
      const filled = Math.round(fraction * WIDTH);
      const bar = progress.total > 0 ? `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${progress.done}/${progress.total} files` : '';
      const seconds = ((now - started) / 1000).toFixed(0);
      const line = `${progress.phase === 'crawl' ? 'Scanning files' : 'Indexing'} ${bar}${progress.message ? ` · ${progress.message}` : ''} · ${seconds}s`;
      stream.write(`\r\x1b[2K${line.slice(0, (stream.columns || 100) - 1)}`);
      drawn = true;
    },
    clear() {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}

// "CodeIntent: Search by Intent": a quick pick that searches as you type (debounced; a newer query
// aborts the one before) and opens the chosen definition.

import * as vscode from 'vscode';
import { isCancellation, reportError } from './log.js';
import { confidenceLabel, hitName, KIND_ICONS, NO_CLOSE_MATCH, previewLine, sameResult } from '../shared/presentation.js';
import type { Hit } from '../shared/worker-protocol.js';
import type { Revealer } from './reveal.js';
import type { Session } from './session.js';
import { messageOf } from '../core/errors.js';

const DEBOUNCE_MS = 150;

interface HitItem extends vscode.QuickPickItem {
  hit?: Hit;
  /** "Did you mean": accepting it searches this instead. */
  corrected?: string;
}

export interface SearchPickOptions {
  value?: string;
  title?: string;
  /** Hits overlapping this range are left out ("Find Code Like This" would find its own selection first). */
  exclude?: { root: string; path: string; startLine: number; endLine: number };
  /** A quick action on a result (its button): add logging, error handling, explain, edit. */
  act?: (hit: Hit, query: string) => void;
}

const ACTION_BUTTON: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('sparkle'), tooltip: 'Quick action: add logging, error handling, explain, edit…' };

export function searchQuickPick(session: Session, revealer: Revealer, options: SearchPickOptions = {}): Promise<void> {
  const pick = vscode.window.createQuickPick<HitItem>();
  const disposables: vscode.Disposable[] = [pick];
  pick.title = options.title ?? 'CodeIntent: Search by Intent';
  pick.placeholder = 'Describe what the code does, e.g. "retry failed webhooks"';
  let controller: AbortController | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last: string | undefined;

  /** `refresh`: the same query again, the index having changed; the highlighted result stays so. */
  const run = async (query: string, refresh = false) => {
    if (query === last && !refresh) return;
    last = query;
    controller?.abort();
    const current = (controller = new AbortController());
    if (query.trim() === '') {
      pick.items = [];
      pick.busy = false;
      return;
    }
    pick.busy = true;
    try {
      const { hits: found, correction } = await session.search(query, { signal: current.signal });
      const hits = found.filter((hit) => !overlaps(hit, options.exclude));
      if (current.signal.aborted) return;
      const active = refresh ? pick.activeItems[0]?.hit : undefined;
      const results = hits.map((hit) => ({ ...hitItem(session, hit), ...(options.act ? { buttons: [ACTION_BUTTON] } : {}) }));
      const unsure: HitItem[] = hits[0]?.close === false ? [{ label: NO_CLOSE_MATCH, kind: vscode.QuickPickItemKind.Separator }] : [];
      const fix: HitItem[] = correction ? [{ label: `$(lightbulb) Did you mean: ${correction.text}?`, detail: 'Search for this instead', alwaysShow: true, corrected: correction.text }] : [];
      pick.items = hits.length > 0 ? [...fix, ...unsure, ...results] : [...fix, emptyItem(session)];
      const kept = active && pick.items.find((candidate) => candidate.hit && sameResult(candidate.hit, active));
      if (kept) pick.activeItems = [kept];
    } catch (error) {
      if (current.signal.aborted || isCancellation(error)) return;
      const message = messageOf(error);
      session.log.error(`search failed: ${message}`);
      pick.items = [{ label: `$(error) ${message}`, detail: 'Search failed; the CodeIntent log has the details', alwaysShow: true }];
    } finally {
      if (controller === current) pick.busy = false;
    }
  };

  session.onDidChangeIndexContent(
    () => {
      if (last !== undefined && last.trim() !== '') void run(last, true);
    },
    undefined,
    disposables,
  );
  pick.onDidChangeValue(
    (value) => {
      clearTimeout(timer);
      timer = setTimeout(() => void run(value), DEBOUNCE_MS);
    },
    undefined,
    disposables,
  );

  return new Promise<void>((resolve) => {
    pick.onDidAccept(
      () => {
        const [selected] = pick.selectedItems;
        if (selected?.corrected !== undefined) {
          pick.value = selected.corrected;
          void run(selected.corrected);
          return;
        }
        const hit = selected?.hit;
        if (!hit) return;
        pick.hide();
        revealer.open(hit).catch((error: unknown) => reportError(session.log, 'opening the result', error));
      },
      undefined,
      disposables,
    );
    pick.onDidTriggerItemButton(
      ({ item: picked }) => {
        if (!picked.hit || !options.act) return;
        pick.hide();
        options.act(picked.hit, pick.value);
      },
      undefined,
      disposables,
    );
    pick.onDidHide(
      () => {
        clearTimeout(timer);
        controller?.abort();
        vscode.Disposable.from(...disposables).dispose();
        resolve();
      },
      undefined,
      disposables,
    );
    if (options.value) {
      pick.value = options.value;
      void run(options.value);
    }
    pick.show();
  });
}

/** A result as a quick pick item (Search by Intent's, Find and Edit's choice of targets): name, place, confidence, best line. */
export function hitItem(session: Session, hit: Hit): HitItem & { hit: Hit } {
  const folder = session.folders().length > 1 ? `${session.folderName(hit.root)}/` : '';
  const confidence = hit.confidence !== undefined ? `  ·  ${confidenceLabel(hit.confidence)}` : '';
  // The line that matched best says why; the label already names the definition.
  const best = hit.why?.lines[0];
  const detail = best !== undefined ? hit.text.split('\n')[best - hit.startLine] : undefined;
  return {
    label: `$(${KIND_ICONS[hit.kind]}) ${hitName(hit)}`,
    description: `${folder}${hit.path}:${hit.startLine}${confidence}`,
    detail: previewLine(detail?.trim() ? detail : hit.text),
    // The quick pick would otherwise filter our ranking by its own fuzzy match on the label.
    alwaysShow: true,
    hit,
  };
}

function emptyItem(session: Session): HitItem {
  const state = session.overall();
  if (state.kind === 'indexing') return { label: '$(sync~spin) Indexing…', detail: 'No match yet: results appear as files are indexed', alwaysShow: true };
  if (state.kind === 'none' || state.kind === 'noFolder') return { label: '$(info) Nothing is indexed', detail: 'Open a folder, or run "CodeIntent: Reindex Workspace"', alwaysShow: true };
  return { label: '$(info) No matches', detail: 'Describe what the code does in other words, or name a symbol', alwaysShow: true };
}

function overlaps(hit: Hit, range: SearchPickOptions['exclude']): boolean {
  return range !== undefined && hit.root === range.root && hit.path === range.path && hit.startLine <= range.endLine && hit.endLine >= range.startLine;
}

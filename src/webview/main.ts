// The sidebar's script, bundled by esbuild into dist/webview.js; it runs in the webview (a browser
// frame), not in Node. It renders what the host sends and sends back only ViewMessages. The DOM is
// built with textContent, never from HTML strings, so no file content can become markup.

import type { LanguageId } from '../core/types.js';
import { confidenceLabel, hitName, isLanguageId, KIND_ICONS, LANGUAGE_LABELS, markMatches, NO_CLOSE_MATCH, sameResult, type Overall } from '../shared/presentation.js';
import type { HostMessage, ViewAction, ViewHit, ViewLocation, ViewMessage } from '../shared/view-protocol.js';
import { highlight } from './highlight.js';
import { fileGroups, moveThrough } from './list-order.js';

interface State {
  query: string;
  language: LanguageId | '';
  folder: string;
  hits: ViewHit[];
  /** Index into `hits` of the keyboard-selected result, -1 for none. */
  active: number;
}

const DEBOUNCE_MS = 150;

const vscode = acquireVsCodeApi<State>();
const state: State = { query: '', language: '', folder: '', hits: [], active: -1, ...vscode.getState() };
// Results saved by an older version have another shape; the query is searched again below anyway.
if (!state.hits.every((hit) => Array.isArray(hit.preview) && Array.isArray(hit.matched))) state.hits = [];
let overall: Overall | undefined;
let multiRoot = false;
let seq = 0;
/** The query whose results are shown; the host sends them again, refreshed, when the index changes. */
let shownSeq = -1;
let searching = false;
let searchError: string | undefined;
/** The shown query with its spelling slips corrected, when search made any ("did you mean"). */
let correction: string | undefined;
let timer: ReturnType<typeof setTimeout> | undefined;
/** Indices into `state.hits` in the order the rows are shown (grouped by file). */
let shown: number[] = [];
/** A file shows this many results until its "n more" row is opened: one file cannot fill the screen. */
const PER_FILE = 3;
/** Files whose every result is shown (their "n more" was opened), by group key; reset by a new query. */
const expanded = new Set<string>();
/** The "n more in this file" rows, by the index of the first result they stand for, to their file's key. */
const moreRows = new Map<number, string>();

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`the sidebar's page has no #${id}`);
  return found;
}

const queryInput = element('query', HTMLInputElement);
const languageSelect = element('language', HTMLSelectElement);
const folderInput = element('folder', HTMLInputElement);
const statusLine = element('status', HTMLDivElement);
const messageBox = element('message', HTMLDivElement);
const noticeBox = element('notice', HTMLDivElement);
const results = element('results', HTMLDivElement);
const announcer = element('announce', HTMLDivElement);

function send(message: ViewMessage): void {
  vscode.postMessage(message);
}

function save(): void {
  vscode.setState(state);
}

function make<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function icon(name: string): HTMLElement {
  const node = make('span', `codicon codicon-${name}`);
  node.setAttribute('aria-hidden', 'true');
  return node;
}

// --- searching -------------------------------------------------------------------------------

function search(): void {
  clearTimeout(timer);
  state.query = queryInput.value;
  state.language = isLanguageId(languageSelect.value) ? languageSelect.value : '';
  state.folder = folderInput.value;
  save();
  timer = setTimeout(() => {
    seq += 1;
    searching = state.query.trim() !== '';
    searchError = undefined;
    send({ type: 'search', seq, query: state.query, language: state.language, folder: state.folder });
    render();
  }, DEBOUNCE_MS);
}

function locationOf({ root, path, startLine, endLine, symbol }: ViewHit): ViewLocation {
  return { root, path, startLine, endLine, symbol };
}

/** Where `hit` is among `hits` (the first result when it is gone): a refresh keeps the selection. */
function selectionAfterRefresh(hit: ViewHit | undefined, hits: readonly ViewHit[]): number {
  const at = hit ? hits.findIndex((h) => sameResult(h, hit)) : -1;
  return at >= 0 ? at : hits.length > 0 ? 0 : -1;
}

/** `beside`: a modifier was held (Ctrl/Cmd or Alt), as for Quick Open's "open to the side". */
function open(index: number, beside: boolean): void {
  const more = moreRows.get(index);
  if (more !== undefined) return expand(more);
  const hit = state.hits[index];
  if (hit) send({ type: 'open', location: locationOf(hit), beside });
}

function act(index: number): void {
  if (moreRows.has(index)) return;
  const hit = state.hits[index];
  if (hit) send({ type: 'act', location: locationOf(hit), query: state.query });
}

const ACT_KEY = navigator.platform.startsWith('Mac') ? '⌘.' : 'Ctrl+.';

/**
 * The mouse's way to the result's quick actions (the host asks which one). Out of the tab order and
 * hidden from screen readers, so no control sits inside a list option; the keyboard has Ctrl+. instead.
 */
function actButton(index: number): HTMLElement {
  const button = make('button', 'act');
  button.title = `Quick action: add logging, error handling, explain, edit… (${ACT_KEY})`;
  button.tabIndex = -1;
  button.setAttribute('aria-hidden', 'true');
  button.append(icon('sparkle'));
  button.addEventListener('click', (event) => {
    event.stopPropagation();
    act(index);
  });
  return button;
}

/** How many rows a page key moves: about the rows that fit in the list. */
function pageSize(): number {
  const row = results.querySelector<HTMLElement>('.hit:not(.active)') ?? results.querySelector<HTMLElement>('.hit');
  return Math.max(1, Math.floor(results.clientHeight / Math.max(1, row?.offsetHeight ?? 1)) - 1);
}

function move(by: number | 'first' | 'last'): void {
  const next = moveThrough(shown, state.active, by);
  if (next < 0) return;
  state.active = next;
  save();
  renderActive();
}

function onKey(event: KeyboardEvent): void {
  const modified = event.ctrlKey || event.metaKey || event.altKey;
  const keys: Record<string, () => void> = {
    ArrowDown: () => move(1),
    ArrowUp: () => move(-1),
    PageDown: () => move(pageSize()),
    PageUp: () => move(-pageSize()),
    Enter: () => open(state.active >= 0 ? state.active : (shown[0] ?? -1), modified),
  };
  if (event.currentTarget === results) {
    keys['Home'] = () => move('first');
    keys['End'] = () => move('last');
    keys['Escape'] = () => queryInput.focus();
  } else {
    // A search box clears itself on Escape: the query stays.
    keys['Escape'] = () => undefined;
  }
  if (event.key === '.' && (event.ctrlKey || event.metaKey)) keys['.'] = () => act(state.active >= 0 ? state.active : (shown[0] ?? -1));
  const action = keys[event.key];
  if (!action) return;
  event.preventDefault();
  action();
}

// --- rendering -------------------------------------------------------------------------------

const count = new Intl.NumberFormat();

function renderStatus(): void {
  statusLine.replaceChildren();
  if (!overall) return;
  switch (overall.kind) {
    case 'indexing': {
      statusLine.append(icon('sync~spin'), ` Indexing${overall.percent === undefined ? '…' : ` ${overall.percent}%`}`);
      if (overall.percent !== undefined) {
        const bar = make('progress');
        bar.max = 100;
        bar.value = overall.percent;
        statusLine.append(bar);
      }
      return;
    }
    case 'ready':
      statusLine.append(icon('database'), ` ${count.format(overall.chunks)} chunks in ${count.format(overall.files)} files${overall.complete ? '' : ' (partly indexed)'}`);
      return;
    case 'none':
      statusLine.append(icon('circle-slash'), ' Not indexed');
      return;
    case 'error':
      statusLine.append(icon('error'), ' Indexing failed');
      return;
    case 'noFolder':
      return;
  }
}

const ACTION_LABELS: Record<ViewAction, string> = {
  reindex: 'Index Workspace',
  showLog: 'Show Log',
  showStatus: 'Show Index Status',
  openFolder: 'Open Folder',
  openSettings: 'Open Settings',
};

/** What the empty space says, or undefined when there are results to show. */
function message(): { text: string; actions: ViewAction[]; tone?: 'error' } | undefined {
  if (overall?.kind === 'noFolder') return { text: 'Open a folder to search its code by what it does.', actions: ['openFolder'] };
  if (overall?.kind === 'error') return { text: `Indexing failed: ${overall.message}`, actions: ['reindex', 'showLog', 'openSettings'], tone: 'error' };
  if (searchError) return { text: `Search failed: ${searchError}`, actions: ['showLog'], tone: 'error' };
  if (overall?.kind === 'none') return { text: 'This workspace is not indexed yet.', actions: ['reindex'] };
  if (state.hits.length > 0 || searching) return undefined;
  const indexing = overall?.kind === 'indexing';
  if (state.query.trim() === '') {
    return indexing
      ? { text: 'Indexing your code. You can search already: results come from what is indexed so far.', actions: [] }
      : { text: 'Describe what the code does, like “parse the config file” or “retry failed webhooks”. ↑ and ↓ move through the results, Enter opens one.', actions: [] };
  }
  const filtered = state.language !== '' || state.folder.trim() !== '';
  return {
    text: `No matches. ${indexing ? 'Indexing is still running; try again in a moment. ' : ''}Try other words${filtered ? ', or clear the filters' : ''}.`,
    actions: [],
  };
}

function renderMessage(): void {
  const shown = message();
  messageBox.hidden = shown === undefined;
  messageBox.replaceChildren();
  if (!shown) return;
  messageBox.classList.toggle('error', shown.tone === 'error');
  messageBox.append(make('p', undefined, shown.text));
  for (const action of shown.actions) {
    const button = make('button', undefined, ACTION_LABELS[action]);
    button.addEventListener('click', () => send({ type: 'run', action }));
    messageBox.append(button);
  }
}

/** Above the results: "did you mean" (a click searches the corrected query) and "no close match". */
function renderNotice(): void {
  noticeBox.replaceChildren();
  const unsure = state.hits[0]?.close === false;
  noticeBox.hidden = state.hits.length === 0 || (correction === undefined && !unsure);
  if (noticeBox.hidden) return;
  if (correction !== undefined) {
    const fixed = correction;
    // A link, not a button: it reads (and wraps) as part of the sentence.
    const link = make('a', 'correction', fixed);
    link.href = '#';
    link.title = 'Search for this instead';
    link.addEventListener('click', (event) => {
      event.preventDefault();
      queryInput.value = fixed;
      search();
      queryInput.focus();
    });
    const line = make('p', undefined, 'Did you mean ');
    line.append(link, '?');
    noticeBox.append(line);
  }
  if (unsure) noticeBox.append(make('p', 'unsure', NO_CLOSE_MATCH));
}

/** One preview line's code: coloured tokens, the words that matched marked. */
function renderCode(tokens: ReturnType<typeof highlight>[number], matched: readonly string[]): HTMLElement {
  const code = make('code');
  for (const token of tokens) {
    const target = token.cls ? make('span', `tok-${token.cls}`) : code;
    for (const piece of markMatches(token.text, matched)) target.append(piece.match ? make('mark', undefined, piece.text) : piece.text);
    if (target !== code) code.append(target);
  }
  return code;
}

/** Preview lines a row shows until it is selected (the selected one shows all it was sent). */
const COLLAPSED_LINES = 2;

function renderPreview(hit: ViewHit): HTMLElement {
  const pre = make('pre', 'preview');
  pre.setAttribute('aria-hidden', 'true'); // the row's label says what it is
  // The gutter fits the widest number shown (5-digit lines included), the same on every line.
  pre.style.setProperty('--gutter', `${String(hit.preview.at(-1)?.line ?? 0).length}ch`);
  // Runs of consecutive lines are coloured together (a comment or string may span lines); a ⋮ marks a gap.
  const runs: Array<typeof hit.preview> = [];
  for (const line of hit.preview) {
    const run = runs.at(-1);
    if (run && run.at(-1)!.line + 1 === line.line) run.push(line);
    else runs.push([line]);
  }
  let shownLines = 0;
  const more = () => (shownLines >= COLLAPSED_LINES ? ' more' : '');
  runs.forEach((run, r) => {
    if (r > 0) pre.append(make('div', `line gap${more()}`, '⋮'));
    highlight(run.map((line) => line.text).join('\n'), hit.language).forEach((tokens, i) => {
      const line = make('div', `line${more()}`);
      line.append(make('span', 'number', String(run[i]!.line)), renderCode(tokens, hit.matched));
      pre.append(line);
      shownLines += 1;
    });
  });
  return pre;
}

/** The badge: the calibrated confidence where the second stage ran, else the raw score. */
function scoreBadge(hit: ViewHit): HTMLElement {
  if (hit.confidence === undefined) {
    const badge = make('span', 'score', hit.score.toFixed(3));
    badge.title = `score ${hit.score.toFixed(4)}`;
    return badge;
  }
  const badge = make('span', hit.close === false ? 'score far' : 'score', confidenceLabel(hit.confidence));
  badge.title = `confidence ${confidenceLabel(hit.confidence)}: how likely this is what you described`;
  return badge;
}

/** `Container.symbol` with the container cut first when the row is narrow, so the name shows. */
function renderName(hit: ViewHit): HTMLElement {
  const name = make('span', 'name');
  if (hit.symbol === '' || hit.container === '') name.append(make('span', 'symbol', hitName(hit)));
  else name.append(make('span', 'container', `${hit.container}.`), make('span', 'symbol', hit.symbol));
  name.title = hitName(hit);
  return name;
}

/** What a screen reader says for a row: name, kind, file and line, confidence. */
function rowLabel(hit: ViewHit): string {
  const confidence = hit.confidence === undefined ? '' : `, confidence ${confidenceLabel(hit.confidence)}`;
  return `${hitName(hit)}, ${hit.kind}, ${hit.path} line ${hit.startLine}${confidence}`;
}

function renderRow(hit: ViewHit, index: number): HTMLElement {
  const row = make('div', 'hit');
  row.id = `hit-${index}`;
  row.setAttribute('role', 'option');
  row.setAttribute('aria-label', rowLabel(hit));
  const head = make('div', 'head');
  head.append(icon(KIND_ICONS[hit.kind]), renderName(hit), make('span', 'line', `:${hit.startLine}`), scoreBadge(hit), actButton(index));
  head.title = `${hit.kind} · ${LANGUAGE_LABELS[hit.language]}`;
  row.append(head, renderPreview(hit));
  row.addEventListener('click', (event) => {
    state.active = index;
    save();
    renderActive();
    open(index, event.ctrlKey || event.metaKey || event.altKey);
  });
  return row;
}

/** Opens a file's "n more" row: all its results show, the selection stays on the first of them. */
function expand(key: string): void {
  expanded.add(key);
  renderResults();
}

/** The row that stands for a file's results beyond PER_FILE; Enter or a click shows them. */
function renderMore(index: number, count: number, path: string): HTMLElement {
  const row = make('div', 'hit more', `${count} more in this file`);
  row.id = `hit-${index}`;
  row.setAttribute('role', 'option');
  row.setAttribute('aria-label', `${count} more results in ${path}`);
  row.addEventListener('click', () => {
    state.active = index;
    open(index, false);
  });
  return row;
}

const ROLE_TITLES: Record<NonNullable<ViewHit['role']>, string> = {
  test: 'A test file: ranked below the code it tests',
  translations: 'Translation data: ranked below code',
  example: 'Examples or documentation: ranked below the code itself',
};

function renderResults(): void {
  results.replaceChildren();
  results.hidden = state.hits.length === 0;
  results.classList.toggle('stale', searching);
  shown = [];
  moreRows.clear();
  for (const { key, indices } of fileGroups(state.hits)) {
    const first = state.hits[indices[0]!]!;
    // Collapsed unless opened, or the selection is among the results it would hide; one hidden result is just shown.
    const whole = expanded.has(key) || indices.length <= PER_FILE + 1 || indices.indexOf(state.active) >= PER_FILE;
    const visible = whole ? indices : indices.slice(0, PER_FILE);
    const group = make('div', 'group');
    group.setAttribute('role', 'group');
    group.setAttribute('aria-label', first.role ? `${first.path}, ${first.role}` : first.path);
    const header = make('div', 'file');
    header.setAttribute('aria-hidden', 'true');
    header.append(icon('file'), make('span', 'path', first.path));
    if (first.role) {
      const tag = make('span', 'role', first.role);
      tag.title = ROLE_TITLES[first.role];
      header.append(tag);
    }
    if (multiRoot) header.append(make('span', 'folder', first.folder));
    group.append(header, ...visible.map((index) => renderRow(state.hits[index]!, index)));
    shown.push(...visible);
    if (!whole) {
      const moreIndex = indices[PER_FILE]!;
      moreRows.set(moreIndex, key);
      shown.push(moreIndex);
      group.append(renderMore(moreIndex, indices.length - PER_FILE, first.path));
    }
    results.append(group);
  }
  renderActive();
}

/** Says how many results there are, once per answer (a live region; screen readers read it out). */
function announce(): void {
  const count = state.hits.length;
  const found = count === 0 ? 'No results' : `${count} result${count === 1 ? '' : 's'}`;
  announcer.textContent = state.hits[0]?.close === false ? `No close match. ${found}, nearest first` : found;
}

function renderActive(): void {
  for (const node of results.querySelectorAll('.hit')) {
    const selected = node.id === `hit-${state.active}`;
    node.classList.toggle('active', selected);
    node.setAttribute('aria-selected', String(selected));
    if (selected) node.scrollIntoView({ block: 'nearest' });
  }
  if (state.active >= 0) results.setAttribute('aria-activedescendant', `hit-${state.active}`);
  else results.removeAttribute('aria-activedescendant');
}

function render(): void {
  renderStatus();
  renderMessage();
  renderNotice();
  renderResults();
}

// --- wiring ----------------------------------------------------------------------------------

function receive(data: HostMessage): void {
  switch (data.type) {
    case 'status': {
      // Index progress comes several times a second: the results are rebuilt only if they show
      // differently (a folder column in a multi-root workspace), so a hovered row stays hovered.
      const relabel = data.multiRoot !== multiRoot;
      // A cleared index leaves nothing to show: results from before would open stale places.
      const cleared = data.overall.kind === 'none' && state.hits.length > 0;
      overall = data.overall;
      multiRoot = data.multiRoot;
      if (cleared) {
        state.hits = [];
        state.active = -1;
        correction = undefined;
        save();
        announce();
        renderNotice();
      }
      renderStatus();
      renderMessage();
      if (relabel || cleared) renderResults();
      return;
    }
    case 'results':
      if (data.seq !== seq) return; // an older query's answer
      // A refresh that changed nothing leaves the list alone (a hovered row stays hovered).
      if (data.seq === shownSeq && data.correction === correction && JSON.stringify(data.hits) === JSON.stringify(state.hits)) return;
      searching = false;
      state.active = data.seq === shownSeq ? selectionAfterRefresh(state.hits[state.active], data.hits) : data.hits.length > 0 ? 0 : -1;
      if (data.seq !== shownSeq) expanded.clear();
      state.hits = data.hits;
      correction = data.correction;
      shownSeq = data.seq;
      save();
      announce();
      break;
    case 'searchError':
      if (data.seq !== seq) return;
      searching = false;
      searchError = data.message;
      correction = undefined;
      state.hits = [];
      break;
  }
  render();
}

languageSelect.append(new Option('All languages', ''));
for (const [id, label] of Object.entries(LANGUAGE_LABELS)) languageSelect.append(new Option(label, id));
// What was typed before this script ran (a slow start) wins over the state saved last time.
if (queryInput.value === '') queryInput.value = state.query;
if (folderInput.value === '') folderInput.value = state.folder;
languageSelect.value = state.language;

queryInput.addEventListener('input', search);
folderInput.addEventListener('input', search);
languageSelect.addEventListener('change', search);
queryInput.addEventListener('keydown', onKey);
results.addEventListener('keydown', onKey);
window.addEventListener('message', (event: MessageEvent<HostMessage>) => receive(event.data));

render();
send({ type: 'ready' });
// Results kept from before the view was hidden may be stale, and text typed before the listeners
// were attached was never searched: ask now.
if (queryInput.value.trim() !== '') search();
queryInput.focus();

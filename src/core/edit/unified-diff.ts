// A unified diff (`diff -u` style, 3 lines of context) between two versions of one file: what the
// user reviews before anything is written, and what `patch -p1` / `git apply` accept.

const CONTEXT = 3;
/** Above this many cells the middle is shown as one replaced block instead of a line-by-line LCS. */
const MAX_LCS_CELLS = 4_000_000;

type Op = { kind: ' ' | '-' | '+'; line: string };

/** Lines with their terminators, so "x" at the end of a file differs from "x\n". */
function linesOf(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** Common prefix and suffix first (edits are local), then a longest common subsequence of the middle. */
function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (suffix < a.length - prefix && suffix < b.length - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix++;
  const am = a.slice(prefix, a.length - suffix);
  const bm = b.slice(prefix, b.length - suffix);
  const same = (lines: readonly string[]): Op[] => lines.map((line) => ({ kind: ' ', line }));
  return [...same(a.slice(0, prefix)), ...middleOps(am, bm), ...same(a.slice(a.length - suffix))];
}

function middleOps(a: readonly string[], b: readonly string[]): Op[] {
  const removed = a.map((line): Op => ({ kind: '-', line }));
  const added = b.map((line): Op => ({ kind: '+', line }));
  if (a.length === 0 || b.length === 0 || a.length * b.length > MAX_LCS_CELLS) return [...removed, ...added];
  // lcs[i][j]: length of the LCS of a[i..] and b[j..], in one flat array.
  const width = b.length + 1;
  const lcs = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i * width + j] = a[i] === b[j] ? (lcs[(i + 1) * width + j + 1] ?? 0) + 1 : Math.max(lcs[(i + 1) * width + j] ?? 0, lcs[i * width + j + 1] ?? 0);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      ops.push({ kind: ' ', line: a[i++] ?? '' });
      j++;
    } else if ((lcs[(i + 1) * width + j] ?? 0) >= (lcs[i * width + j + 1] ?? 0)) ops.push({ kind: '-', line: a[i++] ?? '' });
    else ops.push({ kind: '+', line: b[j++] ?? '' });
  }
  return [...ops, ...removed.slice(i), ...added.slice(j)];
}

function printed(op: Op): string {
  const body = op.line.endsWith('\n') ? op.line.slice(0, -1) : `${op.line}\n\\ No newline at end of file`;
  return `${op.kind}${body}\n`;
}

/** `--- a/PATH` / `+++ b/PATH` and the hunks; '' when the texts are equal. */
export function unifiedDiff(path: string, before: string, after: string): string {
  const ops = diffLines(linesOf(before), linesOf(after));
  const changed = ops.flatMap((op, index) => (op.kind === ' ' ? [] : [index]));
  if (changed.length === 0) return '';
  // Hunks: runs of changes whose context windows touch or overlap.
  const hunks: Array<[number, number]> = [];
  for (const index of changed) {
    const last = hunks.at(-1);
    if (last !== undefined && index - last[1] <= 2 * CONTEXT + 1) last[1] = index;
    else hunks.push([index, index]);
  }
  let out = `--- a/${path}\n+++ b/${path}\n`;
  for (const [first, last] of hunks) {
    const from = Math.max(0, first - CONTEXT);
    const to = Math.min(ops.length - 1, last + CONTEXT);
    // Line numbers where the hunk starts in each version: lines before it that each version has.
    const before = ops.slice(0, from);
    const oldStart = before.filter((op) => op.kind !== '+').length;
    const newStart = before.filter((op) => op.kind !== '-').length;
    const body = ops.slice(from, to + 1);
    const oldCount = body.filter((op) => op.kind !== '+').length;
    const newCount = body.filter((op) => op.kind !== '-').length;
    // An empty side is numbered by the line before it, as diff does.
    out += `@@ -${oldCount === 0 ? oldStart : oldStart + 1},${oldCount} +${newCount === 0 ? newStart : newStart + 1},${newCount} @@\n`;
    out += body.map(printed).join('');
  }
  return out;
}

// Line bookkeeping shared by the chunker: rows are 0-based here, lines 1-based in `Chunk`.

/** Offsets of the lines of one text; built once per file in a single pass. */
export class LineIndex {
  /** Offset of the first character of each row. */
  readonly starts: number[];

  constructor(readonly text: string) {
    const starts = [0];
    let at = text.indexOf('\n');
    while (at !== -1) {
      starts.push(at + 1);
      at = text.indexOf('\n', at + 1);
    }
    this.starts = starts;
  }

  get count(): number {
    return this.starts.length;
  }

  start(row: number): number {
    return this.starts[row] ?? this.text.length;
  }

  /** Offset just past the row's last character, excluding its line terminator (`\n` or `\r\n`). */
  end(row: number): number {
    const next = this.starts[row + 1];
    if (next === undefined) return this.text.length;
    let end = next - 1;
    if (end > 0 && this.text.charCodeAt(end - 1) === 13) end--;
    return Math.max(end, this.start(row));
  }

  /** Text of rows `first..last` inclusive, without the last row's terminator. */
  slice(first: number, last: number): string {
    return this.text.slice(this.start(first), this.end(last));
  }

  line(row: number): string {
    return this.text.slice(this.start(row), this.end(row));
  }

  isBlank(row: number): boolean {
    const end = this.end(row);
    for (let i = this.start(row); i < end; i++) {
      const c = this.text.charCodeAt(i);
      if (c !== 32 && c !== 9 && c !== 13 && c !== 12 && c !== 11 && c !== 0xfeff && c !== 0xa0) return false;
    }
    return true;
  }

  firstNonBlank(from = 0, to = this.count - 1): number {
    for (let r = from; r <= to; r++) if (!this.isBlank(r)) return r;
    return -1;
  }

  lastNonBlank(from = 0, to = this.count - 1): number {
    for (let r = to; r >= from; r--) if (!this.isBlank(r)) return r;
    return -1;
  }
}

/**
 * Windows of `size` rows overlapping by `overlap` over rows `first..last` (0-based, inclusive).
 * The last window ends exactly at `last`; consecutive windows advance by `size - overlap`.
 */
export function windowRanges(first: number, last: number, size: number, overlap: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  if (first < 0 || last < first) return out;
  let start = first;
  for (;;) {
    const end = Math.min(start + size - 1, last);
    out.push([start, end]);
    if (end >= last) return out;
    start = end - overlap + 1;
  }
}

/** Splits `count` consecutive items into the fewest pieces of at most `max`, as even as possible: [offset, length] pairs. */
export function evenPieces(count: number, max: number): Array<[number, number]> {
  const pieces = Math.max(1, Math.ceil(count / max));
  const base = Math.floor(count / pieces);
  const extra = count % pieces;
  const out: Array<[number, number]> = [];
  let at = 0;
  for (let i = 0; i < pieces; i++) {
    const len = base + (i < extra ? 1 : 0);
    out.push([at, len]);
    at += len;
  }
  return out;
}

// The sidebar shows results grouped by file, each file where its best result ranks; the keyboard
// moves through the rows as they are shown, not in ranking order (which would jump between files).

export interface FileGroup {
  /** The folder and the path, one line each. */
  key: string;
  /** Indices into the hits, best first. */
  indices: number[];
}

export function fileGroups(hits: ReadonlyArray<{ root: string; path: string }>): FileGroup[] {
  const groups = new Map<string, FileGroup>();
  hits.forEach((hit, index) => {
    const key = `${hit.root}\n${hit.path}`;
    const group = groups.get(key) ?? { key, indices: [] };
    group.indices.push(index);
    groups.set(key, group);
  });
  return [...groups.values()];
}

/** The hit `by` rows away from `active` in `shown` order (kept inside the list); -1 for an empty list. */
export function moveThrough(shown: readonly number[], active: number, by: number | 'first' | 'last'): number {
  if (shown.length === 0) return -1;
  if (by === 'first') return shown[0]!;
  if (by === 'last') return shown.at(-1)!;
  const at = shown.indexOf(active);
  // Nothing selected yet: ↓ starts at the first row, ↑ at the last.
  if (at < 0) return by > 0 ? shown[0]! : shown.at(-1)!;
  return shown[Math.min(shown.length - 1, Math.max(0, at + by))]!;
}

// LanceDB filters are SQL strings: every value goes through here, so a `'` in a file name
// cannot break (or change) a predicate.

export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** `column IN ('a', 'b')`; callers keep lists to a few hundred values per statement. */
export function sqlIn(column: string, values: readonly string[]): string {
  return values.length === 0 ? 'false' : `${column} IN (${values.map(sqlString).join(', ')})`;
}

/** `column LIKE 'prefix%'`, with LIKE's wildcards in `prefix` (`%`, `_`, and its escape `\`) matched literally. */
export function sqlStartsWith(column: string, prefix: string): string {
  const escaped = prefix.replace(/[\\%_]/g, (c) => `\\${c}`);
  return `${column} LIKE ${sqlString(`${escaped}%`)} ESCAPE '\\'`;
}

// What the training and harvesting scripts share on their command lines.

/** A bad flag or value: the script prints the message and its help, and exits 2. */
export class UsageError extends Error {}

/** The numeric value of `--name`, or undefined when the flag was not given. */
export function num(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} expects a number, got "${value}"`);
  return n;
}

/** A line of the script's report, on stdout. */
export function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

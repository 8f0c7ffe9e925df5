// Checks of options passed by callers (p-limit/esbuild style: a TypeError naming the option).

/** Validates an option that must be a positive integer (p-limit/esbuild style: a TypeError naming it). */
export function positiveInt(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(`${where}: option \`${name}\` must be a positive integer, got ${describe(value)}`);
  }
  return value;
}

/** Validates an option that must be a whole number from 1 to `max`. */
export function boundedInt(where: string, name: string, value: unknown, max: number): number {
  if (positiveInt(where, name, value) > max) throw new RangeError(`${where}: option \`${name}\` must be at most ${max}, got ${value}`);
  return value as number;
}

export function nonEmptyString(where: string, name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`${where}: option \`${name}\` must be a non-empty string, got ${describe(value)}`);
  }
  return value;
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return typeof value;
}


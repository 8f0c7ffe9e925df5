// What the training and harvesting scripts share on their command lines.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { messageOf } from '../src/core/errors.js';

/** A bad flag or value: the script prints the message and its help, and exits 2. */
export class UsageError extends Error {}

type FlagOptions = NonNullable<ParseArgsConfig['options']>;

/** The flags of `args` (default: the process's), strictly: an unknown flag or a missing value is a UsageError. */
export function parseFlags<O extends FlagOptions>(options: O, args?: string[]): ReturnType<typeof parseArgs<{ options: O; strict: true }>>['values'] {
  try {
    return parseArgs({ options, strict: true, ...(args ? { args } : {}) }).values;
  } catch (error) {
    throw new UsageError(messageOf(error));
  }
}

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

/** Runs a script's main: a UsageError prints its message and the help and exits 2; anything else is a bug and throws. */
export function runScript(main: () => Promise<void>, helpText: string): void {
  main().catch((error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\n${helpText}\n`);
      process.exitCode = 2;
      return;
    }
    throw error;
  });
}

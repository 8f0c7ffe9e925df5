/**
 * A failure the user can act on: the message says what went wrong and what to do next.
 * Front ends print it as one line (plus its cause); anything else is a bug and keeps its stack.
 */
export class UserError extends Error {
  override readonly name: string = 'UserError';
}

/** What went wrong, in words: an Error's message, anything else thrown as a string. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

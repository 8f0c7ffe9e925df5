// HTTP helpers shared by the OpenAI-protocol clients (embeddings and chat): which statuses are worth
// another try, and one wording of the `openai` package's errors with a hint at what to check.

import OpenAI from 'openai';

/** HTTP statuses worth another try: timeout, conflict, rate limit, server errors (the openai package retries the same). */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** "1 attempt", "4 attempts": the first try and the package's retries. */
function attemptCount(maxRetries: number): string {
  return `${maxRetries + 1} attempt${maxRetries === 0 ? '' : 's'}`;
}

/** What to check for a status that no retry fixes (wrong key, no access, wrong URL or model); '' for the others. */
export function statusHint(status: number | undefined): string {
  if (status === 401 || status === 403) return ' (check the API key)';
  if (status === 404) return ' (check baseURL, which usually ends in /v1, and the model name)';
  return '';
}

export interface OpenAIFailure {
  kind: 'timeout' | 'connection' | 'http';
  /** The response's HTTP status (kind 'http'; undefined where the package has none). */
  status: number | undefined;
  /** One line that starts with the caller's `where`; the server's own message included, as it came. */
  message: string;
}

/**
 * An `openai` package error in words: a timeout or a failed connection with the attempts made, or
 * an HTTP status with whether it was retried, a hint for the statuses no retry fixes, and the
 * server's message. `where` names the request (e.g. "Chat request to host (model m)"). Undefined
 * for anything that is not an APIError, which the caller words itself. An APIUserAbortError is an
 * APIError without a status: callers that want to pass aborts through check for it first.
 */
export function describeOpenAIError(err: unknown, where: string, { timeoutMs, maxRetries }: { timeoutMs: number; maxRetries: number }): OpenAIFailure | undefined {
  const attempts = attemptCount(maxRetries);
  if (err instanceof OpenAI.APIConnectionTimeoutError) {
    return { kind: 'timeout', status: undefined, message: `${where} timed out after ${timeoutMs} ms (${attempts})` };
  }
  if (err instanceof OpenAI.APIConnectionError) {
    return { kind: 'connection', status: undefined, message: `${where} could not connect (${attempts}): ${err.message}` };
  }
  if (err instanceof OpenAI.APIError) {
    const status = typeof err.status === 'number' ? err.status : undefined;
    const retried = status !== undefined && isRetryableStatus(status) ? ` after ${attempts}` : '';
    return { kind: 'http', status, message: `${where} failed with HTTP ${String(status)}${retried}${statusHint(status)}: ${err.message}` };
  }
  return undefined;
}

// HTTP helpers shared by the OpenAI-protocol clients (embeddings and chat).

/** HTTP statuses worth another try: timeout, conflict, rate limit, server errors (the openai package retries the same). */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}


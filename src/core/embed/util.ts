// Small helpers shared by the embedding backends and wrappers.

import { createHash } from 'node:crypto';

/** Scales `v` in place to unit L2 norm and returns it. An all-zero vector is left as it is. */
export function l2normalize(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i] ?? 0;
    sum += x * x;
  }
  if (sum > 0 && Number.isFinite(sum)) {
    const inv = 1 / Math.sqrt(sum);
    for (let i = 0; i < v.length; i++) v[i] = (v[i] ?? 0) * inv;
  }
  return v;
}

/** Throws `signal.reason` (a DOMException named AbortError unless the caller gave another) if aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  signal?.throwIfAborted();
}

/** The reason an aborted signal carries, as an Error suitable for rejecting with. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/**
 * Settles like `promise`, but rejects as soon as `signal` aborts (with its reason), even while the
 * underlying work goes on (e.g. a client sleeping between retries). The late result is ignored.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** Validates an option that must be a positive integer (p-limit/esbuild style: a TypeError naming it). */
export function positiveInt(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(`${where}: option \`${name}\` must be a positive integer, got ${describe(value)}`);
  }
  return value;
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

/** HTTP statuses worth another try: timeout, conflict, rate limit, server errors (the openai package retries the same). */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

export function sha256Hex(...parts: (string | Uint8Array)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

/** Checks that a backend returned one vector of the expected length per input. */
export function checkVectors(where: string, vectors: readonly Float32Array[], count: number, dimension: number): void {
  if (vectors.length !== count) {
    throw new Error(`${where}: expected ${count} vectors, got ${vectors.length}`);
  }
  for (const [i, v] of vectors.entries()) {
    if (v.length !== dimension) {
      throw new Error(`${where}: vector ${i} has ${v.length} dimensions, expected ${dimension}`);
    }
  }
}

// Timing async functions for the performance scripts.

export type AsyncFn<A extends unknown[], R> = (...args: A) => Promise<R>;

/** `fn`, timed: each call's milliseconds go to `record`. */
export function timed<A extends unknown[], R>(fn: AsyncFn<A, R>, record: (ms: number) => void): AsyncFn<A, R> {
  return async (...args: A): Promise<R> => {
    const start = performance.now();
    try {
      return await fn(...args);
    } finally {
      record(performance.now() - start);
    }
  };
}

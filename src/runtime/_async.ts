/**
 * The few async helpers runnel needs, named as `@std/async` names them so
 * the swap is one import once that registry is reachable.
 *
 * @module
 */

/**
 * Waits for `ms` of real time; rejects with `signal.reason` on abort, leaving no timer behind.
 */
export function delay(ms: number, options: { signal?: AbortSignal } = {}): Promise<void> {
  const { signal } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Settles like `promise`, or rejects with `signal.reason` if the signal aborts first. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => {});
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** A promise with its `resolve` exposed. */
export interface Deferred<T> {
  /** The promise. */
  promise: Promise<T>;
  /** Resolves `promise`. */
  resolve: (value: T) => void;
}

/** Makes a promise that something else resolves (`Promise.withResolvers` is not on Node 20). */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => resolve = r);
  return { promise, resolve };
}

/** Whether `value` looks like a promise; only then is it awaited, to keep sync paths fast. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function") &&
    typeof (value as PromiseLike<unknown>).then === "function";
}

/**
 * Closes an iterator. If a `next()` is still pending it may never settle (a
 * source waiting on input), so then closing is requested but not awaited.
 */
export async function closeIterator(
  iterator: AsyncIterator<unknown>,
  pending: boolean,
): Promise<void> {
  const closing = iterator.return?.();
  if (pending) closing?.catch(() => {});
  else await closing;
}

/**
 * The runtime's one async helper of its own; delays, abort races, thenable
 * checks and iterator closing are the operators' (`operators/_abort.ts`,
 * `_thenable.ts`, `_close.ts`), shared rather than written twice.
 *
 * @module
 */

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

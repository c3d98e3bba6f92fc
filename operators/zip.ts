/**
 * Pairing up the items of several streams.
 *
 * @module
 */

import { raceAbort } from "./_abort.ts";
import { requireSignal, requireSources } from "./_args.ts";
import { close } from "./_close.ts";

/**
 * Options for {@linkcode zip}.
 *
 * @example Stopping a zip that waits on a slow source
 * ```ts
 * import { fromIterable, interval, toArray, zip, type ZipOptions } from "@runnel/runnel/operators";
 * import assert from "node:assert/strict";
 *
 * const options: ZipOptions = { signal: AbortSignal.timeout(10) };
 * // The hourly clock would hold the first pair for an hour; the signal ends the wait.
 * const pairs = zip([fromIterable(["a", "b"]), interval(3_600_000)], options);
 * await assert.rejects(toArray(pairs), { name: "TimeoutError" });
 * ```
 */
export interface ZipOptions {
  /** Stops the zip: the iteration rejects with `signal.reason` and every source is closed. */
  signal?: AbortSignal;
}

/**
 * Yields tuples of the sources' items by position: the first item of each,
 * then the second of each, and so on.
 *
 * Each round pulls every source once, concurrently, and waits for all of
 * them, so the slowest source sets the pace and nothing is buffered. Ends with
 * the shortest source: as soon as one source ends, the others are closed (the
 * items they produced in that last round are dropped). If a source throws, the
 * zip throws that error and closes the others.
 *
 * @typeParam T The tuple of item types, one per source.
 * @param sources The streams to read; an empty array gives an empty stream.
 * @param options `signal` to stop early.
 * @returns An async iterable of tuples.
 *
 * @example Pairing names and scores
 * ```ts
 * import { fromIterable, toArray, zip } from "@runnel/runnel/operators";
 * import assert from "node:assert/strict";
 *
 * const pairs = zip([fromIterable(["ada", "alan", "grace"]), fromIterable([36, 41])]);
 * assert.deepEqual(await toArray(pairs), [["ada", 36], ["alan", 41]]);
 * ```
 */
export function zip<T extends unknown[]>(
  sources: readonly [...{ [K in keyof T]: AsyncIterable<T[K]> }],
  options: ZipOptions = {},
): AsyncIterable<T> {
  const { signal } = options;
  requireSources("zip()", sources);
  requireSignal("zip()", signal);
  return zipItems([...sources] as AsyncIterable<unknown>[], signal) as AsyncIterable<T>;
}

async function* zipItems(
  sources: AsyncIterable<unknown>[],
  signal: AbortSignal | undefined,
): AsyncGenerator<unknown[]> {
  if (sources.length === 0) return;
  const iterators = sources.map((source) => source[Symbol.asyncIterator]());
  const open = new Set(iterators);
  const busy = new Set<AsyncIterator<unknown>>();

  const pull = async (iterator: AsyncIterator<unknown>) => {
    busy.add(iterator);
    try {
      const result = await iterator.next();
      if (result.done) open.delete(iterator);
      return result;
    } catch (error) {
      open.delete(iterator);
      throw error;
    } finally {
      busy.delete(iterator);
    }
  };

  try {
    while (true) {
      signal?.throwIfAborted();
      const results = await raceAbort(Promise.all(iterators.map(pull)), signal);
      if (results.some((result) => result.done)) return;
      yield results.map((result) => result.value);
    }
  } finally {
    await Promise.all([...open].map((iterator) => close(iterator, busy.has(iterator))));
  }
}

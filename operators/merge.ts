/**
 * Interleaving several streams as their items arrive.
 *
 * @module
 */

import { raceAbort } from "./_abort.ts";
import { requireSignal, requireSources } from "./_args.ts";
import { close } from "./_close.ts";

/**
 * Options for {@linkcode merge}.
 *
 * @example Stopping a merge that waits on a slow source
 * ```ts
 * import { fromIterable, interval, merge, type MergeOptions } from "@runnel/runnel/operators";
 * import assert from "node:assert/strict";
 *
 * const controller = new AbortController();
 * const options: MergeOptions = { signal: controller.signal };
 * const seen: number[] = [];
 * await assert.rejects(async () => {
 *   // The hourly clock has not ticked yet when the signal stops the merge.
 *   for await (const item of merge([fromIterable([10, 20]), interval(3_600_000)], options)) {
 *     seen.push(item);
 *     if (seen.length === 2) controller.abort(new Error("stop"));
 *   }
 * }, { message: "stop" });
 * assert.deepEqual(seen, [10, 20]);
 * ```
 */
export interface MergeOptions {
  /** Stops the merge: the iteration rejects with `signal.reason` and every source is closed. */
  signal?: AbortSignal;
}

/** A settled pull, kept until the consumer asks for it. */
type Arrival<T> =
  | { index: number; result: IteratorResult<T> }
  | { index: number; error: unknown };

/**
 * Yields the items of all `sources` in the order they arrive, reading the
 * sources concurrently.
 *
 * Bounded: each source has at most one `next()` in flight, and is pulled
 * again only after the consumer has taken its previous item, so a fast source
 * cannot run ahead of a slow consumer and at most one item per source waits
 * in memory. Items of one source keep their order; between sources, order is
 * arrival order. Ends when every source has ended. If a source throws, the
 * merge throws that error and closes the others; if the consumer breaks, all
 * sources are closed (one busy producing is closed once its pending `next()`
 * settles, without making the consumer wait for it).
 *
 * @typeParam T The item types of the sources, one per source; the result
 * yields their union.
 * @param sources The streams to read; an empty array gives an empty stream.
 * @param options `signal` to stop early.
 * @returns An async iterable over every source's items.
 *
 * @example Merging two streams
 * ```ts
 * import { fromIterable, merge, toArray } from "@runnel/runnel/operators";
 * import assert from "node:assert/strict";
 *
 * const all = await toArray(merge([fromIterable([1, 2]), fromIterable([3])]));
 * assert.deepEqual(all.sort(), [1, 2, 3]);
 * ```
 */
export function merge<T extends unknown[]>(
  sources: readonly [...{ [K in keyof T]: AsyncIterable<T[K]> }],
  options: MergeOptions = {},
): AsyncIterable<T[number]> {
  const { signal } = options;
  requireSources("merge()", sources);
  requireSignal("merge()", signal);
  return mergeItems<T[number]>([...sources], signal);
}

async function* mergeItems<T>(
  sources: AsyncIterable<T>[],
  signal: AbortSignal | undefined,
): AsyncGenerator<T> {
  signal?.throwIfAborted();
  const iterators = sources.map((source) => source[Symbol.asyncIterator]());
  const open = new Set(iterators.keys());
  const busy = new Set<number>();
  // Settled pulls wait here rather than in a `Promise.race` over all pending
  // pulls: racing the same long-pending promise again for every item would
  // pile up reactions on it, and memory must stay flat on endless input.
  const arrivals: Arrival<T>[] = [];
  let wake: (() => void) | undefined;

  const pull = (index: number) => {
    busy.add(index);
    const arrive = (arrival: Arrival<T>) => {
      busy.delete(index);
      arrivals.push(arrival);
      wake?.();
    };
    iterators[index].next().then(
      (result) => arrive({ index, result }),
      (error) => arrive({ index, error }),
    );
  };

  try {
    for (const index of open) pull(index);
    while (open.size > 0) {
      if (arrivals.length === 0) {
        await raceAbort(new Promise<void>((resolve) => wake = resolve), signal);
        wake = undefined;
      }
      const arrival = arrivals.shift()!;
      if ("error" in arrival) {
        open.delete(arrival.index);
        throw arrival.error;
      }
      if (arrival.result.done) {
        open.delete(arrival.index);
        continue;
      }
      yield arrival.result.value;
      // An abort while the consumer held the item must start no further pull.
      signal?.throwIfAborted();
      pull(arrival.index);
    }
  } finally {
    await Promise.all([...open].map((index) => close(iterators[index], busy.has(index))));
  }
}

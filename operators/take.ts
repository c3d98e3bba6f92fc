/**
 * Keeping the first items of a stream.
 *
 * @module
 */

import { requireInteger } from "./_args.ts";
import type { Operator } from "./pipe.ts";

/**
 * Yields the first `count` items, then ends and closes the source.
 *
 * The source is never pulled more than `count` times: after the last item the
 * source is closed rather than asked for one more, so `take` is how an
 * infinite source is made finite. `take(0)` never starts the source.
 *
 * @typeParam T The type of the items.
 * @param count How many items to keep; a non-negative integer.
 * @returns An operator yielding at most `count` items.
 * @throws {RangeError} When `count` is negative or not an integer.
 *
 * @example Taking from an endless source
 * ```ts
 * import { interval, pipe, take, toArray } from "@runnel/runnel/operators";
 * import assert from "node:assert/strict";
 *
 * const ticks = pipe(interval(1), take(3));
 * assert.deepEqual(await toArray(ticks), [0, 1, 2]);
 * ```
 */
export function take<T>(count: number): Operator<T, T> {
  requireInteger("take()", "count", count, 0);
  return async function* takeItems(source) {
    if (count === 0) return;
    let taken = 0;
    for await (const item of source) {
      yield item;
      if (++taken === count) return;
    }
  };
}

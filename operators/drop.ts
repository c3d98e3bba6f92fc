/**
 * Skipping the first items of a stream.
 *
 * @module
 */

import { requireInteger } from "./_args.ts";
import type { Operator } from "./pipe.ts";

/**
 * Skips the first `count` items and yields the rest, in order.
 *
 * The skipped items are still pulled from the source (they have to be read to
 * be skipped). Ends when the source ends.
 *
 * @typeParam T The type of the items.
 * @param count How many items to skip; a non-negative integer.
 * @returns An operator yielding the items after the first `count`.
 * @throws {RangeError} When `count` is negative or not an integer.
 *
 * @example Skipping a header line
 * ```ts
 * import { drop, fromIterable, pipe, toArray } from "@runnel/runnel/operators";
 * import assert from "node:assert/strict";
 *
 * const rows = pipe(fromIterable(["name,age", "ada,36", "alan,41"]), drop(1));
 * assert.deepEqual(await toArray(rows), ["ada,36", "alan,41"]);
 * ```
 */
export function drop<T>(count: number): Operator<T, T> {
  requireInteger("drop()", "count", count, 0);
  return async function* dropItems(source) {
    let seen = 0;
    for await (const item of source) {
      if (seen++ >= count) yield item;
    }
  };
}

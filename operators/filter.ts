/**
 * Keeping the items that pass a test.
 *
 * @module
 */

import { requireFunction } from "./_args.ts";
import { isThenable } from "./_thenable.ts";
import type { Operator } from "./pipe.ts";

/**
 * Yields the items for which `predicate(item, index)` is truthy, in order.
 *
 * A type-guard predicate narrows the output type. An async predicate is
 * awaited before the next item is pulled. Ends when the source ends.
 *
 * @typeParam T The type of the items.
 * @param predicate Called with each item and its 0-based index in the source;
 * may return a promise.
 * @returns An operator yielding the items that passed.
 *
 * @example Keeping even numbers
 * ```ts
 * import { filter, fromIterable, pipe, toArray } from "@runnel/runnel/operators";
 * import assert from "node:assert/strict";
 *
 * const even = pipe(fromIterable([1, 2, 3, 4]), filter((n) => n % 2 === 0));
 * assert.deepEqual(await toArray(even), [2, 4]);
 * ```
 */
export function filter<T, S extends T>(
  predicate: (item: T, index: number) => item is S,
): Operator<T, S>;
/**
 * Yields the items for which `predicate(item, index)` is truthy. The overload for predicates that are not type guards; see above.
 *
 * @typeParam T The type of the items.
 * @param predicate Called with each item and its 0-based index; may return a
 * promise.
 * @returns An operator yielding the items that passed.
 */
export function filter<T>(
  predicate: (item: T, index: number) => unknown,
): Operator<T, T>;
export function filter<T>(
  predicate: (item: T, index: number) => unknown,
): Operator<T, T> {
  requireFunction("filter()", "predicate", predicate);
  return async function* filterItems(source) {
    let index = 0;
    for await (const item of source) {
      const verdict = predicate(item, index++);
      if (isThenable(verdict) ? await verdict : verdict) yield item;
    }
  };
}

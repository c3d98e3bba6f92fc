/**
 * Keeping items while a condition holds.
 *
 * @module
 */

import { requireFunction } from "./_args.ts";
import { isThenable } from "./_thenable.ts";
import type { Operator } from "./pipe.ts";

/**
 * Yields items while `predicate(item, index)` is truthy; at the first item
 * that fails, ends without yielding it and closes the source.
 *
 * A type-guard predicate narrows the output type. An async predicate is
 * awaited before the next item is pulled.
 *
 * @typeParam T The type of the items.
 * @param predicate Called with each item and its 0-based index; may return a
 * promise.
 * @returns An operator yielding the leading run of items that pass.
 *
 * @example Reading until a sentinel
 * ```ts
 * import { fromIterable, pipe, takeWhile, toArray } from "@runnel/runnel/operators";
 * import assert from "node:assert/strict";
 *
 * const beforeEnd = pipe(fromIterable(["a", "b", "END", "c"]), takeWhile((s) => s !== "END"));
 * assert.deepEqual(await toArray(beforeEnd), ["a", "b"]);
 * ```
 */
export function takeWhile<T, S extends T>(
  predicate: (item: T, index: number) => item is S,
): Operator<T, S>;
/**
 * Yields items while `predicate(item, index)` is truthy. The overload for predicates that are not type guards; see above.
 *
 * @typeParam T The type of the items.
 * @param predicate Called with each item and its 0-based index; may return a
 * promise.
 * @returns An operator yielding the items that passed.
 */
export function takeWhile<T>(
  predicate: (item: T, index: number) => unknown,
): Operator<T, T>;
export function takeWhile<T>(
  predicate: (item: T, index: number) => unknown,
): Operator<T, T> {
  requireFunction("takeWhile()", "predicate", predicate);
  return async function* takeWhileItems(source) {
    let index = 0;
    for await (const item of source) {
      const verdict = predicate(item, index++);
      if (!(isThenable(verdict) ? await verdict : verdict)) return;
      yield item;
    }
  };
}

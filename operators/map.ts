/**
 * Transforming each item.
 *
 * @module
 */

import { requireFunction } from "./_args.ts";
import { isThenable } from "./_thenable.ts";
import type { Operator } from "./pipe.ts";

/**
 * Yields `fn(item, index)` for each item, in order.
 *
 * One item is in flight at a time: an async `fn` is awaited before the next
 * item is pulled, so output order is input order and a slow `fn` slows the
 * source. Ends when the source ends.
 *
 * @typeParam T The type of the items read.
 * @typeParam R The type of the items yielded.
 * @param fn Called with each item and its 0-based index; may return a promise.
 * @returns An operator yielding the mapped items.
 *
 * @example Doubling numbers
 * ```ts
 * import { fromIterable, map, pipe, toArray } from "@runnel/runnel/operators";
 * import assert from "node:assert/strict";
 *
 * const doubled = pipe(fromIterable([1, 2, 3]), map((n) => n * 2));
 * assert.deepEqual(await toArray(doubled), [2, 4, 6]);
 * ```
 */
export function map<T, R>(fn: (item: T, index: number) => R | PromiseLike<R>): Operator<T, R> {
  requireFunction("map()", "fn", fn);
  return async function* mapItems(source) {
    let index = 0;
    for await (const item of source) {
      const result = fn(item, index++);
      yield isThenable(result) ? await result : result;
    }
  };
}

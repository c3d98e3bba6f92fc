/**
 * Transforming items and dropping some, in one step.
 *
 * @module
 */

import { requireFunction } from "./_args.ts";
import { isThenable } from "./_thenable.ts";
import type { Operator } from "./pipe.ts";

/**
 * Yields `fn(item, index)` for each item, skipping `undefined` results.
 *
 * Like Bytewax's `filter_map`: one callback both parses and rejects. Only
 * `undefined` drops an item; `null`, `0` and `""` are values and pass. An
 * async `fn` is awaited before the next item is pulled; order is kept.
 *
 * @typeParam T The type of the items read.
 * @typeParam R The type of the items yielded.
 * @param fn Called with each item and its 0-based index in the source;
 * returns `undefined` to drop the item. May return a promise.
 * @returns An operator yielding the defined results.
 *
 * @example Parsing numbers, dropping what does not parse
 * ```ts
 * import { filterMap, fromIterable, pipe, toArray } from "@runnel/runnel/operators";
 * import assert from "node:assert/strict";
 *
 * const numbers = pipe(
 *   fromIterable(["1", "x", "3"]),
 *   filterMap((text) => {
 *     const n = Number(text);
 *     return Number.isNaN(n) ? undefined : n;
 *   }),
 * );
 * assert.deepEqual(await toArray(numbers), [1, 3]);
 * ```
 */
export function filterMap<T, R>(
  fn: (item: T, index: number) => R | undefined | PromiseLike<R | undefined>,
): Operator<T, R> {
  requireFunction("filterMap()", "fn", fn);
  return async function* filterMapItems(source) {
    let index = 0;
    for await (const item of source) {
      const pending = fn(item, index++);
      const result = isThenable(pending) ? await pending : pending;
      if (result !== undefined) yield result;
    }
  };
}

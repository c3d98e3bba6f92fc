/**
 * Expanding each item into zero or more items.
 *
 * @module
 */

import { requireFunction } from "./_args.ts";
import { isThenable } from "./_thenable.ts";
import type { Operator } from "./pipe.ts";

/**
 * Yields every item of `fn(item, index)`, for each item in turn.
 *
 * `fn` returns an iterable or async iterable (or a promise of one). Each
 * inner iterable is drained before the next source item is pulled, so the
 * output keeps the source's order (a concat-map). Returning `[]` drops an
 * item. Breaking out closes the inner iterable and the source.
 *
 * @typeParam T The type of the items read.
 * @typeParam R The type of the items yielded.
 * @param fn Called with each item and its 0-based index.
 * @returns An operator yielding the items of each inner iterable.
 *
 * @example Splitting lines into words
 * ```ts
 * import { flatMap, fromIterable, pipe, toArray } from "@runnel/runnel/operators";
 * import assert from "node:assert/strict";
 *
 * const words = pipe(fromIterable(["a b", "c"]), flatMap((line) => line.split(" ")));
 * assert.deepEqual(await toArray(words), ["a", "b", "c"]);
 * ```
 */
export function flatMap<T, R>(
  fn: (
    item: T,
    index: number,
  ) => Iterable<R> | AsyncIterable<R> | PromiseLike<Iterable<R> | AsyncIterable<R>>,
): Operator<T, R> {
  requireFunction("flatMap()", "fn", fn);
  return async function* flatMapItems(source) {
    let index = 0;
    for await (const item of source) {
      const inner = fn(item, index++);
      yield* isThenable(inner) ? await inner : inner;
    }
  };
}

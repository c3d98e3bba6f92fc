/**
 * Folding a whole stream into one value.
 *
 * @module
 */

import { requireFunction } from "./_args.ts";
import { isThenable } from "./_thenable.ts";
import type { Operator } from "./pipe.ts";

/**
 * Yields one value at the end of the stream: `reducer(acc, item, index)`
 * folded over every item, starting from `seed`.
 *
 * An operator, not a terminal: it stays inside {@linkcode pipe} like every
 * callback-taking function here (as RxJS's `reduce` and Bytewax's
 * `reduce_final` do), and yields nothing until the source ends, so it never
 * ends on an infinite source. An empty source yields `seed`. Use
 * {@linkcode scan} for every intermediate value, and `toArray` to collect.
 *
 * @typeParam T The type of the items read.
 * @typeParam A The type of the accumulator.
 * @param reducer Returns the next accumulator; may return a promise.
 * @param seed The accumulator before the first item.
 * @returns An operator yielding the final accumulator once.
 *
 * @example Summing a stream
 * ```ts
 * import { fromIterable, pipe, reduce, toArray } from "@runnel/runnel/operators";
 * import assert from "node:assert/strict";
 *
 * const total = pipe(fromIterable([1, 2, 3]), reduce((sum, n) => sum + n, 0));
 * assert.deepEqual(await toArray(total), [6]);
 * ```
 */
export function reduce<T, A>(
  reducer: (acc: A, item: T, index: number) => A | PromiseLike<A>,
  seed: A,
): Operator<T, A> {
  requireFunction("reduce()", "reducer", reducer);
  return async function* reduceItems(source) {
    let acc = seed;
    let index = 0;
    for await (const item of source) {
      const next = reducer(acc, item, index++);
      acc = isThenable(next) ? await next : next;
    }
    yield acc;
  };
}

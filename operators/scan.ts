/**
 * Running accumulations.
 *
 * @module
 */

import { requireFunction } from "./_args.ts";
import { isThenable } from "./_thenable.ts";
import type { Operator } from "./pipe.ts";

/**
 * Yields the accumulator after each item: `reducer(acc, item, index)`,
 * starting from `seed`.
 *
 * One output per input, in order; the seed itself is not yielded, so an empty
 * source yields nothing. Use {@linkcode reduce} for the final value only.
 *
 * @typeParam T The type of the items read.
 * @typeParam A The type of the accumulator.
 * @param reducer Returns the next accumulator; may return a promise.
 * @param seed The accumulator before the first item.
 * @returns An operator yielding each successive accumulator.
 *
 * @example Running total
 * ```ts
 * import { fromIterable, pipe, scan, toArray } from "@runnel/runnel/operators";
 * import assert from "node:assert/strict";
 *
 * const totals = pipe(fromIterable([1, 2, 3]), scan((sum, n) => sum + n, 0));
 * assert.deepEqual(await toArray(totals), [1, 3, 6]);
 * ```
 */
export function scan<T, A>(
  reducer: (acc: A, item: T, index: number) => A | PromiseLike<A>,
  seed: A,
): Operator<T, A> {
  requireFunction("scan()", "reducer", reducer);
  return async function* scanItems(source) {
    let acc = seed;
    let index = 0;
    for await (const item of source) {
      const next = reducer(acc, item, index++);
      acc = isThenable(next) ? await next : next;
      yield acc;
    }
  };
}

/**
 * Observing items without changing them.
 *
 * @module
 */

import { requireFunction } from "./_args.ts";
import { isThenable } from "./_thenable.ts";
import type { Operator } from "./pipe.ts";

/**
 * Calls `fn(item, index)` for each item, then yields the item unchanged.
 *
 * For logging, metrics and debugging. `fn`'s return value is ignored, but a
 * returned promise is awaited before the item moves on, so an async side
 * effect finishes first; if `fn` throws, the stream fails with that error.
 *
 * @typeParam T The type of the items.
 * @param fn Called with each item and its 0-based index; may return a promise.
 * @returns An operator yielding the source's items.
 *
 * @example Logging what passes
 * ```ts
 * import { fromIterable, pipe, tap, toArray } from "@runnel/runnel/operators";
 * import assert from "node:assert/strict";
 *
 * const seen: string[] = [];
 * const same = pipe(fromIterable(["a", "b"]), tap((s, i) => seen.push(`${i}:${s}`)));
 * assert.deepEqual(await toArray(same), ["a", "b"]);
 * assert.deepEqual(seen, ["0:a", "1:b"]);
 * ```
 */
export function tap<T>(fn: (item: T, index: number) => unknown): Operator<T, T> {
  requireFunction("tap()", "fn", fn);
  return async function* tapItems(source) {
    let index = 0;
    for await (const item of source) {
      const effect = fn(item, index++);
      if (isThenable(effect)) await effect;
      yield item;
    }
  };
}

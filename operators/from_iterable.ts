/**
 * Turning any iterable into a stream.
 *
 * @module
 */

import { requireIterable } from "./_args.ts";

/**
 * Yields the items of an array, generator or any other iterable or async
 * iterable, one per pull.
 *
 * Lazy: `iterable` is not touched until the stream is iterated, and a
 * generator is advanced one item per pull, so an endless generator is a fine
 * source. Promises among the items are awaited, as `for await` does. Breaking
 * out calls the iterable's `return()`, so a generator's `finally` runs. Like
 * every stream here it is single-pass: iterate it once.
 *
 * @typeParam T The type of the items.
 * @param iterable Where the items come from.
 * @returns An async iterable over the same items.
 *
 * @example Streaming an array
 * ```ts
 * import { fromIterable, toArray } from "@runnel/runnel/operators";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(await toArray(fromIterable(["a", "b"])), ["a", "b"]);
 * ```
 */
export function fromIterable<T>(
  iterable: Iterable<T> | AsyncIterable<T>,
): AsyncIterable<Awaited<T>> {
  requireIterable("fromIterable()", "iterable", iterable);
  return fromIterableItems(iterable);
}

async function* fromIterableItems<T>(
  iterable: Iterable<T> | AsyncIterable<T>,
): AsyncGenerator<Awaited<T>> {
  yield* iterable as AsyncIterable<Awaited<T>>;
}

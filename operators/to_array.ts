/**
 * Collecting a stream.
 *
 * @module
 */

import { requireSignal } from "./_args.ts";
import { abortable } from "./abortable.ts";

/**
 * Options for {@linkcode toArray}.
 *
 * @example Giving up on a stream that never ends
 * ```ts
 * import { toArray, type ToArrayOptions } from "@runnel/runnel/operators";
 * import assert from "node:assert/strict";
 *
 * async function* oneThenSilence(): AsyncGenerator<number> {
 *   yield 1;
 *   await new Promise(() => {}); // never settles
 * }
 * const options: ToArrayOptions = { signal: AbortSignal.timeout(10) };
 * await assert.rejects(toArray(oneThenSilence(), options), { name: "TimeoutError" });
 * ```
 */
export interface ToArrayOptions {
  /** Stops collecting: the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * Reads the whole stream and resolves with its items, in order.
 *
 * The one terminal here: it consumes the stream and returns a promise, not a
 * stream. It resolves when the source ends, so it never resolves on an
 * infinite source unless `signal` aborts (or a `take` bounds it). A source
 * error rejects the promise with that error. On abort the promise rejects at
 * once, and the stream is closed once its last stage next yields; to stop
 * the stages themselves promptly, also put `abortable` after the source.
 *
 * @typeParam T The type of the items.
 * @param source The stream to read.
 * @param options `signal` to give up early.
 * @returns A promise of every item.
 *
 * @example Collecting a pipeline
 * ```ts
 * import { fromIterable, map, pipe, toArray } from "@runnel/runnel/operators";
 * import assert from "node:assert/strict";
 *
 * const items = await toArray(pipe(fromIterable([1, 2]), map(String)));
 * assert.deepEqual(items, ["1", "2"]);
 * ```
 */
export async function toArray<T>(
  source: AsyncIterable<T>,
  options: ToArrayOptions = {},
): Promise<T[]> {
  const { signal } = options;
  requireSignal("toArray()", signal);
  const items: T[] = [];
  for await (const item of signal ? abortable<T>(signal)(source) : source) items.push(item);
  return items;
}

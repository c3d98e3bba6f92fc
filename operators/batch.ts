/**
 * Grouping items into arrays by count and by time.
 *
 * @module
 */

import { raceAbort } from "./_abort.ts";
import { requireDuration, requireInteger, requireSignal } from "./_args.ts";
import { close } from "./_close.ts";
import type { Operator } from "./pipe.ts";

/**
 * Options for {@linkcode batch}.
 *
 * @example Batches of three from a clock, until a signal
 * ```ts
 * import { batch, type BatchOptions, interval, pipe } from "@runnel/runnel/operators";
 * import assert from "node:assert/strict";
 *
 * const controller = new AbortController();
 * const options: BatchOptions = { size: 3, signal: controller.signal };
 * const batches: number[][] = [];
 * await assert.rejects(async () => {
 *   for await (const items of pipe(interval(1), batch(options))) {
 *     batches.push(items);
 *     if (batches.length === 2) controller.abort(new Error("enough"));
 *   }
 * }, { message: "enough" });
 * assert.deepEqual(batches, [[0, 1, 2], [3, 4, 5]]);
 * ```
 */
export interface BatchOptions {
  /** The most items in one batch; a positive integer. */
  size: number;
  /**
   * Emit a batch this many milliseconds after its first item arrived, even if
   * it is not full. Without it, batches wait for `size` items or the end.
   */
  timeout?: number;
  /** Stops batching: the iteration rejects with `signal.reason` and the timer is cleared. */
  signal?: AbortSignal;
}

/** What the batch timer resolves to, to tell it from the source's next item. */
const EXPIRED = Symbol("expired");

/**
 * Yields arrays of consecutive items: a batch is emitted as soon as it holds
 * `size` items, or `timeout` ms after its first item arrived, whichever comes
 * first; the last, partial batch is emitted when the source ends.
 *
 * Batches are never empty and keep the source's order. The timer starts at a
 * batch's first item, so a quiet source produces no empty batches and no
 * timer runs while nothing is waiting. When the timer fires while the source
 * is still producing, that pending pull is kept for the next batch, so no item
 * is lost and the source is never pulled twice at once.
 *
 * @typeParam T The type of the items.
 * @param options `size`, and optionally `timeout` and `signal`.
 * @returns An operator yielding arrays of at most `size` items.
 * @throws {RangeError} When `size` is not a positive integer or `timeout` is
 * negative or not finite.
 *
 * @example Batches of two
 * ```ts
 * import { batch, fromIterable, pipe, toArray } from "@runnel/runnel/operators";
 * import assert from "node:assert/strict";
 *
 * const batches = pipe(fromIterable([1, 2, 3, 4, 5]), batch({ size: 2 }));
 * assert.deepEqual(await toArray(batches), [[1, 2], [3, 4], [5]]);
 * ```
 *
 * @example A slow source flushed by time
 * ```ts
 * import { batch, interval, pipe, take, toArray } from "@runnel/runnel/operators";
 * import assert from "node:assert/strict";
 *
 * // A tick every 20 ms, but a batch may wait only 30 ms after its first item,
 * // so the ticks are split over several batches long before 100 arrive.
 * const batches = await toArray(
 *   pipe(interval(20), take(4), batch({ size: 100, timeout: 30 })),
 * );
 * assert.deepEqual(batches.flat(), [0, 1, 2, 3]);
 * assert.ok(batches.length > 1);
 * ```
 */
export function batch<T>(options: BatchOptions): Operator<T, T[]> {
  const { size, timeout, signal } = options ?? {};
  requireInteger("batch()", "size", size, 1);
  if (timeout !== undefined) requireDuration("batch()", "timeout", timeout);
  requireSignal("batch()", signal);
  return (source) => batches(source, size, timeout, signal);
}

async function* batches<T>(
  source: AsyncIterable<T>,
  size: number,
  timeout: number | undefined,
  signal: AbortSignal | undefined,
): AsyncGenerator<T[]> {
  const iterator = source[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<T>> | undefined;
  let items: T[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let expired: Promise<typeof EXPIRED> | undefined;
  let done = false;
  const stopTimer = () => {
    clearTimeout(timer);
    expired = undefined;
  };
  const takeBatch = () => {
    stopTimer();
    const full = items;
    items = [];
    return full;
  };
  try {
    while (true) {
      signal?.throwIfAborted();
      pending ??= iterator.next();
      const next = await raceAbort(expired ? Promise.race([pending, expired]) : pending, signal);
      if (next === EXPIRED) {
        yield takeBatch();
        continue;
      }
      pending = undefined;
      if (next.done) {
        done = true;
        if (items.length > 0) yield takeBatch();
        return;
      }
      items.push(next.value);
      if (items.length === size) {
        yield takeBatch();
      } else if (items.length === 1 && timeout !== undefined) {
        // The clock starts at a batch's first item, so a quiet source costs no timer.
        expired = new Promise((resolve) => {
          timer = setTimeout(resolve, timeout, EXPIRED);
        });
      }
    }
  } finally {
    stopTimer();
    if (!done) await close(iterator, pending !== undefined);
  }
}

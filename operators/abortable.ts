/**
 * Making any stream stop when an `AbortSignal` fires.
 *
 * @module
 */

import { raceAbort } from "./_abort.ts";
import { requireSignal } from "./_args.ts";
import { close } from "./_close.ts";
import type { Operator } from "./pipe.ts";

/**
 * Passes items through until `signal` aborts; from then on the iteration
 * rejects with `signal.reason` and the source is closed.
 *
 * This is the one place where abort is handled for item-level operators:
 * rather than every operator taking a signal, put `abortable` right after the
 * source in a {@linkcode pipe}. Every later stage pulls through it, so an
 * abort reaches each of them as that rejection, unwinding the whole pipeline
 * (each stage's `finally` runs) even while a stage such as `reduce` or
 * `filter` is reading many items per output. A pull waiting on the source
 * rejects at once; the source's `return()` runs as soon as the source
 * finishes what it was doing, since an async generator cannot be interrupted
 * mid-`await`. For the same reason, sources that wait on their own (`interval`,
 * `merge`, `zip`, and `batch`'s timer) take `{ signal }` to stop their timers
 * and inputs at once.
 *
 * @typeParam T The type of the items.
 * @param signal Aborting it ends the iteration with `signal.reason`.
 * @returns An operator yielding the source's items until the abort.
 * @throws {TypeError} When `signal` is not an `AbortSignal`.
 *
 * @example Stopping a pipeline from outside
 * ```ts
 * import { abortable, fromIterable, map, pipe } from "@runnel/runnel/operators";
 * import assert from "node:assert/strict";
 *
 * const controller = new AbortController();
 * const seen: number[] = [];
 * const stream = pipe(fromIterable([1, 2, 3]), abortable(controller.signal), map((n) => n * 10));
 * await assert.rejects(async () => {
 *   for await (const n of stream) {
 *     seen.push(n);
 *     if (n === 20) controller.abort(new Error("stop"));
 *   }
 * }, { message: "stop" });
 * assert.deepEqual(seen, [10, 20]);
 * ```
 */
export function abortable<T>(signal: AbortSignal): Operator<T, T> {
  requireSignal("abortable()", signal, false);
  return (source) => abortableItems(source, signal);
}

async function* abortableItems<T>(
  source: AsyncIterable<T>,
  signal: AbortSignal,
): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let busy = false;
  let done = false;
  try {
    while (true) {
      // Checked before pulling, so an abort between items never starts more work.
      signal.throwIfAborted();
      busy = true;
      const result = await raceAbort(iterator.next(), signal);
      busy = false;
      if (result.done) {
        done = true;
        return;
      }
      yield result.value;
    }
  } finally {
    if (!done) await close(iterator, busy);
  }
}

/**
 * A clock as a stream.
 *
 * @module
 */

import { delay } from "./_abort.ts";
import { requireDuration, requireSignal } from "./_args.ts";

/**
 * Options for {@linkcode interval}.
 *
 * @example Stopping the clock after three ticks
 * ```ts
 * import { interval, type IntervalOptions } from "@runnel/runnel/operators";
 * import assert from "node:assert/strict";
 *
 * const controller = new AbortController();
 * const options: IntervalOptions = { signal: controller.signal };
 * const ticks: number[] = [];
 * await assert.rejects(async () => {
 *   for await (const tick of interval(1, options)) {
 *     ticks.push(tick);
 *     if (tick === 2) controller.abort(new Error("stop"));
 *   }
 * }, { message: "stop" });
 * assert.deepEqual(ticks, [0, 1, 2]);
 * ```
 */
export interface IntervalOptions {
  /** Ends the stream: a pending or later pull rejects with `signal.reason`, and the timer is cleared. */
  signal?: AbortSignal;
}

/**
 * Yields 0, 1, 2, … one every `ms` milliseconds, forever.
 *
 * Pulled, not pushed: a timer runs only while the consumer waits for the next
 * tick, so a consumer that stops (by `break`, `take` or abort) leaves no timer
 * behind. Ticks keep a fixed cadence from the first pull, so time the
 * consumer spends does not add drift; a consumer that falls behind gets one
 * late tick at once, not a burst of the missed ones.
 *
 * @param ms The period in milliseconds; a non-negative finite number.
 * @param options `signal` to stop the clock.
 * @returns An endless async iterable of tick numbers.
 * @throws {RangeError} When `ms` is negative or not finite.
 *
 * @example Three ticks
 * ```ts
 * import { interval, pipe, take, toArray } from "@runnel/runnel/operators";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(await toArray(pipe(interval(5), take(3))), [0, 1, 2]);
 * ```
 *
 * @example Stopping with a signal
 * ```ts
 * import { interval } from "@runnel/runnel/operators";
 * import assert from "node:assert/strict";
 *
 * const signal = AbortSignal.timeout(20);
 * const ticks: number[] = [];
 * await assert.rejects(async () => {
 *   for await (const tick of interval(50, { signal })) ticks.push(tick);
 * }, { name: "TimeoutError" });
 * assert.deepEqual(ticks, []);
 * ```
 */
export function interval(ms: number, options: IntervalOptions = {}): AsyncIterable<number> {
  const { signal } = options;
  requireDuration("interval()", "ms", ms);
  requireSignal("interval()", signal);
  return ticks(ms, signal);
}

async function* ticks(ms: number, signal: AbortSignal | undefined): AsyncGenerator<number> {
  let due = performance.now();
  for (let tick = 0;; tick++) {
    const now = performance.now();
    due = Math.max(due + ms, now);
    await delay(due - now, { signal });
    yield tick;
  }
}

/**
 * System time as the runtime sees it: the clock that stateful timers and
 * windows read, injectable so tests and notebooks can drive it by hand.
 *
 * @module
 */

import { delay } from "../../operators/_abort.ts";

/**
 * A source of system time and a way to wait for it.
 *
 * @example A clock that skips ahead whenever the flow waits
 * ```ts
 * import { Dataflow, run, type SystemTime } from "@runnel/runnel";
 * import { TestingClock, TestingSink, TestingSource } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * const clock = new TestingClock();
 * const skipAhead: SystemTime = {
 *   now: () => clock.now(),
 *   sleepUntil(time, signal) {
 *     clock.set(Math.max(time, clock.now()));
 *     return clock.sleepUntil(time, signal);
 *   },
 * };
 * const out: [string, number[]][] = [];
 * const flow = new Dataflow("f");
 * const source = new TestingSource<[string, number]>([["a", 1], TestingSource.PAUSE(50), ["a", 2]]);
 * flow.input("inp", source)
 *   .collect("lists", { maxSize: 10, timeout: 60 * 60_000 })
 *   .output("out", new TestingSink(out));
 * await run(flow, { clock: skipAhead });
 * // The hour-long timeout passed during the 50 ms pause, so "a" got two lists, not one.
 * assert.deepEqual(out, [["a", [1]], ["a", [2]]]);
 * ```
 */
export interface SystemTime {
  /** The current time in epoch milliseconds. */
  now(): number;
  /**
   * Resolves once `now()` has reached `time`. Rejects with `signal.reason`
   * if the signal aborts first; an aborted wait leaves no timer behind.
   */
  sleepUntil(time: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock: `Date.now()` and `setTimeout`. */
export const realTime: SystemTime = {
  now: () => Date.now(),
  // A time already past waits 0 ms: runtimes warn about a negative timeout.
  sleepUntil: (time, signal) => delay(Math.max(0, time - Date.now()), signal ? { signal } : {}),
};

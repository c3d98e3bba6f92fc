/**
 * System time as the runtime sees it: what stateful timers and windows
 * read (`RunOptions.time`), injectable so tests and notebooks can drive it by hand.
 *
 * @module
 */

import { delay } from "../../operators/_abort.ts";

/**
 * A source of system time and a way to wait for it.
 *
 * @example Time that skips ahead whenever the flow waits
 * ```ts
 * import { Dataflow, run, type SystemTime } from "@runnel/runnel";
 * import { TestingSink, TestingSource, TestingTime } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * const time = new TestingTime();
 * const skipAhead: SystemTime = {
 *   now: () => time.now(),
 *   sleepUntil(until, signal) {
 *     time.set(Math.max(until, time.now()));
 *     return time.sleepUntil(until, signal);
 *   },
 * };
 * const out: [string, number[]][] = [];
 * const flow = new Dataflow("f");
 * const source = new TestingSource<[string, number]>([["a", 1], TestingSource.PAUSE(50), ["a", 2]]);
 * flow.input("inp", source)
 *   .collect("lists", { maxSize: 10, timeout: 60 * 60_000 })
 *   .output("out", new TestingSink(out));
 * await run(flow, { time: skipAhead });
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

/** The real time: `Date.now()` and `setTimeout`. */
export const realTime: SystemTime = {
  now: () => Date.now(),
  sleepUntil: (time, signal) => delay(time - Date.now(), signal ? { signal } : {}),
};

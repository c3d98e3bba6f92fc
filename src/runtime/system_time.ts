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
 * @example Time that runs a thousand times faster than real time
 * ```ts
 * import { Dataflow, run, type SystemTime } from "@runnel/runnel";
 * import { TestingSink, TestingSource } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * const start = Date.now();
 * const fast: SystemTime = {
 *   now: () => start + (Date.now() - start) * 1_000,
 *   sleepUntil: (time, signal) =>
 *     new Promise((resolve, reject) => {
 *       const timer = setTimeout(resolve, Math.max(0, time - fast.now()) / 1_000);
 *       signal?.addEventListener("abort", () => {
 *         clearTimeout(timer);
 *         reject(signal.reason);
 *       }, { once: true });
 *     }),
 * };
 * const out: number[] = [];
 * const flow = new Dataflow("f");
 * flow.input("inp", new TestingSource([1, TestingSource.PAUSE(60_000), 2]))
 *   .output("out", new TestingSink(out));
 * const started = Date.now();
 * await run(flow, { time: fast });
 * const took = Date.now() - started;
 * assert.deepEqual(out, [1, 2]);
 * // The one-minute pause took about 60 ms.
 * assert.ok(took >= 50 && took < 30_000, `the pause took ${took} ms`);
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
  // Clamped: a time just passed must not become a negative timeout (Node warns).
  sleepUntil: (time, signal) => delay(Math.max(0, time - Date.now()), signal ? { signal } : {}),
};

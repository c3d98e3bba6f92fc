/**
 * System time as the runtime sees it: the clock that stateful timers and
 * windows read, injectable so tests and notebooks can drive it by hand.
 *
 * @module
 */

import { delay } from "./_async.ts";

/** A source of system time and a way to wait for it. */
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
  sleepUntil: (time, signal) => delay(time - Date.now(), signal ? { signal } : {}),
};

/**
 * {@linkcode TestingTime}: system time you move by hand.
 *
 * @module
 */

import type { SystemTime } from "../src/runtime/system_time.ts";

interface Sleeper {
  time: number;
  resolve: () => void;
}

/**
 * System time that only moves when told to, for tests and notebooks. Pass it
 * as `run(flow, { time })` so stateful timers and windows wait on it, and use
 * `() => time.now()` wherever a step takes a `nowGetter`. (Event time is the
 * windows' `EventClock`; this is the system time such clocks read.)
 *
 * @example Advancing by hand
 * ```ts
 * import { TestingTime } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * const time = new TestingTime(Date.UTC(2023, 0, 1));
 * let woke = false;
 * const sleeping = time.sleepUntil(time.now() + 5_000).then(() => woke = true);
 * time.advance(4_999);
 * await Promise.resolve();
 * assert.equal(woke, false);
 * time.advance(1);
 * await sleeping;
 * assert.equal(woke, true);
 * ```
 */
export class TestingTime implements SystemTime {
  #now: number;
  readonly #sleepers = new Set<Sleeper>();

  /**
   * Makes a time standing at `start`.
   *
   * @param start The starting time: epoch milliseconds or a `Date`. Defaults to 0.
   */
  constructor(start: number | Date = 0) {
    this.#now = +start;
  }

  /**
   * The current time.
   *
   * @returns Epoch milliseconds.
   */
  now(): number {
    return this.#now;
  }

  /**
   * Moves time forward and wakes every sleeper whose time has come.
   *
   * @param ms Milliseconds to move; must not be negative.
   * @returns The new time.
   */
  advance(ms: number): number {
    if (!(ms >= 0)) {
      throw new RangeError(`Cannot advance TestingTime: ms must be non-negative, got ${ms}`);
    }
    return this.set(this.#now + ms);
  }

  /**
   * Moves time to `time` and wakes every sleeper whose time has come.
   *
   * @param time Epoch milliseconds or a `Date`, not before now.
   * @returns The new time.
   */
  set(time: number | Date): number {
    const to = +time;
    if (!(to >= this.#now)) {
      throw new RangeError(
        `Cannot set TestingTime: time must not go backwards, got ${to} while now is ${this.#now}`,
      );
    }
    this.#now = to;
    const due = [...this.#sleepers].filter((s) => s.time <= to).sort((a, b) => a.time - b.time);
    for (const sleeper of due) {
      this.#sleepers.delete(sleeper);
      sleeper.resolve();
    }
    return to;
  }

  /**
   * Resolves once the time reaches `time`.
   *
   * @param time Epoch milliseconds.
   * @param signal Rejects the wait with `signal.reason` and forgets it.
   * @returns A promise that resolves when the time is advanced far enough.
   */
  sleepUntil(time: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (time <= this.#now) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const sleeper: Sleeper = {
        time,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#sleepers.delete(sleeper);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#sleepers.add(sleeper);
    });
  }
}

/**
 * The former name of {@linkcode TestingTime}, kept for one release.
 *
 * @deprecated Use {@linkcode TestingTime}: "clock" now means only the
 * windows' event-time clocks (`EventClock`, `SystemClock`).
 *
 * @example The old name still works
 * ```ts
 * import { TestingClock, TestingTime } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * const time = new TestingClock(5);
 * assert.ok(time instanceof TestingTime);
 * assert.equal(time.advance(1), 6);
 * ```
 */
export const TestingClock: typeof TestingTime = TestingTime;
/** @deprecated Use {@linkcode TestingTime}. */
export type TestingClock = TestingTime;

/**
 * Clocks for windowing: how a window step stamps items with a time and how
 * far its watermark has moved. Like every stateful thing in runnel, a clock
 * is a config object whose `build(resumeState, ctx)` makes the logic that
 * holds the state (Bytewax's `Clock`/`ClockLogic` split).
 *
 * Times are epoch milliseconds inside the engine; a timestamp getter may
 * return a `Date` or a number.
 *
 * @module
 */

import { ownError } from "../_errors.ts";
import { describeValue } from "../errors.ts";

/**
 * A point in time: a `Date` or epoch milliseconds.
 *
 * @example Dates and epoch milliseconds in one window
 * ```ts
 * import { Dataflow, EventClock, type Timestamp, TumblingWindower } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const events: { at: Timestamp }[] = [{ at: new Date(1_000) }, { at: 2_000 }];
 * const flow = new Dataflow("f");
 * const counts = flow.input("inp", events).countWindow("count", () => "all", {
 *   clock: EventClock((e: { at: Timestamp }) => e.at, { waitForSystemDuration: 0 }),
 *   windower: TumblingWindower({ length: 5_000, alignTo: 0 }),
 * });
 * assert.deepEqual(await Array.fromAsync(counts.down), [["all", [0, 2]]]);
 * ```
 */
export type Timestamp = Date | number;

/**
 * What a clock sees of the step that runs it.
 *
 * @example Driving an event clock by hand
 * ```ts
 * import { type ClockContext, EventClock } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * let now = 0;
 * const ctx: ClockContext = { stepId: "f.window", now: () => now };
 * const logic = EventClock((ms: number) => ms, { waitForSystemDuration: 0 }).build(undefined, ctx);
 * logic.beforeBatch();
 * assert.deepEqual(logic.onItem(1_000), [1_000, 1_000]);
 * // Half a second of system time passes with no items: the watermark moves on with it.
 * now = 500;
 * assert.equal(logic.onNotify(), 1_500);
 * // Errors name the step.
 * assert.throws(() => logic.onItem(NaN), /^TypeError: Cannot run step "f.window"/);
 * ```
 */
export interface ClockContext {
  /** The window step's path, for error messages. */
  readonly stepId: string;
  /** The run's system time in epoch ms (a `TestingTime` in tests). */
  now(): number;
}

/**
 * The state of a clock for one key (or one partition): stamps items and
 * reports the watermark, the time before which no more items are expected.
 *
 * @example An event clock's logic, step by step
 * ```ts
 * import { EventClock } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const clock = EventClock((ms: number) => ms, { waitForSystemDuration: 1_000 });
 * const logic = clock.build(undefined, { stepId: "f.window", now: () => 50_000 });
 * logic.beforeBatch();
 * // [timestamp, watermark]: the watermark trails the newest item by a second.
 * assert.deepEqual(logic.onItem(10_000), [10_000, 9_000]);
 * // An item before the watermark is late; the watermark does not move back.
 * assert.deepEqual(logic.onItem(5_000), [5_000, 9_000]);
 * // The watermark reaches 9,500 half a second of system time later.
 * assert.equal(logic.toSystem(9_500), 50_500);
 * assert.equal(logic.onEof(), Infinity);
 * ```
 */
export interface ClockLogic<V> {
  /** Called once before each batch of items, so "now" is read once per batch. */
  beforeBatch(): void;
  /** Returns the item's timestamp and the watermark after seeing it, both epoch ms. */
  onItem(value: V): readonly [timestamp: number, watermark: number];
  /** Returns the watermark when woken by a timer. */
  onNotify(): number;
  /** Returns the watermark at end of input: `Infinity` closes everything. */
  onEof(): number;
  /**
   * The system time (epoch ms) at which the watermark reaches `timestamp`,
   * or `undefined` to wait for new items or end of input instead.
   */
  toSystem(timestamp: number): number | undefined;
  /** An immutable, serializable copy of the state. */
  snapshot(): unknown;
}

/**
 * A clock's configuration; builds a {@linkcode ClockLogic} per key or partition.
 *
 * @example A clock of sequence numbers
 * ```ts
 * import { type Clock, Dataflow, TumblingWindower } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * // Time is a sequence number; the watermark is the largest one seen.
 * const sequence: Clock<number> = {
 *   build(resumeState) {
 *     let max = (resumeState as number | undefined) ?? -Infinity;
 *     return {
 *       beforeBatch() {},
 *       onItem: (seq) => [seq, max = Math.max(max, seq)],
 *       onNotify: () => max,
 *       onEof: () => Infinity,
 *       toSystem: () => undefined, // no timers: windows close on new items or at the end
 *       snapshot: () => max,
 *     };
 *   },
 * };
 * const flow = new Dataflow("f");
 * const tens = flow.input("inp", [["k", 1], ["k", 12], ["k", 3]] as [string, number][])
 *   .collectWindow("tens", {
 *     clock: sequence,
 *     windower: TumblingWindower({ length: 10, alignTo: 0 }),
 *   });
 * assert.deepEqual(await Array.fromAsync(tens.down), [["k", [0, [1]]], ["k", [1, [12]]]]);
 * assert.deepEqual(await Array.fromAsync(tens.late), [["k", [0, 3]]]);
 * ```
 */
export interface Clock<V> {
  /** Builds the logic, from a previous {@linkcode ClockLogic.snapshot} when resuming. */
  build(resumeState: unknown, ctx: ClockContext): ClockLogic<V>;
}

/**
 * Options for {@linkcode EventClock}.
 *
 * @example Waiting two seconds for out-of-order events
 * ```ts
 * import { Dataflow, EventClock, type EventClockOptions, TumblingWindower } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const options: EventClockOptions = { waitForSystemDuration: 2_000 };
 * const flow = new Dataflow("f");
 * const times = [["k", 5_000], ["k", 1_000], ["k", 3_500]] as [string, number][];
 * const windows = flow.input("inp", times)
 *   .collectWindow("w", {
 *     clock: EventClock((ms: number) => ms, options),
 *     windower: TumblingWindower({ length: 10_000, alignTo: 0 }),
 *   });
 * // After 5,000 the watermark is 3,000: 3,500 is still on time, 1,000 is late.
 * assert.deepEqual(await Array.fromAsync(windows.down), [["k", [0, [3_500, 5_000]]]]);
 * assert.deepEqual(await Array.fromAsync(windows.late), [["k", [0, 1_000]]]);
 * ```
 */
export interface EventClockOptions {
  /**
   * How long (ms of system time) to wait for out-of-order items: the
   * watermark trails the largest timestamp seen by this much. `Infinity`
   * waits for end of input.
   */
  waitForSystemDuration: number;
  /** Reads system time in epoch ms. Defaults to the run's clock (`ctx.now()`). */
  nowGetter?: () => number;
}

/**
 * Converts a timestamp to epoch ms, or returns `undefined` when it is not a
 * valid time.
 */
export function toEpochMs(ts: unknown): number | undefined {
  const ms = ts instanceof Date ? ts.getTime() : typeof ts === "number" ? ts : NaN;
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * The parameters of a built-in clock, which window steps run as plain
 * per-key numbers rather than through {@linkcode ClockLogic} objects.
 */
export type BuiltinClock =
  | {
    readonly kind: "event";
    readonly tsGetter: (value: unknown) => Timestamp;
    readonly wait: number;
    readonly nowGetter: (() => number) | undefined;
  }
  | { readonly kind: "system" };

const SYSTEM: BuiltinClock = { kind: "system" };
const builtinClocks = new WeakMap<object, BuiltinClock>();

/** The parameters of `clock` if `EventClock` or `SystemClock` made it, else `undefined`. */
export function builtinClock(clock: Clock<unknown>): BuiltinClock | undefined {
  return builtinClocks.get(clock);
}

/** The latest time a `Date` can hold, in epoch ms; the earliest is its negative. */
export const MAX_EPOCH_MS = 8.64e15;

/**
 * Reads what a `tsGetter` returned as epoch ms, or throws naming the step,
 * the item and the value: a `TypeError` for something that is not a time
 * (`NaN`, an invalid `Date`, a string), a `RangeError` for a time outside
 * the `Date` range (`±Infinity` included), which no window could hold.
 *
 * @param stepId The window step's path.
 * @param raw What `tsGetter` returned.
 * @param item The item it was given.
 * @returns The time in epoch ms.
 */
export function checkedEpochMs(stepId: string, raw: unknown, item: unknown): number {
  const ms = raw instanceof Date ? raw.getTime() : typeof raw === "number" ? raw : NaN;
  if (ms >= -MAX_EPOCH_MS && ms <= MAX_EPOCH_MS) return ms;
  const what = `tsGetter to return a valid Date or epoch milliseconds for item ${
    describeValue(item)
  }`;
  if (typeof raw === "number" && !Number.isNaN(raw)) {
    throw ownError(
      RangeError,
      `Cannot run step "${stepId}": expected ${what} within the Date range (±${MAX_EPOCH_MS} ms), got ${raw}`,
    );
  }
  if (raw instanceof Date) return notATime(stepId, what, "an invalid Date");
  return notATime(stepId, what, typeof raw === "number" ? "NaN" : describeValue(raw));
}

function notATime(stepId: string, what: string, got: string): never {
  throw ownError(TypeError, `Cannot run step "${stepId}": expected ${what}, got ${got}`);
}

/**
 * A clock that reads each item's own time (event time). Per key (or
 * partition) the state is `(base, systemTimeOfMax)` and the watermark is
 * `base + (now − systemTimeOfMax)`, so it moves on at system speed even
 * with no new items. An item whose `ts − waitForSystemDuration` is ahead of
 * the watermark becomes the new base. The watermark never moves backwards,
 * and neither does "now". An item with `ts` before the watermark is late;
 * exactly at the watermark is on time.
 *
 * @typeParam V The values stamped.
 * @param tsGetter Returns an item's time: a `Date` or epoch ms. Anything
 *   else (`NaN`, an invalid `Date`, a string) fails the run with a
 *   `TypeError`, and a time outside the `Date` range (±8.64e15 ms, so
 *   `±Infinity` too) with a `RangeError`, each naming the step, the item
 *   and the value.
 * @param options `waitForSystemDuration` (ms) and an optional `nowGetter`.
 * @returns The clock configuration.
 *
 * @example Waiting ten seconds for late events
 * ```ts
 * import { Dataflow, EventClock, TumblingWindower } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const clock = EventClock((e: { at: Date }) => e.at, { waitForSystemDuration: 10_000 });
 * const events = ["00:20", "00:12", "00:05"].map((t) => ({ at: new Date(`2024-01-01T00:${t}Z`) }));
 * const flow = new Dataflow("f");
 * const counts = flow.input("inp", events).countWindow("count", () => "all", {
 *   clock,
 *   windower: TumblingWindower({ length: 60_000, alignTo: new Date("2024-01-01T00:00:00Z") }),
 * });
 * // 00:12 is within ten seconds of 00:20; 00:05 is not, and is late.
 * assert.deepEqual(await Array.fromAsync(counts.down), [["all", [0, 2]]]);
 * assert.deepEqual(await Array.fromAsync(counts.late), [["all", [0, events[2]]]]);
 * ```
 */
export function EventClock<V>(
  tsGetter: (value: V) => Timestamp,
  options: EventClockOptions,
): Clock<V> {
  if (typeof tsGetter !== "function") {
    throw new TypeError(
      `Cannot create EventClock: tsGetter must be a function, got ${typeof tsGetter}`,
    );
  }
  const wait = options?.waitForSystemDuration;
  if (typeof wait !== "number" || !(wait >= 0)) {
    throw new RangeError(
      `Cannot create EventClock: waitForSystemDuration must be a non-negative number of ms, got ${
        describeValue(wait)
      }`,
    );
  }
  const nowGetter = options.nowGetter;
  if (nowGetter !== undefined && typeof nowGetter !== "function") {
    throw new TypeError(
      `Cannot create EventClock: nowGetter must be a function, got ${typeof nowGetter}`,
    );
  }
  const clock: Clock<V> = {
    build(resumeState, ctx) {
      const resume = resumeState as EventClockSnapshot | undefined;
      return new EventClockLogic(tsGetter, wait, nowGetter, ctx, resume);
    },
  };
  builtinClocks.set(clock, {
    kind: "event",
    tsGetter: tsGetter as (value: unknown) => Timestamp,
    wait,
    nowGetter,
  });
  return clock;
}

/** One key's (or partition's) event clock; a class, so that many keys share one shape. */
class EventClockLogic<V> implements ClockLogic<V> {
  readonly #tsGetter: (value: V) => Timestamp;
  readonly #wait: number;
  readonly #nowGetter: (() => number) | undefined;
  readonly #ctx: ClockContext;
  #base: number;
  #systemTimeOfMax: number;
  #now = -Infinity;

  constructor(
    tsGetter: (value: V) => Timestamp,
    wait: number,
    nowGetter: (() => number) | undefined,
    ctx: ClockContext,
    resume: EventClockSnapshot | undefined,
  ) {
    this.#tsGetter = tsGetter;
    this.#wait = wait;
    this.#nowGetter = nowGetter;
    this.#ctx = ctx;
    this.#base = resume?.base ?? -Infinity;
    this.#systemTimeOfMax = -Infinity;
    if (resume?.base != null) {
      // The watermark goes on from where it was, however long the run was down.
      this.#tick();
      this.#systemTimeOfMax = this.#now - resume.lag;
    }
  }

  #tick(): void {
    // Shared functions, not a closure per key: the call stays monomorphic.
    const read = this.#nowGetter === undefined ? this.#ctx.now() : this.#nowGetter();
    if (read > this.#now) this.#now = read; // clamped: never goes backwards
  }

  #watermark(): number {
    return this.#base === -Infinity ? -Infinity : this.#base + (this.#now - this.#systemTimeOfMax);
  }

  beforeBatch(): void {
    this.#tick();
  }

  onItem(value: V): readonly [number, number] {
    const ts = checkedEpochMs(this.#ctx.stepId, this.#tsGetter(value), value);
    if (this.#now === -Infinity) this.#tick();
    const candidate = ts - this.#wait;
    const current = this.#watermark();
    if (candidate > current) {
      this.#base = candidate;
      this.#systemTimeOfMax = this.#now;
      return [ts, candidate];
    }
    return [ts, current];
  }

  onNotify(): number {
    this.#tick();
    return this.#watermark();
  }

  onEof(): number {
    return Infinity;
  }

  toSystem(timestamp: number): number | undefined {
    if (this.#base === -Infinity || !Number.isFinite(timestamp)) return undefined;
    return this.#systemTimeOfMax + (timestamp - this.#base);
  }

  // Before any item there is no base: `null` keeps the snapshot JSON-safe. The
  // system time is stored as the lag since the watermark last advanced, not as
  // an instant: restored, the watermark is where it was, so downtime does not
  // make the items read again late.
  snapshot(): EventClockSnapshot {
    return this.#base === -Infinity
      ? { base: null, lag: 0 }
      : { base: this.#base, lag: this.#now - this.#systemTimeOfMax };
  }
}

interface EventClockSnapshot {
  /** The latest item time less the wait; `null` before any item. */
  readonly base: number | null;
  /** System time between the watermark's last advance and the snapshot. */
  readonly lag: number;
}

/**
 * A clock that stamps every item with the system time, read once per
 * batch; the watermark is "now", so nothing is ever late. Results depend on
 * when items arrive, so they differ between runs.
 *
 * @typeParam V The values stamped.
 * @returns The clock configuration.
 *
 * @example Windows of arrival time
 * ```ts
 * import { Dataflow, iterate, SystemClock, TumblingWindower } from "@runnel/runnel";
 * import { TestingTime } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * const flow = new Dataflow("f");
 * const counts = flow.input("inp", ["a", "b"]).countWindow("count", () => "all", {
 *   clock: SystemClock(),
 *   windower: TumblingWindower({ length: 60_000, alignTo: 0 }),
 * });
 * // Both items arrive 90 seconds after the epoch: in the window [60 s, 120 s), id 1.
 * const time = new TestingTime(90_000);
 * assert.deepEqual(await Array.fromAsync(iterate(counts.down, { time })), [["all", [1, 2]]]);
 * ```
 */
export function SystemClock<V = unknown>(): Clock<V> {
  const clock: Clock<V> = {
    build(_resumeState, ctx) {
      let now = -Infinity;
      const tick = () => {
        const read = ctx.now();
        if (read > now) now = read;
        return now;
      };
      return {
        beforeBatch: tick,
        onItem: () => {
          const at = now === -Infinity ? tick() : now;
          return [at, at];
        },
        onNotify: tick,
        onEof: () => Infinity,
        toSystem: (timestamp) => Number.isFinite(timestamp) ? timestamp : undefined,
        snapshot: () => null,
      };
    },
  };
  builtinClocks.set(clock, SYSTEM);
  return clock;
}

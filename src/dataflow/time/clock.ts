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

import { shapeError } from "../_batch.ts";
import { describeValue } from "../errors.ts";

/** A point in time: a `Date` or epoch milliseconds. */
export type Timestamp = Date | number;

/** What a clock sees of the step that runs it. */
export interface ClockContext {
  /** The window step's path, for error messages. */
  readonly stepId: string;
  /** The run's system time in epoch ms (a `TestingClock` in tests). */
  now(): number;
}

/**
 * The state of a clock for one key (or one partition): stamps items and
 * reports the watermark, the time before which no more items are expected.
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

/** A clock's configuration; builds a {@linkcode ClockLogic} per key or partition. */
export interface Clock<V> {
  /** Builds the logic, from a previous {@linkcode ClockLogic.snapshot} when resuming. */
  build(resumeState: unknown, ctx: ClockContext): ClockLogic<V>;
}

/** Options for {@linkcode EventClock}. */
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
 *   else fails the run with a `TypeError` naming the step and the item.
 * @param options `waitForSystemDuration` (ms) and an optional `nowGetter`.
 * @returns The clock configuration.
 *
 * @example Waiting ten seconds for late events
 * ```ts
 * import { EventClock } from "@runnel/runnel";
 *
 * const clock = EventClock((e: { at: Date }) => e.at, { waitForSystemDuration: 10_000 });
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
  return {
    build(resumeState, ctx) {
      const resume = resumeState as EventClockSnapshot | undefined;
      return new EventClockLogic(tsGetter, wait, nowGetter, ctx, resume);
    },
  };
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
    this.#systemTimeOfMax = resume?.systemTimeOfMax ?? -Infinity;
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
    const raw = this.#tsGetter(value);
    const ts = toEpochMs(raw);
    if (ts === undefined) {
      throw shapeError(
        this.#ctx.stepId,
        `tsGetter to return a valid Date or epoch milliseconds for item ${describeValue(value)}`,
        raw,
      );
    }
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

  // Before any item there is no base: `null` keeps the snapshot JSON-safe.
  snapshot(): EventClockSnapshot {
    return this.#base === -Infinity
      ? { base: null, systemTimeOfMax: null }
      : { base: this.#base, systemTimeOfMax: this.#systemTimeOfMax };
  }
}

interface EventClockSnapshot {
  readonly base: number | null;
  readonly systemTimeOfMax: number | null;
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
 * import { SystemClock } from "@runnel/runnel";
 *
 * const clock = SystemClock<number>();
 * ```
 */
export function SystemClock<V = unknown>(): Clock<V> {
  return {
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
}

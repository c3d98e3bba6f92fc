/**
 * Windowers: how a window step groups timestamps into windows. A windower
 * is a config object whose `build(resumeState)` makes the per-key logic
 * (Bytewax's `Windower`/`WindowerLogic` split).
 *
 * @module
 */

import { describeValue } from "../errors.ts";
import { type Timestamp, toEpochMs } from "./clock.ts";

/**
 * What `meta` reports for a closed window. Times are epoch ms.
 *
 * @example A session that swallowed another
 * ```ts
 * import { Dataflow, EventClock, SessionWindower } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const flow = new Dataflow("f");
 * const sessions = flow.input("inp", [["u", 0], ["u", 10], ["u", 5]] as [string, number][])
 *   .collectWindow("visits", {
 *     clock: EventClock((ms: number) => ms, { waitForSystemDuration: Infinity }),
 *     windower: SessionWindower({ gap: 5 }),
 *     ordered: false,
 *   });
 * // 0 and 10 open sessions 0 and 1; 5 is near both, so session 1 merges into 0.
 * assert.deepEqual(await Array.fromAsync(sessions.meta), [
 *   ["u", [0, { openTime: 0, closeTime: 10, mergedIds: [1] }]],
 * ]);
 * ```
 */
export interface WindowMetadata {
  /** The first time in the window (inclusive). */
  readonly openTime: number;
  /** The end of the window: exclusive for tumbling and sliding, inclusive for sessions. */
  readonly closeTime: number;
  /** Ids of the session windows merged into this one. */
  readonly mergedIds: readonly number[];
}

/**
 * One key's windows: which a timestamp opens, which are merged, which are closed.
 *
 * @example A tumbling windower's logic, step by step
 * ```ts
 * import { TumblingWindower } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const logic = TumblingWindower({ length: 10, alignTo: 0 }).build(undefined);
 * assert.deepEqual(logic.openFor(12), [1]);
 * assert.equal(logic.notifyAt(), 20);
 * assert.deepEqual(logic.closeFor(19), []);
 * assert.deepEqual(logic.closeFor(20), [[1, { openTime: 10, closeTime: 20, mergedIds: [] }]]);
 * assert.equal(logic.isEmpty(), true);
 * ```
 */
export interface WindowerLogic {
  /** The ids of the windows `timestamp` belongs to, opening them as needed. */
  openFor(timestamp: number): readonly number[];
  /** The ids of the windows a late item at `timestamp` would have belonged to. */
  lateFor(timestamp: number): readonly number[];
  /** The `[from, into]` merges since the last call; `from` is gone afterwards. */
  merged(): readonly (readonly [from: number, into: number])[];
  /** Closes and returns the windows that the `watermark` has passed, earliest first. */
  closeFor(watermark: number): [id: number, meta: WindowMetadata][];
  /** The earliest watermark (epoch ms) at which a window would close, or `undefined`. */
  notifyAt(): number | undefined;
  /** Whether no window is open. */
  isEmpty(): boolean;
  /** An immutable, serializable copy of the state. */
  snapshot(): unknown;
}

/**
 * A windower's configuration.
 *
 * @example One window per key for the whole run
 * ```ts
 * import { Dataflow, EventClock, type Windower } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const wholeRun: Windower = {
 *   build(resumeState) {
 *     let open = resumeState === true;
 *     return {
 *       openFor: () => (open = true, [0]),
 *       lateFor: () => [0],
 *       merged: () => [],
 *       closeFor(watermark) {
 *         if (!open || watermark !== Infinity) return [];
 *         open = false;
 *         return [[0, { openTime: -Infinity, closeTime: Infinity, mergedIds: [] }]];
 *       },
 *       notifyAt: () => undefined,
 *       isEmpty: () => !open,
 *       snapshot: () => open,
 *     };
 *   },
 * };
 * const flow = new Dataflow("f");
 * const sums = flow.input("inp", [["k", 1], ["k", 50_000], ["k", 3]] as [string, number][])
 *   .reduceWindow("sum", (a, b) => a + b, {
 *     clock: EventClock((ms: number) => ms, { waitForSystemDuration: Infinity }),
 *     windower: wholeRun,
 *   });
 * assert.deepEqual(await Array.fromAsync(sums.down), [["k", [0, 50_004]]]);
 * ```
 */
export interface Windower {
  /** Builds one key's logic, from a previous snapshot when resuming. */
  build(resumeState: unknown): WindowerLogic;
}

/**
 * The window id late items get from a {@linkcode SessionWindower}.
 *
 * @example A late item in session windows
 * ```ts
 * import { Dataflow, EventClock, LATE_SESSION_ID, SessionWindower } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const flow = new Dataflow("f");
 * const sessions = flow.input("inp", [["u", 10_000], ["u", 1_000]] as [string, number][])
 *   .collectWindow("visits", {
 *     clock: EventClock((ms: number) => ms, { waitForSystemDuration: 0 }),
 *     windower: SessionWindower({ gap: 500 }),
 *   });
 * assert.deepEqual(await Array.fromAsync(sessions.late), [["u", [LATE_SESSION_ID, 1_000]]]);
 * assert.equal(LATE_SESSION_ID, -1);
 * ```
 */
export const LATE_SESSION_ID: -1 = -1;

function positive(what: string, name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(
      `Cannot create ${what}: ${name} must be a positive finite number of ms, got ${
        describeValue(value)
      }`,
    );
  }
  return value;
}

function alignment(what: string, value: unknown): number {
  const ms = toEpochMs(value);
  if (ms === undefined || !Number.isFinite(ms)) {
    throw new RangeError(
      `Cannot create ${what}: alignTo must be a valid Date or epoch ms, got ${
        describeValue(value)
      }`,
    );
  }
  return ms;
}

/**
 * Options for {@linkcode TumblingWindower}.
 *
 * @example Hourly windows starting at half past
 * ```ts
 * import {
 *   Dataflow,
 *   EventClock,
 *   TumblingWindower,
 *   type TumblingWindowerOptions,
 * } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const options: TumblingWindowerOptions = {
 *   length: 60 * 60_000,
 *   alignTo: new Date("2024-01-01T00:30:00Z"),
 * };
 * const flow = new Dataflow("f");
 * const oneOClock = Date.parse("2024-01-01T01:00:00Z");
 * const hours = flow.input("inp", [["k", oneOClock]] as [string, number][])
 *   .collectWindow("hours", {
 *     clock: EventClock((ms: number) => ms, { waitForSystemDuration: 0 }),
 *     windower: TumblingWindower(options),
 *   });
 * const [[, [id, meta]]] = await Array.fromAsync(hours.meta);
 * assert.equal(id, 0);
 * assert.equal(new Date(meta.openTime).toISOString(), "2024-01-01T00:30:00.000Z");
 * assert.equal(new Date(meta.closeTime).toISOString(), "2024-01-01T01:30:00.000Z");
 * ```
 */
export interface TumblingWindowerOptions {
  /** The window length in ms. */
  length: number;
  /** A time a window opens at, so windows line up across restarts. */
  alignTo: Timestamp;
}

/**
 * Options for {@linkcode SlidingWindower}.
 *
 * @example One item in two overlapping windows
 * ```ts
 * import {
 *   Dataflow,
 *   EventClock,
 *   SlidingWindower,
 *   type SlidingWindowerOptions,
 * } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * // Ten-millisecond windows opening every five: [0, 10), [5, 15), [10, 20), ...
 * const options: SlidingWindowerOptions = { length: 10, offset: 5, alignTo: 0 };
 * const flow = new Dataflow("f");
 * const windows = flow.input("inp", [["k", 7]] as [string, number][])
 *   .collectWindow("w", {
 *     clock: EventClock((ms: number) => ms, { waitForSystemDuration: 0 }),
 *     windower: SlidingWindower(options),
 *   });
 * assert.deepEqual(await Array.fromAsync(windows.down), [["k", [0, [7]]], ["k", [1, [7]]]]);
 * ```
 */
export interface SlidingWindowerOptions extends TumblingWindowerOptions {
  /** Time between window opens, in ms; at most `length`. */
  offset: number;
}

/**
 * Fixed-length windows that do not overlap. Window `i` covers
 * `[alignTo + i·length, alignTo + (i+1)·length)`: open time included, close
 * time excluded. Ids are `floor((ts − alignTo) / length)`.
 *
 * @param options `length` (ms) and `alignTo`.
 * @returns The windower configuration.
 * @throws {RangeError} For a non-positive or non-finite length or a bad `alignTo`.
 *
 * @example Five-second windows
 * ```ts
 * import { TumblingWindower } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const windower = TumblingWindower({ length: 5_000, alignTo: new Date("2023-01-01Z") });
 * const logic = windower.build(undefined);
 * // 00:00:12 falls in the third window, [00:00:10, 00:00:15).
 * assert.deepEqual(logic.openFor(Date.parse("2023-01-01T00:00:12Z")), [2]);
 * assert.throws(() => TumblingWindower({ length: 0, alignTo: 0 }), RangeError);
 * ```
 */
export function TumblingWindower(options: TumblingWindowerOptions): Windower {
  const length = positive("TumblingWindower", "length", options?.length);
  const alignTo = alignment("TumblingWindower", options.alignTo);
  return slidingConfig(length, length, alignTo);
}

/**
 * Fixed-length windows opening every `offset` ms; they overlap when
 * `offset < length`, so an item may fall in several. Window `i` covers
 * `[alignTo + i·offset, alignTo + i·offset + length)`.
 *
 * @param options `length`, `offset` (ms) and `alignTo`.
 * @returns The windower configuration.
 * @throws {RangeError} For bad parameters, or `offset > length` (gaps would drop items).
 *
 * @example Ten-second windows every five seconds
 * ```ts
 * import { SlidingWindower } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const windower = SlidingWindower({ length: 10_000, offset: 5_000, alignTo: 0 });
 * // 12 s is in [5 s, 15 s) and [10 s, 20 s).
 * assert.deepEqual(windower.build(undefined).openFor(12_000), [1, 2]);
 * ```
 */
export function SlidingWindower(options: SlidingWindowerOptions): Windower {
  const length = positive("SlidingWindower", "length", options?.length);
  const offset = positive("SlidingWindower", "offset", options.offset);
  const alignTo = alignment("SlidingWindower", options.alignTo);
  if (offset > length) {
    throw new RangeError(
      `Cannot create SlidingWindower: offset must not exceed length ${length}, got ${offset}`,
    );
  }
  return slidingConfig(length, offset, alignTo);
}

const NO_MERGES: readonly (readonly [number, number])[] = Object.freeze([]);

/**
 * The parameters of a built-in windower, which window steps run as plain
 * per-key arrays rather than through {@linkcode WindowerLogic} objects.
 */
export type BuiltinWindower =
  | {
    readonly kind: "sliding";
    readonly length: number;
    readonly offset: number;
    readonly alignTo: number;
  }
  | { readonly kind: "session"; readonly gap: number };

const builtinWindowers = new WeakMap<object, BuiltinWindower>();

/** The parameters of `windower` if a built-in windower made it, else `undefined`. */
export function builtinWindower(windower: Windower): BuiltinWindower | undefined {
  return builtinWindowers.get(windower);
}

function slidingConfig(length: number, offset: number, alignTo: number): Windower {
  const windower: Windower = {
    build: (resumeState) =>
      new SlidingLogic(length, offset, alignTo, (resumeState as number[] | undefined) ?? []),
  };
  builtinWindowers.set(windower, { kind: "sliding", length, offset, alignTo });
  return windower;
}

/** One key's tumbling or sliding windows; a class, so that many keys share one shape. */
class SlidingLogic implements WindowerLogic {
  readonly #length: number;
  readonly #offset: number;
  readonly #alignTo: number;
  // Open window ids, ascending; their times follow from the id. Few are open
  // at once and items arrive nearly in order, so a small sorted array beats a
  // hash set.
  #open: number[];

  constructor(length: number, offset: number, alignTo: number, open: readonly number[]) {
    this.#length = length;
    this.#offset = offset;
    this.#alignTo = alignTo;
    this.#open = [...new Set(open)].sort((a, b) => a - b);
  }

  #openTime(id: number): number {
    return this.#alignTo + id * this.#offset;
  }

  #idsFor(ts: number): number[] {
    const last = Math.floor((ts - this.#alignTo) / this.#offset);
    if (this.#offset === this.#length) return [last];
    let first = last;
    while (ts < this.#openTime(first - 1) + this.#length) first--;
    const ids: number[] = [];
    for (let id = first; id <= last; id++) ids.push(id);
    return ids;
  }

  #add(id: number): void {
    const open = this.#open;
    let i = open.length;
    while (i > 0 && open[i - 1]! > id) i--;
    if (i > 0 && open[i - 1] === id) return;
    if (i === open.length) open.push(id);
    else open.splice(i, 0, id);
  }

  openFor(ts: number): readonly number[] {
    const ids = this.#idsFor(ts);
    for (let i = 0; i < ids.length; i++) this.#add(ids[i]!);
    return ids;
  }

  lateFor(ts: number): readonly number[] {
    return this.#idsFor(ts);
  }

  merged(): readonly (readonly [number, number])[] {
    return NO_MERGES;
  }

  closeFor(watermark: number): [number, WindowMetadata][] {
    const open = this.#open;
    let count = 0;
    while (count < open.length && this.#openTime(open[count]!) + this.#length <= watermark) count++;
    if (count === 0) return [];
    const closed: [number, WindowMetadata][] = new Array(count);
    for (let i = 0; i < count; i++) {
      const id = open[i]!;
      const openTime = this.#openTime(id);
      closed[i] = [id, { openTime, closeTime: openTime + this.#length, mergedIds: [] }];
    }
    this.#open = count === open.length ? [] : open.slice(count);
    return closed;
  }

  notifyAt(): number | undefined {
    return this.#open.length === 0 ? undefined : this.#openTime(this.#open[0]!) + this.#length;
  }

  isEmpty(): boolean {
    return this.#open.length === 0;
  }

  snapshot(): number[] {
    return [...this.#open];
  }
}

/**
 * Options for {@linkcode SessionWindower}.
 *
 * @example Sessions split by quiet gaps
 * ```ts
 * import {
 *   Dataflow,
 *   EventClock,
 *   SessionWindower,
 *   type SessionWindowerOptions,
 * } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const options: SessionWindowerOptions = { gap: 5 };
 * const flow = new Dataflow("f");
 * const sessions = flow.input("inp", [["u", 0], ["u", 3], ["u", 20]] as [string, number][])
 *   .collectWindow("visits", {
 *     clock: EventClock((ms: number) => ms, { waitForSystemDuration: 0 }),
 *     windower: SessionWindower(options),
 *   });
 * assert.deepEqual(await Array.fromAsync(sessions.down), [["u", [0, [0, 3]]], ["u", [1, [20]]]]);
 * ```
 */
export interface SessionWindowerOptions {
  /** The most time (ms) between two items of one session. */
  gap: number;
}

interface Session {
  id: number;
  openTime: number;
  closeTime: number;
  mergedIds: number[];
}

interface SessionSnapshot {
  readonly nextId: number;
  readonly sessions: readonly Session[];
}

/**
 * Sessions: an item within `gap` ms of a session (on either side, the
 * bound included) joins it; an item that bridges two sessions merges them
 * into the earlier one, whose metadata lists the merged ids. A session
 * closes once the watermark is more than `gap` past its last item; its close
 * time (the last item's time) is inclusive. Ids are sequential per key and
 * never reused, so a key's session state is kept for the run. Late items
 * get the id {@linkcode LATE_SESSION_ID}.
 *
 * @param options `gap` in ms.
 * @returns The windower configuration.
 * @throws {RangeError} For a non-positive or non-finite gap.
 *
 * @example Sessions split by 30 minutes of quiet
 * ```ts
 * import { SessionWindower } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const minutes = (n: number) => n * 60_000;
 * const logic = SessionWindower({ gap: minutes(30) }).build(undefined);
 * assert.deepEqual(logic.openFor(minutes(0)), [0]);
 * assert.deepEqual(logic.openFor(minutes(20)), [0]); // within 30 minutes: same session
 * assert.deepEqual(logic.openFor(minutes(60)), [1]); // 40 minutes of quiet: a new one
 * ```
 */
export function SessionWindower(options: SessionWindowerOptions): Windower {
  const gap = positive("SessionWindower", "gap", options?.gap);
  const windower: Windower = {
    build(resumeState) {
      const resume = resumeState as SessionSnapshot | undefined;
      let nextId = resume?.nextId ?? 0;
      // Open sessions, sorted by open time; they never overlap within `gap`.
      let sessions: Session[] =
        resume?.sessions.map((s) => ({ ...s, mergedIds: [...s.mergedIds] })) ??
          [];
      let merges: [number, number][] = [];
      return {
        openFor(ts) {
          const near = sessions.filter((s) => s.openTime - gap <= ts && ts <= s.closeTime + gap);
          if (near.length === 0) {
            const session = { id: nextId++, openTime: ts, closeTime: ts, mergedIds: [] };
            sessions.push(session);
            sessions.sort((a, b) => a.openTime - b.openTime);
            return [session.id];
          }
          const into = near[0]!;
          into.openTime = Math.min(into.openTime, ts);
          into.closeTime = Math.max(into.closeTime, ts);
          for (const from of near.slice(1)) {
            into.openTime = Math.min(into.openTime, from.openTime);
            into.closeTime = Math.max(into.closeTime, from.closeTime);
            into.mergedIds.push(from.id, ...from.mergedIds);
            merges.push([from.id, into.id]);
          }
          if (near.length > 1) sessions = sessions.filter((s) => !near.includes(s) || s === into);
          return [into.id];
        },
        lateFor: () => [LATE_SESSION_ID],
        merged() {
          const out = merges;
          merges = [];
          return out;
        },
        closeFor(watermark) {
          const closed: [number, WindowMetadata][] = [];
          const kept: Session[] = [];
          for (const s of sessions) {
            if (s.closeTime + gap < watermark) {
              closed.push([s.id, {
                openTime: s.openTime,
                closeTime: s.closeTime,
                mergedIds: [...s.mergedIds],
              }]);
            } else kept.push(s);
          }
          sessions = kept;
          return closed;
        },
        notifyAt() {
          let at: number | undefined;
          // Closing needs the watermark strictly past `closeTime + gap`.
          for (const s of sessions) {
            const t = s.closeTime + gap + 1;
            if (at === undefined || t < at) at = t;
          }
          return at;
        },
        isEmpty: () => sessions.length === 0,
        snapshot: (): SessionSnapshot => ({
          nextId,
          sessions: sessions.map((s) => ({ ...s, mergedIds: [...s.mergedIds] })),
        }),
      };
    },
  };
  builtinWindowers.set(windower, { kind: "session", gap });
  return windower;
}

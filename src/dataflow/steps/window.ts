/**
 * `window` and the window operators built on it: per-key windows over a
 * keyed stream, driven by a {@linkcode Clock} and a {@linkcode Windower},
 * lowered to one `statefulBatch` step whose output is split three ways.
 *
 * @module
 */

import {
  type LogicResult,
  OTHER_CHANGED_KEYS,
  type StatefulBatchBuilder,
  type StatefulBatchLogic,
  type StepContext,
} from "../graph.ts";
import { checkCallback } from "../_errors.ts";
import { compose, keyedFold, portOf, stepPath } from "../_stream_core.ts";
import { builtinClock, type Clock, type ClockContext, type ClockLogic } from "../time/clock.ts";
import { builtinWindower, type Windower, type WindowerLogic } from "../time/windowers.ts";
import { DOWN, LATE, META, type WindowAgg, windowFold } from "./_window_state.ts";
import { warnIfSeconds } from "./_window_time.ts";
import { statefulBatch } from "./stateful.ts";
import { filterMap } from "./stateless.ts";

/**
 * The state of one window, built when the window opens.
 *
 * @example Alerting inside a window, before it closes
 * ```ts
 * import { Dataflow, EventClock, TumblingWindower, type WindowLogic } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * function alertAtThree(): WindowLogic<number, string, number> {
 *   let count = 0;
 *   return {
 *     onValue: () => ++count === 3 ? ["third value"] : [],
 *     onMerge: (other) => (count += other.snapshot(), []),
 *     onClose: () => [`closed after ${count}`],
 *     snapshot: () => count,
 *   };
 * }
 * const flow = new Dataflow("f");
 * const alerts = flow.input("inp", [["k", 1], ["k", 2], ["k", 3], ["k", 4]] as [string, number][])
 *   .window("alerts", alertAtThree, {
 *     clock: EventClock((ms: number) => ms, { waitForSystemDuration: 0 }),
 *     windower: TumblingWindower({ length: 10, alignTo: 0 }),
 *   });
 * assert.deepEqual(await Array.fromAsync(alerts.down), [
 *   ["k", [0, "third value"]],
 *   ["k", [0, "closed after 4"]],
 * ]);
 * ```
 */
export interface WindowLogic<V, W, S = unknown> {
  /** Called with each value that enters the window; may emit. */
  onValue(value: V): Iterable<W>;
  /** Called when a session window `original` is merged into this one; may emit. */
  onMerge(original: WindowLogic<V, W, S>): Iterable<W>;
  /** Called when the window closes; may emit. */
  onClose(): Iterable<W>;
  /** An immutable, serializable copy of the state. */
  snapshot(): S;
}

/**
 * Builds a window's logic, from its snapshot when resuming.
 *
 * @example A sum that resumes from its snapshot
 * ```ts
 * import { Dataflow, EventClock, TumblingWindower, type WindowLogicBuilder } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const sum: WindowLogicBuilder<number, number, number> = (resumeState) => {
 *   let total = resumeState ?? 0;
 *   return {
 *     onValue: (value) => (total += value, []),
 *     onMerge: (other) => (total += other.snapshot(), []),
 *     onClose: () => [total],
 *     snapshot: () => total,
 *   };
 * };
 * const flow = new Dataflow("f");
 * const sums = flow.input("inp", [["k", 1], ["k", 2], ["k", 11]] as [string, number][])
 *   .window("sum", sum, {
 *     clock: EventClock((ms: number) => ms, { waitForSystemDuration: 0 }),
 *     windower: TumblingWindower({ length: 10, alignTo: 0 }),
 *   });
 * assert.deepEqual(await Array.fromAsync(sums.down), [["k", [0, 3]], ["k", [1, 11]]]);
 * // Given a snapshot, as on recovery, the window goes on from it.
 * const resumed = sum(3);
 * resumed.onValue(4);
 * assert.deepEqual([...resumed.onClose()], [7]);
 * ```
 */
export type WindowLogicBuilder<V, W, S = unknown> = (
  resumeState: S | undefined,
) => WindowLogic<V, W, S>;

/**
 * What every window operator needs: the sense of time and the grouping.
 *
 * @example Timestamp order or arrival order
 * ```ts
 * import { Dataflow, EventClock, TumblingWindower, type WindowOptions } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * async function collected(ordered: boolean): Promise<unknown[]> {
 *   const options: WindowOptions<number> = {
 *     clock: EventClock((ms: number) => ms, { waitForSystemDuration: 10 }),
 *     windower: TumblingWindower({ length: 10, alignTo: 0 }),
 *     ordered,
 *   };
 *   const flow = new Dataflow("f");
 *   const keyed = flow.input("inp", [["k", 3], ["k", 1], ["k", 2]] as [string, number][]);
 *   return await Array.fromAsync(keyed.collectWindow("w", options).down);
 * }
 * assert.deepEqual(await collected(true), [["k", [0, [1, 2, 3]]]]);
 * assert.deepEqual(await collected(false), [["k", [0, [3, 1, 2]]]]);
 * ```
 */
export interface WindowOptions<V> {
  /** Stamps values and tracks the watermark. */
  clock: Clock<V>;
  /** Groups timestamps into windows. */
  windower: Windower;
  /**
   * Apply values in timestamp order, once the watermark passes them (the
   * default), or at once in arrival order (`false`: lower latency).
   */
  ordered?: boolean;
  /**
   * `"key"` (the default, as Bytewax): each key has its own watermark.
   * `"partition"`: one watermark for all keys of the step on a worker, so an
   * idle key's windows close once the stream moves on; a watermark rise
   * costs the windows it closes, not the keys seen.
   *
   * What a key costs once its windows have closed and nothing of it is
   * queued, with a built-in clock, windower and aggregation: per key, its
   * watermark, one number in the step's map (about 55–65 bytes of heap with
   * the key itself, `deno task bench:window-memory`); in partition scope,
   * nothing. Session windows also keep the key's next session id. A key
   * with open windows keeps one record of plain arrays; the generic
   * `window` step keeps its logic objects for every key seen.
   */
  watermarkScope?: "key" | "partition";
}

type Tagged = readonly [tag: number, key: string, windowId: number, payload: unknown];

type AnyLogic = WindowLogic<unknown, unknown, unknown>;

interface KeySnapshot {
  readonly clock: unknown;
  readonly windower: unknown;
  readonly windows: readonly (readonly [number, unknown])[];
  readonly queue: readonly (readonly [number, unknown])[];
}

/**
 * One key's open windows by id: two parallel arrays sorted by id. A key has
 * few windows open at once and items arrive nearly in time order, so a
 * binary search over one small array beats a hash map per key.
 */
class OpenWindows {
  readonly ids: number[] = [];
  readonly logics: AnyLogic[] = [];

  // The index of the first id at or after `id`.
  #find(id: number): number {
    const ids = this.ids;
    let hi = ids.length;
    if (hi > 0 && ids[hi - 1] === id) return hi - 1;
    let lo = 0;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ids[mid]! < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get(id: number): AnyLogic | undefined {
    const i = this.#find(id);
    return this.ids[i] === id ? this.logics[i] : undefined;
  }

  set(id: number, logic: AnyLogic): void {
    const i = this.#find(id);
    if (this.ids[i] === id) {
      this.logics[i] = logic;
    } else if (i === this.ids.length) {
      this.ids.push(id);
      this.logics.push(logic);
    } else {
      this.ids.splice(i, 0, id);
      this.logics.splice(i, 0, logic);
    }
  }

  delete(id: number): void {
    const i = this.#find(id);
    if (this.ids[i] !== id) return;
    this.ids.splice(i, 1);
    this.logics.splice(i, 1);
  }
}

/** One key's windows. */
class KeyWindows {
  readonly key: string;
  readonly #windower: WindowerLogic;
  readonly #build: WindowLogicBuilder<unknown, unknown, unknown>;
  readonly #ordered: boolean;
  readonly #windows = new OpenWindows();
  // Values waiting for the watermark and their timestamps, from index
  // #first on, sorted by timestamp (ties in arrival order). Items arrive
  // nearly in order, so inserting is cheap and the due ones are a prefix.
  readonly #queued: unknown[] = [];
  readonly #queuedAt: number[] = [];
  #first = 0;
  // The earliest queued timestamp, or Infinity.
  #queueHead = Infinity;

  constructor(
    key: string,
    windower: WindowerLogic,
    build: WindowLogicBuilder<unknown, unknown, unknown>,
    ordered: boolean,
    resume: KeySnapshot | undefined,
  ) {
    this.key = key;
    this.#windower = windower;
    this.#build = build;
    this.#ordered = ordered;
    if (resume) {
      for (const [id, state] of resume.windows) this.#windows.set(id, build(state));
      for (const [ts, value] of resume.queue) this.#enqueue(ts, value);
    }
  }

  /** Handles one stamped value. */
  take(ts: number, watermark: number, value: unknown, out: Tagged[]): void {
    if (ts < watermark) {
      for (const id of this.#windower.lateFor(ts)) out.push([LATE, this.key, id, value]);
    } else if (this.#ordered) {
      this.#enqueue(ts, value);
    } else {
      this.#apply(ts, value, out);
    }
  }

  #enqueue(ts: number, value: unknown): void {
    const at = this.#queuedAt;
    // After every queued item at or before `ts`: ties keep arrival order.
    let lo = this.#first;
    let hi = at.length;
    if (hi === lo || at[hi - 1]! <= ts) {
      lo = hi;
    } else {
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (at[mid]! <= ts) lo = mid + 1;
        else hi = mid;
      }
    }
    if (lo === at.length) {
      at.push(ts);
      this.#queued.push(value);
    } else {
      at.splice(lo, 0, ts);
      this.#queued.splice(lo, 0, value);
    }
    this.#queueHead = at[this.#first]!;
  }

  #apply(ts: number, value: unknown, out: Tagged[]): void {
    const ids = this.#windower.openFor(ts);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      let logic = this.#windows.get(id);
      if (logic === undefined) {
        logic = this.#build(undefined);
        this.#windows.set(id, logic);
      }
      const emits = logic.onValue(value);
      if (Array.isArray(emits)) {
        for (let j = 0; j < emits.length; j++) out.push([DOWN, this.key, id, emits[j]]);
      } else {
        for (const w of emits) out.push([DOWN, this.key, id, w]);
      }
    }
    const merges = this.#windower.merged();
    if (merges.length === 0) return;
    for (const [from, into] of merges) {
      const original = this.#windows.get(from);
      this.#windows.delete(from);
      if (original === undefined) continue;
      const target = this.#windows.get(into);
      if (target === undefined) {
        this.#windows.set(into, original);
        continue;
      }
      for (const w of target.onMerge(original)) out.push([DOWN, this.key, into, w]);
    }
  }

  /** Applies the queued values the watermark has passed (in timestamp order), then closes windows. */
  advance(watermark: number, out: Tagged[]): void {
    if (this.#queueHead <= watermark) this.#applyDue(watermark, out);
    for (const [id, meta] of this.#windower.closeFor(watermark)) {
      const logic = this.#windows.get(id);
      if (logic !== undefined) {
        this.#windows.delete(id);
        for (const w of logic.onClose()) out.push([DOWN, this.key, id, w]);
      }
      out.push([META, this.key, id, meta]);
    }
  }

  /** Applies the queued values at or before `watermark`, in timestamp order; ties keep arrival order. */
  #applyDue(watermark: number, out: Tagged[]): void {
    const queued = this.#queued;
    const at = this.#queuedAt;
    let first = this.#first;
    while (first < at.length && at[first]! <= watermark) {
      const value = queued[first];
      queued[first] = undefined; // let it go
      this.#apply(at[first]!, value, out);
      first++;
    }
    if (first === at.length) {
      first = 0;
      at.length = 0;
      queued.length = 0;
    } else if (first >= 64 && first * 2 >= at.length) {
      at.splice(0, first);
      queued.splice(0, first);
      first = 0;
    }
    this.#first = first;
    this.#queueHead = first < at.length ? at[first]! : Infinity;
  }

  /** The earliest event time at which something is due: a close, or the queue's head. */
  dueAt(): number | undefined {
    const close = this.#windower.notifyAt();
    const head = this.#queueHead;
    if (close === undefined) return head === Infinity ? undefined : head;
    return head < close ? head : close;
  }

  snapshot(clock: unknown): KeySnapshot {
    return {
      clock,
      windower: this.#windower.snapshot(),
      windows: this.#windows.ids.map((id, i) => [id, this.#windows.logics[i]!.snapshot()] as const),
      queue: this.#queuedAt.slice(this.#first).map((ts, i) =>
        [ts, this.#queued[this.#first + i]] as const
      ),
    };
  }
}

/** The keys of a step on one worker that share a watermark. */
interface Partition {
  clock: ClockLogic<unknown> | undefined;
  readonly keys: KeyWindows[];
  // The watermark up to which every key has been advanced.
  swept: number;
}

/** Checks a run's first timestamp once, for looking like Unix seconds. */
type FirstCheck = { checked: boolean };

function windowBuilder(
  pathOf: () => string,
  options: WindowOptions<unknown>,
  build: WindowLogicBuilder<unknown, unknown, unknown>,
): StatefulBatchBuilder<unknown, Tagged, KeySnapshot> {
  const { clock, windower } = options;
  const ordered = options.ordered ?? true;
  const shared = options.watermarkScope === "partition";
  const partitions = new WeakMap<StepContext, Partition>();
  const event = builtinClock(clock)?.kind === "event";
  const spec = builtinWindower(windower);
  const alignTo = event && spec?.kind === "sliding" ? spec.alignTo : undefined;
  const firstChecks = new WeakMap<StepContext, FirstCheck>();
  // One clock context per run, shared by its keys.
  const clockContexts = new WeakMap<StepContext, ClockContext>();
  return (resume, key, ctx) => {
    let clockCtx = clockContexts.get(ctx);
    if (clockCtx === undefined) {
      clockCtx = { stepId: pathOf(), now: () => ctx.now() };
      clockContexts.set(ctx, clockCtx);
    }
    const keyWindows = new KeyWindows(
      key,
      windower.build(resume?.windower),
      build,
      ordered,
      resume,
    );
    let partition: Partition;
    if (shared) {
      let found = partitions.get(ctx);
      if (found === undefined) {
        found = { clock: undefined, keys: [], swept: -Infinity };
        partitions.set(ctx, found);
      }
      found.clock ??= clock.build(resume?.clock, clockCtx);
      found.keys.push(keyWindows);
      partition = found;
    } else {
      partition = {
        clock: clock.build(resume?.clock, clockCtx),
        keys: [keyWindows],
        swept: -Infinity,
      };
    }
    let first = firstChecks.get(ctx);
    if (first === undefined) {
      first = { checked: alignTo === undefined };
      firstChecks.set(ctx, first);
    }
    const check = (ts: number) => {
      first.checked = true;
      warnIfSeconds(pathOf(), ts, alignTo!);
    };
    return new KeyLogic(keyWindows, partition, shared, first, check);
  };
}

/** The stateful logic of one key: its windows, stamped by its (or its partition's) clock. */
class KeyLogic implements StatefulBatchLogic<unknown, Tagged, KeySnapshot> {
  readonly #windows: KeyWindows;
  readonly #clock: ClockLogic<unknown>;
  readonly #partition: Partition;
  readonly #shared: boolean;
  readonly #first: FirstCheck;
  readonly #check: (ts: number) => void;
  // Whether the last call advanced every key of the partition.
  #swept = false;

  constructor(
    windows: KeyWindows,
    partition: Partition,
    shared: boolean,
    first: FirstCheck,
    check: (ts: number) => void,
  ) {
    this.#windows = windows;
    this.#clock = partition.clock!;
    this.#partition = partition;
    this.#shared = shared;
    this.#first = first;
    this.#check = check;
  }

  // Advances this key, and in partition scope every key once per new watermark.
  #advance(watermark: number, out: Tagged[]): void {
    const partition = this.#partition;
    if (this.#shared && watermark > partition.swept) {
      partition.swept = watermark;
      this.#swept = true;
      for (const other of partition.keys) other.advance(watermark, out);
    } else {
      this.#windows.advance(watermark, out);
    }
  }

  onBatch(values: readonly unknown[]): LogicResult<Tagged> {
    const out: Tagged[] = [];
    const clock = this.#clock;
    clock.beforeBatch();
    let watermark = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      const stamped = clock.onItem(value);
      watermark = stamped[1];
      if (!this.#first.checked) this.#check(stamped[0]);
      this.#windows.take(stamped[0], watermark, value, out);
    }
    this.#advance(watermark, out);
    return [out, false];
  }

  onNotify(): LogicResult<Tagged> {
    const out: Tagged[] = [];
    this.#advance(this.#clock.onNotify(), out);
    return [out, false];
  }

  onEof(): LogicResult<Tagged> {
    const out: Tagged[] = [];
    // Only this key: every other key gets its own onEof.
    this.#windows.advance(this.#clock.onEof(), out);
    return [out, false];
  }

  /** In partition scope, after a call that advanced every key: their keys. */
  [OTHER_CHANGED_KEYS](): Iterable<string> | undefined {
    if (!this.#swept) return undefined;
    this.#swept = false;
    return this.#partition.keys.map((other) => other.key);
  }

  notifyAt(): number | undefined {
    const due = this.#windows.dueAt();
    return due === undefined ? undefined : this.#clock.toSystem(due);
  }

  snapshot(): KeySnapshot {
    return this.#windows.snapshot(this.#clock.snapshot());
  }
}

/**
 * `stream.window(id, builder, options)`: the generic window operator.
 *
 * Per batch, each value is stamped by the clock; a value before the
 * watermark is late and goes to `late` once per window it would have
 * entered; others enter their windows (in timestamp order once the
 * watermark passes them, unless `ordered: false`); then every window whose
 * close time the watermark has reached closes, emitting its `onClose`
 * values then its metadata. Timers close windows with no new input, and end
 * of input closes everything. A key's watermark is kept for the run.
 */
export function window<R, V, W, S = unknown>(
  up: object,
  id: string,
  builder: WindowLogicBuilder<V, W, S>,
  options: WindowOptions<V>,
): R {
  return windowWith(up, id, builder, options, undefined);
}

/**
 * How a built-in aggregation folds its windows as plain values; and, when
 * the step's values are not what the user's clock reads (a join's
 * `[side, value]` pairs), that clock and what it reads of a value.
 */
export interface BuiltinAggregation {
  readonly agg: WindowAgg;
  readonly clock?: Clock<unknown>;
  readonly read?: (value: unknown) => unknown;
}

/**
 * The window step; with `builtin`, and a built-in clock and windower, it
 * keeps each key's windows as plain records in a keyed fold, with the same
 * results as `builder`'s logic objects on the generic path.
 *
 * @internal For the built-in window aggregations.
 */
export function windowWith<R, V, W, S = unknown>(
  up: object,
  id: string,
  builder: WindowLogicBuilder<V, W, S>,
  options: WindowOptions<V>,
  builtin: BuiltinAggregation | undefined,
): R {
  checkWindowOptions(stepPath(up, id), builder, options);
  return compose(
    up,
    (inner: object) => windowSteps(inner, builder, options, builtin),
    id,
    [],
  );
}

/**
 * The steps of the window step (`window`, `down`, `late`, `meta`), added in
 * the scope of `inner` rather than under an id of their own: a composite
 * that adds steps before them (a key step, a join's merged sides) calls
 * this, so its paths read `count.window`, not `count.count.window`. Check
 * the options with {@linkcode checkWindowOptions} first.
 *
 * @internal For the built-in window aggregations.
 */
export function windowSteps<V, W, S = unknown>(
  inner: object,
  builder: WindowLogicBuilder<V, W, S>,
  options: WindowOptions<V>,
  builtin: BuiltinAggregation | undefined,
): { down: object; late: object; meta: object } {
  const clock = builtin === undefined
    ? undefined
    : builtinClock(builtin.clock ?? options.clock as Clock<unknown>);
  const windower = builtinWindower(options.windower);
  let path = "";
  let tagged: object;
  if (builtin !== undefined && clock !== undefined && windower !== undefined) {
    const spec = {
      clock,
      windower,
      agg: builtin.agg,
      ordered: options.ordered ?? true,
      shared: options.watermarkScope === "partition",
      read: builtin.read,
    };
    tagged = keyedFold<object>(inner, "window", (at) => windowFold(at, spec));
  } else {
    tagged = statefulBatch<object>(
      inner,
      "window",
      windowBuilder(
        () => path,
        options as WindowOptions<unknown>,
        builder as WindowLogicBuilder<unknown, unknown, unknown>,
      ),
    );
  }
  path = portOf(tagged).node.path;
  const pick = (name: string, tag: number): object =>
    filterMap<object>(
      tagged,
      name,
      ([, t]: [string, Tagged]) => t[0] === tag ? [t[1], [t[2], t[3]]] : undefined,
    );
  return { down: pick("down", DOWN), late: pick("late", LATE), meta: pick("meta", META) };
}

/**
 * Throws unless `builder` is a function and `options` hold a clock, a
 * windower and a known watermark scope; errors name the step `id`, its
 * full path.
 *
 * @internal For the built-in window aggregations.
 */
export function checkWindowOptions(
  id: string,
  builder: unknown,
  options: WindowOptions<never>,
): void {
  checkCallback(id, "builder", builder);
  if (typeof options?.clock?.build !== "function") {
    throw new TypeError(`Cannot add step "${id}": options.clock must be a Clock`);
  }
  if (typeof options.windower?.build !== "function") {
    throw new TypeError(`Cannot add step "${id}": options.windower must be a Windower`);
  }
  const scope = options.watermarkScope ?? "key";
  if (scope !== "key" && scope !== "partition") {
    throw new RangeError(
      `Cannot add step "${id}": watermarkScope must be "key" or "partition", got ${
        JSON.stringify(scope)
      }`,
    );
  }
}

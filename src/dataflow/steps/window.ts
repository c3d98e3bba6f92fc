/**
 * `window` and the window operators built on it: per-key windows over a
 * keyed stream, driven by a {@linkcode Clock} and a {@linkcode Windower},
 * lowered to one `statefulBatch` step whose output is split three ways.
 *
 * @module
 */

import type { StatefulBatchBuilder, StepContext } from "../graph.ts";
import type { KeyedStream, Stream } from "../stream.ts";
import type { Clock, ClockLogic } from "../time/clock.ts";
import type { Windower, WindowerLogic, WindowMetadata } from "../time/windowers.ts";

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
   * idle key's windows close once the stream moves on.
   */
  watermarkScope?: "key" | "partition";
}

/**
 * The three outputs of a window operator.
 *
 * @example Values, late items and metadata from one run
 * ```ts
 * import {
 *   Dataflow,
 *   EventClock,
 *   run,
 *   TumblingWindower,
 *   type WindowMetadata,
 *   type WindowOut,
 * } from "@runnel/runnel";
 * import { TestingSink } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * const flow = new Dataflow("f");
 * const out: WindowOut<number, number[]> = flow
 *   .input("inp", [["k", 5], ["k", 15], ["k", 2]] as [string, number][])
 *   .collectWindow("w", {
 *     clock: EventClock((ms: number) => ms, { waitForSystemDuration: 0 }),
 *     windower: TumblingWindower({ length: 10, alignTo: 0 }),
 *   });
 * const down = new TestingSink<[string, [number, number[]]]>();
 * const late = new TestingSink<[string, [number, number]]>();
 * const meta = new TestingSink<[string, [number, WindowMetadata]]>();
 * out.down.output("down", down);
 * out.late.output("late", late);
 * out.meta.output("meta", meta);
 * await run(flow);
 * assert.deepEqual(down.list, [["k", [0, [5]]], ["k", [1, [15]]]]);
 * assert.deepEqual(late.list, [["k", [0, 2]]]);
 * assert.deepEqual(meta.list.map(([, [id, m]]) => [id, m.closeTime]), [[0, 10], [1, 20]]);
 * ```
 */
export interface WindowOut<V, W> {
  /** `[key, [windowId, value]]` per emitted value. */
  down: KeyedStream<[number, W]>;
  /** `[key, [windowId, item]]` for each window a late item would have entered. */
  late: KeyedStream<[number, V]>;
  /** `[key, [windowId, metadata]]` once per closed window (not for merged-away sessions). */
  meta: KeyedStream<[number, WindowMetadata]>;
}

const DOWN = 0;
const LATE = 1;
const META = 2;
type Tagged = readonly [tag: number, key: string, windowId: number, payload: unknown];

type AnyLogic = WindowLogic<unknown, unknown, unknown>;

interface KeySnapshot {
  readonly clock: unknown;
  readonly windower: unknown;
  readonly windows: readonly (readonly [number, unknown])[];
  readonly queue: readonly (readonly [number, unknown])[];
}

/** One key's windows. */
class KeyWindows {
  readonly key: string;
  readonly #windower: WindowerLogic;
  readonly #build: WindowLogicBuilder<unknown, unknown, unknown>;
  readonly #ordered: boolean;
  readonly #windows = new Map<number, AnyLogic>();
  // Values waiting for the watermark, in arrival order: [timestamp, value].
  #queue: [number, unknown][] = [];

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
      this.#queue = resume.queue.map(([ts, v]) => [ts, v]);
    }
  }

  /** Handles one stamped value. */
  take(ts: number, watermark: number, value: unknown, out: Tagged[]): void {
    if (ts < watermark) {
      for (const id of this.#windower.lateFor(ts)) out.push([LATE, this.key, id, value]);
    } else if (this.#ordered) {
      this.#queue.push([ts, value]);
    } else {
      this.#apply(ts, value, out);
    }
  }

  #apply(ts: number, value: unknown, out: Tagged[]): void {
    for (const id of this.#windower.openFor(ts)) {
      let logic = this.#windows.get(id);
      if (logic === undefined) {
        logic = this.#build(undefined);
        this.#windows.set(id, logic);
      }
      for (const w of logic.onValue(value)) out.push([DOWN, this.key, id, w]);
    }
    for (const [from, into] of this.#windower.merged()) {
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
    if (this.#queue.length > 0) {
      const due = this.#queue.filter(([ts]) => ts <= watermark);
      if (due.length > 0) {
        this.#queue = this.#queue.filter(([ts]) => ts > watermark);
        due.sort((a, b) => a[0] - b[0]); // stable: ties keep arrival order
        for (const [ts, value] of due) this.#apply(ts, value, out);
      }
    }
    for (const [id, meta] of this.#windower.closeFor(watermark)) {
      const logic = this.#windows.get(id);
      if (logic !== undefined) {
        this.#windows.delete(id);
        for (const w of logic.onClose()) out.push([DOWN, this.key, id, w]);
      }
      out.push([META, this.key, id, meta]);
    }
  }

  /** The earliest event time at which something is due: a close, or the queue's head. */
  dueAt(): number | undefined {
    let at = this.#windower.notifyAt();
    for (const [ts] of this.#queue) if (at === undefined || ts < at) at = ts;
    return at;
  }

  snapshot(clock: unknown): KeySnapshot {
    return {
      clock,
      windower: this.#windower.snapshot(),
      windows: [...this.#windows].map(([id, logic]) => [id, logic.snapshot()] as const),
      queue: this.#queue.map(([ts, v]) => [ts, v] as const),
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

function windowBuilder(
  pathOf: () => string,
  options: WindowOptions<unknown>,
  build: WindowLogicBuilder<unknown, unknown, unknown>,
): StatefulBatchBuilder<unknown, Tagged, KeySnapshot> {
  const { clock, windower } = options;
  const ordered = options.ordered ?? true;
  const shared = options.watermarkScope === "partition";
  const partitions = new WeakMap<StepContext, Partition>();
  return (resume, key, ctx) => {
    const clockCtx = { stepId: pathOf(), now: () => ctx.now() };
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
    const clockLogic = partition.clock!;

    // Advances this key, and in partition scope every key once per new watermark.
    const advance = (watermark: number, out: Tagged[]) => {
      if (shared && watermark > partition.swept) {
        partition.swept = watermark;
        for (const other of partition.keys) other.advance(watermark, out);
      } else {
        keyWindows.advance(watermark, out);
      }
    };

    return {
      onBatch(values) {
        const out: Tagged[] = [];
        clockLogic.beforeBatch();
        let watermark = -Infinity;
        for (const value of values) {
          const [ts, wm] = clockLogic.onItem(value);
          watermark = wm;
          keyWindows.take(ts, wm, value, out);
        }
        advance(watermark, out);
        return [out, false];
      },
      onNotify() {
        const out: Tagged[] = [];
        advance(clockLogic.onNotify(), out);
        return [out, false];
      },
      onEof() {
        const out: Tagged[] = [];
        // Only this key: every other key gets its own onEof.
        keyWindows.advance(clockLogic.onEof(), out);
        return [out, false];
      },
      notifyAt() {
        const due = keyWindows.dueAt();
        if (due === undefined) return undefined;
        return clockLogic.toSystem(due);
      },
      snapshot: () => keyWindows.snapshot(clockLogic.snapshot()),
    };
  };
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
export function window<V, W, S = unknown>(
  up: KeyedStream<V>,
  id: string,
  builder: WindowLogicBuilder<V, W, S>,
  options: WindowOptions<V>,
): WindowOut<V, W> {
  checkOptions(id, builder, options);
  return up.then((inner) => {
    let path = "";
    const tagged = inner.statefulBatch(
      "window",
      windowBuilder(
        () => path,
        options as WindowOptions<unknown>,
        builder as WindowLogicBuilder<unknown, unknown, unknown>,
      ),
    );
    path = tagged.stepId;
    const pick = <U>(name: string, tag: number): KeyedStream<[number, U]> =>
      (tagged as Stream<[string, Tagged]>).filterMap(
        name,
        ([, t]) => t[0] === tag ? [t[1], [t[2], t[3] as U]] as [string, [number, U]] : undefined,
      );
    return {
      down: pick<W>("down", DOWN),
      late: pick<V>("late", LATE),
      meta: pick<WindowMetadata>("meta", META),
    };
  }, id);
}

function checkOptions(id: string, builder: unknown, options: WindowOptions<unknown>): void {
  if (typeof builder !== "function") {
    throw new TypeError(
      `Cannot add step "${id}": builder must be a function, got ${typeof builder}`,
    );
  }
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

/**
 * Window aggregations built on `window`: fold, reduce, collect, count,
 * max and min per key per window, each emitted when its window closes.
 *
 * @module
 */

import { checkCallback } from "../_errors.ts";
import { compose, stepPath } from "../_stream_core.ts";
import type { WindowAgg } from "./_window_state.ts";
import { keyOn } from "./stateless.ts";
import {
  checkWindowOptions,
  type WindowLogic,
  type WindowOptions,
  windowSteps,
  windowWith,
} from "./window.ts";

const NOTHING: readonly never[] = Object.freeze([]);

/**
 * Options for {@linkcode foldWindow}.
 *
 * @example Counting visits when sessions merge
 * ```ts
 * import { Dataflow, EventClock, type FoldWindowOptions, SessionWindower } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const options: FoldWindowOptions<number, number> = {
 *   clock: EventClock((ms: number) => ms, { waitForSystemDuration: Infinity }),
 *   windower: SessionWindower({ gap: 5 }),
 *   ordered: false,
 *   merger: (count, other) => count + other,
 * };
 * const flow = new Dataflow("f");
 * const visits = flow.input("inp", [["u", 0], ["u", 10], ["u", 5]] as [string, number][])
 *   .foldWindow("visits", () => 0, (count) => count + 1, options);
 * // 5 bridges the sessions of 0 and 10: merger adds the second's count to the first's.
 * assert.deepEqual(await Array.fromAsync(visits.down), [["u", [0, 3]]]);
 * ```
 */
export interface FoldWindowOptions<V, A> extends WindowOptions<V> {
  /** Combines two accumulators when session windows merge. */
  merger: (acc: A, other: A) => A;
}

/** `stream.foldWindow(id, builder, folder, options)`. */
export function foldWindow<R, V, A>(
  up: object,
  id: string,
  builder: () => A,
  folder: (acc: A, value: V) => A,
  options: FoldWindowOptions<V, A>,
): R {
  checkCallback(stepPath(up, id), "builder", builder);
  checkCallback(stepPath(up, id), "folder", folder);
  checkCallback(stepPath(up, id), "merger", options?.merger);
  const { merger } = options;
  const build = (resume: A | undefined): WindowLogic<V, A, A> =>
    new FoldLogic(resume === undefined ? builder() : resume, folder, merger);
  return foldWith(up, id, build, options, {
    open: (value) => folder(builder(), value as V),
    add: (acc, value) => folder(acc as A, value as V),
    merge: (into, from) => merger(into as A, from as A),
    close: closeWithAcc,
  });
}

function closeWithAcc(acc: unknown, emits: unknown[]): void {
  emits.push(acc);
}

// The window step with a built-in aggregation, folded as plain values when
// the clock and windower are built in.
function foldWith<R, V, A, S>(
  up: object,
  id: string,
  build: (resume: S | undefined) => WindowLogic<V, A, S>,
  options: WindowOptions<V>,
  agg: WindowAgg,
): R {
  return windowWith(up, id, build, options, { agg });
}

/** One window's accumulator; a class, as there is one per open window. */
class FoldLogic<V, A> implements WindowLogic<V, A, A> {
  #acc: A;
  readonly #folder: (acc: A, value: V) => A;
  readonly #merger: (acc: A, other: A) => A;

  constructor(acc: A, folder: (acc: A, value: V) => A, merger: (acc: A, other: A) => A) {
    this.#acc = acc;
    this.#folder = folder;
    this.#merger = merger;
  }

  onValue(value: V): Iterable<A> {
    this.#acc = this.#folder(this.#acc, value);
    return NOTHING;
  }

  onMerge(original: WindowLogic<V, A, A>): Iterable<A> {
    this.#acc = this.#merger(this.#acc, original.snapshot());
    return NOTHING;
  }

  onClose(): Iterable<A> {
    return [this.#acc];
  }

  snapshot(): A {
    return this.#acc;
  }
}

/** `stream.reduceWindow(id, reducer, options)`: values arrive unordered. */
export function reduceWindow<R, V>(
  up: object,
  id: string,
  reducer: (acc: V, value: V) => V,
  options: WindowOptions<V>,
): R {
  checkCallback(stepPath(up, id), "reducer", reducer);
  const build = (resume: ReduceSnapshot<V> | undefined) => new ReduceLogic(resume ?? [], reducer);
  return foldWith(up, id, build, { ordered: false, ...options }, {
    // A window opens with a value: the first value is the accumulator.
    open: (value) => value,
    add: (acc, value) => reducer(acc as V, value as V),
    merge: (into, from) => reducer(into as V, from as V),
    close: closeWithAcc,
  });
}

/** A reduce window's state as plain data: no value yet, or the value so far. */
type ReduceSnapshot<V> = [] | [V];

/** One reduce window; its state is `[]` until a value arrives, so snapshots stay plain data. */
class ReduceLogic<V> implements WindowLogic<V, V, ReduceSnapshot<V>> {
  #acc: ReduceSnapshot<V>;
  readonly #reducer: (acc: V, value: V) => V;

  constructor(acc: ReduceSnapshot<V>, reducer: (acc: V, value: V) => V) {
    this.#acc = acc.length === 0 ? [] : [acc[0]];
    this.#reducer = reducer;
  }

  #add(value: V): void {
    this.#acc = this.#acc.length === 0 ? [value] : [this.#reducer(this.#acc[0], value)];
  }

  onValue(value: V): Iterable<V> {
    this.#add(value);
    return NOTHING;
  }

  onMerge(original: WindowLogic<V, V, ReduceSnapshot<V>>): Iterable<V> {
    const other = original.snapshot();
    if (other.length > 0) this.#add(other[0] as V);
    return NOTHING;
  }

  onClose(): Iterable<V> {
    return this.#acc.length === 0 ? NOTHING : [this.#acc[0]];
  }

  snapshot(): ReduceSnapshot<V> {
    return this.#acc.length === 0 ? [] : [this.#acc[0]];
  }
}

/**
 * What {@linkcode collectWindow} gathers into.
 *
 * @example The same visitors as an array and as a set
 * ```ts
 * import { type CollectInto, Dataflow, EventClock, TumblingWindower } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * async function visitors(into: CollectInto): Promise<unknown> {
 *   const flow = new Dataflow("f");
 *   const visits = [["home", "ann"], ["home", "bob"], ["home", "ann"]] as [string, string][];
 *   const page = flow.input("inp", visits)
 *     .collectWindow("visitors", {
 *       clock: EventClock(() => 0, { waitForSystemDuration: 0 }), // one time: one window
 *       windower: TumblingWindower({ length: 60_000, alignTo: 0 }),
 *       into,
 *     });
 *   const [[, [, collected]]] = await Array.fromAsync(page.down);
 *   return collected;
 * }
 * assert.deepEqual(await visitors("array"), ["ann", "bob", "ann"]);
 * assert.deepEqual(await visitors("set"), new Set(["ann", "bob"]));
 * ```
 */
export type CollectInto = "array" | "set" | "map";

/**
 * The container type {@linkcode collectWindow} emits.
 *
 * @example Typing what a set window emits
 * ```ts
 * import { type Collected, Dataflow, EventClock, TumblingWindower } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * function describe(users: Collected<string, "set">): string {
 *   return `${users.size} distinct: ${[...users].join(", ")}`;
 * }
 * const flow = new Dataflow("f");
 * const users = flow.input("inp", [["p", "ann"], ["p", "bob"], ["p", "ann"]] as [string, string][])
 *   .collectWindow("users", {
 *     clock: EventClock(() => 0, { waitForSystemDuration: 0 }), // one time: one window
 *     windower: TumblingWindower({ length: 60_000, alignTo: 0 }),
 *     into: "set",
 *   })
 *   .down.mapValue("describe", ([, set]) => describe(set));
 * assert.deepEqual(await Array.fromAsync(users), [["p", "2 distinct: ann, bob"]]);
 * ```
 */
export type Collected<V, I extends CollectInto> = I extends "set" ? Set<V>
  : I extends "map" ? (V extends readonly [infer K, infer U] ? Map<K, U> : Map<unknown, unknown>)
  : V[];

/**
 * Options for {@linkcode collectWindow}.
 *
 * @example The latest price per product, per window
 * ```ts
 * import {
 *   type CollectWindowOptions,
 *   Dataflow,
 *   EventClock,
 *   TumblingWindower,
 * } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * type Price = [product: string, cents: number];
 * const options: CollectWindowOptions<Price, "map"> = {
 *   clock: EventClock(() => 0, { waitForSystemDuration: 0 }), // one time: one window
 *   windower: TumblingWindower({ length: 60_000, alignTo: 0 }),
 *   into: "map",
 * };
 * const flow = new Dataflow("f");
 * const prices = flow.input("inp", [
 *   ["shop", ["pen", 300]],
 *   ["shop", ["ink", 900]],
 *   ["shop", ["pen", 250]],
 * ] as [string, Price][]).collectWindow("latest", options);
 * const [[, [, latest]]] = await Array.fromAsync(prices.down);
 * assert.deepEqual(latest, new Map([["pen", 250], ["ink", 900]]));
 * ```
 */
export interface CollectWindowOptions<V, I extends CollectInto = "array"> extends WindowOptions<V> {
  /** `"array"` (the default), `"set"`, or `"map"` (values must be `[k, v]` pairs). */
  into?: I;
}

/** `stream.collectWindow(id, options)`. */
export function collectWindow<R, V, I extends CollectInto = "array">(
  up: object,
  id: string,
  options: CollectWindowOptions<V, I>,
): R {
  const into = options?.into ?? "array";
  if (into !== "array" && into !== "set" && into !== "map") {
    throw new RangeError(
      `Cannot add step "${stepPath(up, id)}": into must be "array", "set" or "map", got ${
        JSON.stringify(into)
      }`,
    );
  }
  let out: R;
  if (into === "array") {
    out = foldWindow<R, V, V[]>(up, id, () => [], (acc, v) => (acc.push(v), acc), {
      ...options,
      merger: (a, b) => (a.push(...b), a),
    });
  } else if (into === "set") {
    out = foldWindow<R, V, Set<V>>(up, id, () => new Set(), (acc, v) => acc.add(v), {
      ...options,
      merger: (a, b) => (b.forEach((v) => a.add(v)), a),
    });
  } else {
    out = foldWindow<R, V, Map<unknown, unknown>>(up, id, () => new Map(), (acc, v) => {
      if (!Array.isArray(v) || v.length !== 2) {
        throw new TypeError(`collectWindow into "map" needs [key, value] pairs, got ${typeof v}`);
      }
      return acc.set(v[0], v[1]);
    }, {
      ...options,
      merger: (a, b) => (b.forEach((v, k) => a.set(k, v)), a),
    });
  }
  return out;
}

const COUNT: WindowAgg = {
  open: () => 1,
  add: (acc) => (acc as number) + 1,
  merge: (into, from) => (into as number) + (from as number),
  close: closeWithAcc,
};

/** `stream.countWindow(id, keyFn, options)`: keys the stream, then counts per window. */
export function countWindow<R, T>(
  up: object,
  id: string,
  keyFn: (item: T) => string,
  options: WindowOptions<T>,
): R {
  const path = stepPath(up, id);
  checkCallback(path, "keyFn", keyFn);
  const build = (resume: number | undefined): WindowLogic<T, number, number> =>
    new FoldLogic(resume ?? 0, (n) => n + 1, (a, b) => a + b);
  const counting = { ordered: false, ...options };
  checkWindowOptions(path, build, counting);
  // The window steps sit beside the key step, not in a composite of their own.
  return compose(
    up,
    (inner: object) => windowSteps(keyOn(inner, "key", keyFn), build, counting, { agg: COUNT }),
    id,
    [],
  );
}

/**
 * Options for {@linkcode maxWindow} and {@linkcode minWindow}.
 *
 * @example The longest word per window, the first on ties
 * ```ts
 * import {
 *   Dataflow,
 *   EventClock,
 *   type ExtremeWindowOptions,
 *   TumblingWindower,
 * } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const options: ExtremeWindowOptions<string> = {
 *   clock: EventClock(() => 0, { waitForSystemDuration: 0 }), // one time: one window
 *   windower: TumblingWindower({ length: 60_000, alignTo: 0 }),
 *   by: (word) => word.length,
 * };
 * const flow = new Dataflow("f");
 * const words = [["k", "ab"], ["k", "abcd"], ["k", "wxyz"]] as [string, string][];
 * const longest = flow.input("inp", words).maxWindow("longest", options);
 * assert.deepEqual(await Array.fromAsync(longest.down), [["k", [0, "abcd"]]]);
 * ```
 */
export interface ExtremeWindowOptions<V> extends WindowOptions<V> {
  /** What to compare values by; the value itself by default. Ties keep the earlier value. */
  by?: (value: V) => unknown;
}

function extremeWindow<R, V>(
  up: object,
  id: string,
  options: ExtremeWindowOptions<V>,
  better: (a: unknown, b: unknown) => boolean,
): R {
  const by = options?.by ?? ((value: V) => value);
  checkCallback(stepPath(up, id), "by", by);
  return reduceWindow(up, id, (a, b) => better(by(b), by(a)) ? b : a, options);
}

/** `stream.maxWindow(id, options)`. */
export function maxWindow<R, V>(
  up: object,
  id: string,
  options: ExtremeWindowOptions<V>,
): R {
  return extremeWindow(up, id, options, (a, b) => (a as number) > (b as number));
}

/** `stream.minWindow(id, options)`. */
export function minWindow<R, V>(
  up: object,
  id: string,
  options: ExtremeWindowOptions<V>,
): R {
  return extremeWindow(up, id, options, (a, b) => (a as number) < (b as number));
}

/**
 * Window aggregations built on `window`: fold, reduce, collect, count,
 * max and min per key per window, each emitted when its window closes.
 *
 * @module
 */

import type { KeyedStream, Stream } from "../stream.ts";
import {
  checkWindowOptions,
  window,
  type WindowLogic,
  type WindowOptions,
  type WindowOut,
  windowSteps,
} from "./window.ts";

const NOTHING: readonly never[] = Object.freeze([]);

function checkFn(id: string, name: string, fn: unknown): void {
  if (typeof fn !== "function") {
    throw new TypeError(`Cannot add step "${id}": ${name} must be a function, got ${typeof fn}`);
  }
}

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
export function foldWindow<V, A>(
  up: KeyedStream<V>,
  id: string,
  builder: () => A,
  folder: (acc: A, value: V) => A,
  options: FoldWindowOptions<V, A>,
): WindowOut<V, A> {
  checkFn(id, "builder", builder);
  checkFn(id, "folder", folder);
  checkFn(id, "merger", options?.merger);
  const { merger } = options;
  const build = (resume: A | undefined): WindowLogic<V, A, A> =>
    new FoldLogic(resume === undefined ? builder() : resume, folder, merger);
  return window(up, id, build, options);
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
export function reduceWindow<V>(
  up: KeyedStream<V>,
  id: string,
  reducer: (acc: V, value: V) => V,
  options: WindowOptions<V>,
): WindowOut<V, V> {
  checkFn(id, "reducer", reducer);
  const none = Symbol("none");
  type Acc = V | typeof none;
  const step = (acc: Acc, value: V): Acc => acc === none ? value : reducer(acc, value);
  const out = foldWindow<V, Acc>(up, id, () => none, step, {
    ordered: false,
    ...options,
    merger: (a, b) => b === none ? a : step(a, b),
  });
  return out as WindowOut<V, V>;
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
export function collectWindow<V, I extends CollectInto = "array">(
  up: KeyedStream<V>,
  id: string,
  options: CollectWindowOptions<V, I>,
): WindowOut<V, Collected<V, I>> {
  const into = options?.into ?? "array";
  if (into !== "array" && into !== "set" && into !== "map") {
    throw new RangeError(
      `Cannot add step "${id}": into must be "array", "set" or "map", got ${JSON.stringify(into)}`,
    );
  }
  let out: WindowOut<V, unknown>;
  if (into === "array") {
    out = foldWindow<V, V[]>(up, id, () => [], (acc, v) => (acc.push(v), acc), {
      ...options,
      merger: (a, b) => (a.push(...b), a),
    });
  } else if (into === "set") {
    out = foldWindow<V, Set<V>>(up, id, () => new Set(), (acc, v) => acc.add(v), {
      ...options,
      merger: (a, b) => (b.forEach((v) => a.add(v)), a),
    });
  } else {
    out = foldWindow<V, Map<unknown, unknown>>(up, id, () => new Map(), (acc, v) => {
      if (!Array.isArray(v) || v.length !== 2) {
        throw new TypeError(`collectWindow into "map" needs [key, value] pairs, got ${typeof v}`);
      }
      return acc.set(v[0], v[1]);
    }, {
      ...options,
      merger: (a, b) => (b.forEach((v, k) => a.set(k, v)), a),
    });
  }
  return out as WindowOut<V, Collected<V, I>>;
}

/** `stream.countWindow(id, keyFn, options)`: keys the stream, then counts per window. */
export function countWindow<T>(
  up: Stream<T>,
  id: string,
  keyFn: (item: T) => string,
  options: WindowOptions<T>,
): WindowOut<T, number> {
  checkFn(id, "keyFn", keyFn);
  const build = (resume: number | undefined): WindowLogic<T, number, number> =>
    new FoldLogic(resume ?? 0, (n) => n + 1, (a, b) => a + b);
  const counting = { ordered: false, ...options };
  checkWindowOptions(id, build, counting);
  // The window steps sit beside the key step, not in a composite of their own.
  return up.then((inner) => {
    const keyed = inner.map("key", (item) => [keyFn(item), item] as [string, T]);
    return windowSteps(keyed, build, counting);
  }, id);
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

function extremeWindow<V>(
  up: KeyedStream<V>,
  id: string,
  options: ExtremeWindowOptions<V>,
  better: (a: unknown, b: unknown) => boolean,
): WindowOut<V, V> {
  const by = options?.by ?? ((value: V) => value);
  checkFn(id, "by", by);
  return reduceWindow(up, id, (a, b) => better(by(b), by(a)) ? b : a, options);
}

/** `stream.maxWindow(id, options)`. */
export function maxWindow<V>(
  up: KeyedStream<V>,
  id: string,
  options: ExtremeWindowOptions<V>,
): WindowOut<V, V> {
  return extremeWindow(up, id, options, (a, b) => (a as number) > (b as number));
}

/** `stream.minWindow(id, options)`. */
export function minWindow<V>(
  up: KeyedStream<V>,
  id: string,
  options: ExtremeWindowOptions<V>,
): WindowOut<V, V> {
  return extremeWindow(up, id, options, (a, b) => (a as number) < (b as number));
}

/**
 * End-of-input aggregates: `reduceFinal`, `foldFinal`, `countFinal`,
 * `maxFinal` and `minFinal`. Each emits one value per key when its input
 * ends, in sorted key order (per worker when `workers` > 1), so they suit finite input; windows are the
 * tool for infinite streams.
 *
 * Reductions are pre-combined within each batch before the keyed state
 * (as a combiner does), which cuts per-key work for hot keys.
 *
 * @module
 */

import { callbackError, checkCallback, checkKeyed, Failure, shapeError } from "../_errors.ts";
import { batchStep, compose, keyedFold, stepPath } from "../_stream_core.ts";
import type { BatchFn, ItemKeyedFold } from "../graph.ts";
import { itemFold } from "./_fold.ts";

/** Reduces each key's values within one batch. */
function preReduce<V>(path: string, reducer: (acc: V, value: V) => V): BatchFn {
  return (batch) => {
    const accs = new Map<string, V>();
    let i = 0;
    try {
      for (; i < batch.length; i++) {
        const item = batch[i];
        checkKeyed(path, item);
        const key = item[0];
        const acc = accs.get(key);
        if (acc === undefined && !accs.has(key)) accs.set(key, item[1] as V);
        else accs.set(key, reducer(acc as V, item[1] as V));
      }
    } catch (error) {
      const item = batch[i];
      const key = Array.isArray(item) && typeof item[0] === "string" ? item[0] : undefined;
      throw callbackError(path, "reducer", item, error, key);
    }
    return Array.from(accs);
  };
}

/** Counts each key's items within one batch. */
function preCount<T>(path: string, keyFn: (item: T) => string): BatchFn {
  return (batch) => {
    const counts = new Map<string, number>();
    let i = 0;
    try {
      for (; i < batch.length; i++) {
        const key = keyFn(batch[i] as T);
        if (typeof key !== "string") {
          throw shapeError(path, "the key function to return a string", key);
        }
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    } catch (error) {
      throw callbackError(path, "key function", batch[i], error);
    }
    return Array.from(counts);
  };
}

/** A key's accumulator, boxed so that any value, `undefined` too, can be one. */
interface Acc<A> {
  acc: A;
}

/** Folds values into a boxed accumulator per key and emits it at end of input. */
function finalFold<V, A>(
  what: string,
  init: (first: V) => A,
  folder: (acc: A, value: V) => A,
): ItemKeyedFold {
  return itemFold<Acc<A>, V>(
    what,
    (state, value) => {
      if (state === undefined) return { acc: init(value) };
      state.acc = folder(state.acc, value);
      return state;
    },
    (state, key, out) => out.push([key, state.acc]),
  );
}

// Reduces each batch per key first, so the keyed fold (and, with workers, the exchange) sees less.
function reduceInside<V>(up: object, reducer: (acc: V, value: V) => V): unknown {
  const combined = batchStep<object>(up, "combine", (path) => () => preReduce(path, reducer));
  return keyedFold(combined, "reduce", () => finalFold("reducer", (first: V) => first, reducer));
}

/** Calls a `foldFinal` builder, blaming it, not the folder, when it throws. */
function build<A>(builder: () => A): A {
  try {
    return builder();
  } catch (error) {
    throw new Failure(error, { what: "builder" });
  }
}

/** `stream.reduceFinal(id, reducer)`. */
export function reduceFinal<R, V>(
  up: object,
  id: string,
  reducer: (acc: V, value: V) => V,
): R {
  checkCallback(stepPath(up, id), "reducer", reducer);
  return compose(up, reduceInside, id, [reducer]);
}

/** `stream.foldFinal(id, builder, folder)`. */
export function foldFinal<R, V, A>(
  up: object,
  id: string,
  builder: () => A,
  folder: (acc: A, value: V) => A,
): R {
  checkCallback(stepPath(up, id), "builder", builder);
  checkCallback(stepPath(up, id), "folder", folder);
  return keyedFold(
    up,
    id,
    () => finalFold("folder", (first: V) => folder(build(builder), first), folder),
  );
}

/** `stream.countFinal(id, keyFn)`. */
export function countFinal<R, T>(
  up: object,
  id: string,
  keyFn: (item: T) => string,
): R {
  checkCallback(stepPath(up, id), "key function", keyFn);
  return compose(
    up,
    (inner: object) => {
      const counted = batchStep<object>(inner, "init_count", (path) => () => preCount(path, keyFn));
      return keyedFold(counted, "sum", () =>
        itemFold<number, number>(
          "sum",
          (sum, count) => sum === undefined ? count : sum + count,
          (sum, key, out) => out.push([key, sum]),
        ));
    },
    id,
    [],
  );
}

/**
 * Options for `maxFinal` and `minFinal`.
 *
 * @example The oldest person per city
 * ```ts
 * import { Dataflow, type ExtremeOptions } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * type Person = { name: string; age: number };
 * const byAge: ExtremeOptions<Person> = { by: (person) => person.age };
 * const flow = new Dataflow("f");
 * const oldest = flow.input("inp", [
 *   ["paris", { name: "ann", age: 31 }],
 *   ["paris", { name: "bob", age: 45 }],
 *   ["rome", { name: "cy", age: 28 }],
 * ] as [string, Person][]).maxFinal("oldest", byAge);
 * assert.deepEqual(await Array.fromAsync(oldest), [
 *   ["paris", { name: "bob", age: 45 }],
 *   ["rome", { name: "cy", age: 28 }],
 * ]);
 * ```
 */
export interface ExtremeOptions<V> {
  /** What to compare values by; the value itself by default. */
  by?: (value: V) => unknown;
}

function extreme<R, V>(
  up: object,
  id: string,
  options: ExtremeOptions<V>,
  better: (a: unknown, b: unknown) => boolean,
): R {
  const by = options.by ?? ((value: V) => value);
  checkCallback(stepPath(up, id), "by", by);
  // Ties keep the earlier value.
  return compose(up, reduceInside, id, [(a: V, b: V) => better(by(b), by(a)) ? b : a]);
}

/** `stream.maxFinal(id, options)`. */
export function maxFinal<R, V>(
  up: object,
  id: string,
  options: ExtremeOptions<V> = {},
): R {
  return extreme(up, id, options, (a, b) => (a as number) > (b as number));
}

/** `stream.minFinal(id, options)`. */
export function minFinal<R, V>(
  up: object,
  id: string,
  options: ExtremeOptions<V> = {},
): R {
  return extreme(up, id, options, (a, b) => (a as number) < (b as number));
}

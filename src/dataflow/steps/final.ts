/**
 * End-of-input aggregates: `reduceFinal`, `foldFinal`, `countFinal`,
 * `maxFinal` and `minFinal`. Each emits one value per key when its input
 * ends, in sorted key order, so they suit finite input; windows are the
 * tool for infinite streams.
 *
 * Reductions are pre-combined within each batch before the keyed state
 * (as a combiner does), which cuts per-key work for hot keys.
 *
 * @module
 */

import { callbackError, checkCallback, checkKeyed, Failure, shapeError } from "../_errors.ts";
import { stepPath } from "../_stream_core.ts";
import type { BatchFn, ItemKeyedFold } from "../graph.ts";
import type { KeyedStream, Stream } from "../stream.ts";
import { keyedFold } from "./_fold.ts";

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
  return keyedFold<Acc<A>, V>(
    what,
    (state, value) => {
      if (state === undefined) return { acc: init(value) };
      state.acc = folder(state.acc, value);
      return state;
    },
    (state, key, out) => out.push([key, state.acc]),
  );
}

function reduceInside<V>(up: KeyedStream<V>, reducer: (acc: V, value: V) => V): KeyedStream<V> {
  return up
    .batchStep<[string, V]>("combine", (path) => () => preReduce(path, reducer))
    .keyedFold("reduce", () => finalFold("reducer", (first: V) => first, reducer));
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
export function reduceFinal<V>(
  up: KeyedStream<V>,
  id: string,
  reducer: (acc: V, value: V) => V,
): KeyedStream<V> {
  checkCallback(stepPath(up, id), "reducer", reducer);
  return up.then(reduceInside, id, reducer);
}

/** `stream.foldFinal(id, builder, folder)`. */
export function foldFinal<V, A>(
  up: KeyedStream<V>,
  id: string,
  builder: () => A,
  folder: (acc: A, value: V) => A,
): KeyedStream<A> {
  checkCallback(stepPath(up, id), "builder", builder);
  checkCallback(stepPath(up, id), "folder", folder);
  return up.keyedFold(
    id,
    () => finalFold("folder", (first: V) => folder(build(builder), first), folder),
  );
}

/** `stream.countFinal(id, keyFn)`. */
export function countFinal<T>(
  up: Stream<T>,
  id: string,
  keyFn: (item: T) => string,
): KeyedStream<number> {
  checkCallback(stepPath(up, id), "key function", keyFn);
  return up.then(
    (inner) =>
      inner
        .batchStep<[string, number]>("init_count", (path) => () => preCount(path, keyFn))
        .keyedFold("sum", () =>
          keyedFold<number, number>(
            "sum",
            (sum, count) => sum === undefined ? count : sum + count,
            (sum, key, out) => out.push([key, sum]),
          )),
    id,
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

function extreme<V>(
  up: KeyedStream<V>,
  id: string,
  options: ExtremeOptions<V>,
  better: (a: unknown, b: unknown) => boolean,
): KeyedStream<V> {
  const by = options.by ?? ((value: V) => value);
  checkCallback(stepPath(up, id), "by", by);
  // Ties keep the earlier value.
  return up.then(reduceInside, id, (a: V, b: V) => better(by(b), by(a)) ? b : a);
}

/** `stream.maxFinal(id, options)`. */
export function maxFinal<V>(
  up: KeyedStream<V>,
  id: string,
  options: ExtremeOptions<V> = {},
): KeyedStream<V> {
  return extreme(up, id, options, (a, b) => (a as number) > (b as number));
}

/** `stream.minFinal(id, options)`. */
export function minFinal<V>(
  up: KeyedStream<V>,
  id: string,
  options: ExtremeOptions<V> = {},
): KeyedStream<V> {
  return extreme(up, id, options, (a, b) => (a as number) < (b as number));
}

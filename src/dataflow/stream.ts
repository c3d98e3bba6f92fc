/**
 * {@linkcode Stream}: a handle on one output of a step, with fluent methods
 * that add the next steps; and {@linkcode Dataflow}, the graph a flow is
 * built into. The two are one module because each names the other: a flow's
 * `input()` makes a stream, and a stream holds its flow.
 *
 * @module
 */

import { checkInputs, compose, registerStream, runStream } from "./_stream_core.ts";
import type { Port, StatefulBatchBuilder, StepNode } from "./graph.ts";
import { isDynamicSource, isFixedPartitionedSource, type Source } from "./inputs.ts";
import type { DynamicSink, FixedPartitionedSink } from "./outputs.ts";
import { mapAsync, type MapAsyncOptions, pipe } from "./steps/async.ts";
import { collect, type CollectOptions } from "./steps/collect.ts";
import { enrichCached, type EnrichCachedOptions, type TtlCache } from "./steps/enrich_cached.ts";
import {
  countFinal,
  type ExtremeOptions,
  foldFinal,
  maxFinal,
  minFinal,
  reduceFinal,
} from "./steps/final.ts";
import { join, type JoinEmitMode, type JoinOptions, type JoinRow } from "./steps/join.ts";
import { output, raises } from "./steps/output.ts";
import { branch, merge, redistribute } from "./steps/routing.ts";
import {
  stateful,
  statefulBatch,
  type StatefulBuilder,
  statefulFlatMap,
  statefulMap,
} from "./steps/stateful.ts";
import {
  filter,
  filterMap,
  filterMapValue,
  filterValue,
  flatMap,
  flatMapBatch,
  flatMapValue,
  flatten,
  inspect,
  inspectDebug,
  keyOn,
  keyRm,
  map,
  mapValue,
} from "./steps/stateless.ts";
import { window, type WindowLogicBuilder, type WindowOptions } from "./steps/window.ts";
import {
  type Collected,
  type CollectInto,
  collectWindow,
  type CollectWindowOptions,
  countWindow,
  type ExtremeWindowOptions,
  foldWindow,
  type FoldWindowOptions,
  maxWindow,
  minWindow,
  reduceWindow,
} from "./steps/window_fold.ts";
import { joinWindow, type JoinWindowOptions } from "./steps/window_join.ts";
import { checkId, joinPath } from "./step_id.ts";
import type { WindowMetadata } from "./time/windowers.ts";

/**
 * A stream of `[key, value]` pairs: what every stateful step needs. Keys are strings.
 *
 * @example A composite over keyed streams
 * ```ts
 * import { Dataflow, type KeyedStream } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * function total(up: KeyedStream<number>): KeyedStream<number> {
 *   return up.reduceFinal("sum", (a, b) => a + b);
 * }
 * const flow = new Dataflow("f");
 * const totals = flow.input("inp", [3, 4, 13])
 *   .keyOn("parity", (n) => n % 2 === 0 ? "even" : "odd")
 *   .then(total, "total");
 * assert.deepEqual(await Array.fromAsync(totals), [["even", 4], ["odd", 16]]);
 * ```
 */
export type KeyedStream<V> = Stream<[string, V]>;

/**
 * The two outputs of {@linkcode Stream.branch}.
 *
 * @example Narrowed outputs from a type guard
 * ```ts
 * import { type BranchOut, Dataflow } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const flow = new Dataflow("f");
 * const mixed = flow.input("inp", ["a", 1, "b"] as (string | number)[]);
 * const parts: BranchOut<string, number> = mixed.branch(
 *   "is_text",
 *   (x): x is string => typeof x === "string",
 * );
 * // `trues` is a Stream<string>, `falses` a Stream<number>.
 * const upper = parts.trues.map("upper", (s) => s.toUpperCase());
 * assert.deepEqual(await Array.fromAsync(upper), ["A", "B"]);
 * assert.deepEqual(await Array.fromAsync(parts.falses.map("double", (n) => n * 2)), [2]);
 * ```
 */
export interface BranchOut<T, F = T> {
  /** Items for which the predicate returned `true`. */
  trues: Stream<T>;
  /** Items for which the predicate returned `false`. */
  falses: Stream<F>;
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

export type { MapAsyncOptions };

/**
 * A stream of items flowing out of one step. Each method adds a step that
 * consumes this stream and returns the stream it produces; a stream may be
 * consumed by any number of steps, each of which sees every item.
 *
 * Step ids are relative: inside a composite added with
 * {@linkcode Stream.then}, ids nest (`flow.outer.inner`).
 *
 * Iterating a stream with `for await` runs its whole flow in-process and
 * yields the items that reach this stream, which is how scripts and
 * notebooks look at a flow. Breaking out of the loop stops the run.
 *
 * @typeParam T The items in the stream.
 *
 * @example Iterating a stream
 * ```ts
 * import { Dataflow } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const flow = new Dataflow("squares");
 * const squares = flow.input("inp", [1, 2, 3]).map("square", (x) => x * x);
 *
 * const seen: number[] = [];
 * for await (const x of squares) seen.push(x);
 * assert.deepEqual(seen, [1, 4, 9]);
 * ```
 */
export class Stream<T> implements AsyncIterable<T> {
  /** The flow this stream belongs to. */
  readonly flow: Dataflow;
  readonly #port: Port;

  /**
   * Streams are made by `flow.input()` and by the steps; there is no need
   * to construct one directly.
   *
   * @param flow The flow.
   * @param port The node output this stream reads.
   * @param scope The path new step ids are relative to.
   */
  constructor(flow: Dataflow, port: Port, scope: string) {
    this.flow = flow;
    this.#port = port;
    registerStream(this, { flow, port, scope, derive: (p, s) => new Stream(flow, p, s) });
  }

  /** The full path of the step that produces this stream. */
  get stepId(): string {
    return this.#port.node.path;
  }

  /**
   * Transforms each item one to one.
   *
   * @typeParam U The items the mapper returns.
   * @param id The step id.
   * @param mapper Called once per item; a throw stops the run with a `StepError`.
   * @returns The mapped stream, in the same order.
   *
   * @example Doubling numbers
   * ```ts
   * import { Dataflow } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const out = flow.input("inp", [1, 2, 3]).map("double", (x) => x * 2);
   * assert.deepEqual(await Array.fromAsync(out), [2, 4, 6]);
   * ```
   */
  map<U>(id: string, mapper: (item: T) => U): Stream<U> {
    return map(this, id, mapper);
  }

  /**
   * Keeps the items for which `predicate` returns `true`.
   *
   * @param id The step id.
   * @param predicate Must return a boolean; anything else is a `TypeError` naming the step.
   * @returns The items that passed.
   *
   * @example Keeping even numbers
   * ```ts
   * import { Dataflow } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const out = flow.input("inp", [1, 2, 3, 4]).filter("even", (x) => x % 2 === 0);
   * assert.deepEqual(await Array.fromAsync(out), [2, 4]);
   * ```
   */
  filter(id: string, predicate: (item: T) => boolean): Stream<T> {
    return filter(this, id, predicate);
  }

  /**
   * Maps each item and drops the results that are `undefined` or `null`
   * (only those: `0`, `""` and `false` are kept).
   *
   * @typeParam U The items kept.
   * @param id The step id.
   * @param mapper Returns a value to keep, or `undefined`/`null` to drop the item.
   * @returns The kept results.
   *
   * @example Parsing numbers, skipping the rest
   * ```ts
   * import { Dataflow } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const out = flow.input("inp", ["1", "x", "3"])
   *   .filterMap("parse", (s) => Number.isNaN(Number(s)) ? undefined : Number(s));
   * assert.deepEqual(await Array.fromAsync(out), [1, 3]);
   * ```
   */
  filterMap<U>(id: string, mapper: (item: T) => U | undefined | null): Stream<U> {
    return filterMap(this, id, mapper);
  }

  /**
   * Transforms each item into zero or more items.
   *
   * @typeParam U The items the mapper's iterables hold.
   * @param id The step id.
   * @param mapper Returns an iterable (an array, a `Set`, a generator); a
   *   string is not accepted, so a forgotten `.split()` is caught.
   * @returns The flattened results, in order.
   *
   * @example Splitting lines into words
   * ```ts
   * import { Dataflow } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const out = flow.input("inp", ["a b", "c"]).flatMap("split", (line) => line.split(" "));
   * assert.deepEqual(await Array.fromAsync(out), ["a", "b", "c"]);
   * ```
   */
  flatMap<U>(id: string, mapper: (item: T) => Iterable<U>): Stream<U> {
    return flatMap(this, id, mapper);
  }

  /**
   * Transforms each runtime batch at once, for bulk work such as one call
   * to a vectorised library or a bulk API per batch. Batch boundaries depend
   * on what sources had available, so the result must not depend on them.
   *
   * @typeParam U The items produced.
   * @param id The step id.
   * @param mapper Gets a read-only array of items; returns an iterable.
   * @returns The concatenated results.
   *
   * @example Summing each batch
   * ```ts
   * import { Dataflow } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const out = flow.input("inp", [1, 2, 3]).flatMapBatch("count", (batch) => [batch.length]);
   * const counts = await Array.fromAsync(out);
   * assert.equal(counts.reduce((a, b) => a + b), 3);
   * ```
   */
  flatMapBatch<U>(id: string, mapper: (batch: readonly T[]) => Iterable<U>): Stream<U> {
    return flatMapBatch(this, id, mapper);
  }

  /**
   * Moves the elements of each iterable item up one level.
   *
   * @typeParam U The elements.
   * @param id The step id.
   * @returns The elements, in order. An item that is not iterable is a `TypeError`.
   *
   * @example Flattening arrays
   * ```ts
   * import { Dataflow } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const out = flow.input("inp", [[1, 2], [], [3]]).flatten("flat");
   * assert.deepEqual(await Array.fromAsync(out), [1, 2, 3]);
   * ```
   */
  flatten<U>(this: Stream<Iterable<U>>, id: string): Stream<U> {
    return flatten(this, id);
  }

  /**
   * Calls `inspector` with each item and passes the stream on unchanged.
   *
   * @param id The step id.
   * @param inspector Gets the step path and the item; by default prints
   *   `flow.step: item` with `console.log`, the item written as error
   *   messages write it (JSON, with `undefined`, `12n` and `[function f]`).
   * @returns This stream's items, unchanged.
   *
   * @example Looking at items
   * ```ts
   * import { Dataflow } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const seen: string[] = [];
   * const flow = new Dataflow("f");
   * const out = flow.input("inp", [1, 2])
   *   .inspect("peek", (stepId, x) => seen.push(`${stepId}=${x}`));
   * assert.deepEqual(await Array.fromAsync(out), [1, 2]);
   * assert.deepEqual(seen, ["f.peek=1", "f.peek=2"]);
   * ```
   */
  inspect(id: string, inspector?: (stepId: string, item: T) => void): Stream<T> {
    return inspect(this, id, inspector);
  }

  /**
   * Like {@linkcode Stream.inspect}, and also shows the epoch and the worker
   * index each item was seen at.
   *
   * @param id The step id.
   * @param inspector Gets the step path, item, epoch and worker; by default
   *   prints `flow.step W0 @1: item`.
   * @returns This stream's items, unchanged.
   *
   * @example Seeing the worker and epoch
   * ```ts
   * import { Dataflow } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const seen: string[] = [];
   * const flow = new Dataflow("f");
   * const out = flow.input("inp", ["a"])
   *   .inspectDebug("peek", (_id, x, epoch, worker) => seen.push(`W${worker} @${epoch}: ${x}`));
   * await Array.fromAsync(out);
   * assert.deepEqual(seen, ["W0 @1: a"]);
   * ```
   */
  inspectDebug(
    id: string,
    inspector?: (stepId: string, item: T, epoch: number, worker: number) => void,
  ): Stream<T> {
    return inspectDebug(this, id, inspector);
  }

  /**
   * Splits the stream in two by a predicate. With a type guard the two
   * outputs get narrowed types.
   *
   * @param id The step id.
   * @param predicate Must return a boolean.
   * @returns `{ trues, falses }`.
   *
   * @example Odd and even
   * ```ts
   * import { Dataflow } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const { trues, falses } = flow.input("inp", [1, 2, 3]).branch("even", (x) => x % 2 === 0);
   * assert.deepEqual(await Array.fromAsync(trues), [2]);
   * assert.deepEqual(await Array.fromAsync(falses), [1, 3]);
   * ```
   */
  branch<S extends T>(id: string, predicate: (item: T) => item is S): BranchOut<S, Exclude<T, S>>;
  /** Splits the stream in two by a plain boolean `predicate`. */
  branch(id: string, predicate: (item: T) => boolean): BranchOut<T>;
  branch(id: string, predicate: (item: T) => boolean): BranchOut<T> {
    return branch(this, id, predicate);
  }

  /**
   * Interleaves this stream with others. Items keep their order within each
   * input; across inputs they arrive as they come.
   *
   * @typeParam U The items of the other streams.
   * @param id The step id.
   * @param others Streams of the same flow.
   * @returns One stream with every item of every input.
   *
   * @example Merging two inputs
   * ```ts
   * import { Dataflow } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const a = flow.input("a", [1, 2]);
   * const b = flow.input("b", [3]);
   * const all = await Array.fromAsync(a.merge("all", b));
   * assert.deepEqual(all.sort(), [1, 2, 3]);
   * ```
   */
  merge<U>(id: string, ...others: Stream<U>[]): Stream<T | U> {
    return merge(this, id, others);
  }

  /**
   * Makes a keyed stream: each item becomes `[keyFn(item), item]`.
   *
   * @param id The step id.
   * @param keyFn Must return a string; anything else is a `TypeError` naming the step.
   * @returns The keyed stream.
   *
   * @example Keying users by id
   * ```ts
   * import { Dataflow } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const out = flow.input("inp", [{ id: "a", n: 1 }]).keyOn("by_id", (u) => u.id);
   * assert.deepEqual(await Array.fromAsync(out), [["a", { id: "a", n: 1 }]]);
   * ```
   */
  keyOn(id: string, keyFn: (item: T) => string): KeyedStream<T> {
    return keyOn(this, id, keyFn);
  }

  /**
   * Drops the keys of a keyed stream.
   *
   * @typeParam V The values.
   * @param id The step id.
   * @returns The values.
   *
   * @example Removing keys
   * ```ts
   * import { Dataflow } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const out = flow.input("inp", [["a", 1], ["b", 2]] as [string, number][]).keyRm("rm");
   * assert.deepEqual(await Array.fromAsync(out), [1, 2]);
   * ```
   */
  keyRm<V>(this: KeyedStream<V>, id: string): Stream<V> {
    return keyRm(this, id);
  }

  /**
   * Maps the value of each `[key, value]` pair; the key stays.
   *
   * @typeParam V The values.
   * @typeParam W The mapped values.
   * @param id The step id.
   * @param mapper Called with each value.
   * @returns The keyed stream of mapped values.
   *
   * @example Scaling values
   * ```ts
   * import { Dataflow } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const out = flow.input("inp", [["a", 1]] as [string, number][]).mapValue("x10", (v) => v * 10);
   * assert.deepEqual(await Array.fromAsync(out), [["a", 10]]);
   * ```
   */
  mapValue<V, W>(this: KeyedStream<V>, id: string, mapper: (value: V) => W): KeyedStream<W> {
    return mapValue(this, id, mapper);
  }

  /**
   * Maps each value to zero or more values, each keeping the key.
   *
   * @typeParam V The values.
   * @typeParam W The produced values.
   * @param id The step id.
   * @param mapper Returns an iterable of values.
   * @returns The keyed stream of produced values.
   *
   * @example Splitting values
   * ```ts
   * import { Dataflow } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const out = flow.input("inp", [["a", "x y"]] as [string, string][])
   *   .flatMapValue("split", (v) => v.split(" "));
   * assert.deepEqual(await Array.fromAsync(out), [["a", "x"], ["a", "y"]]);
   * ```
   */
  flatMapValue<V, W>(
    this: KeyedStream<V>,
    id: string,
    mapper: (value: V) => Iterable<W>,
  ): KeyedStream<W> {
    return flatMapValue(this, id, mapper);
  }

  /**
   * Keeps the `[key, value]` pairs whose value passes `predicate`.
   *
   * @typeParam V The values.
   * @param id The step id.
   * @param predicate Must return a boolean.
   * @returns The pairs that passed.
   *
   * @example Keeping positive values
   * ```ts
   * import { Dataflow } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const out = flow.input("inp", [["a", 1], ["b", -1]] as [string, number][])
   *   .filterValue("positive", (v) => v > 0);
   * assert.deepEqual(await Array.fromAsync(out), [["a", 1]]);
   * ```
   */
  filterValue<V>(
    this: KeyedStream<V>,
    id: string,
    predicate: (value: V) => boolean,
  ): KeyedStream<V> {
    return filterValue(this, id, predicate);
  }

  /**
   * Maps each value and drops the pairs whose result is `undefined` or `null`
   * (only those: `0`, `""` and `false` are kept).
   *
   * @typeParam V The values.
   * @typeParam W The kept results.
   * @param id The step id.
   * @param mapper Returns a value to keep, or `undefined`/`null` to drop the pair.
   * @returns The keyed stream of kept results.
   *
   * @example Parsing values
   * ```ts
   * import { Dataflow } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const out = flow.input("inp", [["a", "1"], ["b", "x"]] as [string, string][])
   *   .filterMapValue("parse", (v) => Number.isNaN(Number(v)) ? undefined : Number(v));
   * assert.deepEqual(await Array.fromAsync(out), [["a", 1]]);
   * ```
   */
  filterMapValue<V, W>(
    this: KeyedStream<V>,
    id: string,
    mapper: (value: V) => W | undefined | null,
  ): KeyedStream<W> {
    return filterMapValue(this, id, mapper);
  }

  /**
   * Deals items out to the workers in turn (round-robin), to balance
   * CPU-heavy stateless steps that follow a source with few partitions.
   * With one worker it changes nothing. Order across items is not kept.
   *
   * @param id The step id.
   * @returns The same items, spread over workers.
   *
   * @example Redistributing
   * ```ts
   * import { Dataflow, iterate } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const seen: [number, number][] = [];
   * const out = flow.input("inp", [1, 2, 3, 4]) // a plain array: worker 0 reads it all
   *   .redistribute("spread")
   *   .inspectDebug("where", (_id, item, _epoch, worker) => seen.push([worker, item]));
   * const items = await Array.fromAsync(iterate(out, { workers: 2 }));
   * assert.deepEqual(items.sort(), [1, 2, 3, 4]);
   * assert.deepEqual(seen.sort(), [[0, 1], [0, 3], [1, 2], [1, 4]]);
   * ```
   */
  redistribute(id: string): Stream<T> {
    return redistribute(this, id);
  }

  /**
   * Stops the run with a `StepError` on the first item that arrives. Put it
   * on a stream that should stay empty, such as a stream of errors.
   *
   * @param id The step id.
   *
   * @example Failing fast on errors
   * ```ts
   * import { Dataflow, run, StepError } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const { trues: bad } = flow.input("inp", [1, -1]).branch("negative", (x) => x < 0);
   * bad.raises("no_negatives");
   * await assert.rejects(run(flow), StepError);
   * ```
   */
  raises(id: string): void {
    raises(this, id);
  }

  /**
   * Writes the stream to a sink. A flow needs at least one output (or a
   * stream being iterated) to run.
   *
   * @param id The step id.
   * @param sink A `DynamicSink` (every worker writes its items) or a
   *   `FixedPartitionedSink` (needs `[key, value]` items; the key picks the partition).
   *
   * @example Collecting into a list
   * ```ts
   * import { Dataflow, run } from "@runnel/runnel";
   * import { TestingSink } from "@runnel/runnel/testing";
   * import assert from "node:assert/strict";
   *
   * const out: string[] = [];
   * const flow = new Dataflow("f");
   * flow.input("inp", ["a", "b"]).output("out", new TestingSink(out));
   * await run(flow);
   * assert.deepEqual(out, ["a", "b"]);
   * ```
   */
  output(
    id: string,
    sink: DynamicSink<T> | (T extends [string, infer V] ? FixedPartitionedSink<V> : never),
  ): void {
    output(this, id, sink);
  }

  /**
   * Runs an item-level async transformer as a step: a runnel operator, an
   * `ix` operator, or your own `async function*`. The runtime feeds it items
   * and forwards control messages (watermarks, snapshot barriers) when the
   * transformer next asks for input. Such steps are stateless by contract:
   * state that must survive a crash belongs in a stateful step. What a
   * transformer keeps in its generator frame (a running count, a buffer) is
   * not snapshotted: with recovery, a resumed run starts it afresh.
   *
   * @typeParam U The items the transformer yields.
   * @param id The step id.
   * @param transformer Takes an `AsyncIterable<T>`, returns an `AsyncIterable<U>`.
   * @returns The transformer's output.
   *
   * @example A generator as a step
   * ```ts
   * import { Dataflow } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * async function* runningTotal(items: AsyncIterable<number>) {
   *   let total = 0;
   *   for await (const x of items) yield (total += x);
   * }
   *
   * const flow = new Dataflow("f");
   * const out = flow.input("inp", [1, 2, 3]).pipe("total", runningTotal);
   * assert.deepEqual(await Array.fromAsync(out), [1, 3, 6]);
   * ```
   */
  pipe<U>(id: string, transformer: (source: AsyncIterable<T>) => AsyncIterable<U>): Stream<U> {
    return pipe(this, id, transformer);
  }

  /**
   * Applies a composite step: a function of this stream (and `args`) that
   * adds steps and returns what it builds. Ids of the steps it adds nest
   * under `id`, so a step `inner` inside `then(fn, "outer")` has the path
   * `flow.outer.inner`.
   *
   * @typeParam R What `composite` returns: a stream, an object of streams, or nothing.
   * @typeParam A The extra arguments.
   * @param composite Builds the steps, given this stream scoped under `id`.
   * @param id The composite's step id.
   * @param args Passed on to `composite`.
   * @returns What `composite` returned, with its streams scoped back to this level.
   *
   * @example A reusable composite
   * ```ts
   * import { Dataflow, type Stream } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * function clamp(up: Stream<number>, lo: number, hi: number): Stream<number> {
   *   return up.map("lower", (x) => Math.max(lo, x)).map("upper", (x) => Math.min(hi, x));
   * }
   *
   * const flow = new Dataflow("f");
   * const out = flow.input("inp", [-5, 5, 50]).then(clamp, "clamp", 0, 10);
   * assert.equal(out.stepId, "f.clamp.upper");
   * assert.deepEqual(await Array.fromAsync(out), [0, 5, 10]);
   * ```
   */
  then<R, A extends unknown[]>(
    composite: (up: Stream<T>, ...args: A) => R,
    id: string,
    ...args: A
  ): R {
    return compose(this, composite, id, args);
  }

  /**
   * The lowest-level stateful step: per key, a logic object that gets the
   * key's values batch by batch, with timers. `stateful`, `collect` and the
   * generic `window` step are built on it.
   * See {@linkcode StatefulBatchLogic} for the call order.
   *
   * @typeParam V The values.
   * @typeParam W The values the logic emits.
   * @typeParam S The logic's snapshot.
   * @param id The step id.
   * @param builder Builds a key's logic from its resume state (or `undefined`).
   * @returns The keyed stream of emitted values.
   *
   * @example Summing each key's values per batch
   * ```ts
   * import { Dataflow } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const sums = flow.input("inp", [["a", 1], ["a", 2], ["b", 5]] as [string, number][])
   *   .statefulBatch<number, number, number>("sum", () => {
   *     let sum = 0;
   *     return {
   *       onBatch(values) {
   *         for (const v of values) sum += v;
   *         return [[], false];
   *       },
   *       onNotify: () => [[], false],
   *       onEof: () => [[sum], true],
   *       notifyAt: () => undefined,
   *       snapshot: () => sum,
   *     };
   *   });
   * assert.deepEqual(await Array.fromAsync(sums), [["a", 3], ["b", 5]]);
   * ```
   */
  statefulBatch<V, W, S>(
    this: KeyedStream<V>,
    id: string,
    builder: StatefulBatchBuilder<V, W, S>,
  ): KeyedStream<W> {
    return statefulBatch(this, id, builder);
  }

  /**
   * Per-key state with item-level callbacks and timers (Bytewax's
   * `stateful`). For each key, `builder` makes a {@linkcode StatefulLogic}
   * whose `onItem`, `onNotify` and `onEof` each return `[emits, discard]`.
   * `onNotify` runs once the time from `notifyAt()` passes, even when no new
   * item arrives. A discarded key starts fresh on its next item. At end of
   * input `onEof` runs for every key, in sorted key order (per worker when `workers` > 1).
   *
   * @typeParam V The values.
   * @typeParam W The values emitted.
   * @typeParam S The snapshot.
   * @param id The step id.
   * @param builder Builds a key's logic from its resume state and a context
   *   with the key and `now()`.
   * @returns The keyed stream of emitted values.
   *
   * @example Emitting every second value per key
   * ```ts
   * import { Dataflow } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const pairs = flow.input("inp", [["a", 1], ["a", 2], ["a", 3]] as [string, number][])
   *   .stateful<[number, number], number | undefined>("pairs", (resume) => {
   *     let held = resume;
   *     return {
   *       onItem(value) {
   *         if (held === undefined) {
   *           held = value;
   *           return [[], false];
   *         }
   *         return [[[held, value]], true];
   *       },
   *       snapshot: () => held,
   *     };
   *   });
   * assert.deepEqual(await Array.fromAsync(pairs), [["a", [1, 2]]]);
   * ```
   */
  stateful<W, S>(
    this: KeyedStream<unknown>,
    id: string,
    builder: StatefulBuilder<T extends [string, infer V] ? V : never, W, S>,
  ): KeyedStream<W> {
    return stateful(this, id, builder);
  }

  /**
   * Maps each value with a per-key state: `mapper(state, value)` returns
   * `[newState, output]`. The state starts `undefined`; returning
   * `undefined` as the new state discards the key.
   *
   * @typeParam V The values.
   * @typeParam S The state.
   * @typeParam W The outputs.
   * @param id The step id.
   * @param mapper Gets the key's state (or `undefined`) and the value.
   * @returns The keyed stream of outputs.
   *
   * @example A running sum per key
   * ```ts
   * import { Dataflow } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const sums = flow.input("inp", [["a", 1], ["b", 10], ["a", 2]] as [string, number][])
   *   .statefulMap("sum", (sum: number | undefined, x) => {
   *     const next = (sum ?? 0) + x;
   *     return [next, next];
   *   });
   * // Outputs follow the input order.
   * assert.deepEqual(await Array.fromAsync(sums), [["a", 1], ["b", 10], ["a", 3]]);
   * ```
   */
  statefulMap<V, S, W>(
    this: KeyedStream<V>,
    id: string,
    mapper: (state: S | undefined, value: V) => readonly [S | undefined, W],
  ): KeyedStream<W> {
    return statefulMap(this, id, mapper);
  }

  /**
   * Like {@linkcode Stream.statefulMap}, but the mapper returns
   * `[newState, outputs]` with any number of outputs.
   *
   * @typeParam V The values.
   * @typeParam S The state.
   * @typeParam W The outputs.
   * @param id The step id.
   * @param mapper Gets the key's state and the value; returns the new state and an iterable.
   * @returns The keyed stream of outputs.
   *
   * @example Emitting on change only
   * ```ts
   * import { Dataflow } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const changes = flow.input("inp", [["t", 20], ["t", 20], ["t", 21]] as [string, number][])
   *   .statefulFlatMap("changes", (last: number | undefined, x) => [x, last === x ? [] : [x]]);
   * assert.deepEqual(await Array.fromAsync(changes), [["t", 20], ["t", 21]]);
   * ```
   */
  statefulFlatMap<V, S, W>(
    this: KeyedStream<V>,
    id: string,
    mapper: (state: S | undefined, value: V) => readonly [S | undefined, Iterable<W>],
  ): KeyedStream<W> {
    return statefulFlatMap(this, id, mapper);
  }

  /**
   * Gathers each key's values into lists, emitted when a list reaches
   * `maxSize`, when `timeout` ms of system time pass after the key's last
   * value (even with no new input), or at end of input.
   *
   * @typeParam V The values.
   * @param id The step id.
   * @param options `maxSize` and `timeout` (ms).
   * @returns The keyed stream of lists.
   *
   * @example Lists of two
   * ```ts
   * import { Dataflow } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const lists = flow.input("inp", [["a", 1], ["a", 2], ["a", 3]] as [string, number][])
   *   .collect("pairs", { maxSize: 2, timeout: 60_000 });
   * assert.deepEqual(await Array.fromAsync(lists), [["a", [1, 2]], ["a", [3]]]);
   * ```
   */
  collect<V>(this: KeyedStream<V>, id: string, options: CollectOptions): KeyedStream<V[]> {
    return collect(this, id, options);
  }

  /**
   * Reduces each key's values with `reducer` and emits the result at end of
   * input, in sorted key order (per worker when `workers` > 1). The reducer must be associative: values are
   * pre-reduced within each batch.
   *
   * @typeParam V The values.
   * @param id The step id.
   * @param reducer Combines an accumulated value with the next value.
   * @returns One `[key, result]` per key, at end of input.
   *
   * @example Longest word per letter
   * ```ts
   * import { Dataflow } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const longest = flow.input("inp", ["apple", "avocado", "bean"])
   *   .keyOn("first", (w) => w[0]!)
   *   .reduceFinal("longest", (a, b) => b.length > a.length ? b : a);
   * assert.deepEqual(await Array.fromAsync(longest), [["a", "avocado"], ["b", "bean"]]);
   * ```
   */
  reduceFinal<V>(
    this: KeyedStream<V>,
    id: string,
    reducer: (acc: V, value: V) => V,
  ): KeyedStream<V> {
    return reduceFinal(this, id, reducer);
  }

  /**
   * Folds each key's values into an accumulator that starts as `builder()`,
   * and emits it at end of input, in sorted key order (per worker when `workers` > 1).
   *
   * @typeParam V The values.
   * @typeParam A The accumulator.
   * @param id The step id.
   * @param builder Makes a key's initial accumulator.
   * @param folder Returns the accumulator with one more value folded in.
   * @returns One `[key, accumulator]` per key, at end of input.
   *
   * @example Distinct values per key
   * ```ts
   * import { Dataflow } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const seen = flow.input("inp", [["a", 1], ["a", 1], ["a", 2]] as [string, number][])
   *   .foldFinal("distinct", () => new Set<number>(), (set, x) => set.add(x));
   * assert.deepEqual(await Array.fromAsync(seen), [["a", new Set([1, 2])]]);
   * ```
   */
  foldFinal<V, A>(
    this: KeyedStream<V>,
    id: string,
    builder: () => A,
    folder: (acc: A, value: V) => A,
  ): KeyedStream<A> {
    return foldFinal(this, id, builder, folder);
  }

  /**
   * Counts the items of this stream by the key `keyFn` gives them and emits
   * `[key, count]` at end of input, in sorted key order (per worker when `workers` > 1). The stream need
   * not be keyed.
   *
   * @param id The step id.
   * @param keyFn Must return a string.
   * @returns One `[key, count]` per key, at end of input.
   *
   * @example Counting words
   * ```ts
   * import { Dataflow } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const counts = flow.input("inp", ["to", "be", "or", "not", "to", "be"])
   *   .countFinal("count", (word) => word);
   * assert.deepEqual(await Array.fromAsync(counts), [["be", 2], ["not", 1], ["or", 1], ["to", 2]]);
   * ```
   */
  countFinal(id: string, keyFn: (item: T) => string): KeyedStream<number> {
    return countFinal(this, id, keyFn);
  }

  /**
   * Emits each key's largest value at end of input, in sorted key order (per worker when `workers` > 1);
   * on ties the earlier value wins.
   *
   * @typeParam V The values.
   * @param id The step id.
   * @param options `by`: what to compare values by.
   * @returns One `[key, max]` per key.
   *
   * @example Highest score per player
   * ```ts
   * import { Dataflow } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const best = flow.input("inp", [["ann", 3], ["bob", 7], ["ann", 9]] as [string, number][])
   *   .maxFinal("best");
   * assert.deepEqual(await Array.fromAsync(best), [["ann", 9], ["bob", 7]]);
   * ```
   */
  maxFinal<V>(this: KeyedStream<V>, id: string, options?: ExtremeOptions<V>): KeyedStream<V> {
    return maxFinal(this, id, options);
  }

  /**
   * Emits each key's smallest value at end of input, in sorted key order (per worker when `workers` > 1);
   * on ties the earlier value wins.
   *
   * @typeParam V The values.
   * @param id The step id.
   * @param options `by`: what to compare values by.
   * @returns One `[key, min]` per key.
   *
   * @example Cheapest offer per item
   * ```ts
   * import { Dataflow } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const offers = [["pen", { shop: "x", price: 3 }], ["pen", { shop: "y", price: 2 }]] as [
   *   string,
   *   { shop: string; price: number },
   * ][];
   * const flow = new Dataflow("f");
   * const cheapest = flow.input("inp", offers).minFinal("cheapest", { by: (o) => o.price });
   * assert.deepEqual(await Array.fromAsync(cheapest), [["pen", { shop: "y", price: 2 }]]);
   * ```
   */
  minFinal<V>(this: KeyedStream<V>, id: string, options?: ExtremeOptions<V>): KeyedStream<V> {
    return minFinal(this, id, options);
  }

  /**
   * Joins this keyed stream with others by key. Output values are arrays in
   * side order (this stream first). `insertMode` says which values a side
   * keeps (`"first"`, `"last"` (default), `"product"`: all, giving the cross
   * product); `emitMode` says when rows go out (`"complete"` (default): once
   * every side has a value, then the row is cleared; `"final"`: at end of
   * input, missing sides `undefined`; `"running"`: on every update, missing
   * sides `undefined`, the row kept forever).
   *
   * @param id The step id.
   * @param sides The other keyed streams, then optionally the options.
   * @returns The keyed stream of joined rows.
   *
   * @example Joining names and emails
   * ```ts
   * import { Dataflow } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const names = flow.input("names", [["1", "Ann"]] as [string, string][]);
   * const emails = flow.input("emails", [["1", "ann@example.com"]] as [string, string][]);
   * const joined = names.join("join", emails);
   * assert.deepEqual(await Array.fromAsync(joined), [["1", ["Ann", "ann@example.com"]]]);
   * ```
   */
  join<V, A, M extends JoinEmitMode = "complete">(
    this: KeyedStream<V>,
    id: string,
    a: KeyedStream<A>,
    options?: JoinOptions<M>,
  ): KeyedStream<JoinRow<[V, A], M>>;
  /** Joins this keyed stream with two others by key; rows are `[this, a, b]`. */
  join<V, A, B, M extends JoinEmitMode = "complete">(
    this: KeyedStream<V>,
    id: string,
    a: KeyedStream<A>,
    b: KeyedStream<B>,
    options?: JoinOptions<M>,
  ): KeyedStream<JoinRow<[V, A, B], M>>;
  /** Joins this keyed stream with three others by key; rows are `[this, a, b, c]`. */
  join<V, A, B, C, M extends JoinEmitMode = "complete">(
    this: KeyedStream<V>,
    id: string,
    a: KeyedStream<A>,
    b: KeyedStream<B>,
    c: KeyedStream<C>,
    options?: JoinOptions<M>,
  ): KeyedStream<JoinRow<[V, A, B, C], M>>;
  /** Joins this keyed stream with any number of others by key; rows are untyped arrays. */
  join(
    this: KeyedStream<unknown>,
    id: string,
    ...sides: (KeyedStream<unknown> | JoinOptions)[]
  ): KeyedStream<unknown[]>;
  join(id: string, ...sides: unknown[]): KeyedStream<unknown[]> {
    return join(this, id, sides);
  }

  /**
   * Enriches items with values from an external lookup through a
   * per-worker cache (Bytewax's `enrich_cached`): `mapper(cache, item)` calls
   * `cache.get(key)`, which calls `getter(key)` on a miss or once a value is
   * older than `ttl` ms. The cache is not part of recovery and has no size
   * limit; for lookups that change often, join a second input instead.
   *
   * @typeParam K The lookup keys.
   * @typeParam V The looked-up values.
   * @typeParam U The enriched items.
   * @param id The step id.
   * @param getter Fetches a value by key.
   * @param mapper Builds the output item using the cache.
   * @param options `ttl` in ms (default: forever).
   * @returns The enriched stream.
   *
   * @example Adding country names
   * ```ts
   * import { Dataflow } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const lookups: string[] = [];
   * const names: Record<string, string> = { fr: "France", jp: "Japan" };
   * const flow = new Dataflow("f");
   * const out = flow.input("inp", ["fr", "jp", "fr"]).enrichCached(
   *   "country",
   *   (code: string) => (lookups.push(code), names[code]),
   *   (cache, code) => `${code}: ${cache.get(code)}`,
   * );
   * assert.deepEqual(await Array.fromAsync(out), ["fr: France", "jp: Japan", "fr: France"]);
   * assert.deepEqual(lookups, ["fr", "jp"]);
   * ```
   */
  enrichCached<K, V, U>(
    id: string,
    getter: (key: K) => V,
    mapper: (cache: TtlCache<K, V>, item: T) => U,
    options?: EnrichCachedOptions,
  ): Stream<U> {
    return enrichCached(this, id, getter, mapper, options);
  }

  /**
   * Awaits an async function per item, with at most `concurrency` calls in
   * flight (across batches). Results keep the input order unless
   * `ordered: false`, which emits each as soon as it is ready. The mapper
   * gets the run's abort signal. A control message (an epoch barrier) waits
   * for the items before it, so recovery stays consistent.
   *
   * @typeParam U The results.
   * @param id The step id.
   * @param mapper An async function of the item.
   * @param options `concurrency` (default 16) and `ordered` (default `true`).
   * @returns The results.
   *
   * @example Fetching with bounded concurrency
   * ```ts
   * import { Dataflow } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const out = flow.input("inp", [30, 10, 20]).mapAsync("slow_double", async (ms) => {
   *   await new Promise((resolve) => setTimeout(resolve, ms));
   *   return ms * 2;
   * }, { concurrency: 3 });
   * assert.deepEqual(await Array.fromAsync(out), [60, 20, 40]);
   * ```
   */
  mapAsync<U>(
    id: string,
    mapper: (item: T, signal: AbortSignal) => Promise<U> | U,
    options: MapAsyncOptions = {},
  ): Stream<U> {
    return mapAsync(this, id, mapper, options);
  }

  // --- windows ---

  /**
   * The generic window operator (Bytewax's `window`): per key, groups
   * values into windows by time and runs a {@linkcode WindowLogic} per
   * window. Values before the watermark go to `late`, once per window they
   * would have entered; the others are applied in timestamp order once the
   * watermark passes them (`ordered: false` applies them at once). A window
   * closes when the watermark reaches its close time, by a timer when no
   * new input comes, and at end of input; it then emits its `onClose`
   * values on `down` and its metadata on `meta`. A key's watermark is kept
   * for the whole run; `watermarkScope: "partition"` shares one watermark
   * among all keys on a worker.
   *
   * @typeParam V The values.
   * @typeParam W What the window logic emits.
   * @typeParam S The window logic's snapshot.
   * @param id The step id.
   * @param builder Builds a window's logic when it opens.
   * @param options The clock, the windower, `ordered` and `watermarkScope`.
   * @returns The `down`, `late` and `meta` streams.
   *
   * @example Emitting each window's first value
   * ```ts
   * import { Dataflow, EventClock, TumblingWindower } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const firsts = flow.input("inp", [["k", 1_000], ["k", 2_000], ["k", 6_000]] as [string, number][])
   *   .window<number, number>("first", () => {
   *     let first: number | undefined;
   *     return {
   *       onValue: (v) => (first ??= v, []),
   *       onMerge: () => [],
   *       onClose: () => first === undefined ? [] : [first],
   *       snapshot: () => first,
   *     };
   *   }, {
   *     clock: EventClock((ms: number) => ms, { waitForSystemDuration: 10_000 }),
   *     windower: TumblingWindower({ length: 5_000, alignTo: 0 }),
   *   });
   * assert.deepEqual(await Array.fromAsync(firsts.down), [["k", [0, 1_000]], ["k", [1, 6_000]]]);
   * ```
   */
  window<V, W, S = unknown>(
    this: KeyedStream<V>,
    id: string,
    builder: WindowLogicBuilder<V, W, S>,
    options: WindowOptions<V>,
  ): WindowOut<V, W> {
    return window(this, id, builder, options);
  }

  /**
   * Collects each key's values per window into an array (the default), a
   * `Set`, or a `Map` of `[k, v]` values, emitted when the window closes.
   *
   * @typeParam V The values.
   * @typeParam I The container kind.
   * @param id The step id.
   * @param options The window options and `into`.
   * @returns `down` carries `[key, [windowId, container]]`; also `late` and `meta`.
   *
   * @example Averages per five-second window
   * ```ts
   * import { Dataflow, EventClock, TumblingWindower } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const events = [
   *   { user: "123", value: 5, time: "2023-01-01T00:00:00Z" },
   *   { user: "123", value: 7, time: "2023-01-01T00:00:01Z" },
   *   { user: "123", value: 2, time: "2023-01-01T00:00:07Z" },
   * ];
   * const flow = new Dataflow("f");
   * const averages = flow.input("inp", events)
   *   .keyOn("user", (e) => e.user)
   *   .collectWindow("collect", {
   *     clock: EventClock((e: (typeof events)[number]) => new Date(e.time), {
   *       waitForSystemDuration: 10_000,
   *     }),
   *     windower: TumblingWindower({ length: 5_000, alignTo: new Date("2023-01-01T00:00:00Z") }),
   *   })
   *   .down.mapValue("avg", ([id, es]) => [id, es.reduce((s, e) => s + e.value, 0) / es.length]);
   * assert.deepEqual(await Array.fromAsync(averages), [["123", [0, 6]], ["123", [1, 2]]]);
   * ```
   */
  collectWindow<V, I extends CollectInto = "array">(
    this: KeyedStream<V>,
    id: string,
    options: CollectWindowOptions<V, I>,
  ): WindowOut<V, Collected<V, I>> {
    return collectWindow(this, id, options);
  }

  /**
   * Folds each key's values per window, starting from `builder()`, and
   * emits the accumulator when the window closes. `merger` combines two
   * accumulators when session windows merge.
   *
   * @typeParam V The values.
   * @typeParam A The accumulator.
   * @param id The step id.
   * @param builder Makes a window's starting accumulator.
   * @param folder Adds a value to the accumulator.
   * @param options The window options and `merger`.
   * @returns `down` carries `[key, [windowId, accumulator]]`; also `late` and `meta`.
   *
   * @example Sums per window
   * ```ts
   * import { Dataflow, EventClock, TumblingWindower } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const sums = flow.input("inp", [["k", 1_000], ["k", 2_000], ["k", 6_000]] as [string, number][])
   *   .foldWindow("sum", () => 0, (sum, ms: number) => sum + ms, {
   *     clock: EventClock((ms: number) => ms, { waitForSystemDuration: 10_000 }),
   *     windower: TumblingWindower({ length: 5_000, alignTo: 0 }),
   *     merger: (a, b) => a + b,
   *   });
   * assert.deepEqual(await Array.fromAsync(sums.down), [["k", [0, 3_000]], ["k", [1, 6_000]]]);
   * ```
   */
  foldWindow<V, A>(
    this: KeyedStream<V>,
    id: string,
    builder: () => A,
    folder: (acc: A, value: V) => A,
    options: FoldWindowOptions<V, A>,
  ): WindowOut<V, A> {
    return foldWindow(this, id, builder, folder, options);
  }

  /**
   * Reduces each key's values per window with `reducer`, emitted when the
   * window closes. Values are applied as they arrive (`ordered: false`
   * unless set), so the reducer should not depend on order.
   *
   * @typeParam V The values.
   * @param id The step id.
   * @param reducer Combines the accumulated value with the next.
   * @param options The window options.
   * @returns `down` carries `[key, [windowId, result]]`; also `late` and `meta`.
   *
   * @example Sums per window
   * ```ts
   * import { Dataflow, SystemClock, TumblingWindower } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const sums = flow.input("inp", [["k", 1], ["k", 2]] as [string, number][])
   *   .reduceWindow("sum", (a, b) => a + b, {
   *     clock: SystemClock(),
   *     windower: TumblingWindower({ length: 60_000, alignTo: 0 }),
   *   });
   * const [[key, [, sum]]] = await Array.fromAsync(sums.down);
   * assert.deepEqual([key, sum], ["k", 3]);
   * ```
   */
  reduceWindow<V>(
    this: KeyedStream<V>,
    id: string,
    reducer: (acc: V, value: V) => V,
    options: WindowOptions<V>,
  ): WindowOut<V, V> {
    return reduceWindow(this, id, reducer, options);
  }

  /**
   * Counts items per key per window, keying the stream with `keyFn`.
   *
   * @param id The step id.
   * @param keyFn Returns an item's key.
   * @param options The window options.
   * @returns `down` carries `[key, [windowId, count]]`; also `late` and `meta`.
   *
   * @example Counting words per minute
   * ```ts
   * import { Dataflow, EventClock, TumblingWindower } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const counts = flow.input("inp", [{ w: "a", at: 0 }, { w: "a", at: 1 }, { w: "b", at: 2 }])
   *   .countWindow("count", (x) => x.w, {
   *     clock: EventClock((x: { at: number }) => x.at, { waitForSystemDuration: 10_000 }),
   *     windower: TumblingWindower({ length: 60_000, alignTo: 0 }),
   *   });
   * assert.deepEqual(await Array.fromAsync(counts.down), [["a", [0, 2]], ["b", [0, 1]]]);
   * ```
   */
  countWindow(
    id: string,
    keyFn: (item: T) => string,
    options: WindowOptions<T>,
  ): WindowOut<T, number> {
    return countWindow(this, id, keyFn, options);
  }

  /**
   * The largest value per key per window (by `options.by`; ties keep the
   * earlier value), emitted when the window closes.
   *
   * @typeParam V The values.
   * @param id The step id.
   * @param options The window options and `by`.
   * @returns `down` carries `[key, [windowId, max]]`; also `late` and `meta`.
   *
   * @example Maximum per window
   * ```ts
   * import { Dataflow, EventClock, TumblingWindower } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const max = flow.input("inp", [["k", 3], ["k", 4], ["k", 2]] as [string, number][])
   *   .maxWindow("max", {
   *     clock: EventClock((ms: number) => ms, { waitForSystemDuration: 10_000 }),
   *     windower: TumblingWindower({ length: 10, alignTo: 0 }),
   *   });
   * assert.deepEqual(await Array.fromAsync(max.down), [["k", [0, 4]]]);
   * ```
   */
  maxWindow<V>(
    this: KeyedStream<V>,
    id: string,
    options: ExtremeWindowOptions<V>,
  ): WindowOut<V, V> {
    return maxWindow(this, id, options);
  }

  /**
   * The smallest value per key per window (by `options.by`; ties keep the
   * earlier value), emitted when the window closes.
   *
   * @typeParam V The values.
   * @param id The step id.
   * @param options The window options and `by`.
   * @returns `down` carries `[key, [windowId, min]]`; also `late` and `meta`.
   *
   * @example Minimum per window
   * ```ts
   * import { Dataflow, EventClock, TumblingWindower } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const min = flow.input("inp", [["k", 3], ["k", 4], ["k", 2]] as [string, number][])
   *   .minWindow("min", {
   *     clock: EventClock((ms: number) => ms, { waitForSystemDuration: Infinity }),
   *     windower: TumblingWindower({ length: 10, alignTo: 0 }),
   *   });
   * assert.deepEqual(await Array.fromAsync(min.down), [["k", [0, 2]]]);
   * ```
   */
  minWindow<V>(
    this: KeyedStream<V>,
    id: string,
    options: ExtremeWindowOptions<V>,
  ): WindowOut<V, V> {
    return minWindow(this, id, options);
  }

  /**
   * Joins this keyed stream with `sides` per key per window. The clock
   * reads each side's values. With `emitMode: "final"` (the default) each
   * window emits its rows when it closes, a missing side as `undefined`;
   * `"complete"` emits as soon as every side has a value, then clears the
   * row; `"running"` emits on every value. `insertMode` is as for
   * {@linkcode Stream.join}. `late` carries `[side, value]` pairs.
   *
   * @param id The step id.
   * @param sides The other keyed streams.
   * @param options The window options and the join modes.
   * @returns `down` carries `[key, [windowId, row]]`; also `late` and `meta`.
   *
   * @example Joining clicks and views per window
   * ```ts
   * import { Dataflow, EventClock, TumblingWindower } from "@runnel/runnel";
   * import assert from "node:assert/strict";
   *
   * const flow = new Dataflow("f");
   * const views = flow.input("views", [["u", { at: 1, page: "home" }]] as [string, { at: number; page: string }][]);
   * const clicks = flow.input("clicks", [["u", { at: 2, page: "buy" }]] as [string, { at: number; page: string }][]);
   * const joined = views.joinWindow("join", [clicks], {
   *   clock: EventClock((x) => (x as { at: number }).at, { waitForSystemDuration: 10_000 }),
   *   windower: TumblingWindower({ length: 10, alignTo: 0 }),
   * });
   * assert.deepEqual(await Array.fromAsync(joined.down), [
   *   ["u", [0, [{ at: 1, page: "home" }, { at: 2, page: "buy" }]]],
   * ]);
   * ```
   */
  joinWindow(
    this: KeyedStream<unknown>,
    id: string,
    sides: readonly KeyedStream<unknown>[],
    options: JoinWindowOptions,
  ): WindowOut<[number, unknown], unknown[]> {
    checkInputs(this, id, sides, "keyed stream");
    return joinWindow(this, id, sides, options);
  }

  // --- windows ---

  /**
   * Runs the flow in-process and yields every item that reaches this stream.
   *
   * @returns An iterator over this stream's items; `return()` stops the run.
   */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return runStream(this) as AsyncIterator<T>;
  }
}

/**
 * A dataflow: a graph of steps from inputs to outputs, built with fluent
 * calls and run by `run(flow)`, by `for await` over one of its streams, or by
 * `runnel run flow.ts`.
 *
 * Building a flow runs nothing. Step ids are checked as the flow is built:
 * each must be unique within its parent and contain no `.` (the path
 * separator), so every step has a unique path such as `"wordcount.count"`.
 *
 * @example Building and running a flow
 * ```ts
 * import { Dataflow, run } from "@runnel/runnel";
 * import { TestingSink } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * const out: number[] = [];
 * const flow = new Dataflow("double");
 * flow.input("inp", [1, 2, 3])
 *   .map("double", (x) => x * 2)
 *   .output("out", new TestingSink(out));
 *
 * await run(flow);
 * assert.deepEqual(out, [2, 4, 6]);
 * ```
 */
export class Dataflow {
  /** The flow id: the first segment of every step path. */
  readonly id: string;
  readonly #nodes: StepNode[] = [];
  readonly #paths = new Set<string>();

  /**
   * Makes an empty flow.
   *
   * @param id The flow id: non-empty, no `.` and no white space.
   * @throws {TypeError} When the id is malformed.
   */
  constructor(id: string) {
    this.id = checkId("flow id", id);
  }

  /**
   * Adds an input step reading from `source`.
   *
   * @typeParam T The items the source produces.
   * @param id The step id, unique in the flow.
   * @param source A `FixedPartitionedSource`, a `DynamicSource`, or any
   *   `Iterable`/`AsyncIterable` (read by worker 0 only).
   * @returns The stream of the source's items.
   * @throws {TypeError} When the id is taken or malformed, or `source` is none of the above.
   */
  input<T>(id: string, source: Source<T>): Stream<T> {
    const path = joinPath(this.id, checkId("step id", id));
    if (
      source === null || typeof source !== "object" ||
      !(isFixedPartitionedSource(source) || isDynamicSource(source) ||
        Symbol.iterator in source || Symbol.asyncIterator in source)
    ) {
      throw new TypeError(
        `Cannot add input step "${path}": expected a source, an Iterable or an AsyncIterable, got ${
          source === null ? "null" : typeof source
        }`,
      );
    }
    this.reservePath(this.id, id);
    const node: StepNode = { kind: "input", path, source };
    this.addNode(node);
    return new Stream<T>(this, { node, name: "down" }, this.id);
  }

  /**
   * The flow's nodes in the order they were added (upstream before downstream).
   *
   * @internal Used by the runtime and by graph renderers.
   */
  get nodes(): readonly StepNode[] {
    return this.#nodes;
  }

  /**
   * Checks `id` and reserves the path `parent.id`.
   *
   * @internal Used by {@linkcode Stream} when it adds steps.
   */
  reservePath(parent: string, id: string): string {
    checkId("step id", id);
    const path = joinPath(parent, id);
    if (this.#paths.has(path)) {
      throw new TypeError(`Cannot add step "${path}": a step with this id already exists`);
    }
    this.#paths.add(path);
    return path;
  }

  /**
   * Appends a node to the graph.
   *
   * @internal Used by {@linkcode Stream} when it adds steps.
   */
  addNode(node: StepNode): void {
    this.#nodes.push(node);
  }
}

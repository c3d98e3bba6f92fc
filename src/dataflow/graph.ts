/**
 * The graph as data: the core steps a flow is made of.
 *
 * Every fluent step on a {@linkcode Stream} lowers to one or more of these
 * nodes. The runtime implements exactly these kinds and nothing else, so the
 * worker, exchange and recovery code stays small (Bytewax's "small core plus
 * composites"). The nodes hold user callbacks but no state: keyed state lives
 * at run time in the logic objects a stateful-batch node builds per key, or in
 * the map of plain values a keyed-fold node folds into.
 *
 * @module
 */

import type { Source } from "./inputs.ts";
import type { Sink } from "./outputs.ts";

/** One output of a node; a {@linkcode Stream} points at one. */
export interface Port {
  /** The node that produces this port. */
  readonly node: StepNode;
  /** `"down"` for single-output nodes; `"trues"`/`"falses"` for branch. */
  readonly name: string;
}

/** What every node has. */
interface NodeBase {
  /** The step's full id path, such as `"flow.parse"`. */
  readonly path: string;
}

/** Brings items in from a source. */
export interface InputNode extends NodeBase {
  readonly kind: "input";
  readonly source: Source<unknown>;
}

/** Writes items to a sink; the flow's drivers. */
export interface OutputNode extends NodeBase {
  readonly kind: "output";
  readonly up: Port;
  readonly sink: Sink<unknown>;
}

/**
 * What a step sees of the run it is part of.
 *
 * @example Where and when a key's logic runs
 * ```ts
 * import { Dataflow, iterate, type StepContext } from "@runnel/runnel";
 * import { TestingTime } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * const flow = new Dataflow("f");
 * const where = flow.input("inp", [["a", 1]] as [string, number][])
 *   .statefulBatch<number, string, null>("where", (_resume, key, ctx: StepContext) => ({
 *     onBatch: () => [[`${key}: ${ctx.workerIndex} of ${ctx.workerCount} at ${ctx.now()}`], true],
 *     onNotify: () => [[], false],
 *     onEof: () => [[], true],
 *     notifyAt: () => undefined,
 *     snapshot: () => null,
 *   }));
 * const time = new TestingTime(42);
 * const out = await Array.fromAsync(iterate(where, { time }));
 * assert.deepEqual(out, [["a", "a: 0 of 1 at 42"]]);
 * ```
 */
export interface StepContext {
  /** This worker's index, from 0. */
  readonly workerIndex: number;
  /** How many workers run the flow. */
  readonly workerCount: number;
  /** The run's system time in epoch milliseconds (a `TestingTime` in tests). */
  now(): number;
}

/** A function from one batch to the next; it must not mutate its input. */
export type BatchFn = (batch: readonly unknown[]) => readonly unknown[];

/**
 * Maps each batch to a batch. A per-item stateless step (map, filter,
 * keyOn, mapValue, ...) records only its {@linkcode ItemStage}; the runtime
 * compiles runs of stages into one loop. Any other batch step records
 * `build`, which is called once per worker and run, so a step may keep a
 * per-run cache; the function it returns reports user failures itself (as
 * `StepError`s naming the item), since only it knows which item failed.
 */
export type FlatMapBatchNode =
  & NodeBase
  & { readonly kind: "flatMapBatch"; readonly up: Port }
  & (
    | { readonly stage: ItemStage; readonly build?: undefined }
    | { readonly build: (ctx: StepContext) => BatchFn; readonly stage?: undefined }
  );

/**
 * What a per-item stateless step does to one item, as data. `fn` is the
 * user's callback (absent for `keyRm` and `flatten`); `what` names it in
 * errors (`"mapper"`, `"predicate"`, `"key function"`, `"inspector"`).
 *
 * - `map`: 1 → 1. `filter`: keeps the item on `true`, drops it on `false`,
 *   any other result is a `TypeError`. `filterMap`: 1 → the result, dropping
 *   `undefined` and `null` (only those: `0`, `""` and `false` pass).
 *   `flatMap`: 1 → each value of the iterable result; a result that is not
 *   iterable (a string included) is a `TypeError`. `flatten`: `flatMap` by
 *   the identity. `inspect`: calls `fn`, passes the item on.
 * - `keyOn`: `item` → `[fn(item), item]`; a key that is not a string is a
 *   `TypeError`. `keyRm`: `[key, value]` → `value`.
 * - `mapValue`, `filterValue`, `filterMapValue`, `flatMapValue`: as the
 *   plain kinds, applied to the value of a `[key, value]` pair, keeping the
 *   key. For these and `keyRm`, an item that is not a pair with a string key
 *   is a `TypeError`.
 */
export interface ItemStage {
  /** What the step does with an item; see above. */
  readonly kind: ItemStageKind;
  /** The user's callback, called with the item (or, for the `...Value` kinds, the value). */
  readonly fn?: (item: unknown) => unknown;
  /** What the callback is called in errors. */
  readonly what: string;
}

/** The kinds of {@linkcode ItemStage}. */
export type ItemStageKind =
  | "map"
  | "filter"
  | "filterMap"
  | "flatMap"
  | "flatten"
  | "inspect"
  | "keyOn"
  | "keyRm"
  | "mapValue"
  | "filterValue"
  | "filterMapValue"
  | "flatMapValue";

/** Awaits an async function per item, with bounded concurrency. */
export interface MapAsyncNode extends NodeBase {
  readonly kind: "mapAsync";
  readonly up: Port;
  readonly mapper: (item: unknown, signal: AbortSignal) => Promise<unknown>;
  readonly concurrency: number;
  readonly ordered: boolean;
}

/** Splits a stream in two by a boolean predicate. */
export interface BranchNode extends NodeBase {
  readonly kind: "branch";
  readonly up: Port;
  readonly predicate: (item: unknown) => boolean;
}

/** Interleaves several streams. */
export interface MergeNode extends NodeBase {
  readonly kind: "merge";
  readonly ups: readonly Port[];
}

/** Calls an inspector with each item, its epoch and its worker. */
export interface InspectDebugNode extends NodeBase {
  readonly kind: "inspectDebug";
  readonly up: Port;
  readonly inspector: (stepId: string, item: unknown, epoch: number, worker: number) => void;
}

/** Deals items out to the workers in turn, to balance stateless work. */
export interface RedistributeNode extends NodeBase {
  readonly kind: "redistribute";
  readonly up: Port;
}

/** Runs an item-level async transformer (a layer-1 operator, an ix operator, an `async function*`). */
export interface PipeNode extends NodeBase {
  readonly kind: "pipe";
  readonly up: Port;
  readonly transformer: (source: AsyncIterable<unknown>) => AsyncIterable<unknown>;
}

/**
 * What a {@linkcode StatefulBatchLogic} method returns: items to emit, and whether to discard
 * the key's state.
 *
 * @example Emitting pairs, starting afresh after each
 * ```ts
 * import { Dataflow, type LogicResult } from "@runnel/runnel";
 * import { TestingSource } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * const flow = new Dataflow("f");
 * const source = new TestingSource<[string, number]>([["a", 1], ["a", 2], ["a", 3]]);
 * const pairs = flow.input("inp", source)
 *   .statefulBatch<number, number[], number[]>("pairs", () => {
 *     const held: number[] = [];
 *     // A full pair is emitted and the state discarded; the key's next value builds a new logic.
 *     const result = (): LogicResult<number[]> => held.length === 2 ? [[held], true] : [[], false];
 *     return {
 *       onBatch: (values) => (held.push(...values), result()),
 *       onNotify: () => [[], false],
 *       onEof: () => [[held], true],
 *       notifyAt: () => undefined,
 *       snapshot: () => [...held],
 *     };
 *   });
 * assert.deepEqual(await Array.fromAsync(pairs), [["a", [1, 2]], ["a", [3]]]);
 * ```
 */
export type LogicResult<W> = readonly [emits: Iterable<W>, discard: boolean];

/**
 * The per-key logic of the lowest-level stateful step. The runtime builds
 * one per key, calls it with that key's items batch by batch, wakes it at
 * {@linkcode StatefulBatchLogic.notifyAt}, and snapshots it at epoch ends.
 *
 * @example Answering from a timer
 * ```ts
 * import { Dataflow, type LogicResult, type StatefulBatchLogic } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * // Sums a key's batch, then reports the sum from a timer set for "now".
 * class SumThenReport implements StatefulBatchLogic<number, string, number> {
 *   #sum = 0;
 *   #due: number | undefined;
 *   constructor(readonly now: () => number) {}
 *   onBatch(values: readonly number[]): LogicResult<string> {
 *     for (const value of values) this.#sum += value;
 *     this.#due = this.now();
 *     return [[], false];
 *   }
 *   onNotify(): LogicResult<string> {
 *     return [[`sum ${this.#sum}`], true];
 *   }
 *   onEof(): LogicResult<string> {
 *     return [[], true];
 *   }
 *   notifyAt(): number | undefined {
 *     return this.#due;
 *   }
 *   snapshot(): number {
 *     return this.#sum;
 *   }
 * }
 * const flow = new Dataflow("f");
 * const sums = flow.input("inp", [["a", 1], ["a", 2]] as [string, number][])
 *   .statefulBatch("sum", (_resume, _key, ctx) => new SumThenReport(() => ctx.now()));
 * assert.deepEqual(await Array.fromAsync(sums), [["a", "sum 3"]]);
 * ```
 */
export interface StatefulBatchLogic<V, W, S> {
  /** Handles the key's items of one batch, in arrival order. */
  onBatch(values: readonly V[]): LogicResult<W>;
  /** Called once the time from {@linkcode StatefulBatchLogic.notifyAt} has passed. */
  onNotify(): LogicResult<W>;
  /** Called at end of input. */
  onEof(): LogicResult<W>;
  /** The next system time (epoch ms) to call `onNotify`, or `undefined` for none. */
  notifyAt(): number | undefined;
  /** An immutable, serializable copy of the key's state, for recovery. */
  snapshot(): S;
}

/**
 * Builds a key's logic, from its snapshot when resuming.
 *
 * @example A running total that resumes from its snapshot
 * ```ts
 * import { Dataflow, type StatefulBatchBuilder } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const runningTotal: StatefulBatchBuilder<number, number, number> = (resumeState) => {
 *   let total = resumeState ?? 0;
 *   return {
 *     onBatch: (values) => [values.map((v) => total += v), false],
 *     onNotify: () => [[], false],
 *     onEof: () => [[], true],
 *     notifyAt: () => undefined,
 *     snapshot: () => total,
 *   };
 * };
 * const flow = new Dataflow("f");
 * const totals = flow.input("inp", [["a", 1], ["a", 2]] as [string, number][])
 *   .statefulBatch("total", runningTotal);
 * assert.deepEqual(await Array.fromAsync(totals), [["a", 1], ["a", 3]]);
 *
 * // Given a snapshot, as on recovery, the builder picks up where it was.
 * const ctx = { workerIndex: 0, workerCount: 1, now: () => 0 };
 * assert.deepEqual(runningTotal(3, "a", ctx).onBatch([4]), [[7], false]);
 * ```
 */
export type StatefulBatchBuilder<V, W, S> = (
  resumeState: S | undefined,
  key: string,
  ctx: StepContext,
) => StatefulBatchLogic<V, W, S>;

/**
 * A method a {@linkcode StatefulBatchLogic} may have under this symbol: the
 * other keys whose state its last call changed (a window in partition
 * scope advances every key of its worker), for recovery to snapshot too.
 * Not part of the public API: runnel's own window logic has it.
 */
export const OTHER_CHANGED_KEYS: unique symbol = Symbol("runnel.otherChangedKeys");

/** Per-key logic objects with timers over a keyed stream; see {@linkcode StatefulBatchLogic}. */
export interface StatefulBatchNode extends NodeBase {
  readonly kind: "statefulBatch";
  readonly up: Port;
  readonly builder: StatefulBatchBuilder<unknown, unknown, unknown>;
}

/**
 * Keyed state as plain values, a batch at a time: the batch-level twin of
 * {@linkcode StatefulBatchLogic} for joins, final aggregates, stateful maps
 * and the built-in windows, which set timers through {@linkcode FoldTimers}.
 *
 * The runtime asks the fold for a fresh `state` per run and worker, and hands
 * it back with every batch; the node itself stays stateless. The state holds
 * every key's plain, serializable values (usually one map from key to
 * state, where deleting an entry discards the key, which then starts fresh;
 * a join keeps one map per side). The functions update it in place and push
 * what they emit onto `out` as `[key, value]` items.
 *
 * A fold may read several keyed streams (a join's sides): batches arrive in
 * arrival order, each with the index of the stream it came from.
 *
 * Not part of the public API: runnel's own timer-free stateful steps add
 * one with `keyedFold` in `_stream_core.ts`.
 */
export interface KeyedFold<T = unknown> {
  /**
   * Makes the empty state of one run on one worker. A fold with timers
   * keeps `ctx` (whose `now()` is the system time read for the current
   * batch or wake-up) and `timers` in it.
   */
  init(ctx: StepContext, timers: FoldTimers, changes?: Set<string>): T;
  /** Folds one batch of `[key, value]` items from input `side` into `state`, in order. */
  onBatch(state: T, batch: readonly unknown[], out: unknown[], side: number): void;
  /** At end of input: what the live keys emit, in sorted key order. The state is then dropped. */
  onEof?(state: T, out: unknown[]): void;
  /**
   * Called, after a batch or while waiting for one, for each key whose
   * timer (set through {@linkcode FoldTimers}) has come due, earliest
   * first. The timer is cleared first; a time it sets again for that key is
   * at least a millisecond after now.
   */
  onNotify?(state: T, key: string, out: unknown[]): void;
  /**
   * Recovery: `key`'s state as plain data (what the runtime's codec
   * carries), or `undefined` when the key has none. Called at an epoch's
   * barrier for each key the fold added to the `changes` given to `init`
   * (when given, every key whose state may have changed since, a discarded
   * one included), and encoded at once: it may return live state.
   */
  snapshotKey?(state: T, key: string): unknown;
  /**
   * Recovery: puts back `key`'s state from its snapshot, in a fresh state
   * before the first batch; sets the key's timer again if it has one.
   */
  restoreKey?(state: T, key: string, snapshot: unknown): void;
  /**
   * Recovery: what the worker's state shares among keys (a partition-scope
   * event clock), as plain data, or `undefined` for nothing; taken at every
   * barrier.
   */
  snapshotShared?(state: T): unknown;
  /**
   * Recovery: puts back the shared state, before the keys are restored:
   * from this worker's own snapshot when the worker count is the last
   * run's, else from every worker's of the last run (the fold combines
   * them, say the least watermark).
   */
  restoreShared?(state: T, snapshots: readonly unknown[]): void;
}

/**
 * Per-key wake-up times of a {@linkcode KeyedFold} with `onNotify`, as
 * system times in epoch ms: at most one per key; setting a key's time again
 * replaces it, and `undefined` clears it.
 *
 * Not part of the public API: the built-in windows set them; the tests of
 * `src/runtime/nodes/keyed_fold.ts` show their use.
 */
export interface FoldTimers {
  /** Sets `key`'s wake-up time, or clears it when `at` is `undefined`. */
  set(key: string, at: number | undefined): void;
}

/**
 * Folds one value from input `side` into its key's state: returns the new state (`undefined`
 * discards the key) and pushes what it emits onto `out` as `[key, value]`.
 * May mutate `state` in place and return it.
 */
export type ItemFold<S, V> = (
  state: S | undefined,
  value: V,
  key: string,
  out: unknown[],
  side: number,
) => S | undefined;

/** Emits a live key's last words at end of input, pushing `[key, value]` items onto `out`. */
export type EofFold<S> = (state: S, key: string, out: unknown[]) => void;

/**
 * A keyed fold given item by item, as data; the runtime compiles it into a
 * {@linkcode KeyedFold} over one map from key to state.
 */
export interface ItemKeyedFold {
  /** The user callback `step` runs, for errors, such as `"mapper"`. */
  readonly what: string;
  /** Folds one value. */
  // deno-lint-ignore no-explicit-any
  readonly step: ItemFold<any, any>;
  /** Emits each live key's result at end of input, in sorted key order. */
  // deno-lint-ignore no-explicit-any
  readonly eof?: EofFold<any>;
}

/** Per-key plain-value state folded a batch at a time; see {@linkcode KeyedFold}. */
export interface KeyedFoldNode extends NodeBase {
  readonly kind: "keyedFold";
  /** The keyed streams it reads, one or more. */
  readonly ups: readonly Port[];
  /** The fold, batch by batch or item by item. */
  readonly fold: KeyedFold<unknown> | ItemKeyedFold;
}

/** Every kind of core step. */
export type StepNode =
  | InputNode
  | OutputNode
  | FlatMapBatchNode
  | BranchNode
  | MergeNode
  | InspectDebugNode
  | RedistributeNode
  | PipeNode
  | MapAsyncNode
  | StatefulBatchNode
  | KeyedFoldNode;

/** The ports a node reads from, in order. */
export function upstreamPorts(node: StepNode): readonly Port[] {
  switch (node.kind) {
    case "input":
      return [];
    case "merge":
    case "keyedFold":
      return node.ups;
    default:
      return [node.up];
  }
}

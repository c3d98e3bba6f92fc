/**
 * Sources: how items enter a dataflow.
 *
 * runnel follows Bytewax's split, adapted to async:
 *
 * - A {@linkcode FixedPartitionedSource} has a fixed set of named partitions
 *   (files, topic partitions). Each partition lives on exactly one worker,
 *   keeps a resume position in {@linkcode StatefulSourcePartition.snapshot},
 *   and so can be replayed after a crash.
 * - A {@linkcode DynamicSource} builds one stateless reader per worker. It has
 *   no resume position, so after a crash it continues from "now".
 * - Any `Iterable` or `AsyncIterable` is accepted too and becomes a dynamic
 *   source that only worker 0 reads.
 *
 * The runtime polls a partition with `nextBatch()`. A partition hands over
 * what is available now and never waits to fill a batch, so batching adds no
 * latency; it returns `null` when it is exhausted.
 *
 * @module
 */

/**
 * A point in system time: epoch milliseconds or a `Date`.
 *
 * @example Asking to be polled again at a `Date`
 * ```ts
 * import { Dataflow, type Instant, type StatelessSourcePartition } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const start = Date.now();
 * let polls = 0;
 * const reader: StatelessSourcePartition<number> = {
 *   // Nothing at first; then the milliseconds waited; then the end.
 *   nextBatch: () => ++polls === 1 ? [] : polls === 2 ? [Date.now() - start] : null,
 *   nextAwake: (): Instant | undefined => polls === 1 ? new Date(start + 30) : undefined,
 * };
 * const flow = new Dataflow("f");
 * const [waited] = await Array.fromAsync(flow.input("inp", { build: () => reader }));
 * assert.ok(waited >= 29, `polled again after ${waited} ms`);
 * ```
 */
export type Instant = number | Date;

/**
 * A batch, an empty batch (nothing available now), or `null` for end of input.
 *
 * @example Draining a queue in batches of two
 * ```ts
 * import { Dataflow, type NextBatch } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const queue = ["a", "b", "c"];
 * function nextBatch(): NextBatch<string> {
 *   return queue.length === 0 ? null : queue.splice(0, 2);
 * }
 * const flow = new Dataflow("f");
 * const sizes = flow.input("inp", { build: () => ({ nextBatch }) })
 *   .flatMapBatch("sizes", (batch) => [batch.length]);
 * assert.deepEqual(await Array.fromAsync(sizes), [2, 1]);
 * ```
 */
export type NextBatch<T> = readonly T[] | null;

/**
 * What a source sees of the run when its readers are built: the run's
 * system time, on which {@linkcode StatefulSourcePartition.nextAwake} is
 * measured. It is the time given to `run()` (a `TestingTime` in tests),
 * so a reader that reads time from it can be driven by hand.
 *
 * @example A reader that emits every 50 ms of the run's time
 * ```ts
 * import { Dataflow, run, type SourceContext, type StatelessSourcePartition } from "@runnel/runnel";
 * import { TestingSink, TestingTime } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * function everyFifty(ctx: SourceContext, count: number): StatelessSourcePartition<number> {
 *   const start = ctx.now();
 *   let sent = 0;
 *   const due = () => start + sent * 50;
 *   return {
 *     nextBatch() {
 *       if (sent === count) return null;
 *       if (ctx.now() < due()) return [];
 *       const at = due();
 *       sent++;
 *       return [at];
 *     },
 *     nextAwake: () => sent === count ? undefined : due(),
 *   };
 * }
 * const time = new TestingTime();
 * const out: number[] = [];
 * const flow = new Dataflow("f");
 * flow.input("inp", { build: (_id, _index, _count, ctx) => everyFifty(ctx, 3) })
 *   // Time moves only here, so the reader waits for each item to be seen.
 *   .inspect("advance", () => time.advance(50))
 *   .output("out", new TestingSink(out));
 * await run(flow, { time });
 * assert.deepEqual(out, [0, 50, 100]);
 * ```
 */
export interface SourceContext {
  /** The run's system time in epoch milliseconds. */
  now(): number;
  /**
   * With recovery, when the store counts its runs: how many runs over the
   * same store came before this one (0 for the first). Each resumed run is
   * a new generation, whatever thread or process builds the source.
   */
  readonly generation?: number;
}

/**
 * One partition of a {@linkcode FixedPartitionedSource}, built on one worker.
 *
 * @example A partition over an array, resumable by index
 * ```ts
 * import type { NextBatch, StatefulSourcePartition } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * class ArrayPartition implements StatefulSourcePartition<string, number> {
 *   #next: number;
 *   constructor(readonly items: readonly string[], resumeState: number | undefined) {
 *     this.#next = resumeState ?? 0;
 *   }
 *   nextBatch(): NextBatch<string> {
 *     return this.#next < this.items.length ? [this.items[this.#next++]!] : null;
 *   }
 *   snapshot(): number {
 *     return this.#next;
 *   }
 * }
 *
 * const first = new ArrayPartition(["a", "b", "c"], undefined);
 * assert.deepEqual(first.nextBatch(), ["a"]);
 * // Rebuilt from its snapshot, the partition goes on after "a".
 * const resumed = new ArrayPartition(["a", "b", "c"], first.snapshot());
 * assert.deepEqual(resumed.nextBatch(), ["b"]);
 * assert.deepEqual(resumed.nextBatch(), ["c"]);
 * assert.equal(resumed.nextBatch(), null);
 * ```
 */
export interface StatefulSourcePartition<T, S = unknown> {
  /**
   * The items available now, `[]` if none are (the runtime polls again at
   * {@linkcode StatefulSourcePartition.nextAwake}, or after a short idle
   * pause), or `null` once the partition is exhausted.
   */
  nextBatch(): NextBatch<T> | Promise<NextBatch<T>>;
  /**
   * When to poll next, on the run's clock ({@linkcode SourceContext.now}).
   * `undefined` means "as soon as possible" (after a short pause if the last
   * batch was empty).
   */
  nextAwake?(): Instant | undefined;
  /**
   * The resume position: where to start reading after the last item already
   * handed over. Must be a serializable, immutable value.
   */
  snapshot(): S;
  /** Releases resources; called once when the partition ends or the run stops. */
  close?(): void | Promise<void>;
}

/**
 * A source with a fixed set of named partitions, each read by one worker and
 * each resumable from a snapshot.
 *
 * @example Two named partitions read by one flow
 * ```ts
 * import { Dataflow, type FixedPartitionedSource } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const shards: Record<string, number[]> = { even: [0, 2], odd: [1, 3] };
 * const source: FixedPartitionedSource<number, number> = {
 *   listParts: () => Object.keys(shards),
 *   buildPart(_stepId, forPart, resumeState) {
 *     const items = shards[forPart]!;
 *     let next = resumeState ?? 0;
 *     return {
 *       nextBatch: () => next < items.length ? [items[next++]!] : null,
 *       snapshot: () => next,
 *     };
 *   },
 * };
 * const flow = new Dataflow("f");
 * const all = await Array.fromAsync(flow.input("inp", source));
 * assert.deepEqual(all.sort(), [0, 1, 2, 3]);
 * ```
 */
export interface FixedPartitionedSource<T, S = unknown> {
  /** The partitions this process can reach. */
  listParts(): readonly string[] | Promise<readonly string[]>;
  /**
   * Builds the reader for one partition.
   *
   * @param stepId The full path of the input step, for errors and metrics.
   * @param forPart One of the names {@linkcode FixedPartitionedSource.listParts} returned.
   * @param resumeState The partition's last snapshot, or `undefined` on a fresh start.
   * @param ctx The run's time, for `nextAwake`.
   */
  buildPart(
    stepId: string,
    forPart: string,
    resumeState: S | undefined,
    ctx: SourceContext,
  ): StatefulSourcePartition<T, S> | Promise<StatefulSourcePartition<T, S>>;
}

/**
 * The reader a {@linkcode DynamicSource} builds on each worker.
 *
 * @example A countdown reader, closed at the end
 * ```ts
 * import { Dataflow, type StatelessSourcePartition } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * let closed = false;
 * class Countdown implements StatelessSourcePartition<number> {
 *   #left = 3;
 *   nextBatch(): number[] | null {
 *     return this.#left > 0 ? [this.#left--] : null;
 *   }
 *   close(): void {
 *     closed = true;
 *   }
 * }
 * const flow = new Dataflow("f");
 * const items = flow.input("inp", { build: () => new Countdown() });
 * assert.deepEqual(await Array.fromAsync(items), [3, 2, 1]);
 * assert.equal(closed, true);
 * ```
 */
export interface StatelessSourcePartition<T> {
  /** As {@linkcode StatefulSourcePartition.nextBatch}. */
  nextBatch(): NextBatch<T> | Promise<NextBatch<T>>;
  /** As {@linkcode StatefulSourcePartition.nextAwake}. */
  nextAwake?(): Instant | undefined;
  /** Releases resources; called once when the reader ends or the run stops. */
  close?(): void | Promise<void>;
}

/**
 * A source that builds one stateless reader on every worker.
 *
 * @example A reader that says where it runs
 * ```ts
 * import { Dataflow, type DynamicSource } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const source: DynamicSource<string> = {
 *   build(stepId, workerIndex, workerCount) {
 *     const items = [`${stepId} on worker ${workerIndex} of ${workerCount}`];
 *     return { nextBatch: () => items.length > 0 ? items.splice(0) : null };
 *   },
 * };
 * const flow = new Dataflow("f");
 * assert.deepEqual(await Array.fromAsync(flow.input("inp", source)), ["f.inp on worker 0 of 1"]);
 * ```
 */
export interface DynamicSource<T> {
  /**
   * Builds this worker's reader.
   *
   * @param stepId The full path of the input step.
   * @param workerIndex This worker's index, from 0.
   * @param workerCount How many workers run the flow in all.
   * @param ctx The run's time, for `nextAwake`.
   */
  build(
    stepId: string,
    workerIndex: number,
    workerCount: number,
    ctx: SourceContext,
  ): StatelessSourcePartition<T> | Promise<StatelessSourcePartition<T>>;
}

/**
 * Anything `flow.input()` accepts.
 *
 * @example One flow fed from arrays, generators and partitioned sources
 * ```ts
 * import { Dataflow, type Source } from "@runnel/runnel";
 * import { TestingSource } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * async function doubled(source: Source<number>): Promise<number[]> {
 *   const flow = new Dataflow("f");
 *   return await Array.fromAsync(flow.input("inp", source).map("double", (x) => x * 2));
 * }
 * async function* twoNumbers() {
 *   yield 1;
 *   yield 2;
 * }
 * assert.deepEqual(await doubled([1, 2]), [2, 4]);
 * assert.deepEqual(await doubled(new Set([1, 2])), [2, 4]);
 * assert.deepEqual(await doubled(twoNumbers()), [2, 4]);
 * assert.deepEqual(await doubled(new TestingSource([1, 2])), [2, 4]);
 * ```
 */
export type Source<T> =
  | FixedPartitionedSource<T>
  | DynamicSource<T>
  | Iterable<T>
  | AsyncIterable<T>;

/** Whether `source` is a {@linkcode FixedPartitionedSource}. */
export function isFixedPartitionedSource<T>(
  source: Source<T>,
): source is FixedPartitionedSource<T> {
  return typeof (source as FixedPartitionedSource<T>).listParts === "function" &&
    typeof (source as FixedPartitionedSource<T>).buildPart === "function";
}

/** Whether `source` is a {@linkcode DynamicSource}. */
export function isDynamicSource<T>(source: Source<T>): source is DynamicSource<T> {
  return typeof (source as DynamicSource<T>).build === "function";
}

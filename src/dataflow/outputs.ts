/**
 * Sinks: how items leave a dataflow.
 *
 * As with sources, runnel follows Bytewax's split, adapted to async:
 *
 * - A {@linkcode FixedPartitionedSink} has named partitions, each owned by
 *   one worker. It consumes `[key, value]` items; the key picks the partition.
 *   A partition keeps a snapshot, so a sink that can seek (a file truncated
 *   to its last offset) is exactly-once on resume.
 * - A {@linkcode DynamicSink} builds one stateless writer per worker; every
 *   worker writes the items it has. Output is at-least-once on resume.
 *
 * @module
 */

/**
 * One partition of a {@linkcode FixedPartitionedSink}, built on one worker.
 *
 * @example A writer whose snapshot is how many values it wrote
 * ```ts
 * import type { StatefulSinkPartition } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * class ListWriter implements StatefulSinkPartition<string, number> {
 *   constructor(readonly list: string[], resumeState: number | undefined) {
 *     // On resume, drop what was written after the snapshot: it is written again.
 *     list.length = resumeState ?? 0;
 *   }
 *   writeBatch(values: readonly string[]): void {
 *     this.list.push(...values);
 *   }
 *   snapshot(): number {
 *     return this.list.length;
 *   }
 * }
 *
 * const list: string[] = [];
 * const writer = new ListWriter(list, undefined);
 * writer.writeBatch(["a", "b"]);
 * const offset = writer.snapshot();
 * writer.writeBatch(["lost in a crash"]);
 * new ListWriter(list, offset).writeBatch(["c"]);
 * assert.deepEqual(list, ["a", "b", "c"]);
 * ```
 */
export interface StatefulSinkPartition<T, S = unknown> {
  /** Writes one batch of values (keys already removed). */
  writeBatch(values: readonly T[]): void | Promise<void>;
  /** The resume position (for a file, the byte offset written so far). */
  snapshot(): S;
  /**
   * Makes what was written so far durable (a file's fsync). Called at every
   * epoch's barrier, before the epoch can count as written; a sink that
   * made it durable in `writeBatch` need not have it.
   */
  sync?(): void | Promise<void>;
  /** Flushes and releases resources; called once at the end of the run. */
  close?(): void | Promise<void>;
}

/**
 * A sink with named partitions, each owned by one worker.
 *
 * @example One list per region, the key picking the region
 * ```ts
 * import { Dataflow, type FixedPartitionedSink, run } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const regions: Record<string, string[]> = { eu: [], us: [] };
 * const sink: FixedPartitionedSink<string, number> = {
 *   listParts: () => Object.keys(regions),
 *   // An index into the sorted partition names: ["eu", "us"].
 *   partFn: (key) => key === "us" ? 1 : 0,
 *   buildPart: (_stepId, forPart) => ({
 *     writeBatch: (values) => void regions[forPart]!.push(...values),
 *     snapshot: () => regions[forPart]!.length,
 *   }),
 * };
 * const flow = new Dataflow("f");
 * flow.input("inp", [["us", "ann"], ["eu", "bob"], ["us", "cy"]] as [string, string][])
 *   .output("out", sink);
 * await run(flow);
 * assert.deepEqual(regions, { eu: ["bob"], us: ["ann", "cy"] });
 * ```
 */
export interface FixedPartitionedSink<T, S = unknown> {
  /** The partitions this process can reach. */
  listParts(): readonly string[] | Promise<readonly string[]>;
  /**
   * Which partition a key goes to, as an index into the sorted list of all
   * partitions. Defaults to runnel's stable string hash.
   */
  partFn?(key: string): number;
  /**
   * Builds the writer for one partition.
   *
   * @param stepId The full path of the output step.
   * @param forPart One of the names {@linkcode FixedPartitionedSink.listParts} returned.
   * @param resumeState The partition's last snapshot, or `undefined` on a fresh start.
   */
  buildPart(
    stepId: string,
    forPart: string,
    resumeState: S | undefined,
  ): StatefulSinkPartition<T, S> | Promise<StatefulSinkPartition<T, S>>;
}

/**
 * The writer a {@linkcode DynamicSink} builds on each worker.
 *
 * @example A writer that buffers until it is closed
 * ```ts
 * import { Dataflow, run, type StatelessSinkPartition } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const files: string[] = [];
 * class CsvLineWriter implements StatelessSinkPartition<string> {
 *   #lines: string[] = [];
 *   writeBatch(items: readonly string[]): void {
 *     this.#lines.push(...items);
 *   }
 *   close(): void {
 *     files.push(this.#lines.join(","));
 *   }
 * }
 * const flow = new Dataflow("f");
 * flow.input("inp", ["a", "b", "c"]).output("out", { build: () => new CsvLineWriter() });
 * await run(flow);
 * assert.deepEqual(files, ["a,b,c"]);
 * ```
 */
export interface StatelessSinkPartition<T> {
  /** Writes one batch of items. */
  writeBatch(items: readonly T[]): void | Promise<void>;
  /** Flushes and releases resources; called once at the end of the run. */
  close?(): void | Promise<void>;
}

/**
 * A sink that builds one stateless writer on every worker.
 *
 * @example A log line per item, naming the step and worker
 * ```ts
 * import { Dataflow, type DynamicSink, run } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const log: string[] = [];
 * const sink: DynamicSink<number> = {
 *   build: (stepId, workerIndex) => ({
 *     writeBatch(items) {
 *       for (const item of items) log.push(`${stepId} W${workerIndex}: ${item}`);
 *     },
 *   }),
 * };
 * const flow = new Dataflow("f");
 * flow.input("inp", [1, 2]).output("out", sink);
 * await run(flow);
 * assert.deepEqual(log, ["f.out W0: 1", "f.out W0: 2"]);
 * ```
 */
export interface DynamicSink<T> {
  /**
   * Builds this worker's writer.
   *
   * @param stepId The full path of the output step.
   * @param workerIndex This worker's index, from 0.
   * @param workerCount How many workers run the flow in all.
   */
  build(
    stepId: string,
    workerIndex: number,
    workerCount: number,
  ): StatelessSinkPartition<T> | Promise<StatelessSinkPartition<T>>;
}

/**
 * Any sink: a {@linkcode FixedPartitionedSink} or a {@linkcode DynamicSink}.
 * `stream.output()` takes a dynamic sink of the stream's items, and a
 * fixed-partitioned sink only on a keyed stream (`[key, value]` items, the
 * key choosing the partition), of its values.
 *
 * @example Telling the two kinds apart
 * ```ts
 * import type { Sink } from "@runnel/runnel";
 * import { FileSink } from "@runnel/runnel/connectors";
 * import { TestingSink } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * // A dynamic sink is built once per worker; a fixed-partitioned one lists its parts.
 * const kind = (sink: Sink<string>) => "listParts" in sink ? "fixed" : "dynamic";
 * assert.equal(kind(new TestingSink<string>()), "dynamic");
 * assert.equal(kind(new FileSink("out.txt")), "fixed");
 * ```
 */
export type Sink<T> = FixedPartitionedSink<T> | DynamicSink<T>;

/** Whether `sink` is a {@linkcode FixedPartitionedSink}. */
export function isFixedPartitionedSink<T>(sink: unknown): sink is FixedPartitionedSink<T> {
  return typeof (sink as FixedPartitionedSink<T>)?.listParts === "function" &&
    typeof (sink as FixedPartitionedSink<T>)?.buildPart === "function";
}

/** Whether `sink` is a {@linkcode DynamicSink}. */
export function isDynamicSink<T>(sink: unknown): sink is DynamicSink<T> {
  return typeof (sink as DynamicSink<T>)?.build === "function";
}

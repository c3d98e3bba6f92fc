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

/** One partition of a {@linkcode FixedPartitionedSink}, built on one worker. */
export interface StatefulSinkPartition<T, S = unknown> {
  /** Writes one batch of values (keys already removed). */
  writeBatch(values: readonly T[]): void | Promise<void>;
  /** The resume position (for a file, the byte offset written so far). */
  snapshot(): S;
  /** Flushes and releases resources; called once at the end of the run. */
  close?(): void | Promise<void>;
}

/** A sink with named partitions, each owned by one worker. */
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

/** The writer a {@linkcode DynamicSink} builds on each worker. */
export interface StatelessSinkPartition<T> {
  /** Writes one batch of items. */
  writeBatch(items: readonly T[]): void | Promise<void>;
  /** Flushes and releases resources; called once at the end of the run. */
  close?(): void | Promise<void>;
}

/** A sink that builds one stateless writer on every worker. */
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

/** Anything `stream.output()` accepts. */
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

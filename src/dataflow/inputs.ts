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

/** A point in system time: epoch milliseconds or a `Date`. */
export type Instant = number | Date;

/**
 * A batch, an empty batch (nothing available now), or `null` for end of input.
 */
export type NextBatch<T> = readonly T[] | null;

/** One partition of a {@linkcode FixedPartitionedSource}, built on one worker. */
export interface StatefulSourcePartition<T, S = unknown> {
  /**
   * The items available now, `[]` if none are (the runtime polls again at
   * {@linkcode StatefulSourcePartition.nextAwake}, or after a short idle
   * pause), or `null` once the partition is exhausted.
   */
  nextBatch(): NextBatch<T> | Promise<NextBatch<T>>;
  /**
   * When to poll next. `undefined` means "as soon as possible" (after a short
   * pause if the last batch was empty).
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
   */
  buildPart(
    stepId: string,
    forPart: string,
    resumeState: S | undefined,
  ): StatefulSourcePartition<T, S> | Promise<StatefulSourcePartition<T, S>>;
}

/** The reader a {@linkcode DynamicSource} builds on each worker. */
export interface StatelessSourcePartition<T> {
  /** As {@linkcode StatefulSourcePartition.nextBatch}. */
  nextBatch(): NextBatch<T> | Promise<NextBatch<T>>;
  /** As {@linkcode StatefulSourcePartition.nextAwake}. */
  nextAwake?(): Instant | undefined;
  /** Releases resources; called once when the reader ends or the run stops. */
  close?(): void | Promise<void>;
}

/** A source that builds one stateless reader on every worker. */
export interface DynamicSource<T> {
  /**
   * Builds this worker's reader.
   *
   * @param stepId The full path of the input step.
   * @param workerIndex This worker's index, from 0.
   * @param workerCount How many workers run the flow in all.
   */
  build(
    stepId: string,
    workerIndex: number,
    workerCount: number,
  ): StatelessSourcePartition<T> | Promise<StatelessSourcePartition<T>>;
}

/** Anything `flow.input()` accepts. */
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

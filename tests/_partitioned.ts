/**
 * A fixed-partitioned source over named arrays, for the tests of several
 * workers: each partition is one array, read `batchSize` items at a time,
 * and its snapshot is how many it has read.
 *
 * @module
 */

import type { FixedPartitionedSource, StatefulSourcePartition } from "../mod.ts";

/** Partitions named by `parts`' keys; counts each partition's builds. */
export class Partitioned<T> implements FixedPartitionedSource<T, number> {
  /** How many times each partition was built. */
  readonly builds: Map<string, number> = new Map();
  /**
   * @param parts Each partition's items, by name.
   * @param batchSize Items per batch.
   */
  constructor(readonly parts: Record<string, readonly T[]>, readonly batchSize = 2) {}
  listParts(): string[] {
    return Object.keys(this.parts);
  }
  buildPart(_stepId: string, part: string): StatefulSourcePartition<T, number> {
    this.builds.set(part, (this.builds.get(part) ?? 0) + 1);
    const items = this.parts[part]!;
    let next = 0;
    return {
      nextBatch: () => {
        if (next >= items.length) return null;
        const batch = items.slice(next, next + this.batchSize);
        next += batch.length;
        return batch;
      },
      snapshot: () => next,
    };
  }
}

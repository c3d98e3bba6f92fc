/**
 * Helpers for the connector tests (not part of the public API).
 *
 * @module
 */

import type { StatefulSourcePartition } from "../src/dataflow/inputs.ts";

/** Polls `partition` until it ends, returning every batch, then closes it. */
export async function drainBatches<T>(
  partition: { nextBatch(): unknown; close?(): void | Promise<void> },
): Promise<T[][]> {
  const batches: T[][] = [];
  try {
    for (;;) {
      const batch = await partition.nextBatch() as T[] | null;
      if (batch === null) return batches;
      batches.push([...batch]);
    }
  } finally {
    await partition.close?.();
  }
}

/** Reads `count` batches, returning them with the snapshot taken after them, then closes. */
export async function readThenSnapshot<T, S>(
  partition: StatefulSourcePartition<T, S>,
  count: number,
): Promise<{ batches: T[][]; snapshot: S }> {
  const batches: T[][] = [];
  try {
    for (let i = 0; i < count; i++) {
      const batch = await partition.nextBatch();
      if (batch === null) break;
      batches.push([...batch]);
    }
    return { batches, snapshot: partition.snapshot() };
  } finally {
    await partition.close?.();
  }
}

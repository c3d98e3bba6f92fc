/**
 * Helpers for the connector tests (not part of the public API).
 *
 * @module
 */

import type { StatefulSourcePartition } from "../src/dataflow/inputs.ts";

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "runnel_test_" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

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

/**
 * A fixed-partitioned source whose partitions compute their items, for the
 * benchmarks of several workers: every Worker builds the same source, and
 * each reads only the partitions dealt to it, so no input is copied between
 * threads before the run.
 *
 * @module
 */

import process from "node:process";
import type { FixedPartitionedSource, StatefulSourcePartition } from "../mod.ts";

/**
 * `parts` partitions of `perPart` items each; item `i` of partition `p` is
 * `make(p, i)`. Batches of 1,024 items, handed over without waiting.
 */
export function computedSource<T>(
  parts: number,
  perPart: number,
  make: (part: number, i: number) => T,
): FixedPartitionedSource<T, number> {
  return {
    listParts: () => Array.from({ length: parts }, (_, p) => `p${p}`),
    buildPart: (_id, name): StatefulSourcePartition<T, number> => {
      const part = Number(name.slice(1));
      let next = 0;
      return {
        nextBatch: () => {
          if (next >= perPart) return null;
          const end = Math.min(perPart, next + 1_024);
          const batch: T[] = new Array(end - next);
          for (let i = next; i < end; i++) batch[i - next] = make(part, i);
          next = end;
          return batch;
        },
        snapshot: () => next,
      };
    },
  };
}

/**
 * Seconds `fn` takes, and the seconds of CPU the process (all its threads)
 * used meanwhile: on a loaded machine, a CPU time close to the one-worker
 * run's shows the threads added little work even when no second core was
 * free to make them faster.
 */
export async function timed(fn: () => Promise<void>): Promise<{ seconds: number; cpu: number }> {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  await fn();
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  return { seconds, cpu: (cpu.user + cpu.system) / 1e6 };
}

/**
 * Items in and out per step and worker, for seeing how keys spread.
 *
 * @module
 */

import { isBatch, type MessageStream } from "./message.ts";

/** One step's counts: index `w` is worker `w`'s. */
export interface StepCounts {
  /** Items the step read, per worker (after its exchange, when it has one). */
  readonly in: number[];
  /** Items the step emitted, per worker. */
  readonly out: number[];
}

/**
 * Counts the items each step reads and emits on each worker, when given to
 * `run` or `iterate` as `stats`. A chain of per-item steps (`map`, `filter`,
 * ...) runs fused into one loop, so it reports its items in at its first
 * step and its items out at its last. Counting costs a little per batch;
 * without `stats` nothing is counted.
 *
 * @example Where the keys went
 * ```ts
 * import { Dataflow, run, RunStats } from "@runnel/runnel";
 * import { TestingSink } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * const flow = new Dataflow("wc");
 * flow.input("inp", ["a b", "b c", "c a b"])
 *   .flatMap("split", (line) => line.split(" "))
 *   .countFinal("count", (word) => word)
 *   .output("out", new TestingSink());
 * const stats = new RunStats();
 * await run(flow, { workers: 2, stats });
 * const steps = stats.byStep();
 * // Worker 0 read the array (worker 0 alone reads a plain iterable).
 * assert.deepEqual(steps["wc.inp"].out, [3, 0]);
 * // Split and countFinal's pre-count run fused: 3 lines in, 3 [word, count] pairs out.
 * assert.deepEqual(steps["wc.split"].in, [3, 0]);
 * assert.deepEqual(steps["wc.count.init_count"].out, [3, 0]);
 * // The pairs crossed to the worker each word hashes to: a and c to 0, b to 1.
 * assert.deepEqual(steps["wc.count.sum"], { in: [2, 1], out: [2, 1] });
 * ```
 */
export class RunStats {
  readonly #steps = new Map<string, StepCounts>();

  #counts(path: string): StepCounts {
    let counts = this.#steps.get(path);
    if (!counts) this.#steps.set(path, counts = { in: [], out: [] });
    return counts;
  }

  /**
   * Adds `items` to a step's count on one worker.
   *
   * @param path The step's full path.
   * @param direction `"in"` or `"out"`.
   * @param worker The worker.
   * @param items How many items.
   */
  add(path: string, direction: "in" | "out", worker: number, items: number): void {
    const list = this.#counts(path)[direction];
    while (list.length <= worker) list.push(0);
    list[worker]! += items;
  }

  /**
   * Every counted step's counts, by path.
   *
   * @returns A fresh object; both lists of a step have one entry per worker that counted.
   */
  byStep(): Record<string, StepCounts> {
    const out: Record<string, StepCounts> = {};
    for (const [path, counts] of this.#steps) {
      const workers = Math.max(counts.in.length, counts.out.length);
      const pad = (list: number[]) => [...list, ...new Array(workers - list.length).fill(0)];
      out[path] = { in: pad(counts.in), out: pad(counts.out) };
    }
    return out;
  }
}

/**
 * Passes a stream on, counting its items into `stats`.
 *
 * @param stream The stream.
 * @param stats Where to count.
 * @param path The step.
 * @param direction Whether the step reads or emits the stream.
 * @param worker The worker.
 * @returns The same messages.
 */
export async function* counted<T>(
  stream: MessageStream<T>,
  stats: RunStats,
  path: string,
  direction: "in" | "out",
  worker: number,
): MessageStream<T> {
  stats.add(path, direction, worker, 0);
  for await (const message of stream) {
    if (isBatch(message)) stats.add(path, direction, worker, message.length);
    yield message;
  }
}

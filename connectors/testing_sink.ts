/**
 * {@linkcode TestingSink}: collects output into an array.
 *
 * @module
 */

import type { DynamicSink, StatelessSinkPartition } from "../src/dataflow/outputs.ts";

/**
 * A sink that appends every item to `list`, for tests and notebooks. Every
 * worker of the process appends to the same array; the array is not cleared
 * between runs. Output is at-least-once on resume.
 *
 * @typeParam T The items.
 *
 * @example Collecting output
 * ```ts
 * import { Dataflow, run } from "@runnel/runnel";
 * import { TestingSink } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * const out: number[] = [];
 * const flow = new Dataflow("f");
 * flow.input("inp", [1, 2]).output("out", new TestingSink(out));
 * await run(flow);
 * assert.deepEqual(out, [1, 2]);
 * ```
 */
export class TestingSink<T> implements DynamicSink<T> {
  /** The array items are appended to. */
  readonly list: T[];

  /**
   * Makes a sink appending to `list`.
   *
   * @param list The array to append to; a new one by default.
   */
  constructor(list: T[] = []) {
    this.list = list;
  }

  /**
   * Builds a writer that appends to {@linkcode TestingSink.list}.
   *
   * @returns The writer.
   */
  build(): StatelessSinkPartition<T> {
    const list = this.list;
    return {
      writeBatch(items: readonly T[]): void {
        for (let i = 0; i < items.length; i++) list.push(items[i]!);
      },
    };
  }
}

/**
 * Testing helpers: a resumable source with end-of-input, abort and pause
 * markers, a sink that collects into an array, system time moved by hand,
 * and a recovery store in memory.
 *
 * @example A flow under test
 * ```ts
 * import { Dataflow, run } from "@runnel/runnel";
 * import { TestingSink, TestingSource } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * const out: number[] = [];
 * const flow = new Dataflow("f");
 * flow.input("inp", new TestingSource([1, 2, 3]))
 *   .filter("odd", (x) => x % 2 === 1)
 *   .output("out", new TestingSink(out));
 * await run(flow);
 * assert.deepEqual(out, [1, 3]);
 * ```
 *
 * @module
 */

export * from "./testing_source.ts";
export * from "./testing_sink.ts";
export * from "./testing_time.ts";
export { MemoryRecoveryStore } from "../src/runtime/recovery/memory_store.ts";

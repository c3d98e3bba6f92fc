/**
 * Helpers shared by the step tests.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Dataflow, run, type RunOptions, type Stream } from "../mod.ts";
import {
  type TestingMarker,
  TestingSink,
  TestingSource,
  type TestingTime,
} from "../connectors/testing.ts";

/**
 * Runs `items` through the steps `build` adds, in batches of `batchSize`,
 * and returns what reaches the output.
 */
export async function outputOf<T, U>(
  items: readonly (T | TestingMarker)[],
  build: (up: Stream<T>) => Stream<U>,
  batchSize = 1,
  options: RunOptions = {},
): Promise<U[]> {
  const out: U[] = [];
  const flow = new Dataflow("f");
  build(flow.input("inp", new TestingSource<T>(items, { batchSize })))
    .output("out", new TestingSink(out));
  await run(flow, options);
  return out;
}

/** Polls until `predicate` holds, failing after `ms`. */
export async function waitFor(predicate: () => boolean, ms = 200): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`waitFor timed out after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Lets pending work run for `ms` of real time (0: just the pending promises and timers). */
export function settle(ms = 10): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Starts a run of `items` through the steps `build` adds, on `time`, with a
 * long pause after them so the input stays open; `stop()` aborts the run and
 * checks it ended with that abort.
 */
export function startOpen<T, U>(
  items: readonly (T | TestingMarker)[],
  build: (up: Stream<T>) => Stream<U>,
  time: TestingTime,
  batchSize = 1,
): { out: U[]; stop: () => Promise<void> } {
  const out: U[] = [];
  const flow = new Dataflow("f");
  const input = new TestingSource<T>([...items, TestingSource.PAUSE(10_000)], { batchSize });
  build(flow.input("inp", input)).output("out", new TestingSink(out));
  const controller = new AbortController();
  const done = run(flow, { time, signal: controller.signal });
  return {
    out,
    stop: async () => {
      const reason = new Error("test stop");
      controller.abort(reason);
      await assert.rejects(done, (error) => error === reason);
    },
  };
}

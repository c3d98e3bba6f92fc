/**
 * Helpers shared by the step tests.
 *
 * @module
 */

import { Dataflow, run, type RunOptions, type Stream } from "../mod.ts";
import { type TestingMarker, TestingSink, TestingSource } from "../connectors/testing.ts";

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

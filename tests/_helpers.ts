/**
 * Helpers shared by the step tests.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  Dataflow,
  type FixedPartitionedSource,
  run,
  type RunOptions,
  type Stream,
} from "../mod.ts";
import {
  type TestingClock,
  type TestingMarker,
  TestingSink,
  TestingSource,
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
 * Starts a run of `items` through the steps `build` adds, on `clock`, with a
 * long pause after them so the input stays open; `read()` resolves once the
 * source has been asked for more after its last item, so every item has gone
 * through the steps (a wait on real time would not tell: the runtime lets
 * timers run between batches); `stop()` aborts the run and checks it ended
 * with that abort.
 */
export function startOpen<T, U>(
  items: readonly (T | TestingMarker)[],
  build: (up: Stream<T>) => Stream<U>,
  clock: TestingClock,
  batchSize = 1,
): { out: U[]; read: () => Promise<void>; stop: () => Promise<void> } {
  const out: U[] = [];
  const flow = new Dataflow("f");
  const input = new TestingSource<T>([...items, TestingSource.PAUSE(10_000)], { batchSize });
  let markRead!: () => void;
  const read = new Promise<void>((resolve) => markRead = resolve);
  const watched: FixedPartitionedSource<T, number> = {
    listParts: () => input.listParts(),
    buildPart(stepId, forPart, resumeState) {
      const part = input.buildPart(stepId, forPart, resumeState);
      return {
        nextBatch() {
          // Asked again at the final pause: every batch before it went through.
          if (part.snapshot() >= items.length) markRead();
          return part.nextBatch();
        },
        nextAwake: () => part.nextAwake?.(),
        snapshot: () => part.snapshot(),
      };
    },
  };
  build(flow.input("inp", watched)).output("out", new TestingSink(out));
  const controller = new AbortController();
  const done = run(flow, { clock, signal: controller.signal });
  return {
    out,
    read: () => read,
    stop: async () => {
      const reason = new Error("test stop");
      controller.abort(reason);
      await assert.rejects(done, (error) => error === reason);
    },
  };
}

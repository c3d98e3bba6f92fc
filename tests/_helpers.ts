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
  type SystemTime,
} from "../mod.ts";
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
 * An epoch interval for runs whose waits a test watches: the run's epoch
 * ticker waits on the same time as the steps, for its first tick one
 * interval after the start, and {@linkcode watchSleeps} leaves waits that
 * far ahead out.
 */
export const FAR_EPOCH_INTERVAL = 1e12;

/**
 * System time for a run, watched: every time a step of the run waits for
 * (`sleepUntil`) is recorded, and `nextSleep()` resolves with the next one.
 * A step waits only once it has handled what reached it, so this is a
 * handshake that takes no real time. Pass the run `epochInterval:
 * FAR_EPOCH_INTERVAL`, so the epoch ticker's waits are told apart and left out.
 */
export function watchSleeps(time: TestingTime): {
  /** Pass this to the run. */
  readonly time: SystemTime;
  /** Every time waited for, in order. */
  readonly sleeps: readonly number[];
  /** Resolves with the time of the next wait; rejects after `ms` of real time without one. */
  nextSleep(ms?: number): Promise<number>;
} {
  const sleeps: number[] = [];
  const waiters: ((at: number) => void)[] = [];
  const ticks = time.now() + FAR_EPOCH_INTERVAL;
  return {
    time: {
      now: () => time.now(),
      sleepUntil(at, signal) {
        if (at < ticks) {
          sleeps.push(at);
          for (const wake of waiters.splice(0)) wake(at);
        }
        return time.sleepUntil(at, signal);
      },
    },
    sleeps,
    nextSleep(ms = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(wake), 1);
          reject(new Error(`no step waited for a time within ${ms} ms; waits so far: ${sleeps}`));
        }, ms);
        const wake = (at: number) => (clearTimeout(timer), resolve(at));
        waiters.push(wake);
      });
    },
  };
}

/** An input the test feeds by hand: `push` items, then `end()`. */
export function pushable<T>(): {
  readonly items: AsyncIterable<T>;
  push(...items: T[]): void;
  end(): void;
} {
  const queue: T[] = [];
  let ended = false;
  let wake = () => {};
  async function* items(): AsyncGenerator<T> {
    while (true) {
      while (queue.length > 0) yield queue.shift()!;
      if (ended) return;
      await new Promise<void>((resolve) => wake = resolve);
    }
  }
  return {
    items: items(),
    push(...more) {
      queue.push(...more);
      wake();
    },
    end() {
      ended = true;
      wake();
    },
  };
}

/**
 * Starts a run of `items` through the steps `build` adds, on `time`, with a
 * long pause after them so the input stays open; `read()` resolves once the
 * source has been asked for more after its last item, so every item has gone
 * through the steps (a wait on real time would not tell: the runtime lets
 * timers run between batches); `stop()` aborts the run and checks it ended
 * with that abort.
 */
export function startOpen<T, U>(
  items: readonly (T | TestingMarker)[],
  build: (up: Stream<T>) => Stream<U>,
  time: TestingTime,
  batchSize = 1,
): { out: U[]; read: () => Promise<void>; stop: () => Promise<void> } {
  const out: U[] = [];
  const flow = new Dataflow("f");
  const input = new TestingSource<T>([...items, TestingSource.PAUSE(10_000)], { batchSize });
  let markRead!: () => void;
  const read = new Promise<void>((resolve) => markRead = resolve);
  const watched: FixedPartitionedSource<T, number> = {
    listParts: () => input.listParts(),
    buildPart(stepId, forPart, resumeState, ctx) {
      const part = input.buildPart(stepId, forPart, resumeState, ctx);
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
  const done = run(flow, { time, signal: controller.signal });
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

import assert from "node:assert/strict";
import { TestingTime } from "../../../connectors/testing_time.ts";
import { TestingSink } from "../../../connectors/testing_sink.ts";
import { TestingSource } from "../../../connectors/testing_source.ts";
import { Dataflow } from "../../dataflow/dataflow.ts";
import { run } from "../run.ts";
import { settle } from "../../../tests/_helpers.ts";
import { realTime } from "../system_time.ts";
import { Epochs, EpochTicker } from "./epochs.ts";

Deno.test("Epochs.after() waits for the next close and resolves with the newest closed epoch", async () => {
  const epochs = new Epochs();
  const signal = new AbortController().signal;
  assert.equal(epochs.closed, 0);
  let seen: number | undefined;
  const waiting = epochs.after(0, signal).then((epoch) => seen = epoch);
  await settle(0);
  assert.equal(seen, undefined, "resolved before any epoch closed");
  epochs.close(2);
  await waiting;
  assert.equal(seen, 2);
  epochs.close(1);
  assert.equal(epochs.closed, 2, "an older epoch reopened the run");
  assert.equal(await epochs.after(1, signal), 2, "did not resolve at once for a closed epoch");
});

Deno.test("Epochs.after() rejects with the signal's reason when the run stops", async () => {
  const epochs = new Epochs();
  const controller = new AbortController();
  const reason = new Error("stop");
  const waiting = epochs.after(0, controller.signal);
  controller.abort(reason);
  await assert.rejects(waiting, (error) => error === reason);
});

Deno.test("EpochTicker closes one epoch per interval of the run's clock, numbered from 1", async () => {
  const clock = new TestingTime(1_000);
  const ticker = new EpochTicker(clock, 200);
  ticker.start();
  try {
    const closedAt: number[] = [];
    for (let t = 1_050; t <= 1_850; t += 50) {
      clock.set(t);
      await settle(0);
      closedAt.push(ticker.epochs.closed);
    }
    // Ticks at 1200, 1400, 1600 and 1800.
    assert.deepEqual(closedAt, [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4]);
  } finally {
    ticker.stop();
  }
});

Deno.test("EpochTicker closes one epoch for a late tick and the next is due an interval later", async () => {
  const clock = new TestingTime(0);
  const ticker = new EpochTicker(clock, 100);
  ticker.start();
  try {
    clock.set(1_050);
    await settle(0);
    assert.equal(ticker.epochs.closed, 1, "a late tick burst to catch up");
    clock.set(1_149);
    await settle(0);
    assert.equal(ticker.epochs.closed, 1);
    clock.set(1_150);
    await settle(0);
    assert.equal(ticker.epochs.closed, 2);
  } finally {
    ticker.stop();
  }
});

Deno.test("EpochTicker.stop() ends the ticks and leaves no timer behind", async () => {
  const clock = new TestingTime(0);
  const ticker = new EpochTicker(clock, 100);
  ticker.start();
  ticker.stop();
  clock.set(1_000);
  await settle(0);
  assert.equal(ticker.epochs.closed, 0);
  // On the real clock a pending tick would be a leaked timer, which Deno's test sanitizer reports.
  const real = new EpochTicker(realTime, 10_000);
  real.start();
  real.stop();
});

Deno.test("a run whose source never waits still closes epochs on time", async () => {
  // A synchronous source and synchronous steps never let the thread run a timer.
  const seen: number[] = [];
  const flow = new Dataflow("f");
  flow.input("inp", new TestingSource(Array.from({ length: 50 }, (_, i) => i)))
    .map("busy", (x) => {
      const until = performance.now() + 2;
      while (performance.now() < until);
      return x;
    })
    .inspectDebug("epoch", (_id, _x, epoch) => seen.push(epoch))
    .output("out", new TestingSink());
  await run(flow, { epochInterval: 10 });
  assert.ok(seen.at(-1)! >= 3, `50 items over 100 ms stayed in epochs ${[...new Set(seen)]}`);
});

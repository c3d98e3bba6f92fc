import assert from "node:assert/strict";
import { Dataflow, type KeyedStream, run, StepError } from "../../../mod.ts";
import { TestingSink, TestingSource, TestingTime } from "../../../connectors/testing.ts";
import { settle, startOpen, waitFor } from "../../../tests/_helpers.ts";

type Kv = [string, number];

/**
 * A timer per key: each value is a delay; the key fires `delay` ms after its
 * last value, emits `"fired@<now>"`, and re-arms `every` ms later when set.
 */
function timers(every?: number) {
  return (up: KeyedStream<number>) =>
    up.statefulBatch<number, string, null>("t", (_resume, _key, ctx) => {
      let at: number | undefined;
      return {
        onBatch(values) {
          at = ctx.now() + values[values.length - 1]!;
          return [[], false];
        },
        onNotify() {
          const now = ctx.now();
          at = every === undefined ? undefined : now + every;
          return [[`fired@${now}`], false];
        },
        onEof: () => [["eof"], true],
        notifyAt: () => at,
        snapshot: () => null,
      };
    });
}

Deno.test("statefulBatch() fires many keys' timers in time order, not key order", async () => {
  for (const batchSize of [1, 4]) {
    const time = new TestingTime(0);
    const open = startOpen<Kv, [string, unknown]>(
      [["a", 300], ["b", 100], ["c", 200], ["d", 50]],
      timers(),
      time,
      batchSize,
    );
    try {
      await open.read();
      assert.deepEqual(open.out, []);
      time.advance(1_000);
      await waitFor(() => open.out.length === 4);
      assert.deepEqual(open.out, [
        ["d", "fired@1000"],
        ["b", "fired@1000"],
        ["c", "fired@1000"],
        ["a", "fired@1000"],
      ], `batchSize ${batchSize}`);
    } finally {
      await open.stop();
    }
  }
});

Deno.test("statefulBatch() fires only the timers that are due as the clock moves", async () => {
  const time = new TestingTime(0);
  const open = startOpen<Kv, [string, unknown]>(
    [["a", 300], ["b", 100], ["c", 200]],
    timers(),
    time,
    4,
  );
  try {
    await open.read();
    time.advance(150);
    await waitFor(() => open.out.length === 1);
    assert.deepEqual(open.out, [["b", "fired@150"]]);
    time.advance(49);
    await settle();
    assert.equal(open.out.length, 1);
    time.advance(1);
    await waitFor(() => open.out.length === 2);
    time.advance(100);
    await waitFor(() => open.out.length === 3);
    assert.deepEqual(open.out.slice(1), [["c", "fired@200"], ["a", "fired@300"]]);
  } finally {
    await open.stop();
  }
});

Deno.test("statefulBatch() re-arms a timer from onNotify", async () => {
  const time = new TestingTime(0);
  const open = startOpen<Kv, [string, unknown]>([["a", 10]], timers(10), time);
  try {
    await open.read();
    for (const t of [10, 20, 30]) {
      time.advance(10);
      await waitFor(() => open.out.length === t / 10);
    }
    assert.deepEqual(open.out, [["a", "fired@10"], ["a", "fired@20"], ["a", "fired@30"]]);
  } finally {
    await open.stop();
  }
});

Deno.test("statefulBatch() replaces a key's timer when notifyAt changes", async () => {
  const time = new TestingTime(0);
  // a first asks for 50, then (next batch) for 200: the old time must not fire.
  const open = startOpen<Kv, [string, unknown]>([["a", 50], ["a", 200]], timers(), time);
  try {
    await open.read();
    time.advance(100);
    await settle();
    assert.deepEqual(open.out, []);
    time.advance(100);
    await waitFor(() => open.out.length === 1);
    assert.deepEqual(open.out, [["a", "fired@200"]]);
  } finally {
    await open.stop();
  }
});

Deno.test("statefulBatch() fires a timer already due right after the batch", async () => {
  const out: [string, string][] = [];
  const flow = new Dataflow("f");
  timers()(flow.input("inp", new TestingSource<Kv>([["a", 0], ["b", 5]])))
    .output("out", new TestingSink(out));
  await run(flow, { time: new TestingTime(0) });
  // a is due at once; b's timer is pending at end of input, and does not hold the run.
  assert.deepEqual(out, [["a", "fired@0"], ["a", "eof"], ["b", "eof"]]);
});

Deno.test("statefulBatch() drops a discarded key's timer", async () => {
  const time = new TestingTime(0);
  const open = startOpen<Kv, [string, unknown]>(
    [["a", 100], ["a", -1]],
    (up) =>
      up.statefulBatch<number, string, null>("t", (_r, _k, ctx) => {
        let at: number | undefined;
        return {
          onBatch(values) {
            const v = values[values.length - 1]!;
            if (v < 0) return [["gone"], true];
            at = ctx.now() + v;
            return [[], false];
          },
          onNotify: () => [["fired"], false],
          onEof: () => [[], true],
          notifyAt: () => at,
          snapshot: () => null,
        };
      }),
    time,
  );
  try {
    await waitFor(() => open.out.length === 1);
    time.advance(500);
    await settle();
    assert.deepEqual(open.out, [["a", "gone"]]);
  } finally {
    await open.stop();
  }
});

Deno.test("statefulBatch() rejects a notifyAt that is not a time, naming the step", async () => {
  for (const bad of ["soon", NaN]) {
    const flow = new Dataflow("f");
    flow.input("inp", new TestingSource<Kv>([["a", 1]]))
      .statefulBatch<number, number, null>("t", () => ({
        onBatch: () => [[], false],
        onNotify: () => [[], false],
        onEof: () => [[], true],
        notifyAt: () => bad as never,
        snapshot: () => null,
      }))
      .output("out", new TestingSink([]));
    await assert.rejects(run(flow), (error: unknown) => {
      assert.ok(error instanceof TypeError, `got ${error}`);
      assert.match(error.message, /^Cannot run step "f\.t": expected notifyAt\(\)/);
      return true;
    });
  }
});

Deno.test("statefulBatch() wraps a throwing notifyAt or onNotify in a StepError with the key", async () => {
  const boom = new Error("timer");
  for (const where of ["notifyAt", "onNotify"] as const) {
    const flow = new Dataflow("f");
    flow.input("inp", new TestingSource<Kv>([["k", 1]]))
      .statefulBatch<number, number, null>("t", () => ({
        onBatch: () => [[], false],
        onNotify: () => {
          if (where === "onNotify") throw boom;
          return [[], false];
        },
        onEof: () => [[], true],
        notifyAt: () => {
          if (where === "notifyAt") throw boom;
          return 0;
        },
        snapshot: () => null,
      }))
      .output("out", new TestingSink([]));
    await assert.rejects(run(flow, { time: new TestingTime(10) }), (error: unknown) => {
      assert.ok(error instanceof StepError, `${where}: got ${error}`);
      assert.equal(error.stepId, "f.t");
      assert.equal(error.key, "k");
      assert.equal(error.cause, boom);
      return true;
    });
  }
});

Deno.test("a logic that keeps asking for a past time fires once per millisecond of clock time, not in a loop", async () => {
  const time = new TestingTime(1_000);
  let notified = 0;
  const { out, stop } = startOpen<Kv, [string, unknown]>(
    [["k", 1]],
    (up) =>
      up.statefulBatch<number, number, null>("sb", () => ({
        onBatch: () => [[], false],
        onNotify: () => [[++notified], false],
        onEof: () => [[], false],
        notifyAt: () => 0,
        snapshot: () => null,
      })),
    time,
  );
  await waitFor(() => out.length === 1);
  await settle(20);
  // Fired once; it asks again for a past time, so it waits for the clock to move.
  assert.deepEqual(out, [["k", 1]]);
  time.advance(1);
  await waitFor(() => out.length === 2);
  await settle(20);
  assert.deepEqual(out, [["k", 1], ["k", 2]]);
  await stop();
});

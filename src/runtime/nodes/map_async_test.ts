import assert from "node:assert/strict";
import { Dataflow, StepError } from "../../../mod.ts";
import { TestingSource } from "../../../connectors/testing.ts";
import type { TestingMarker } from "../../../connectors/testing.ts";
import { outputOf } from "../../../tests/_helpers.ts";

/** Resolves after `ms`, or rejects when `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

Deno.test("mapAsync() keeps input order by default, whatever the delays", async () => {
  for (const batchSize of [1, 4]) {
    const out = await outputOf(
      [30, 5, 20, 0, 10, 1],
      (up) =>
        up.mapAsync("m", async (ms, signal) => {
          await sleep(ms, signal);
          return ms * 2;
        }),
      batchSize,
    );
    assert.deepEqual(out, [60, 10, 40, 0, 20, 2], `batchSize ${batchSize}`);
  }
});

Deno.test("mapAsync() with ordered: false emits in completion order", async () => {
  for (const batchSize of [1, 4]) {
    const out = await outputOf(
      [60, 1, 30],
      (up) =>
        up.mapAsync("m", async (ms, signal) => {
          await sleep(ms, signal);
          return ms;
        }, { ordered: false }),
      batchSize,
    );
    assert.deepEqual(out, [1, 30, 60], `batchSize ${batchSize}`);
  }
});

Deno.test("mapAsync() accepts a synchronous mapper", async () => {
  assert.deepEqual(await outputOf([1, 2, 3], (up) => up.mapAsync("m", (x) => x + 1), 2), [2, 3, 4]);
});

Deno.test("mapAsync() never has more than concurrency calls in flight, across batches", async () => {
  for (const ordered of [true, false]) {
    for (const batchSize of [1, 4]) {
      let inFlight = 0;
      let most = 0;
      const items = Array.from({ length: 12 }, (_, i) => i);
      const out = await outputOf(
        items,
        (up) =>
          up.mapAsync("m", async (x, signal) => {
            inFlight++;
            most = Math.max(most, inFlight);
            await sleep(x % 3 === 0 ? 4 : 1, signal);
            inFlight--;
            return x;
          }, { concurrency: 3, ordered }),
        batchSize,
      );
      assert.equal(most, 3, `ordered ${ordered}, batchSize ${batchSize}`);
      assert.equal(inFlight, 0);
      if (ordered) assert.deepEqual(out, items);
      else assert.deepEqual([...out].sort((a, b) => a - b), items);
    }
  }
});

Deno.test("mapAsync() with concurrency 1 runs one call at a time", async () => {
  const log: string[] = [];
  await outputOf([1, 2, 3], (up) =>
    up.mapAsync("m", async (x, signal) => {
      log.push(`start ${x}`);
      await sleep(1, signal);
      log.push(`end ${x}`);
      return x;
    }, { concurrency: 1 }), 3);
  assert.deepEqual(log, ["start 1", "end 1", "start 2", "end 2", "start 3", "end 3"]);
});

Deno.test("mapAsync() turns a rejection into a StepError with the item", async () => {
  const boom = new Error("fetch failed");
  for (const ordered of [true, false]) {
    await assert.rejects(
      outputOf([1, 2, 3, 4], (up) =>
        up.mapAsync("m", async (x, signal) => {
          await sleep(x === 3 ? 1 : 20, signal);
          if (x === 3) throw boom;
          return x;
        }, { ordered }), 4),
      (error: unknown) => {
        assert.ok(error instanceof StepError, `got ${error}`);
        assert.equal(error.stepId, "f.m");
        assert.equal(error.item, 3);
        assert.equal(error.cause, boom);
        assert.match(error.message, /^Cannot run step "f\.m"/);
        return true;
      },
    );
  }
});

Deno.test("mapAsync() turns a synchronous throw into a StepError", async () => {
  const boom = new Error("sync");
  await assert.rejects(
    outputOf([1, 2], (up) =>
      up.mapAsync("m", (x) => {
        if (x === 2) throw boom;
        return x;
      })),
    (error: unknown) => error instanceof StepError && error.item === 2 && error.cause === boom,
  );
});

Deno.test("mapAsync() emits nothing and calls nothing for empty input", async () => {
  let calls = 0;
  assert.deepEqual(
    await outputOf<number, number>([], (up) => up.mapAsync("m", (x) => (calls++, x))),
    [],
  );
  assert.equal(calls, 0);
});

Deno.test("mapAsync() keeps every item in its epoch, and epochs never decrease", async () => {
  for (const ordered of [true, false]) {
    const before = new Map<number, number>();
    const after: [number, number][] = [];
    const items: (number | TestingMarker)[] = [
      1,
      2,
      TestingSource.PAUSE(5),
      3,
      4,
      TestingSource.PAUSE(5),
      5,
      TestingSource.PAUSE(5),
      6,
    ];
    const out = await outputOf(
      items,
      (up) =>
        up.inspectDebug("before", (_id, x, epoch) => before.set(x, epoch))
          .mapAsync("m", async (x, signal) => {
            // Early items are the slowest, so later ones finish first.
            await sleep(x % 2 === 1 ? 12 : 1, signal);
            return x;
          }, { ordered, concurrency: 4 })
          .inspectDebug("after", (_id, x, epoch) => after.push([x, epoch])),
      2,
      { epochInterval: 1 },
    );
    const epochs = after.map(([, epoch]) => epoch);
    for (let i = 1; i < epochs.length; i++) {
      assert.ok(epochs[i]! >= epochs[i - 1]!, `ordered ${ordered}: epochs ${epochs}`);
    }
    assert.ok(new Set(epochs).size > 1, `ordered ${ordered}: expected several epochs`);
    for (const [x, epoch] of after) assert.equal(epoch, before.get(x), `item ${x}`);
    if (ordered) assert.deepEqual(out, [1, 2, 3, 4, 5, 6]);
    else assert.deepEqual([...out].sort(), [1, 2, 3, 4, 5, 6]);
  }
});

Deno.test("mapAsync() rejects a bad concurrency or mapper when added", () => {
  const up = new Dataflow("f").input("inp", new TestingSource<number>([]));
  assert.throws(() => up.mapAsync("m1", (x) => x, { concurrency: 0 }), RangeError);
  assert.throws(() => up.mapAsync("m2", (x) => x, { concurrency: 1.5 }), RangeError);
  assert.throws(() => up.mapAsync("m3", 3 as never), TypeError);
});

Deno.test("mapAsync() rejected when added leaves its step id free", () => {
  const up = new Dataflow("f").input("inp", new TestingSource<number>([]));
  assert.throws(() => up.mapAsync("m", (x) => x, { concurrency: 0 }), RangeError);
  up.mapAsync("m", (x) => x, { concurrency: 2 });
});

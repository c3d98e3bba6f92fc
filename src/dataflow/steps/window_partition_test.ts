import assert from "node:assert/strict";
import { Dataflow, run } from "../../../mod.ts";
import { TestingClock, TestingSink } from "../../../connectors/testing.ts";
import { EventClock } from "../time/clock.ts";
import { TumblingWindower } from "../time/windowers.ts";

const T0 = Date.UTC(2024, 0, 1);

/** A source of the given batches. */
function batches<T>(list: T[][]) {
  let next = 0;
  return { build: () => ({ nextBatch: () => list[next++] ?? null }) };
}

Deno.test("watermarkScope partition closes a key's windows once the shared watermark passes them, whichever key moved it", async () => {
  const flow = new Dataflow("f");
  const down: unknown[] = [];
  flow.input(
    "inp",
    batches<[string, number]>([
      [["a", T0 + 5_000]],
      // b's item does not move the shared watermark (500 ms): b's window closes in a later sweep.
      [["b", T0 + 1_000]],
      [["a", T0 + 20_000]],
    ]),
  ).collectWindow("w", {
    clock: EventClock((ms: number) => ms, { waitForSystemDuration: 4_500 }),
    windower: TumblingWindower({ length: 1_000, alignTo: T0 }),
    watermarkScope: "partition",
  }).down.output("out", new TestingSink(down));
  await run(flow, { clock: new TestingClock(T0) });
  assert.deepEqual(down, [
    ["a", [5, [T0 + 5_000]]],
    ["b", [1, [T0 + 1_000]]],
    ["a", [20, [T0 + 20_000]]],
  ]);
});

/** Seconds to count `keys` distinct keys, one event each, in one scope. */
async function countSeconds(keys: number, scope: "key" | "partition"): Promise<number> {
  const events: [string, number][] = new Array(keys);
  for (let i = 0; i < keys; i++) events[i] = [`k${i}`, T0 + i];
  let windows = 0;
  const flow = new Dataflow("f");
  flow.input("inp", events).countWindow("count", ([key]) => key, {
    clock: EventClock(([, ms]: [string, number]) => ms, { waitForSystemDuration: 0 }),
    windower: TumblingWindower({ length: 1_000, alignTo: T0 }),
    watermarkScope: scope,
  }).down.output("out", {
    build: () => ({ writeBatch: (batch: readonly unknown[]) => void (windows += batch.length) }),
  });
  const start = performance.now();
  await run(flow, { clock: new TestingClock(T0) });
  const seconds = (performance.now() - start) / 1000;
  assert.equal(windows, keys);
  return seconds;
}

Deno.test("watermarkScope partition costs what closes, not every key seen: 50k keys within 3x key scope", async () => {
  // A watermark rise used to visit every key ever seen: 50k keys took about 20 times as
  // long as in key scope. Best of two alternating runs each, so a busy machine weighs on both.
  const keys = 50_000;
  const perKey: number[] = [];
  const shared: number[] = [];
  for (let round = 0; round < 2; round++) {
    perKey.push(await countSeconds(keys, "key"));
    shared.push(await countSeconds(keys, "partition"));
  }
  const ratio = Math.min(...shared) / Math.min(...perKey);
  assert.ok(ratio <= 3, `partition ${shared} s against key ${perKey} s: ratio ${ratio}`);
});

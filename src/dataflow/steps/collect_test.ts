import assert from "node:assert/strict";
import { Dataflow, type KeyedStream, run } from "../../../mod.ts";
import { TestingSink, TestingSource, TestingTime } from "../../../connectors/testing.ts";
import {
  FAR_EPOCH_INTERVAL,
  outputOf,
  pushable,
  waitFor,
  watchSleeps,
} from "../../../tests/_helpers.ts";

type Kv = [string, number];

const collect3 = (up: KeyedStream<number>) => up.collect("c", { maxSize: 3, timeout: 60_000 });

Deno.test("collect() emits one key's list at maxSize and the rest at end of input", async () => {
  const items: Kv[] = [1, 2, 3, 4, 5, 6, 7].map((n) => ["a", n]);
  for (const batchSize of [1, 4]) {
    assert.deepEqual(
      await outputOf(items, collect3, batchSize),
      [["a", [1, 2, 3]], ["a", [4, 5, 6]], ["a", [7]]],
      `batchSize ${batchSize}`,
    );
  }
});

Deno.test("collect() keeps interleaved keys apart and flushes leftovers in key order", async () => {
  const items: Kv[] = [
    ["b", 1],
    ["a", 1],
    ["c", 1],
    ["b", 2],
    ["a", 2],
    ["b", 3],
    ["a", 3],
    ["b", 4],
    ["a", 4],
    ["a", 5],
  ];
  for (const batchSize of [1, 4]) {
    const out = await outputOf(items, collect3, batchSize);
    const full = out.filter(([, list]) => list.length === 3);
    assert.deepEqual(
      full.sort(([a], [b]) => a < b ? -1 : 1),
      [["a", [1, 2, 3]], ["b", [1, 2, 3]]],
      `batchSize ${batchSize}`,
    );
    // At end of input: one partial list per live key, in sorted key order.
    assert.deepEqual(out.slice(2), [["a", [4, 5]], ["b", [4]], ["c", [1]]]);
  }
});

Deno.test("collect() starts a fresh list after a flush, even within one batch", async () => {
  const items: Kv[] = [1, 2, 3, 4, 5].map((n) => ["a", n]);
  const out = await outputOf(
    items,
    (up) => up.collect("c", { maxSize: 2, timeout: 60_000 }),
    5,
  );
  assert.deepEqual(out, [["a", [1, 2]], ["a", [3, 4]], ["a", [5]]]);
});

Deno.test("collect() with maxSize 1 emits every value alone", async () => {
  const out = await outputOf<Kv, [string, number[]]>(
    [["a", 1], ["b", 2], ["a", 3]],
    (up) => up.collect("c", { maxSize: 1, timeout: 0 }),
    4,
  );
  assert.deepEqual(out, [["a", [1]], ["a", [3]], ["b", [2]]]);
});

Deno.test("collect() emits nothing for empty input and stops at EOF", async () => {
  assert.deepEqual(await outputOf<Kv, [string, number[]]>([], collect3), []);
  assert.deepEqual(
    await outputOf<Kv, [string, number[]]>(
      [["a", 1], TestingSource.EOF, ["a", 2], ["a", 3]],
      collect3,
    ),
    [["a", [1]]],
  );
});

/** Starts an open run of a hand-fed input into a collect step, on `time`, watched. */
function startCollect(options: { maxSize: number; timeout: number }, time: TestingTime) {
  const watched = watchSleeps(time);
  const input = pushable<Kv>();
  const out: [string, number[]][] = [];
  const flow = new Dataflow("f");
  flow.input("inp", input.items).collect("c", options).output("out", new TestingSink(out));
  const done = run(flow, { time: watched.time, epochInterval: FAR_EPOCH_INTERVAL });
  return { ...input, ...watched, out, done };
}

Deno.test("collect() flushes after timeout ms since the key's last item, with no new input", async () => {
  const time = new TestingTime(0);
  const open = startCollect({ maxSize: 10, timeout: 100 }, time);
  let slept = open.nextSleep();
  open.push(["a", 1]);
  assert.equal(await slept, 100); // took "a" at 0
  time.advance(60);
  slept = open.nextSleep();
  open.push(["a", 2]);
  // Took "a" again at 60: 120 ms after the first item but only 60 after the last, no flush.
  assert.equal(await slept, 160);
  time.advance(100); // 160: due
  await waitFor(() => open.out.length === 1, 10_000);
  assert.deepEqual(open.out, [["a", [1, 2]]]);
  // The key was discarded: nothing is due again, and end of input emits nothing more.
  time.advance(1_000);
  open.end();
  await open.done;
  assert.deepEqual(open.out, [["a", [1, 2]]]);
  assert.deepEqual(open.sleeps, [100, 160]);
});

Deno.test("collect() times out each key on its own clock", async () => {
  const time = new TestingTime(0);
  const open = startCollect({ maxSize: 10, timeout: 100 }, time);
  // One item at a time, each taken before time moves.
  for (const value of [1, 2]) {
    const slept = open.nextSleep();
    open.push(["a", value]);
    assert.equal(await slept, 100); // took "a" at 0
  }
  time.advance(50);
  let slept = open.nextSleep();
  open.push(["b", 3]);
  assert.equal(await slept, 100); // took "b" at 50; "a" is due first
  slept = open.nextSleep();
  time.advance(50);
  assert.equal(await slept, 150); // flushed "a" at 100; "b" is due at 150
  await waitFor(() => open.out.length === 1, 10_000);
  assert.deepEqual(open.out, [["a", [1, 2]]]);
  time.advance(50);
  await waitFor(() => open.out.length === 2, 10_000);
  assert.deepEqual(open.out[1], ["b", [3]]);
  open.end();
  await open.done;
  assert.equal(open.out.length, 2);
});

Deno.test("collect() rejects an item that is not a [key, value] pair", async () => {
  for (const bad of [7, ["a"], [3, 3]]) {
    await assert.rejects(
      outputOf<unknown, unknown>([["a", 1], bad], (up) => collect3(up as KeyedStream<number>), 4),
      (error: unknown) => {
        assert.ok(error instanceof TypeError, `got ${error}`);
        assert.match(error.message, /^Cannot run step "f\.c": expected a \[key, value\] pair/);
        return true;
      },
    );
  }
});

Deno.test("collect() rejects a bad maxSize or timeout when added", () => {
  const flow = new Dataflow("f");
  const up = flow.input("inp", new TestingSource<Kv>([]));
  assert.throws(() => up.collect("c", { maxSize: 0, timeout: 1 }), RangeError);
  assert.throws(() => up.collect("c", { maxSize: 1.5, timeout: 1 }), RangeError);
  assert.throws(() => up.collect("c", { maxSize: 2, timeout: -1 }), RangeError);
  assert.throws(() => up.collect("c", { maxSize: 2, timeout: NaN }), /timeout/);
});

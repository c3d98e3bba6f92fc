import assert from "node:assert/strict";
import { Dataflow, type KeyedStream, run, type WindowOut } from "../../../mod.ts";
import type { Source } from "../inputs.ts";
import { TestingSink, TestingSource, TestingTime } from "../../../connectors/testing.ts";
import { EventClock, SystemClock } from "../time/clock.ts";
import { SessionWindower, SlidingWindower, TumblingWindower } from "../time/windowers.ts";
import type { WindowOptions } from "./window.ts";
import { FAR_EPOCH_INTERVAL, waitFor, watchSleeps } from "../../../tests/_helpers.ts";

const T0 = Date.UTC(2023, 0, 1);
type Ev = { at: number; v: number };
const ev = (s: number, v: number): [string, Ev] => ["k", { at: T0 + s * 1000, v }];

function clockOf(waitSeconds: number) {
  return EventClock((e: Ev) => e.at, { waitForSystemDuration: waitSeconds * 1000 });
}

async function collectAll<V, W>(
  items: Source<[string, V]>,
  make: (up: KeyedStream<V>) => WindowOut<unknown, W>,
  time = new TestingTime(T0),
) {
  const down: unknown[] = [];
  const late: unknown[] = [];
  const meta: unknown[] = [];
  const flow = new Dataflow("f");
  const out = make(flow.input("inp", items));
  out.down.output("down", new TestingSink(down));
  out.late.output("late", new TestingSink(late));
  out.meta.output("meta", new TestingSink(meta));
  await run(flow, { time });
  return { down, late, meta };
}

const values = (down: unknown[]) =>
  down.map((item) => {
    const [key, [id, list]] = item as [string, [number, Ev[]]];
    return [key, id, list.map((e) => e.v)];
  });

Deno.test("collectWindow() seed example: averages per 5 s tumbling window", async () => {
  const events = [
    { user: "123", value: 5, time: "2023-01-01T00:00:00Z" },
    { user: "123", value: 7, time: "2023-01-01T00:00:01Z" },
    { user: "123", value: 2, time: "2023-01-01T00:00:07Z" },
  ];
  type E = (typeof events)[number];
  const out: unknown[] = [];
  const flow = new Dataflow("f");
  const keyed = flow.input("inp", events).keyOn("user", (e) => e.user);
  const windows = keyed.collectWindow("collect", {
    clock: EventClock((e: E) => new Date(e.time), { waitForSystemDuration: 10_000 }),
    windower: TumblingWindower({ length: 5_000, alignTo: new Date("2023-01-01T00:00:00Z") }),
  });
  windows.down
    .mapValue("avg", ([id, es]) => [id, es.reduce((s, e) => s + e.value, 0) / es.length])
    .output("out", new TestingSink(out));
  await run(flow, { time: new TestingTime(T0) });
  assert.deepEqual(out, [["123", [0, 6]], ["123", [1, 2]]]);
});

Deno.test("TumblingWindower includes an item exactly at open time and excludes one at close", async () => {
  const { down, meta } = await collectAll(
    [ev(0, 1), ev(4.999, 2), ev(5, 3), ev(10, 4)],
    (up) =>
      up.collectWindow("w", {
        clock: clockOf(0),
        windower: TumblingWindower({ length: 5000, alignTo: T0 }),
      }),
  );
  assert.deepEqual(values(down), [["k", 0, [1, 2]], ["k", 1, [3]], ["k", 2, [4]]]);
  assert.deepEqual(meta, [
    ["k", [0, { openTime: T0, closeTime: T0 + 5000, mergedIds: [] }]],
    ["k", [1, { openTime: T0 + 5000, closeTime: T0 + 10000, mergedIds: [] }]],
    ["k", [2, { openTime: T0 + 10000, closeTime: T0 + 15000, mergedIds: [] }]],
  ]);
});

Deno.test("window ids count from alignTo, negative before it", async () => {
  const { down } = await collectAll(
    [ev(-1, 1), ev(3600, 2)],
    (up) =>
      up.collectWindow("w", {
        clock: clockOf(0),
        windower: TumblingWindower({ length: 5000, alignTo: T0 }),
      }),
  );
  assert.deepEqual(values(down), [["k", -1, [1]], ["k", 720, [2]]]);
});

Deno.test("window applies out-of-order items within the wait in timestamp order", async () => {
  const { down, late } = await collectAll(
    [ev(3, 3), ev(1, 1), ev(2, 2), ev(9, 9)],
    (up) =>
      up.collectWindow("w", {
        clock: clockOf(5),
        windower: TumblingWindower({ length: 5000, alignTo: T0 }),
      }),
  );
  assert.deepEqual(values(down), [["k", 0, [1, 2, 3]], ["k", 1, [9]]]);
  assert.deepEqual(late, []);
});

Deno.test("window sends items beyond the wait to late with their window ids, and never reopens", async () => {
  const { down, late } = await collectAll(
    [ev(1, 1), ev(12, 12), ev(6, 6), ev(2, 2), ev(7, 7)],
    (up) =>
      up.collectWindow("w", {
        clock: clockOf(5),
        windower: TumblingWindower({ length: 5000, alignTo: T0 }),
      }),
  );
  // Watermark 7 s after the item at 12 s: 6 s and 2 s are late, 7 s is exactly on time.
  assert.deepEqual(values(down), [["k", 0, [1]], ["k", 1, [7]], ["k", 2, [12]]]);
  assert.deepEqual(
    late.map((x) => {
      const [k, [id, e]] = x as [string, [number, Ev]];
      return [k, id, e.v];
    }),
    [["k", 1, 6], ["k", 0, 2]],
  );
});

Deno.test("window with ordered: false applies items in arrival order", async () => {
  const { down } = await collectAll(
    [ev(3, 3), ev(1, 1)],
    (up) =>
      up.collectWindow("w", {
        clock: clockOf(5),
        windower: TumblingWindower({ length: 5000, alignTo: T0 }),
        ordered: false,
      }),
  );
  assert.deepEqual(values(down), [["k", 0, [3, 1]]]);
});

Deno.test("SlidingWindower puts an item in every overlapping window", async () => {
  const { down, meta } = await collectAll(
    [ev(0, 0), ev(5, 5), ev(12, 12)],
    (up) =>
      up.collectWindow("w", {
        clock: clockOf(0),
        windower: SlidingWindower({ length: 10_000, offset: 5_000, alignTo: T0 }),
      }),
  );
  assert.deepEqual(values(down), [
    ["k", -1, [0]],
    ["k", 0, [0, 5]],
    ["k", 1, [5, 12]],
    ["k", 2, [12]],
  ]);
  assert.deepEqual((meta[1] as [string, [number, { openTime: number }]])[1][1].openTime, T0);
});

Deno.test("SessionWindower extends sessions within the gap and merges bridged ones", async () => {
  const { down, meta } = await collectAll(
    [ev(0, 0), ev(10, 10), ev(3, 3), ev(6, 6), ev(30, 30)],
    (up) =>
      up.collectWindow("w", {
        clock: clockOf(100),
        windower: SessionWindower({ gap: 4_000 }),
        ordered: false,
      }),
  );
  // 0 → session 0; 10 → session 1; 3 extends 0; 6 bridges 0 (ends 3) and 1 (starts 10).
  assert.deepEqual(values(down), [["k", 0, [0, 3, 6, 10]], ["k", 2, [30]]]);
  assert.deepEqual(meta, [
    ["k", [0, { openTime: T0, closeTime: T0 + 10_000, mergedIds: [1] }]],
    ["k", [2, { openTime: T0 + 30_000, closeTime: T0 + 30_000, mergedIds: [] }]],
  ]);
});

Deno.test("SessionWindower closes a session once the watermark is past close + gap; late id is -1", async () => {
  const { down, late } = await collectAll(
    [ev(0, 0), ev(4, 4), ev(9, 9), ev(20, 20), ev(14, 14)],
    (up) => up.collectWindow("w", { clock: clockOf(0), windower: SessionWindower({ gap: 5_000 }) }),
  );
  // 9 is exactly gap after 4: it joins. 14 is late (watermark 20).
  assert.deepEqual(values(down), [["k", 0, [0, 4, 9]], ["k", 1, [20]]]);
  assert.deepEqual(late, [["k", [-1, ev(14, 14)[1]]]]);
});

Deno.test("window closes windows on a timer with no new input", async () => {
  const time = new TestingTime(T0);
  const watched = watchSleeps(time);
  const down: unknown[] = [];
  let seenBeforeEof: unknown[] = [];
  async function* source(): AsyncGenerator<[string, Ev]> {
    let slept = watched.nextSleep();
    yield ev(1, 1);
    // The step queued the item until the watermark passes 1 s: 1 s − 2 s + 2 s of system time.
    assert.equal(await slept, T0 + 2_000);
    slept = watched.nextSleep();
    time.advance(3_000); // watermark 2 s: the item enters window 0, which stays open
    assert.equal(await slept, T0 + 6_000); // until watermark 5 s
    assert.deepEqual(down, []);
    time.advance(3_000); // watermark 5 s: window 0 closes
    await waitFor(() => down.length > 0, 10_000);
    seenBeforeEof = [...down];
  }
  const flow = new Dataflow("f");
  flow.input("inp", source()).collectWindow("w", {
    clock: clockOf(2),
    windower: TumblingWindower({ length: 5000, alignTo: T0 }),
  }).down.output("down", new TestingSink(down));
  await run(flow, { time: watched.time, epochInterval: FAR_EPOCH_INTERVAL });
  assert.deepEqual(watched.sleeps, [T0 + 2_000, T0 + 6_000]);
  assert.deepEqual(values(seenBeforeEof), [["k", 0, [1]]]);
});

Deno.test("window closes every window at end of input", async () => {
  const { down } = await collectAll(
    [ev(1, 1), ev(100, 2)],
    (up) =>
      up.collectWindow("w", {
        clock: EventClock((e: Ev) => e.at, { waitForSystemDuration: Infinity }),
        windower: TumblingWindower({ length: 5000, alignTo: T0 }),
      }),
  );
  assert.deepEqual(values(down), [["k", 0, [1]], ["k", 20, [2]]]);
});

Deno.test("window keeps a key's watermark after its windows close", async () => {
  // Items arrive one per batch; after window 0 closes the state is empty, yet 1 s stays late.
  const { late } = await collectAll(
    [ev(1, 1), ev(20, 20), ev(2, 2)],
    (up) =>
      up.collectWindow("w", {
        clock: clockOf(0),
        windower: TumblingWindower({ length: 5000, alignTo: T0 }),
      }),
  );
  assert.deepEqual(late, [["k", [0, ev(2, 2)[1]]]]);
});

Deno.test("watermarkScope partition closes an idle key's windows when other keys move on", async () => {
  const items: [string, Ev][] = [["a", { at: T0 + 1000, v: 1 }], ["b", { at: T0 + 20_000, v: 2 }], [
    "a",
    { at: T0 + 2000, v: 3 },
  ]];
  const byScope = async (watermarkScope: "key" | "partition") =>
    (await collectAll(new TestingSource(items), (up) =>
      up.collectWindow("w", {
        clock: clockOf(0),
        windower: TumblingWindower({ length: 5000, alignTo: T0 }),
        watermarkScope,
      }))).late;
  assert.deepEqual(await byScope("key"), []);
  // "a" at 2 s comes after "b" moved the shared watermark to 20 s.
  assert.deepEqual(await byScope("partition"), [["a", [0, items[2]![1]]]]);
  const { down } = await collectAll(new TestingSource(items), (up) =>
    up.collectWindow("w", {
      clock: clockOf(0),
      windower: TumblingWindower({ length: 5000, alignTo: T0 }),
      watermarkScope: "partition",
    }));
  // "a"'s window 0 closes when "b" moves the shared watermark, before end of input.
  assert.deepEqual(values(down), [["a", 0, [1]], ["b", 4, [2]]]);
});

Deno.test("foldWindow, reduceWindow, maxWindow, minWindow aggregate per window", async () => {
  const items = [ev(0, 3), ev(1, 9), ev(2, 4), ev(6, 7)];
  const opts = (): WindowOptions<Ev> => ({
    clock: clockOf(0),
    windower: TumblingWindower({ length: 5000, alignTo: T0 }),
  });
  const sum = await collectAll(
    items,
    (up) =>
      up.foldWindow("sum", () => 0, (a, e) => a + e.v, { ...opts(), merger: (a, b) => a + b }),
  );
  assert.deepEqual(sum.down, [["k", [0, 16]], ["k", [1, 7]]]);
  const red = await collectAll(
    items,
    (up) => up.reduceWindow("red", (a, b) => ({ at: b.at, v: a.v + b.v }), opts()),
  );
  assert.deepEqual(red.down.map((x) => (x as [string, [number, Ev]])[1][1].v), [16, 7]);
  const max = await collectAll(items, (up) => up.maxWindow("max", { ...opts(), by: (e) => e.v }));
  assert.deepEqual(max.down.map((x) => (x as [string, [number, Ev]])[1][1].v), [9, 7]);
  const min = await collectAll(items, (up) => up.minWindow("min", { ...opts(), by: (e) => e.v }));
  assert.deepEqual(min.down.map((x) => (x as [string, [number, Ev]])[1][1].v), [3, 7]);
});

Deno.test("collectWindow into set and map", async () => {
  const flow = new Dataflow("f");
  const out: unknown[] = [];
  const up = flow.input(
    "inp",
    [["k", ["a", 1]], ["k", ["a", 2]], ["k", ["b", 3]]] as [string, [string, number]][],
  );
  up.collectWindow("m", {
    clock: SystemClock(),
    windower: TumblingWindower({ length: 1000, alignTo: 0 }),
    into: "map",
  })
    .down.mapValue("entries", ([, m]) => [...m]).output("out", new TestingSink(out));
  up.collectWindow("s", {
    clock: SystemClock(),
    windower: TumblingWindower({ length: 1000, alignTo: 0 }),
    into: "set",
  })
    .down.mapValue("size", ([, s]) => s.size).output("out2", new TestingSink(out));
  await run(flow, { time: new TestingTime(T0) });
  assert.deepEqual(out.sort(), [["k", 3], ["k", [["a", 2], ["b", 3]]]].sort());
});

Deno.test("countWindow keys the stream and counts per window", async () => {
  const out: unknown[] = [];
  const flow = new Dataflow("f");
  const words = flow.input("inp", [{ w: "a", at: T0 }, { w: "b", at: T0 + 1 }, {
    w: "a",
    at: T0 + 6000,
  }, { w: "a", at: T0 + 7000 }]);
  words.countWindow("count", (x: { w: string; at: number }) => x.w, {
    clock: EventClock((x: { at: number }) => x.at, { waitForSystemDuration: 0 }),
    windower: TumblingWindower({ length: 5000, alignTo: T0 }),
  }).down.output("out", new TestingSink(out));
  await run(flow, { time: new TestingTime(T0) });
  assert.deepEqual(out, [["a", [0, 1]], ["a", [1, 2]], ["b", [0, 1]]]);
});

Deno.test("joinWindow emits per window: final, complete and running", async () => {
  const byMode = async (emitMode: "final" | "complete" | "running") => {
    const out: unknown[] = [];
    const flow = new Dataflow("f");
    const left = flow.input(
      "l",
      [["k", { at: T0, v: "l1" }], ["k", { at: T0 + 6000, v: "l2" }]] as [
        string,
        { at: number; v: string },
      ][],
    );
    const right = flow.input(
      "r",
      [["k", { at: T0 + 1000, v: "r1" }]] as [string, { at: number; v: string }][],
    );
    (left as KeyedStream<unknown>).joinWindow("join", [right as KeyedStream<unknown>], {
      clock: EventClock((x: unknown) => (x as { at: number }).at, {
        waitForSystemDuration: Infinity,
      }),
      windower: TumblingWindower({ length: 5000, alignTo: T0 }),
      emitMode,
    }).down.output("out", new TestingSink(out));
    await run(flow, { time: new TestingTime(T0) });
    return out.map((x) => {
      const [, [id, row]] = x as [string, [number, ({ v: string } | undefined)[]]];
      return [id, row.map((r) => r?.v)];
    }).sort((a, b) => JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);
  };
  assert.deepEqual(await byMode("final"), [[0, ["l1", "r1"]], [1, ["l2", undefined]]]);
  assert.deepEqual(await byMode("complete"), [[0, ["l1", "r1"]]]);
  assert.deepEqual(await byMode("running"), [[0, ["l1", "r1"]], [0, ["l1", undefined]], [1, [
    "l2",
    undefined,
  ]]]);
});

Deno.test("window fails with a TypeError naming the step and item for an invalid time", async () => {
  const flow = new Dataflow("f");
  flow.input("inp", [["k", { at: "nope" }]] as [string, { at: unknown }][]).collectWindow("w", {
    clock: EventClock((x: { at: unknown }) => x.at as number, { waitForSystemDuration: 0 }),
    windower: TumblingWindower({ length: 5000, alignTo: T0 }),
  }).down.output("out", new TestingSink([]));
  await assert.rejects(run(flow, { time: new TestingTime(T0) }), (e: Error) => {
    assert.ok(e instanceof TypeError);
    assert.match(e.message, /f\.w/);
    assert.match(e.message, /nope/);
    return true;
  });
});

Deno.test("windowers reject invalid parameters with RangeError", () => {
  assert.throws(() => TumblingWindower({ length: 0, alignTo: 0 }), RangeError);
  assert.throws(() => TumblingWindower({ length: NaN, alignTo: 0 }), RangeError);
  assert.throws(() => TumblingWindower({ length: 5, alignTo: new Date("x") }), RangeError);
  assert.throws(() => SlidingWindower({ length: 5, offset: 6, alignTo: 0 }), RangeError);
  assert.throws(() => SlidingWindower({ length: 5, offset: -1, alignTo: 0 }), RangeError);
  assert.throws(() => SessionWindower({ gap: Infinity }), RangeError);
  assert.throws(() => EventClock((x: number) => x, { waitForSystemDuration: -1 }), RangeError);
});

Deno.test("SlidingWindower: an item exactly at a window's open is in it, exactly at its close is not", async () => {
  const { down } = await collectAll(
    [ev(10, 10)],
    (up) =>
      up.collectWindow("w", {
        clock: clockOf(0),
        windower: SlidingWindower({ length: 10_000, offset: 5_000, alignTo: T0 }),
      }),
  );
  // Windows 1 = [5 s, 15 s) and 2 = [10 s, 20 s); window 0 = [0 s, 10 s) closes at 10 s.
  assert.deepEqual(values(down), [["k", 1, [10]], ["k", 2, [10]]]);
});

Deno.test("joinWindow over sessions: merged sessions join both sides' values, product mode", async () => {
  const out: unknown[] = [];
  const flow = new Dataflow("f");
  type Side = [string, { at: number; v: string }];
  const left = flow.input(
    "l",
    [["k", { at: T0, v: "l0" }], ["k", { at: T0 + 5000, v: "l5" }]] as Side[],
  );
  const right = flow.input("r", [["k", { at: T0 + 10_000, v: "r10" }]] as Side[]);
  (left as KeyedStream<unknown>).joinWindow("join", [right as KeyedStream<unknown>], {
    clock: EventClock((x: unknown) => (x as { at: number }).at, {
      waitForSystemDuration: Infinity,
    }),
    windower: SessionWindower({ gap: 6_000 }),
    insertMode: "product",
    ordered: false,
  }).down.output("out", new TestingSink(out));
  await run(flow, { time: new TestingTime(T0) });
  // However the inputs interleave, 0 s, 5 s and 10 s end up in one session.
  const rows = out.map((x) => (x as [string, [number, { v: string }[]]])[1][1].map((r) => r.v));
  assert.deepEqual(rows.sort(), [["l0", "r10"], ["l5", "r10"]]);
});

Deno.test("joinWindow takes at most 31 sides, saying so when added", () => {
  const flow = new Dataflow("f");
  const sides = Array.from(
    { length: 32 },
    (_, i) => flow.input(`s${i}`, new TestingSource<[string, Ev]>([])) as KeyedStream<unknown>,
  );
  const [first, ...rest] = sides;
  const options = {
    clock: EventClock((x: unknown) => (x as Ev).at, { waitForSystemDuration: 0 }),
    windower: TumblingWindower({ length: 5000, alignTo: T0 }),
  };
  assert.throws(
    () => first!.joinWindow("jw", rest, options),
    (error: unknown) =>
      error instanceof RangeError &&
      /^Cannot add step "f\.jw": a window join takes at most 31 sides, got 32$/.test(error.message),
  );
  assert.doesNotThrow(() => first!.joinWindow("ok", rest.slice(1), options));
});

Deno.test("ordered windows apply a long in-order run in time order as the watermark passes", async () => {
  // One item a second, waiting 10 s: each item lets one queued item through, so
  // the applied head of the queue grows long before the queue is compacted.
  const seconds = Array.from({ length: 200 }, (_, i) => i);
  const shuffled = seconds.map((s) => s % 7 === 3 ? s + 2 : s % 7 === 5 ? s - 2 : s);
  const { down, late } = await collectAll(
    new TestingSource(shuffled.map((s) => ev(s, s))),
    (up) =>
      up.collectWindow("w", {
        clock: clockOf(10),
        windower: TumblingWindower({ length: 1_000_000, alignTo: T0 }),
      }),
  );
  assert.deepEqual(late, []);
  assert.deepEqual(values(down), [["k", 0, [...shuffled].sort((a, b) => a - b)]]);
});

Deno.test("countWindow names its key function when it returns no string", async () => {
  const flow = new Dataflow("f");
  const users = flow.input("inp", [{ user: "a", at: 0 }]);
  users.countWindow("count", (x) => (x as unknown as { usr: string }).usr, {
    clock: EventClock((x: { at: number }) => x.at, { waitForSystemDuration: 0 }),
    windower: TumblingWindower({ length: 10, alignTo: 0 }),
  }).down.output("out", new TestingSink());
  await assert.rejects(run(flow, { time: new TestingTime(T0) }), {
    name: "TypeError",
    message:
      'Cannot run step "f.count.key": expected the key function to return a string, got undefined',
  });
});

Deno.test("window composites do not repeat their id in their steps' paths", () => {
  const flow = new Dataflow("f");
  const options = {
    clock: EventClock((e: { at: number }) => e.at, { waitForSystemDuration: 0 }),
    windower: TumblingWindower({ length: 10, alignTo: 0 }),
  };
  const events = flow.input("inp", [{ w: "a", at: 0 }]);
  events.countWindow("count", (e) => e.w, options).down.output("counts", new TestingSink());
  const keyed = events.keyOn("key", (e) => e.w);
  keyed.joinWindow("join", [keyed], options as never).down.output("joins", new TestingSink());
  const paths = flow.nodes.map((node) => node.path);
  assert.deepEqual(paths.filter((path) => path.startsWith("f.count.")), [
    "f.count.key",
    "f.count.window",
    "f.count.down",
    "f.count.late",
    "f.count.meta",
  ]);
  assert.deepEqual(paths.filter((path) => path.startsWith("f.join.")), [
    "f.join.side_0",
    "f.join.side_1",
    "f.join.merge",
    "f.join.window",
    "f.join.down",
    "f.join.late",
    "f.join.meta",
  ]);
  for (const path of paths) {
    const segments = path.split(".");
    assert.ok(segments.every((s, i) => i === 0 || segments[i - 1] !== s), path);
  }
});

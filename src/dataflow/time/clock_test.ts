import assert from "node:assert/strict";
import { Dataflow, type KeyedStream, run, StepError, type WindowLogic } from "../../../mod.ts";
import { TestingClock, TestingSink } from "../../../connectors/testing.ts";
import { checkedEpochMs, EventClock, MAX_EPOCH_MS, type Timestamp } from "./clock.ts";
import { SessionWindower, TumblingWindower } from "./windowers.ts";

const T0 = Date.UTC(2024, 0, 1);
const ctx = { stepId: "f.w", now: () => T0 };

Deno.test("EventClock rejects NaN and an invalid Date with a TypeError showing the value", () => {
  const logic = EventClock((x: Timestamp) => x, { waitForSystemDuration: 0 }).build(undefined, ctx);
  logic.beforeBatch();
  assert.throws(() => logic.onItem(NaN), (e: Error) => {
    assert.ok(e instanceof TypeError);
    assert.match(e.message, /^Cannot run step "f\.w": expected tsGetter .* got NaN$/);
    return true;
  });
  assert.throws(() => logic.onItem(new Date("nope")), (e: Error) => {
    assert.ok(e instanceof TypeError);
    assert.match(e.message, /^Cannot run step "f\.w": .* got an invalid Date$/);
    return true;
  });
});

Deno.test("EventClock rejects ±Infinity and times beyond the Date range with a RangeError", () => {
  const logic = EventClock((x: number) => x, { waitForSystemDuration: 0 }).build(undefined, ctx);
  logic.beforeBatch();
  for (const bad of [Infinity, -Infinity, MAX_EPOCH_MS + 1, -MAX_EPOCH_MS - 1]) {
    assert.throws(() => logic.onItem(bad), (e: Error) => {
      assert.ok(e instanceof RangeError, `${bad}`);
      assert.match(e.message, /^Cannot run step "f\.w": .* within the Date range/);
      assert.ok(e.message.endsWith(`got ${bad}`), e.message);
      return true;
    });
  }
  // The ends of the range themselves are times.
  assert.deepEqual(logic.onItem(MAX_EPOCH_MS), [MAX_EPOCH_MS, MAX_EPOCH_MS]);
  assert.equal(checkedEpochMs("f.w", -MAX_EPOCH_MS, undefined), -MAX_EPOCH_MS);
  assert.equal(checkedEpochMs("f.w", new Date(5), undefined), 5);
});

// The built-in aggregations and the generic window step, each over `times`.
function windowSteps(): [string, (up: KeyedStream<number>) => { down: unknown }][] {
  const options = {
    clock: EventClock((ms: number) => ms, { waitForSystemDuration: 0 }),
    windower: TumblingWindower({ length: 60_000, alignTo: T0 }),
  };
  const last = (): WindowLogic<number, number, number> => {
    let seen = 0;
    return {
      onValue: (v) => (seen = v, []),
      onMerge: () => [],
      onClose: () => [seen],
      snapshot: () => seen,
    };
  };
  return [
    ["collectWindow", (up) => up.collectWindow("w", options)],
    ["countWindow", (up) =>
      up.countWindow("w", ([key]) => key, {
        clock: EventClock(([, ms]: [string, number]) => ms, { waitForSystemDuration: 0 }),
        windower: options.windower,
      })],
    ["window", (up) => up.window("w", last, options)],
  ];
}

async function runWith(
  make: (up: KeyedStream<number>) => { down: unknown },
  items: [string, number][],
): Promise<unknown[]> {
  const flow = new Dataflow("f");
  const down: unknown[] = [];
  (make(flow.input("inp", items)).down as KeyedStream<unknown>).output(
    "out",
    new TestingSink(down),
  );
  await run(flow, { clock: new TestingClock(T0) });
  return down;
}

Deno.test("window steps fail naming the step and the value for a time that is not one", async () => {
  for (const [name, make] of windowSteps()) {
    for (
      const [bad, type, got] of [[NaN, TypeError, "NaN"], [Infinity, RangeError, "Infinity"], [
        9e15,
        RangeError,
        "9000000000000000",
      ]] as const
    ) {
      await assert.rejects(runWith(make, [["k", T0], ["k", bad]]), (e: Error) => {
        assert.ok(e instanceof type, `${name} ${bad}: ${e}`);
        assert.ok(!(e instanceof StepError), `${name}: reported once, not wrapped`);
        assert.match(e.message, /^Cannot run step "f\.w\.[a-z.]*window"/);
        assert.ok(e.message.endsWith(`got ${got}`), `${name}: ${e.message}`);
        return true;
      });
    }
  }
});

/** Runs `fn` with console.warn captured. */
async function warnings(fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => void seen.push(args.join(" "));
  try {
    await fn();
  } finally {
    console.warn = original;
  }
  return seen;
}

Deno.test("window steps warn once per step when timestamps look like Unix seconds", async () => {
  const seconds = T0 / 1000;
  const items: [string, number][] = [];
  for (let i = 0; i < 50; i++) items.push([`k${i % 7}`, seconds + i]);
  for (const [name, make] of windowSteps()) {
    const seen = await warnings(() => runWith(make, items));
    assert.equal(seen.length, 1, `${name}: ${seen.join("\n")}`);
    assert.match(seen[0]!, /step "f\.w\.[a-z.]*window"/);
    assert.match(seen[0]!, /1704067200 \(1970-01-20T17:21:07\.200Z\)/);
    assert.match(seen[0]!, /2024-01-01T00:00:00\.000Z/);
    assert.match(seen[0]!, /multiply by 1000/);
  }
});

Deno.test("window steps do not warn for milliseconds, or when windows align to early times", async () => {
  for (const [name, make] of windowSteps()) {
    const seen = await warnings(() => runWith(make, [["k", T0], ["k", T0 + 1_000]]));
    assert.deepEqual(seen, [], name);
  }
  const early = await warnings(async () => {
    const flow = new Dataflow("f");
    flow.input("inp", [["k", 5], ["k", 9]] as [string, number][])
      .collectWindow("w", {
        clock: EventClock((ms: number) => ms, { waitForSystemDuration: 0 }),
        windower: TumblingWindower({ length: 10, alignTo: 0 }),
      }).down.output("out", new TestingSink([]));
    flow.input("inp2", [["k", 5], ["k", 9]] as [string, number][])
      .collectWindow("s", {
        clock: EventClock((ms: number) => ms, { waitForSystemDuration: 0 }),
        windower: SessionWindower({ gap: 10 }),
      }).down.output("out2", new TestingSink([]));
    await run(flow, { clock: new TestingClock(T0) });
  });
  assert.deepEqual(early, []);
});

Deno.test("joinWindow names the side's value, not its tagged pair, for a time that is not one", async () => {
  const flow = new Dataflow("f");
  type E = { at: unknown };
  const left = flow.input("l", [["k", { at: "x" }]] as [string, E][]);
  const right = flow.input("r", [] as [string, E][]);
  left.joinWindow("j", [right], {
    clock: EventClock((e) => (e as E).at as number, { waitForSystemDuration: 0 }),
    windower: TumblingWindower({ length: 1_000, alignTo: T0 }),
  }).down.output("out", new TestingSink([]));
  await assert.rejects(run(flow, { clock: new TestingClock(T0) }), (e: Error) => {
    assert.ok(e instanceof TypeError);
    assert.match(
      e.message,
      /^Cannot run step "f\.j\.window": .* for item \{"at":"x"\}, got "x"$/,
    );
    return true;
  });
});

import assert from "node:assert/strict";
import type { FoldTimers, KeyedFold, StepContext } from "../../dataflow/graph.ts";
import { TestingTime } from "../../../connectors/testing.ts";
import { toArray } from "../../../operators/to_array.ts";
import { Barrier, type Message, Watermark } from "../message.ts";
import { keyedFoldStep } from "./keyed_fold.ts";

/** Sums values per key and side; emits `[key, [side, sum]]` on every item, and the totals at end. */
const summing: KeyedFold<Map<string, number>> = {
  init: () => new Map(),
  onBatch(sums, batch, out, side) {
    for (const [key, value] of batch as [string, number][]) {
      const sum = (sums.get(key) ?? 0) + value;
      sums.set(key, sum);
      out.push([key, [side, sum]]);
    }
  },
  onEof(sums, out) {
    for (const key of [...sums.keys()].sort()) out.push([key, ["total", sums.get(key)]]);
  },
};

async function* stream(...messages: Message[]): AsyncGenerator<Message> {
  for (const message of messages) yield message;
}

const show = (messages: readonly Message[]) =>
  messages.map((m) =>
    m instanceof Barrier ? `barrier ${m.epoch}` : m instanceof Watermark ? `wm ${m.time}` : m
  );

Deno.test("keyedFoldStep folds one input in order, passes controls on, and emits at end", async () => {
  const out = await toArray(keyedFoldStep(summing as KeyedFold<unknown>, [
    stream([["a", 1], ["b", 2]], new Watermark(5), new Barrier(1), [["a", 3]]),
  ]));
  assert.deepEqual(show(out), [
    [["a", [0, 1]], ["b", [0, 2]]],
    "wm 5",
    "barrier 1",
    [["a", [0, 4]]],
    [["a", ["total", 4]], ["b", ["total", 2]]],
  ]);
});

Deno.test("keyedFoldStep tags each input's batches with its side; aligns barriers; least watermark", async () => {
  const out = await toArray(keyedFoldStep(summing as KeyedFold<unknown>, [
    stream([["a", 1]], new Watermark(10), new Barrier(1), [["a", 100]]),
    stream([["a", 2]], new Watermark(3), new Barrier(1)),
  ]));
  const shown = show(out);
  // Each barrier passes once, after both inputs reached it; the item after it comes later.
  assert.equal(shown.filter((m) => m === "barrier 1").length, 1);
  const barrierAt = shown.indexOf("barrier 1");
  const after = shown.findIndex((m) => JSON.stringify(m) === JSON.stringify([["a", [0, 103]]]));
  assert.ok(after > barrierAt, `got ${JSON.stringify(shown)}`);
  // The watermark out is the least of the inputs': 3 while input 1 is at 3; 10 once it ends.
  assert.deepEqual(shown.filter((m) => typeof m === "string" && m.startsWith("wm")), [
    "wm 3",
    "wm 10",
  ]);
  // Side 0's and side 1's values carry their side.
  const items = out.filter(Array.isArray).flat() as [string, [number | string, number]][];
  assert.deepEqual(items.filter(([, [side]]) => side === 1).length, 1);
  assert.deepEqual(items.at(-1), ["a", ["total", 103]]);
});

Deno.test("keyedFoldStep gives every run a fresh state from init()", async () => {
  const fold = summing as KeyedFold<unknown>;
  for (let run = 0; run < 2; run++) {
    const out = await toArray(keyedFoldStep(fold, [stream([["a", 1]])]));
    assert.deepEqual(out, [[["a", [0, 1]]], [["a", ["total", 1]]]], `run ${run}`);
  }
});

Deno.test("keyedFoldStep with onNotify fires due keys earliest first, after a batch and while waiting", async () => {
  const clock = new TestingTime(100);
  type State = { ctx: StepContext; timers: FoldTimers; log: string[] };
  const fold: KeyedFold<State> = {
    init: (ctx, timers) => ({ ctx, timers, log: [] }),
    onBatch(state, batch, out) {
      for (const [key, at] of batch as [string, number][]) {
        state.timers.set(key, at);
        out.push([key, `set ${at} at ${state.ctx.now()}`]);
      }
    },
    onNotify(state, key, out) {
      out.push([key, `woke at ${state.ctx.now()}`]);
      // Asking again for a time already past: woken a millisecond later, not at once.
      if (key === "b") state.timers.set(key, 0);
    },
  };
  async function* input(): AsyncGenerator<Message> {
    yield [["a", 150], ["b", 120], ["c", 100]];
    clock.advance(60); // 160: b's and then a's time pass with no new input
    await new Promise((resolve) => setTimeout(resolve, 10));
    yield [["d", 500]];
    clock.advance(1); // 161: b again, a millisecond after it asked
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const out = await toArray(
    keyedFoldStep(fold as KeyedFold<unknown>, [input()], { clock }),
  );
  assert.deepEqual(out, [
    [["a", "set 150 at 100"], ["b", "set 120 at 100"], ["c", "set 100 at 100"], [
      "c",
      "woke at 100",
    ]],
    [["b", "woke at 160"], ["a", "woke at 160"]],
    [["d", "set 500 at 160"]],
    [["b", "woke at 161"]],
  ]);
});

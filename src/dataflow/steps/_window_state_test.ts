import assert from "node:assert/strict";
import { StepError } from "../../../mod.ts";
import type { FoldTimers, StepContext } from "../graph.ts";
import { DOWN, windowFold, type WindowFoldSpec } from "./_window_state.ts";

/** A built-in tumbling count over `[key, ts]` values, with an event clock waiting `wait` ms. */
function countFold(wait: number) {
  const spec: WindowFoldSpec = {
    clock: {
      kind: "event",
      tsGetter: (value) => {
        if (typeof value !== "number") throw new Error(`no time in ${value}`);
        return value;
      },
      wait,
      nowGetter: undefined,
    },
    windower: { kind: "sliding", length: 1000, offset: 1000, alignTo: 0 },
    agg: {
      open: () => 1,
      add: (acc) => (acc as number) + 1,
      merge: (into, from) => (into as number) + (from as number),
      close: (acc, emits) => void emits.push(acc),
    },
    ordered: false,
    shared: false,
  };
  const calls: [string, number | undefined][] = [];
  const timers: FoldTimers = { set: (key, at) => void calls.push([key, at]) };
  let now = 0;
  const ctx: StepContext = { workerIndex: 0, workerCount: 1, now: () => now };
  const fold = windowFold("f.w", spec);
  const state = fold.init(ctx, timers);
  return { fold, state, calls, setNow: (t: number) => void (now = t) };
}

Deno.test("a built-in window sets a key's timer only when its time changes, and again after it fired", () => {
  const { fold, state, calls, setNow } = countFold(100);
  const out: unknown[] = [];
  fold.onBatch(state, [["a", 500]], out, 0);
  // The watermark is 400 at system time 0; window [0, 1000) closes at 1000, 600 ms on.
  assert.deepEqual(calls, [["a", 600]]);
  fold.onBatch(state, [["a", 450], ["a", 480]], out, 0);
  assert.deepEqual(calls, [["a", 600]], "the same time was set again");
  fold.onBatch(state, [["a", 550]], out, 0);
  assert.deepEqual(calls, [["a", 600], ["a", 550]], "a watermark moved on moves the timer");
  // The runtime clears the timer, then notifies; a time set then is set even if unchanged.
  fold.onNotify!(state, "a", out);
  assert.deepEqual(calls.slice(2), [["a", 550]]);
  // Set during a wake-up, the runtime may hold a later time than asked: the next one is set.
  fold.onBatch(state, [["a", 460]], out, 0);
  assert.deepEqual(calls.slice(3), [["a", 550]]);
  fold.onBatch(state, [["a", 470]], out, 0);
  assert.equal(calls.length, 4);
  // The window closes at system time 550: no timer is left, and none is cleared twice.
  setNow(550);
  fold.onNotify!(state, "a", out);
  assert.deepEqual(out, [["a", [DOWN, "a", 0, 6]], out[1]]);
  assert.deepEqual(calls.slice(4), [["a", undefined]]);
  fold.onBatch(state, [["a", 1500]], out, 0);
  assert.deepEqual(calls.slice(5), [["a", 1150]], "a key made again sets its timer");
});

Deno.test("a built-in window's error names the key and gives that key's values in the batch", () => {
  const { fold, state } = countFold(100);
  const out: unknown[] = [];
  const failure = (batch: unknown[]) => {
    try {
      fold.onBatch(state, batch, out, 0);
    } catch (error) {
      return error as Error & { item?: unknown; key?: unknown };
    }
    assert.fail("no error");
  };
  const many = failure([["a", 1], ["b", 2], ["a", 3], ["c", 4], ["a", "x"], ["b", 5]]);
  assert.ok(many instanceof StepError, String(many));
  assert.deepEqual(many.item, [1, 3, "x"]);
  assert.match(many.message, /"a"/);
  const one = failure([["b", 6], ["d", "y"]]);
  assert.equal(one.item, "y");
  assert.match(one.message, /"d"/);
});

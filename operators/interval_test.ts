import assert from "node:assert/strict";
import { interval } from "./interval.ts";
import { pipe } from "./pipe.ts";
import { take } from "./take.ts";
import { collect, takeThenBreak } from "./_test_util.ts";

Deno.test("interval() yields a single tick, 0, after ms", async () => {
  const started = performance.now();
  assert.deepEqual(await takeThenBreak(interval(20), 1), [0]);
  assert.ok(performance.now() - started >= 19);
});

Deno.test("interval() yields 0, 1, 2, … one every ms", async () => {
  const started = performance.now();
  assert.deepEqual(await collect(pipe(interval(10), take(4))), [0, 1, 2, 3]);
  assert.ok(performance.now() - started >= 39);
});

Deno.test("interval() is lazy: no timer runs until it is iterated", () => {
  // A timer started here would outlive the test and fail Deno's sanitizer.
  interval(1000);
});

Deno.test("interval() leaves no timer behind when the consumer breaks early", async () => {
  assert.deepEqual(await takeThenBreak(interval(1), 3), [0, 1, 2]);
});

Deno.test("interval() gives a slow consumer one late tick, not a burst of missed ones", async () => {
  const it = interval(20)[Symbol.asyncIterator]();
  await it.next();
  await new Promise((resolve) => setTimeout(resolve, 70));
  await it.next(); // late, so due at once
  const before = performance.now();
  await it.next();
  assert.ok(performance.now() - before >= 10, "the tick after a late one waits again");
  await it.return?.();
});

Deno.test("interval() rejects with signal.reason and clears its timer when aborted while waiting", async () => {
  const controller = new AbortController();
  const reason = new Error("stop");
  const pending = interval(10_000, { signal: controller.signal })[Symbol.asyncIterator]().next();
  controller.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
});

Deno.test("interval() rejects with signal.reason when aborted between ticks", async () => {
  const controller = new AbortController();
  const reason = new Error("stop");
  const ticks: number[] = [];
  await assert.rejects(async () => {
    for await (const tick of interval(1, { signal: controller.signal })) {
      ticks.push(tick);
      if (tick === 1) controller.abort(reason);
    }
  }, (e) => e === reason);
  assert.deepEqual(ticks, [0, 1]);
});

Deno.test("interval() yields nothing when the signal is already aborted", async () => {
  const reason = new Error("too late");
  await assert.rejects(
    collect(interval(1, { signal: AbortSignal.abort(reason) })),
    (e) => e === reason,
  );
});

Deno.test("interval() rejects a period that is not a non-negative finite number", () => {
  assert.throws(() => interval(-5), {
    name: "RangeError",
    message:
      "Cannot create interval(): ms must be a non-negative finite number of milliseconds, got -5",
  });
  assert.throws(() => interval(Infinity), { name: "RangeError" });
  assert.throws(() => interval("10" as never), { name: "TypeError" });
  assert.throws(() => interval(10, { signal: true as never }), {
    name: "TypeError",
    message: "Cannot create interval(): signal must be an AbortSignal, got boolean",
  });
});

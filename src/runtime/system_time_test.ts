import assert from "node:assert/strict";
import { Dataflow, iterate, run, type RunOptions } from "../../mod.ts";
import { TestingClock, TestingSink, TestingTime } from "../../connectors/testing.ts";
import { toArray } from "../../operators/to_array.ts";
import { runModule } from "../../tests/_runtime.ts";
import { realTime } from "./system_time.ts";

// A flow whose one item says the system time its step saw.
function stampFlow(out: unknown[] = []) {
  const flow = new Dataflow("f");
  const stamped = flow.input("inp", [["a", 1]] as [string, number][])
    .statefulBatch<number, number, null>("now", (_resume, _key, ctx) => ({
      onBatch: () => [[ctx.now()], true],
      onNotify: () => [[], false],
      onEof: () => [[], true],
      notifyAt: () => undefined,
      snapshot: () => null,
    }));
  stamped.output("out", new TestingSink(out));
  return { flow, stamped };
}

Deno.test("run() and iterate() read system time from options.time", async () => {
  const out: unknown[] = [];
  await run(stampFlow(out).flow, { time: new TestingTime(42) });
  assert.deepEqual(out, [["a", 42]]);
  const { stamped } = stampFlow();
  assert.deepEqual(await toArray(iterate(stamped, { time: new TestingTime(7) })), [
    ["a", 7],
  ]);
});

Deno.test("the deprecated options.clock and TestingClock still work", async () => {
  const out: unknown[] = [];
  const clock = new TestingClock(42);
  assert.ok(clock instanceof TestingTime);
  await run(stampFlow(out).flow, { clock });
  assert.deepEqual(out, [["a", 42]]);
  const { stamped } = stampFlow();
  assert.deepEqual(await toArray(iterate(stamped, { clock: new TestingTime(7) })), [
    ["a", 7],
  ]);
});

Deno.test("run() and iterate() refuse options.time and options.clock together", async () => {
  const options: RunOptions = { time: new TestingTime(1), clock: new TestingTime(2) };
  const refused = {
    name: "TypeError",
    message:
      "Cannot run flow: options.time and options.clock (its deprecated name) are both given; pass only time",
  };
  await assert.rejects(run(stampFlow().flow, options), refused);
  await assert.rejects(toArray(iterate(stampFlow().stamped, options)), refused);
});

Deno.test("realTime.sleepUntil() a past time resolves without a negative-timeout warning", async () => {
  const fixture = new URL("../../tests/fixtures/sleep_in_the_past.ts", import.meta.url);
  const { code, stdout, stderr } = await runModule(fixture, [], { env: { NO_COLOR: "1" } });
  assert.equal(stderr, "");
  assert.equal(stdout, "awake\n");
  assert.equal(code, 0);
});

Deno.test("realTime.sleepUntil() resolves once now() has reached the time", async () => {
  const until = realTime.now() + 20;
  await realTime.sleepUntil(until);
  assert.ok(realTime.now() >= until);
});

Deno.test("realTime.sleepUntil() rejects with the signal's reason and leaves no timer", async () => {
  const controller = new AbortController();
  const sleeping = realTime.sleepUntil(realTime.now() + 60_000, controller.signal);
  controller.abort(new Error("stop"));
  await assert.rejects(sleeping, { message: "stop" });
});

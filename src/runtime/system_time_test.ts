import assert from "node:assert/strict";
import { Dataflow, iterate, run, type RunOptions } from "../../mod.ts";
import { TestingClock, TestingSink, TestingTime } from "../../connectors/testing.ts";
import { toArray } from "../../operators/to_array.ts";

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

import assert from "node:assert/strict";
import { Dataflow, run } from "../mod.ts";
import { settle, waitFor } from "../tests/_helpers.ts";
import { TestingSink, TestingSource, TestingTime } from "./testing.ts";

Deno.test("TestingSource.PAUSE lasts on the run's clock, so a TestingTime ends it", async () => {
  const clock = new TestingTime();
  const out: number[] = [];
  const flow = new Dataflow("f");
  flow.input(
    "inp",
    new TestingSource([1, TestingSource.PAUSE(5), 2, TestingSource.PAUSE(60_000), 3]),
  )
    .output("out", new TestingSink(out));
  const done = run(flow, { time: clock });
  await settle(50);
  assert.deepEqual(out, [1], "a pause ended on real time");
  clock.advance(4);
  await settle(0);
  assert.deepEqual(out, [1], "the pause ended before its time");
  clock.advance(1);
  await waitFor(() => out.length === 2, 2_000);
  clock.advance(60_000);
  await done;
  assert.deepEqual(out, [1, 2, 3]);
});

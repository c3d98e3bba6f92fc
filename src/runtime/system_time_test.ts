import assert from "node:assert/strict";
import { runModule } from "../../tests/_runtime.ts";
import { realTime } from "./system_time.ts";

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

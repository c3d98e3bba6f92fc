import assert from "node:assert/strict";
import { toArray } from "./to_array.ts";
import { ManualSource, recordingSource } from "./_test_util.ts";

Deno.test("toArray() resolves with an empty array for an empty source", async () => {
  assert.deepEqual(await toArray(recordingSource([])), []);
});

Deno.test("toArray() collects a single item", async () => {
  assert.deepEqual(await toArray(recordingSource(["a"])), ["a"]);
});

Deno.test("toArray() collects every item in order and reads the source to its end", async () => {
  const source = recordingSource([1, 2, 3]);
  assert.deepEqual(await toArray(source), [1, 2, 3]);
  assert.equal(source.closed, true);
});

Deno.test("toArray() is eager: it starts reading as soon as it is called", async () => {
  const source = recordingSource([1]);
  const pending = toArray(source);
  assert.equal(source.started, true);
  await pending;
});

Deno.test("toArray() rejects with the source's error unchanged", async () => {
  const error = new Error("source failed");
  await assert.rejects(toArray(recordingSource([1], { error })), (e) => e === error);
});

Deno.test("toArray() rejects with signal.reason on abort and closes the source", async () => {
  const source = new ManualSource<number>();
  const controller = new AbortController();
  const reason = new Error("stop");
  const pending = toArray(source, { signal: controller.signal });
  source.push(1);
  await Promise.resolve();
  controller.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
  assert.equal(source.closed, true);
});

Deno.test("toArray() rejects at once when the signal is already aborted", async () => {
  const reason = new Error("too late");
  const source = recordingSource([1]);
  await assert.rejects(toArray(source, { signal: AbortSignal.abort(reason) }), (e) => e === reason);
  assert.equal(source.started, false);
});

Deno.test("toArray() rejects a signal that is not an AbortSignal with a TypeError", async () => {
  await assert.rejects(toArray(recordingSource([1]), { signal: "stop" as never }), {
    name: "TypeError",
    message: "Cannot create toArray(): signal must be an AbortSignal, got string",
  });
});

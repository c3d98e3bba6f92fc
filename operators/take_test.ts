import assert from "node:assert/strict";
import { abortable } from "./abortable.ts";
import { pipe } from "./pipe.ts";
import { take } from "./take.ts";
import { collect, ManualSource, recordingSource, takeThenBreak } from "./_test_util.ts";

Deno.test("take() yields nothing for an empty source", async () => {
  assert.deepEqual(await collect(pipe(recordingSource([]), take(3))), []);
});

Deno.test("take() yields a single item", async () => {
  assert.deepEqual(await collect(pipe(recordingSource([1, 2]), take(1))), [1]);
});

Deno.test("take() yields the first count items in order", async () => {
  assert.deepEqual(await collect(pipe(recordingSource([1, 2, 3, 4]), take(3))), [1, 2, 3]);
  assert.deepEqual(await collect(pipe(recordingSource([1, 2]), take(5))), [1, 2]);
});

Deno.test("take() stops pulling once count items were yielded, and closes the source", async () => {
  const source = recordingSource([1, 2, 3, 4, 5]);
  assert.deepEqual(await collect(pipe(source, take(2))), [1, 2]);
  assert.equal(source.pulled, 2);
  assert.equal(source.closed, true);
});

Deno.test("take(0) never starts the source", async () => {
  const source = recordingSource([1]);
  assert.deepEqual(await collect(pipe(source, take(0))), []);
  assert.equal(source.started, false);
});

Deno.test("take() propagates a source error unchanged", async () => {
  const error = new Error("source failed");
  await assert.rejects(collect(pipe(recordingSource([1], { error }), take(2))), (e) => e === error);
});

Deno.test("take() does not reach a source error past its count", async () => {
  const error = new Error("source failed");
  assert.deepEqual(await collect(pipe(recordingSource([1], { error }), take(1))), [1]);
});

Deno.test("take() closes the source when the consumer breaks early", async () => {
  const source = recordingSource([1, 2, 3]);
  assert.deepEqual(await takeThenBreak(pipe(source, take(3)), 1), [1]);
  assert.equal(source.closed, true);
  assert.equal(source.pulled, 1);
});

Deno.test("take() rejects with signal.reason when aborted upstream, closing the source", async () => {
  const source = new ManualSource<number>();
  const controller = new AbortController();
  const reason = new Error("stop");
  const it = pipe(source, abortable(controller.signal), take(3))[Symbol.asyncIterator]();
  const first = it.next();
  controller.abort(reason);
  await assert.rejects(first, (e) => e === reason);
  assert.equal(source.closed, true);
});

Deno.test("take() rejects a count that is not a non-negative integer", () => {
  assert.throws(() => take(-1), {
    name: "RangeError",
    message: "Cannot create take(): count must be a non-negative integer, got -1",
  });
  assert.throws(() => take(1.5), { name: "RangeError" });
  assert.throws(() => take(NaN), { name: "RangeError" });
  assert.throws(() => take("3" as never), {
    name: "TypeError",
    message: "Cannot create take(): count must be a non-negative integer, got string",
  });
});

import assert from "node:assert/strict";
import { abortable } from "./abortable.ts";
import { drop } from "./drop.ts";
import { pipe } from "./pipe.ts";
import { collect, ManualSource, recordingSource, takeThenBreak } from "./_test_util.ts";

Deno.test("drop() yields nothing for an empty source", async () => {
  assert.deepEqual(await collect(pipe(recordingSource([]), drop(1))), []);
});

Deno.test("drop() yields a single item past the count", async () => {
  assert.deepEqual(await collect(pipe(recordingSource([1, 2]), drop(1))), [2]);
  assert.deepEqual(await collect(pipe(recordingSource([1]), drop(1))), []);
});

Deno.test("drop() skips the first count items and yields the rest in order", async () => {
  assert.deepEqual(await collect(pipe(recordingSource([1, 2, 3, 4]), drop(2))), [3, 4]);
  assert.deepEqual(await collect(pipe(recordingSource([1, 2]), drop(0))), [1, 2]);
  assert.deepEqual(await collect(pipe(recordingSource([1, 2]), drop(5))), []);
});

Deno.test("drop() propagates a source error unchanged", async () => {
  const error = new Error("source failed");
  await assert.rejects(collect(pipe(recordingSource([1], { error }), drop(5))), (e) => e === error);
});

Deno.test("drop() closes the source when the consumer breaks early", async () => {
  const source = recordingSource([1, 2, 3, 4]);
  assert.deepEqual(await takeThenBreak(pipe(source, drop(1)), 1), [2]);
  assert.equal(source.closed, true);
  assert.equal(source.pulled, 2);
});

Deno.test("drop() rejects with signal.reason when aborted upstream, closing the source", async () => {
  const source = new ManualSource<number>();
  const controller = new AbortController();
  const reason = new Error("stop");
  const it = pipe(source, abortable(controller.signal), drop(2))[Symbol.asyncIterator]();
  const first = it.next();
  source.push(1); // skipped, so drop pulls again while the consumer still waits
  await Promise.resolve();
  controller.abort(reason);
  await assert.rejects(first, (e) => e === reason);
  assert.equal(source.closed, true);
});

Deno.test("drop() rejects a count that is not a non-negative integer", () => {
  assert.throws(() => drop(-2), {
    name: "RangeError",
    message: "Cannot create drop(): count must be a non-negative integer, got -2",
  });
  assert.throws(() => drop(Infinity), { name: "RangeError" });
});

import assert from "node:assert/strict";
import { abortable } from "./abortable.ts";
import { batch } from "./batch.ts";
import { pipe } from "./pipe.ts";
import { collect, ManualSource, recordingSource, settle, takeThenBreak } from "./_test_util.ts";

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

Deno.test("batch() yields no batches for an empty source", async () => {
  assert.deepEqual(await collect(pipe(recordingSource([]), batch({ size: 2, timeout: 10 }))), []);
});

Deno.test("batch() yields a single item as a final partial batch", async () => {
  assert.deepEqual(await collect(pipe(recordingSource([1]), batch({ size: 3 }))), [[1]]);
});

Deno.test("batch() emits a batch every size items, then the partial rest at the end", async () => {
  const batches = pipe(recordingSource([1, 2, 3, 4, 5]), batch({ size: 2 }));
  assert.deepEqual(await collect(batches), [[1, 2], [3, 4], [5]]);
  const ones = pipe(recordingSource([1, 2]), batch({ size: 1, timeout: 10 }));
  assert.deepEqual(await collect(ones), [[1], [2]]);
});

Deno.test("batch() emits a partial batch timeout ms after its first item", async () => {
  const source = new ManualSource<number>();
  const it = pipe(source, batch({ size: 10, timeout: 30 }))[Symbol.asyncIterator]();
  const started = performance.now();
  const first = it.next();
  source.push(1);
  await settle();
  source.push(2);
  assert.deepEqual(await first, { done: false, value: [1, 2] });
  assert.ok(performance.now() - started >= 29);
  // The pull in flight when the timer fired is kept for the next batch.
  assert.equal(source.waiting, 1);
  const second = it.next();
  source.push(3);
  await settle();
  source.end();
  assert.deepEqual(await second, { done: false, value: [3] });
  assert.deepEqual(await it.next(), { done: true, value: undefined });
  assert.equal(source.pulls, 4);
});

Deno.test("batch() emits no empty batches while the source is quiet", async () => {
  const source = new ManualSource<number>();
  const it = pipe(source, batch({ size: 10, timeout: 5 }))[Symbol.asyncIterator]();
  let settled = false;
  const first = it.next().finally(() => settled = true);
  await sleep(30);
  assert.equal(settled, false);
  source.push(1);
  assert.deepEqual(await first, { done: false, value: [1] });
  await it.return?.();
});

Deno.test("batch() propagates a source error unchanged", async () => {
  const error = new Error("source failed");
  const batches = pipe(recordingSource([1], { error }), batch({ size: 2, timeout: 10 }));
  await assert.rejects(collect(batches), (e) => e === error);
});

Deno.test("batch() closes the source when the consumer breaks early", async () => {
  const source = recordingSource([1, 2, 3, 4, 5]);
  assert.deepEqual(await takeThenBreak(pipe(source, batch({ size: 2 })), 1), [[1, 2]]);
  assert.equal(source.closed, true);
  assert.equal(source.pulled, 2);
});

Deno.test("batch() closes a busy source when the consumer breaks after a timed batch", async () => {
  const source = new ManualSource<number>();
  const it = pipe(source, batch({ size: 10, timeout: 10 }))[Symbol.asyncIterator]();
  const first = it.next();
  source.push(1);
  assert.deepEqual(await first, { done: false, value: [1] });
  assert.equal(source.waiting, 1);
  await it.return?.();
  assert.equal(source.closed, true);
});

Deno.test("batch() rejects with signal.reason and clears its timer when aborted", async () => {
  const source = new ManualSource<number>();
  const controller = new AbortController();
  const reason = new Error("stop");
  const it = pipe(source, batch({ size: 10, timeout: 10_000, signal: controller.signal }))
    [Symbol.asyncIterator]();
  const first = it.next();
  source.push(1); // starts the 10 s timer; the abort must clear it
  await settle();
  controller.abort(reason);
  await assert.rejects(first, (e) => e === reason);
  assert.equal(source.closed, true);
});

Deno.test("batch() rejects with signal.reason when aborted upstream, clearing its timer", async () => {
  const source = new ManualSource<number>();
  const controller = new AbortController();
  const reason = new Error("stop");
  const it = pipe(source, abortable(controller.signal), batch({ size: 10, timeout: 10_000 }))
    [Symbol.asyncIterator]();
  const first = it.next();
  source.push(1);
  await settle();
  controller.abort(reason);
  await assert.rejects(first, (e) => e === reason);
  assert.equal(source.closed, true);
});

Deno.test("batch() rejects options that are out of range or of the wrong type", () => {
  assert.throws(() => batch({ size: 0 }), {
    name: "RangeError",
    message: "Cannot create batch(): size must be a positive integer, got 0",
  });
  assert.throws(() => batch({ size: 2, timeout: -1 }), {
    name: "RangeError",
    message:
      "Cannot create batch(): timeout must be a non-negative finite number of milliseconds, got -1",
  });
  assert.throws(() => batch(undefined as never), {
    name: "TypeError",
    message: "Cannot create batch(): size must be a positive integer, got undefined",
  });
});

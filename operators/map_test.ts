import assert from "node:assert/strict";
import { abortable } from "./abortable.ts";
import { map } from "./map.ts";
import { pipe } from "./pipe.ts";
import { collect, ManualSource, recordingSource, takeThenBreak, thenable } from "./_test_util.ts";

Deno.test("map() yields nothing for an empty source", async () => {
  assert.deepEqual(await collect(pipe(recordingSource<number>([]), map((n) => n * 2))), []);
});

Deno.test("map() transforms a single item", async () => {
  assert.deepEqual(await collect(pipe(recordingSource([3]), map((n) => n * 2))), [6]);
});

Deno.test("map() transforms every item in order and passes its index", async () => {
  const labelled = pipe(recordingSource(["a", "b", "c"]), map((s, i) => `${i}:${s}`));
  assert.deepEqual(await collect(labelled), ["0:a", "1:b", "2:c"]);
});

Deno.test("map() awaits an async fn, and any thenable, keeping input order", async () => {
  const delays = [20, 0, 10];
  const slowFirst = map((ms: number) => new Promise<number>((r) => setTimeout(r, ms, ms)));
  assert.deepEqual(await collect(slowFirst(recordingSource(delays))), [20, 0, 10]);
  const viaThenable = pipe(recordingSource([1]), map((n) => thenable(n + 1)));
  assert.deepEqual(await collect(viaThenable), [2]);
});

Deno.test("map() is lazy: nothing runs until the stream is iterated", async () => {
  const source = recordingSource([1]);
  let calls = 0;
  const stream = pipe(source, map((n) => (calls++, n)));
  await Promise.resolve();
  assert.equal(source.started, false);
  assert.equal(calls, 0);
  await collect(stream);
  assert.equal(calls, 1);
});

Deno.test("map() propagates a source error unchanged", async () => {
  const error = new Error("source failed");
  const stream = pipe(recordingSource([1], { error }), map((n) => n));
  await assert.rejects(collect(stream), (e) => e === error);
});

Deno.test("map() propagates an error thrown by fn and closes the source", async () => {
  const error = new Error("fn failed");
  const source = recordingSource([1, 2, 3]);
  const stream = pipe(
    source,
    map(() => {
      throw error;
    }),
  );
  await assert.rejects(collect(stream), (e) => e === error);
  assert.equal(source.closed, true);
  assert.equal(source.pulled, 1);
});

Deno.test("map() closes the source when the consumer breaks early", async () => {
  const source = recordingSource([1, 2, 3]);
  assert.deepEqual(await takeThenBreak(pipe(source, map((n) => n * 2)), 1), [2]);
  assert.equal(source.closed, true);
  assert.equal(source.pulled, 1);
});

Deno.test("map() rejects with signal.reason when aborted upstream, closing the source", async () => {
  const source = new ManualSource<number>();
  const controller = new AbortController();
  const reason = new Error("stop");
  const it = pipe(source, abortable(controller.signal), map((n) => n * 2))[Symbol.asyncIterator]();
  const first = it.next();
  source.push(1);
  assert.deepEqual(await first, { done: false, value: 2 });
  const second = it.next();
  controller.abort(reason);
  await assert.rejects(second, (e) => e === reason);
  assert.equal(source.closed, true);
});

Deno.test("map() rejects a fn that is not a function with a TypeError", () => {
  assert.throws(() => map(42 as never), {
    name: "TypeError",
    message: "Cannot create map(): fn must be a function, got number",
  });
});

import assert from "node:assert/strict";
import { abortable } from "./abortable.ts";
import { pipe } from "./pipe.ts";
import { takeWhile } from "./take_while.ts";
import { collect, ManualSource, recordingSource, takeThenBreak } from "./_test_util.ts";

const small = (n: number) => n < 3;

Deno.test("takeWhile() yields nothing for an empty source", async () => {
  assert.deepEqual(await collect(pipe(recordingSource<number>([]), takeWhile(small))), []);
});

Deno.test("takeWhile() yields a single passing item", async () => {
  assert.deepEqual(await collect(pipe(recordingSource([1]), takeWhile(small))), [1]);
});

Deno.test("takeWhile() ends at the first failing item without yielding it, closing the source", async () => {
  const source = recordingSource([1, 2, 3, 1, 2]);
  assert.deepEqual(await collect(pipe(source, takeWhile(small))), [1, 2]);
  assert.equal(source.pulled, 3);
  assert.equal(source.closed, true);
});

Deno.test("takeWhile() passes the index and awaits an async predicate", async () => {
  const stream = pipe(recordingSource(["a", "b", "c"]), takeWhile(async (_, i) => await (i < 2)));
  assert.deepEqual(await collect(stream), ["a", "b"]);
});

Deno.test("takeWhile() narrows the item type with a type guard", async () => {
  const stream: AsyncIterable<number> = pipe(
    recordingSource<number | string>([1, 2, "end", 3]),
    takeWhile((x): x is number => typeof x === "number"),
  );
  assert.deepEqual(await collect(stream), [1, 2]);
});

Deno.test("takeWhile() propagates a source error unchanged", async () => {
  const error = new Error("source failed");
  const stream = pipe(recordingSource([1], { error }), takeWhile(small));
  await assert.rejects(collect(stream), (e) => e === error);
});

Deno.test("takeWhile() propagates an error thrown by the predicate and closes the source", async () => {
  const error = new Error("predicate failed");
  const source = recordingSource([1, 2]);
  const stream = pipe(
    source,
    takeWhile(() => {
      throw error;
    }),
  );
  await assert.rejects(collect(stream), (e) => e === error);
  assert.equal(source.closed, true);
});

Deno.test("takeWhile() closes the source when the consumer breaks early", async () => {
  const source = recordingSource([1, 2]);
  assert.deepEqual(await takeThenBreak(pipe(source, takeWhile(small)), 1), [1]);
  assert.equal(source.closed, true);
  assert.equal(source.pulled, 1);
});

Deno.test("takeWhile() rejects with signal.reason when aborted upstream, closing the source", async () => {
  const source = new ManualSource<number>();
  const controller = new AbortController();
  const reason = new Error("stop");
  const it = pipe(source, abortable(controller.signal), takeWhile(small))[Symbol.asyncIterator]();
  const first = it.next();
  controller.abort(reason);
  await assert.rejects(first, (e) => e === reason);
  assert.equal(source.closed, true);
});

Deno.test("takeWhile() rejects a predicate that is not a function with a TypeError", () => {
  assert.throws(() => takeWhile({} as never), {
    name: "TypeError",
    message: "Cannot create takeWhile(): predicate must be a function, got object",
  });
});

import assert from "node:assert/strict";
import { abortable } from "./abortable.ts";
import { filter } from "./filter.ts";
import { pipe } from "./pipe.ts";
import { collect, ManualSource, recordingSource, takeThenBreak, thenable } from "./_test_util.ts";

const isEven = (n: number) => n % 2 === 0;

Deno.test("filter() yields nothing for an empty source", async () => {
  assert.deepEqual(await collect(pipe(recordingSource<number>([]), filter(isEven))), []);
});

Deno.test("filter() keeps or drops a single item", async () => {
  assert.deepEqual(await collect(pipe(recordingSource([2]), filter(isEven))), [2]);
  assert.deepEqual(await collect(pipe(recordingSource([1]), filter(isEven))), []);
});

Deno.test("filter() keeps passing items in order and passes the source index", async () => {
  const evenPositions = pipe(recordingSource(["a", "b", "c", "d"]), filter((_, i) => i % 2 === 0));
  assert.deepEqual(await collect(evenPositions), ["a", "c"]);
});

Deno.test("filter() awaits an async predicate or thenable", async () => {
  const async = pipe(recordingSource([1, 2, 3, 4]), filter(async (n) => await isEven(n)));
  assert.deepEqual(await collect(async), [2, 4]);
  const viaThenable = pipe(recordingSource([1, 2]), filter((n) => thenable(n > 1)));
  assert.deepEqual(await collect(viaThenable), [2]);
});

Deno.test("filter() narrows the item type with a type guard", async () => {
  const mixed = recordingSource<string | number>(["a", 1, "b"]);
  const strings: AsyncIterable<string> = pipe(
    mixed,
    filter((x): x is string => typeof x === "string"),
  );
  assert.deepEqual(await collect(strings), ["a", "b"]);
});

Deno.test("filter() propagates a source error unchanged", async () => {
  const error = new Error("source failed");
  const stream = pipe(recordingSource([1, 2], { error }), filter(isEven));
  await assert.rejects(collect(stream), (e) => e === error);
});

Deno.test("filter() propagates an error thrown by the predicate and closes the source", async () => {
  const error = new Error("predicate failed");
  const source = recordingSource([1, 2, 3]);
  const stream = pipe(
    source,
    filter(() => {
      throw error;
    }),
  );
  await assert.rejects(collect(stream), (e) => e === error);
  assert.equal(source.closed, true);
});

Deno.test("filter() closes the source when the consumer breaks early", async () => {
  const source = recordingSource([1, 2, 3, 4]);
  assert.deepEqual(await takeThenBreak(pipe(source, filter(isEven)), 1), [2]);
  assert.equal(source.closed, true);
  assert.equal(source.pulled, 2);
});

Deno.test("filter() rejects with signal.reason when aborted upstream, closing the source", async () => {
  const source = new ManualSource<number>();
  const controller = new AbortController();
  const reason = new Error("stop");
  const it = pipe(source, abortable(controller.signal), filter(isEven))[Symbol.asyncIterator]();
  const first = it.next();
  source.push(1); // dropped, so filter pulls again while the consumer still waits
  await Promise.resolve();
  controller.abort(reason);
  await assert.rejects(first, (e) => e === reason);
  assert.equal(source.closed, true);
});

Deno.test("filter() rejects a predicate that is not a function with a TypeError", () => {
  assert.throws(() => filter(null as never), {
    name: "TypeError",
    message: "Cannot create filter(): predicate must be a function, got null",
  });
});

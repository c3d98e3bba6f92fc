import assert from "node:assert/strict";
import { abortable } from "./abortable.ts";
import { pipe } from "./pipe.ts";
import { reduce } from "./reduce.ts";
import { collect, ManualSource, recordingSource, takeThenBreak } from "./_test_util.ts";

const sum = (acc: number, n: number) => acc + n;

Deno.test("reduce() yields the seed for an empty source", async () => {
  assert.deepEqual(await collect(pipe(recordingSource<number>([]), reduce(sum, 7))), [7]);
});

Deno.test("reduce() folds a single item", async () => {
  assert.deepEqual(await collect(pipe(recordingSource([5]), reduce(sum, 10))), [15]);
});

Deno.test("reduce() yields only the final value, once, when the source ends", async () => {
  const source = recordingSource([1, 2, 3]);
  const it = pipe(source, reduce(sum, 0))[Symbol.asyncIterator]();
  assert.deepEqual(await it.next(), { done: false, value: 6 });
  assert.equal(source.closed, true);
  assert.deepEqual(await it.next(), { done: true, value: undefined });
});

Deno.test("reduce() passes the index and awaits an async reducer", async () => {
  const stream = pipe(
    recordingSource(["a", "b", "c"]),
    reduce(async (acc: string, s, i) => await `${acc}${i}${s}`, ""),
  );
  assert.deepEqual(await collect(stream), ["0a1b2c"]);
});

Deno.test("reduce() propagates a source error unchanged", async () => {
  const error = new Error("source failed");
  const stream = pipe(recordingSource([1], { error }), reduce(sum, 0));
  await assert.rejects(collect(stream), (e) => e === error);
});

Deno.test("reduce() propagates an error thrown by the reducer and closes the source", async () => {
  const error = new Error("reducer failed");
  const source = recordingSource([1, 2]);
  const stream = pipe(
    source,
    reduce((): number => {
      throw error;
    }, 0),
  );
  await assert.rejects(collect(stream), (e) => e === error);
  assert.equal(source.closed, true);
  assert.equal(source.pulled, 1);
});

Deno.test("reduce() lets the consumer break after the result", async () => {
  const source = recordingSource([1, 2]);
  assert.deepEqual(await takeThenBreak(pipe(source, reduce(sum, 0)), 1), [3]);
  assert.equal(source.closed, true);
});

Deno.test("reduce() rejects with signal.reason when aborted mid-fold, closing the source", async () => {
  const source = new ManualSource<number>();
  const controller = new AbortController();
  const reason = new Error("stop");
  const it = pipe(source, abortable(controller.signal), reduce(sum, 0))[Symbol.asyncIterator]();
  const result = it.next();
  source.push(1);
  await Promise.resolve();
  controller.abort(reason);
  await assert.rejects(result, (e) => e === reason);
  assert.equal(source.closed, true);
});

Deno.test("reduce() rejects a reducer that is not a function with a TypeError", () => {
  assert.throws(() => reduce(undefined as never, 0), {
    name: "TypeError",
    message: "Cannot create reduce(): reducer must be a function, got undefined",
  });
});

import assert from "node:assert/strict";
import { abortable } from "./abortable.ts";
import { pipe } from "./pipe.ts";
import { scan } from "./scan.ts";
import { collect, ManualSource, recordingSource, takeThenBreak, thenable } from "./_test_util.ts";

const sum = (acc: number, n: number) => acc + n;

Deno.test("scan() yields nothing for an empty source, not even the seed", async () => {
  assert.deepEqual(await collect(pipe(recordingSource<number>([]), scan(sum, 0))), []);
});

Deno.test("scan() yields one accumulation for a single item", async () => {
  assert.deepEqual(await collect(pipe(recordingSource([5]), scan(sum, 10))), [15]);
});

Deno.test("scan() yields each successive accumulation and passes the index", async () => {
  assert.deepEqual(await collect(pipe(recordingSource([1, 2, 3]), scan(sum, 0))), [1, 3, 6]);
  const indices = pipe(recordingSource(["a", "b"]), scan((acc: number[], _, i) => [...acc, i], []));
  assert.deepEqual(await collect(indices), [[0], [0, 1]]);
});

Deno.test("scan() awaits an async reducer or thenable", async () => {
  const async = pipe(recordingSource([1, 2]), scan(async (acc, n) => await sum(acc, n), 0));
  assert.deepEqual(await collect(async), [1, 3]);
  const viaThenable = pipe(recordingSource([1, 2]), scan((acc, n) => thenable(acc * 10 + n), 0));
  assert.deepEqual(await collect(viaThenable), [1, 12]);
});

Deno.test("scan() propagates a source error unchanged", async () => {
  const error = new Error("source failed");
  const stream = pipe(recordingSource([1], { error }), scan(sum, 0));
  await assert.rejects(collect(stream), (e) => e === error);
});

Deno.test("scan() propagates an error thrown by the reducer and closes the source", async () => {
  const error = new Error("reducer failed");
  const source = recordingSource([1, 2]);
  const stream = pipe(
    source,
    scan((): number => {
      throw error;
    }, 0),
  );
  await assert.rejects(collect(stream), (e) => e === error);
  assert.equal(source.closed, true);
});

Deno.test("scan() closes the source when the consumer breaks early", async () => {
  const source = recordingSource([1, 2, 3]);
  assert.deepEqual(await takeThenBreak(pipe(source, scan(sum, 0)), 2), [1, 3]);
  assert.equal(source.closed, true);
  assert.equal(source.pulled, 2);
});

Deno.test("scan() rejects with signal.reason when aborted upstream, closing the source", async () => {
  const source = new ManualSource<number>();
  const controller = new AbortController();
  const reason = new Error("stop");
  const it = pipe(source, abortable(controller.signal), scan(sum, 0))[Symbol.asyncIterator]();
  const first = it.next();
  source.push(1);
  assert.deepEqual(await first, { done: false, value: 1 });
  const second = it.next();
  controller.abort(reason);
  await assert.rejects(second, (e) => e === reason);
  assert.equal(source.closed, true);
});

Deno.test("scan() rejects a reducer that is not a function with a TypeError", () => {
  assert.throws(() => scan(1 as never, 0), {
    name: "TypeError",
    message: "Cannot create scan(): reducer must be a function, got number",
  });
});

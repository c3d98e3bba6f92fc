import assert from "node:assert/strict";
import { abortable } from "./abortable.ts";
import { filterMap } from "./filter_map.ts";
import { pipe } from "./pipe.ts";
import { collect, ManualSource, recordingSource, takeThenBreak } from "./_test_util.ts";

const parse = (text: string) => {
  const n = Number(text);
  return Number.isNaN(n) ? undefined : n;
};

Deno.test("filterMap() yields nothing for an empty source", async () => {
  assert.deepEqual(await collect(pipe(recordingSource<string>([]), filterMap(parse))), []);
});

Deno.test("filterMap() maps or drops a single item", async () => {
  assert.deepEqual(await collect(pipe(recordingSource(["4"]), filterMap(parse))), [4]);
  assert.deepEqual(await collect(pipe(recordingSource(["x"]), filterMap(parse))), []);
});

Deno.test("filterMap() drops only undefined results, keeping order and passing the index", async () => {
  const stream = pipe(
    recordingSource(["a", "b", "c", "d"]),
    filterMap((s, i) => [null, undefined, 0, `${i}${s}`][i]),
  );
  assert.deepEqual(await collect(stream), [null, 0, "3d"]);
});

Deno.test("filterMap() awaits an async fn", async () => {
  const stream = pipe(recordingSource(["1", "x", "3"]), filterMap(async (s) => await parse(s)));
  assert.deepEqual(await collect(stream), [1, 3]);
});

Deno.test("filterMap() propagates a source error unchanged", async () => {
  const error = new Error("source failed");
  const stream = pipe(recordingSource(["1"], { error }), filterMap(parse));
  await assert.rejects(collect(stream), (e) => e === error);
});

Deno.test("filterMap() propagates an error thrown by fn and closes the source", async () => {
  const error = new Error("fn failed");
  const source = recordingSource(["1", "2"]);
  const stream = pipe(
    source,
    filterMap(() => {
      throw error;
    }),
  );
  await assert.rejects(collect(stream), (e) => e === error);
  assert.equal(source.closed, true);
});

Deno.test("filterMap() closes the source when the consumer breaks early", async () => {
  const source = recordingSource(["x", "1", "2"]);
  assert.deepEqual(await takeThenBreak(pipe(source, filterMap(parse)), 1), [1]);
  assert.equal(source.closed, true);
  assert.equal(source.pulled, 2);
});

Deno.test("filterMap() rejects with signal.reason when aborted upstream, closing the source", async () => {
  const source = new ManualSource<string>();
  const controller = new AbortController();
  const reason = new Error("stop");
  const it = pipe(source, abortable(controller.signal), filterMap(parse))[Symbol.asyncIterator]();
  const first = it.next();
  source.push("x");
  await Promise.resolve();
  controller.abort(reason);
  await assert.rejects(first, (e) => e === reason);
  assert.equal(source.closed, true);
});

Deno.test("filterMap() rejects a fn that is not a function with a TypeError", () => {
  assert.throws(() => filterMap(undefined as never), {
    name: "TypeError",
    message: "Cannot create filterMap(): fn must be a function, got undefined",
  });
});

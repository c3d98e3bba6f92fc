import assert from "node:assert/strict";
import { zip } from "./zip.ts";
import { collect, ManualSource, recordingSource, settle, takeThenBreak } from "./_test_util.ts";

Deno.test("zip() of no sources ends at once", async () => {
  assert.deepEqual(await collect(zip([])), []);
});

Deno.test("zip() with an empty source yields nothing and closes the others", async () => {
  const other = recordingSource([1, 2]);
  assert.deepEqual(await collect(zip([recordingSource([]), other])), []);
  assert.equal(other.closed, true);
});

Deno.test("zip() of a single source yields one-item tuples", async () => {
  assert.deepEqual(await collect(zip([recordingSource([1, 2])])), [[1], [2]]);
});

Deno.test("zip() pairs items by position, typed as a tuple", async () => {
  const pairs: AsyncIterable<[number, string, boolean]> = zip([
    recordingSource([1, 2]),
    recordingSource(["a", "b"]),
    recordingSource([true, false]),
  ]);
  assert.deepEqual(await collect(pairs), [[1, "a", true], [2, "b", false]]);
});

Deno.test("zip() stops at the shortest source and closes the others", async () => {
  const long = recordingSource([1, 2, 3, 4]);
  const short = recordingSource(["a"]);
  assert.deepEqual(await collect(zip([long, short])), [[1, "a"]]);
  assert.equal(long.closed, true);
  assert.equal(long.pulled, 2);
});

Deno.test("zip() pulls all sources at once and waits for the slowest", async () => {
  const a = new ManualSource<number>();
  const b = new ManualSource<number>();
  const it = zip([a, b])[Symbol.asyncIterator]();
  let settled = false;
  const first = it.next().finally(() => settled = true);
  assert.deepEqual([a.waiting, b.waiting], [1, 1]);
  a.push(1);
  await settle();
  assert.equal(settled, false);
  b.push(2);
  assert.deepEqual(await first, { done: false, value: [1, 2] });
  await it.return?.();
  assert.deepEqual([a.closed, b.closed], [true, true]);
});

Deno.test("zip() rejects with a source's error unchanged and closes the other sources", async () => {
  const error = new Error("source failed");
  const other = new ManualSource<number>();
  await assert.rejects(collect(zip([recordingSource([], { error }), other])), (e) => e === error);
  assert.equal(other.closed, true);
});

Deno.test("zip() closes every source when the consumer breaks early", async () => {
  const a = recordingSource([1, 2, 3]);
  const b = recordingSource([4, 5, 6]);
  assert.deepEqual(await takeThenBreak(zip([a, b]), 1), [[1, 4]]);
  await settle();
  assert.deepEqual([a.closed, b.closed], [true, true]);
});

Deno.test("zip() rejects with signal.reason when aborted and closes every source", async () => {
  const a = new ManualSource<number>();
  const b = new ManualSource<number>();
  const controller = new AbortController();
  const reason = new Error("stop");
  const pending = zip([a, b], { signal: controller.signal })[Symbol.asyncIterator]().next();
  a.push(1);
  controller.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
  assert.deepEqual([a.closed, b.closed], [true, true]);
});

Deno.test("zip() starts no further round after an abort between tuples", async () => {
  const a = recordingSource([1, 2, 3]);
  const controller = new AbortController();
  const reason = new Error("stop");
  await assert.rejects(async () => {
    for await (const _ of zip([a], { signal: controller.signal })) controller.abort(reason);
  }, (e) => e === reason);
  assert.equal(a.pulled, 1);
  assert.equal(a.closed, true);
});

Deno.test("zip() starts no source when the signal is already aborted", async () => {
  const source = recordingSource([1]);
  const reason = new Error("too late");
  await assert.rejects(
    collect(zip([source], { signal: AbortSignal.abort(reason) })),
    (e) => e === reason,
  );
  assert.equal(source.started, false);
});

Deno.test("zip() rejects sources that are not an array of async iterables", () => {
  assert.throws(() => zip("ab" as never), {
    name: "TypeError",
    message: "Cannot create zip(): sources must be an array of async iterables, got string",
  });
  assert.throws(() => zip([[1, 2] as never]), {
    name: "TypeError",
    message: "Cannot create zip(): sources[0] must be an async iterable, got array",
  });
});

import assert from "node:assert/strict";
import { merge } from "./merge.ts";
import { collect, ManualSource, recordingSource, settle, takeThenBreak } from "./_test_util.ts";

Deno.test("merge() of no sources ends at once", async () => {
  assert.deepEqual(await collect(merge([])), []);
});

Deno.test("merge() of empty sources yields nothing", async () => {
  assert.deepEqual(await collect(merge([recordingSource([]), recordingSource([])])), []);
});

Deno.test("merge() of a single source yields its items", async () => {
  assert.deepEqual(await collect(merge([recordingSource([1, 2])])), [1, 2]);
});

Deno.test("merge() yields every item of every source, keeping each source's order", async () => {
  const items = await collect(merge([recordingSource([1, 2, 3]), recordingSource(["a", "b"])]));
  assert.equal(items.length, 5);
  assert.deepEqual(items.filter((x) => typeof x === "number"), [1, 2, 3]);
  assert.deepEqual(items.filter((x) => typeof x === "string"), ["a", "b"]);
});

Deno.test("merge() yields items in arrival order across sources", async () => {
  const a = new ManualSource<string>();
  const b = new ManualSource<string>();
  const it = merge([a, b])[Symbol.asyncIterator]();
  let next = it.next();
  b.push("b1");
  assert.deepEqual(await next, { done: false, value: "b1" });
  next = it.next();
  a.push("a1");
  assert.deepEqual(await next, { done: false, value: "a1" });
  next = it.next();
  b.push("b2");
  assert.deepEqual(await next, { done: false, value: "b2" });
  await it.return?.();
});

Deno.test("merge() keeps at most one pull in flight per source, pulling again only on demand", async () => {
  const a = new ManualSource<string>();
  const b = new ManualSource<string>();
  const it = merge([a, b])[Symbol.asyncIterator]();
  const first = it.next();
  assert.deepEqual([a.pulls, b.pulls], [1, 1]);
  a.push("a1");
  assert.deepEqual(await first, { done: false, value: "a1" });
  b.push("b1"); // arrives while the consumer is busy: held, not followed by another pull
  await settle();
  assert.deepEqual([a.pulls, b.pulls], [1, 1]);
  assert.deepEqual(await it.next(), { done: false, value: "b1" });
  assert.deepEqual([a.pulls, b.pulls], [2, 1]);
  await it.return?.();
});

Deno.test("merge() ends only when every source has ended", async () => {
  const a = new ManualSource<number>();
  const b = new ManualSource<number>();
  const it = merge([a, b])[Symbol.asyncIterator]();
  const next = it.next();
  a.end();
  b.push(1);
  assert.deepEqual(await next, { done: false, value: 1 });
  const last = it.next();
  await settle();
  b.end();
  assert.deepEqual(await last, { done: true, value: undefined });
  assert.equal(a.closed || b.closed, false, "ended sources are not closed again");
});

Deno.test("merge() rejects with a source's error unchanged and closes the other sources", async () => {
  const error = new Error("source failed");
  const other = new ManualSource<number>();
  const pending = collect(merge([recordingSource([1], { error }), other]));
  await assert.rejects(pending, (e) => e === error);
  assert.equal(other.closed, true);
});

Deno.test("merge() closes every source when the consumer breaks early, busy ones included", async () => {
  const quiet = new ManualSource<number>();
  const busy = recordingSource([1, 2, 3]);
  assert.deepEqual(await takeThenBreak(merge([quiet, busy]), 1), [1]);
  assert.equal(quiet.closed, true, "a source with a pull in flight is closed without waiting");
  await settle();
  assert.equal(busy.closed, true);
});

Deno.test("merge() rejects with signal.reason when aborted and closes every source", async () => {
  const a = new ManualSource<number>();
  const b = new ManualSource<number>();
  const controller = new AbortController();
  const reason = new Error("stop");
  const pending = merge([a, b], { signal: controller.signal })[Symbol.asyncIterator]().next();
  controller.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
  assert.deepEqual([a.closed, b.closed], [true, true]);
});

Deno.test("merge() rejects with signal.reason after an abort, even with items waiting", async () => {
  const a = new ManualSource<number>();
  const b = new ManualSource<number>();
  const controller = new AbortController();
  const reason = new Error("stop");
  const it = merge([a, b], { signal: controller.signal })[Symbol.asyncIterator]();
  const first = it.next();
  a.push(1);
  b.push(2);
  assert.deepEqual(await first, { done: false, value: 1 });
  controller.abort(reason);
  await assert.rejects(it.next(), (e) => e === reason);
  assert.deepEqual([a.pulls, a.closed, b.closed], [1, true, true]);
});

Deno.test("merge() starts no source when the signal is already aborted", async () => {
  const source = recordingSource([1]);
  const reason = new Error("too late");
  await assert.rejects(
    collect(merge([source], { signal: AbortSignal.abort(reason) })),
    (e) => e === reason,
  );
  assert.equal(source.started, false);
});

Deno.test("merge() rejects sources that are not an array of async iterables", () => {
  assert.throws(() => merge(recordingSource([1]) as never), {
    name: "TypeError",
    message: "Cannot create merge(): sources must be an array of async iterables, got object",
  });
  assert.throws(() => merge([recordingSource([1]), 2 as never]), {
    name: "TypeError",
    message: "Cannot create merge(): sources[1] must be an async iterable, got number",
  });
});

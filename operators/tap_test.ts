import assert from "node:assert/strict";
import { abortable } from "./abortable.ts";
import { pipe } from "./pipe.ts";
import { tap } from "./tap.ts";
import { collect, ManualSource, recordingSource, takeThenBreak } from "./_test_util.ts";

Deno.test("tap() yields nothing and calls nothing for an empty source", async () => {
  let calls = 0;
  assert.deepEqual(await collect(pipe(recordingSource([]), tap(() => calls++))), []);
  assert.equal(calls, 0);
});

Deno.test("tap() sees and passes on a single item", async () => {
  const seen: number[] = [];
  assert.deepEqual(await collect(pipe(recordingSource([1]), tap((n) => seen.push(n)))), [1]);
  assert.deepEqual(seen, [1]);
});

Deno.test("tap() yields every item unchanged, calling fn with item and index first", async () => {
  const seen: string[] = [];
  const stream = pipe(recordingSource(["a", "b"]), tap((s, i) => seen.push(`${i}:${s}`)));
  assert.deepEqual(await collect(stream), ["a", "b"]);
  assert.deepEqual(seen, ["0:a", "1:b"]);
});

Deno.test("tap() finishes an async fn before the item moves on", async () => {
  const events: string[] = [];
  const stream = pipe(
    recordingSource([1, 2]),
    tap(async (n) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      events.push(`tapped ${n}`);
    }),
  );
  for await (const n of stream) events.push(`got ${n}`);
  assert.deepEqual(events, ["tapped 1", "got 1", "tapped 2", "got 2"]);
});

Deno.test("tap() propagates a source error unchanged", async () => {
  const error = new Error("source failed");
  const stream = pipe(recordingSource([1], { error }), tap(() => {}));
  await assert.rejects(collect(stream), (e) => e === error);
});

Deno.test("tap() propagates an error thrown by fn and closes the source", async () => {
  const error = new Error("fn failed");
  const source = recordingSource([1, 2]);
  const stream = pipe(
    source,
    tap(() => {
      throw error;
    }),
  );
  await assert.rejects(collect(stream), (e) => e === error);
  assert.equal(source.closed, true);
});

Deno.test("tap() closes the source when the consumer breaks early", async () => {
  const source = recordingSource([1, 2, 3]);
  assert.deepEqual(await takeThenBreak(pipe(source, tap(() => {})), 1), [1]);
  assert.equal(source.closed, true);
  assert.equal(source.pulled, 1);
});

Deno.test("tap() rejects with signal.reason when aborted upstream, closing the source", async () => {
  const source = new ManualSource<number>();
  const controller = new AbortController();
  const reason = new Error("stop");
  const it = pipe(source, abortable(controller.signal), tap(() => {}))[Symbol.asyncIterator]();
  const first = it.next();
  controller.abort(reason);
  await assert.rejects(first, (e) => e === reason);
  assert.equal(source.closed, true);
});

Deno.test("tap() rejects a fn that is not a function with a TypeError", () => {
  assert.throws(() => tap([] as never), {
    name: "TypeError",
    message: "Cannot create tap(): fn must be a function, got array",
  });
});

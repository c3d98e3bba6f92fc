import assert from "node:assert/strict";
import { abortable } from "./abortable.ts";
import { pipe } from "./pipe.ts";
import {
  collect,
  ManualSource,
  recordingSource,
  settle,
  takeThenBreak,
  withResolvers,
} from "./_test_util.ts";

Deno.test("abortable() ends with an empty source", async () => {
  const signal = new AbortController().signal;
  assert.deepEqual(await collect(pipe(recordingSource([]), abortable(signal))), []);
});

Deno.test("abortable() passes a single item through", async () => {
  const signal = new AbortController().signal;
  assert.deepEqual(await collect(pipe(recordingSource([1]), abortable(signal))), [1]);
});

Deno.test("abortable() passes every item through in order until the source ends", async () => {
  const signal = new AbortController().signal;
  const source = recordingSource([1, 2, 3]);
  assert.deepEqual(await collect(pipe(source, abortable(signal))), [1, 2, 3]);
  assert.equal(source.closed, true);
});

Deno.test("abortable() rejects with signal.reason and never starts the source if already aborted", async () => {
  const reason = new Error("too late");
  const source = recordingSource([1]);
  await assert.rejects(
    collect(pipe(source, abortable(AbortSignal.abort(reason)))),
    (e) => e === reason,
  );
  assert.equal(source.started, false);
});

Deno.test("abortable() rejects a waiting pull at once, without waiting for the source", async () => {
  const source = new ManualSource<number>();
  const controller = new AbortController();
  const reason = new Error("stop");
  const pending = pipe(source, abortable(controller.signal))[Symbol.asyncIterator]().next();
  assert.equal(source.waiting, 1);
  controller.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
  assert.equal(source.closed, true);
});

Deno.test("abortable() rejects the next pull after an abort between items, closing the source", async () => {
  const controller = new AbortController();
  const reason = new Error("stop");
  const source = recordingSource([1, 2, 3]);
  const seen: number[] = [];
  await assert.rejects(async () => {
    for await (const n of pipe(source, abortable(controller.signal))) {
      seen.push(n);
      controller.abort(reason);
    }
  }, (e) => e === reason);
  assert.deepEqual(seen, [1]);
  assert.equal(source.closed, true);
  assert.equal(source.pulled, 1);
});

Deno.test("abortable() rejects with an AbortError when aborted without a reason", async () => {
  const controller = new AbortController();
  const pending = pipe(new ManualSource<number>(), abortable(controller.signal))
    [Symbol.asyncIterator]().next();
  controller.abort();
  await assert.rejects(pending, { name: "AbortError" });
});

Deno.test("abortable() closes a busy generator source once its pending work settles", async () => {
  const gate = withResolvers<void>();
  let closed = false;
  async function* slow() {
    try {
      await gate.promise;
      yield 1;
    } finally {
      closed = true;
    }
  }
  const controller = new AbortController();
  const pending = pipe(slow(), abortable(controller.signal))[Symbol.asyncIterator]().next();
  controller.abort(new Error("stop"));
  await assert.rejects(pending, { message: "stop" });
  assert.equal(closed, false);
  gate.resolve();
  await settle();
  assert.equal(closed, true);
});

Deno.test("abortable() propagates a source error unchanged", async () => {
  const error = new Error("source failed");
  const signal = new AbortController().signal;
  await assert.rejects(
    collect(pipe(recordingSource([1], { error }), abortable(signal))),
    (e) => e === error,
  );
});

Deno.test("abortable() closes the source when the consumer breaks early", async () => {
  const signal = new AbortController().signal;
  const source = recordingSource([1, 2, 3]);
  assert.deepEqual(await takeThenBreak(pipe(source, abortable(signal)), 1), [1]);
  assert.equal(source.closed, true);
  assert.equal(source.pulled, 1);
});

Deno.test("abortable() rejects a signal that is not an AbortSignal with a TypeError", () => {
  assert.throws(() => abortable({} as never), {
    name: "TypeError",
    message: "Cannot create abortable(): signal must be an AbortSignal, got object",
  });
});

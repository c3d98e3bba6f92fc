import assert from "node:assert/strict";
import { abortable } from "./abortable.ts";
import { fromIterable } from "./from_iterable.ts";
import { pipe } from "./pipe.ts";
import { collect, recordingSource, takeThenBreak } from "./_test_util.ts";

Deno.test("fromIterable() yields nothing for an empty iterable", async () => {
  assert.deepEqual(await collect(fromIterable([])), []);
});

Deno.test("fromIterable() yields a single item", async () => {
  assert.deepEqual(await collect(fromIterable(["only"])), ["only"]);
});

Deno.test("fromIterable() yields every item in order from arrays, sets, strings and generators", async () => {
  assert.deepEqual(await collect(fromIterable([1, 2, 3])), [1, 2, 3]);
  assert.deepEqual(await collect(fromIterable(new Set(["a", "b"]))), ["a", "b"]);
  assert.deepEqual(await collect(fromIterable("hi")), ["h", "i"]);
  assert.deepEqual(
    await collect(fromIterable((function* () {
      yield* [4, 5];
    })())),
    [4, 5],
  );
});

Deno.test("fromIterable() accepts an async iterable and awaits promised items", async () => {
  assert.deepEqual(await collect(fromIterable(recordingSource([1, 2]))), [1, 2]);
  assert.deepEqual(await collect(fromIterable([Promise.resolve(1), 2])), [1, 2]);
});

Deno.test("fromIterable() is lazy: a generator advances one item per pull", async () => {
  let produced = 0;
  function* counting() {
    while (true) yield produced++;
  }
  const stream = fromIterable(counting());
  assert.equal(produced, 0);
  assert.deepEqual(await takeThenBreak(stream, 2), [0, 1]);
  assert.equal(produced, 2);
});

Deno.test("fromIterable() propagates an iterable's error unchanged", async () => {
  const error = new Error("iterable failed");
  function* failing() {
    yield 1;
    throw error;
  }
  await assert.rejects(collect(fromIterable(failing())), (e) => e === error);
});

Deno.test("fromIterable() runs a generator's finally when the consumer breaks early", async () => {
  let closed = false;
  function* numbers() {
    try {
      yield* [1, 2, 3];
    } finally {
      closed = true;
    }
  }
  assert.deepEqual(await takeThenBreak(fromIterable(numbers()), 1), [1]);
  assert.equal(closed, true);
});

Deno.test("fromIterable() stops with signal.reason under abortable(), closing the generator", async () => {
  let closed = false;
  function* numbers() {
    try {
      yield* [1, 2, 3];
    } finally {
      closed = true;
    }
  }
  const controller = new AbortController();
  const reason = new Error("stop");
  const seen: number[] = [];
  await assert.rejects(async () => {
    for await (const n of pipe(fromIterable(numbers()), abortable(controller.signal))) {
      seen.push(n);
      controller.abort(reason);
    }
  }, (e) => e === reason);
  assert.deepEqual(seen, [1]);
  assert.equal(closed, true);
});

Deno.test("fromIterable() rejects a value that is not iterable with a TypeError", () => {
  assert.throws(() => fromIterable(42 as never), {
    name: "TypeError",
    message:
      "Cannot create fromIterable(): iterable must be an iterable or async iterable, got number",
  });
  assert.throws(() => fromIterable(null as never), { name: "TypeError" });
});

import assert from "node:assert/strict";
import { abortable } from "./abortable.ts";
import { flatMap } from "./flat_map.ts";
import { pipe } from "./pipe.ts";
import { collect, ManualSource, recordingSource, takeThenBreak } from "./_test_util.ts";

const twice = (n: number) => [n, n];

Deno.test("flatMap() yields nothing for an empty source", async () => {
  assert.deepEqual(await collect(pipe(recordingSource<number>([]), flatMap(twice))), []);
});

Deno.test("flatMap() expands a single item", async () => {
  assert.deepEqual(await collect(pipe(recordingSource([7]), flatMap(twice))), [7, 7]);
});

Deno.test("flatMap() drains each inner iterable in source order and passes the index", async () => {
  const stream = pipe(recordingSource(["a", "b", "c"]), flatMap((s, i) => Array(i).fill(s)));
  assert.deepEqual(await collect(stream), ["b", "c", "c"]);
});

Deno.test("flatMap() accepts generators, async iterables and promises of them", async () => {
  const stream = pipe(
    recordingSource([1, 2, 3]),
    flatMap((n) => {
      if (n === 1) {
        return (function* () {
          yield "sync";
        })();
      }
      if (n === 2) {
        return (async function* () {
          yield "async";
        })();
      }
      return Promise.resolve(["promised"]);
    }),
  );
  assert.deepEqual(await collect(stream), ["sync", "async", "promised"]);
});

Deno.test("flatMap() propagates a source error unchanged", async () => {
  const error = new Error("source failed");
  const stream = pipe(recordingSource([1], { error }), flatMap(twice));
  await assert.rejects(collect(stream), (e) => e === error);
});

Deno.test("flatMap() propagates an error thrown by fn or by an inner iterable", async () => {
  const error = new Error("fn failed");
  const source = recordingSource([1, 2]);
  const throwing = flatMap(() => {
    throw error;
  });
  await assert.rejects(collect(throwing(source)), (e) => e === error);
  assert.equal(source.closed, true);

  const innerError = new Error("inner failed");
  const failingInner = flatMap(async function* (n: number) {
    yield n;
    throw innerError;
  });
  await assert.rejects(collect(failingInner(recordingSource([1]))), (e) => e === innerError);
});

Deno.test("flatMap() closes the inner iterable and the source when the consumer breaks early", async () => {
  const source = recordingSource([1, 2]);
  let innerClosed = false;
  const stream = pipe(
    source,
    flatMap(function* (n) {
      try {
        yield n;
        yield n;
      } finally {
        innerClosed = true;
      }
    }),
  );
  assert.deepEqual(await takeThenBreak(stream, 1), [1]);
  assert.equal(innerClosed, true);
  assert.equal(source.closed, true);
  assert.equal(source.pulled, 1);
});

Deno.test("flatMap() rejects with signal.reason when aborted upstream, closing the source", async () => {
  const source = new ManualSource<number>();
  const controller = new AbortController();
  const reason = new Error("stop");
  const it = pipe(source, abortable(controller.signal), flatMap(twice))[Symbol.asyncIterator]();
  const first = it.next();
  source.push(1);
  assert.deepEqual(await first, { done: false, value: 1 });
  assert.deepEqual(await it.next(), { done: false, value: 1 });
  const third = it.next();
  controller.abort(reason);
  await assert.rejects(third, (e) => e === reason);
  assert.equal(source.closed, true);
});

Deno.test("flatMap() rejects a fn that is not a function with a TypeError", () => {
  assert.throws(() => flatMap("x" as never), {
    name: "TypeError",
    message: "Cannot create flatMap(): fn must be a function, got string",
  });
});

import assert from "node:assert/strict";
import { filter as ixFilter, map as ixMap } from "ix/asynciterable/operators";
import { abortable } from "./abortable.ts";
import { filter } from "./filter.ts";
import { map } from "./map.ts";
import { pipe } from "./pipe.ts";
import { collect, ManualSource, recordingSource, takeThenBreak } from "./_test_util.ts";

const increment = map((n: number) => n + 1);

Deno.test("pipe() with no operators returns the source itself", () => {
  const source = recordingSource([1]);
  assert.equal(pipe(source), source);
});

Deno.test("pipe() yields nothing for an empty source", async () => {
  assert.deepEqual(await collect(pipe(recordingSource<number>([]), increment, increment)), []);
});

Deno.test("pipe() passes a single item through every operator", async () => {
  assert.deepEqual(await collect(pipe(recordingSource([1]), increment, increment)), [3]);
});

Deno.test("pipe() applies operators left to right", async () => {
  const stream = pipe(
    recordingSource([1, 2, 3]),
    map((n) => n * 10),
    map((n) => `${n}!`),
    filter((s) => s !== "20!"),
  );
  assert.deepEqual(await collect(stream), ["10!", "30!"]);
});

Deno.test("pipe() infers item types through ten operators", async () => {
  const toText = map((n: number) => String(n));
  const toLength = map((s: string) => s.length);
  const result: AsyncIterable<string> = pipe(
    recordingSource([100]),
    toText,
    toLength,
    toText,
    toLength,
    toText,
    toLength,
    toText,
    toLength,
    toText,
    map((s) => s.toUpperCase()),
  );
  assert.deepEqual(await collect(result), ["1"]);
});

Deno.test("pipe() accepts more than ten operators, typed as unknown", async () => {
  const i = increment;
  const result: AsyncIterable<unknown> = pipe(
    recordingSource([0]),
    i,
    i,
    i,
    i,
    i,
    i,
    i,
    i,
    i,
    i,
    i,
  );
  assert.deepEqual(await collect(result), [11]);
});

Deno.test("pipe() rejects, at compile time, an operator whose input type does not match", () => {
  // @ts-expect-error: the source yields numbers, the operator reads strings
  const mismatched = () => pipe(recordingSource([1]), map((s: string) => s.length));
  assert.equal(typeof mismatched, "function");
});

Deno.test("pipe() mixes ix operators with runnel operators", async () => {
  const stream = pipe(
    recordingSource([1, 2, 3, 4]),
    ixFilter((n: number) => n % 2 === 0),
    map((n) => n * 10),
    ixMap((n: number) => `#${n}`),
  );
  assert.deepEqual(await collect(stream), ["#20", "#40"]);
});

Deno.test("pipe() accepts a plain async generator function as an operator", async () => {
  async function* pairs(source: AsyncIterable<number>): AsyncGenerator<[number, number]> {
    let previous: number | undefined;
    for await (const n of source) {
      if (previous !== undefined) yield [previous, n];
      previous = n;
    }
  }
  assert.deepEqual(await collect(pipe(recordingSource([1, 2, 3]), pairs)), [[1, 2], [2, 3]]);
});

Deno.test("pipe() is lazy: nothing runs until the result is iterated", async () => {
  const source = recordingSource([1]);
  let calls = 0;
  const stream = pipe(source, map((n) => (calls++, n)), increment);
  await Promise.resolve();
  assert.equal(source.started, false);
  assert.equal(calls, 0);
  assert.deepEqual(await collect(stream), [2]);
});

Deno.test("pipe() propagates a source error unchanged through every stage", async () => {
  const error = new Error("source failed");
  const stream = pipe(recordingSource([1], { error }), increment, ixMap((n: number) => n));
  await assert.rejects(collect(stream), (e) => e === error);
});

Deno.test("pipe() propagates a callback error unchanged and closes the source", async () => {
  const error = new Error("callback failed");
  const source = recordingSource([1, 2]);
  const failing = map(() => {
    throw error;
  });
  await assert.rejects(collect(pipe(source, increment, failing, increment)), (e) => e === error);
  assert.equal(source.closed, true);
});

Deno.test("pipe() closes the source through every stage when the consumer breaks early", async () => {
  const source = recordingSource([1, 2, 3]);
  const stream = pipe(source, increment, ixMap((n: number) => n), increment);
  assert.deepEqual(await takeThenBreak(stream, 1), [3]);
  assert.equal(source.closed, true);
  assert.equal(source.pulled, 1);
});

Deno.test("pipe() unwinds every stage with signal.reason when abortable() follows the source", async () => {
  const source = new ManualSource<number>();
  const controller = new AbortController();
  const reason = new Error("stop");
  const stream = pipe(source, abortable(controller.signal), increment, filter(() => false));
  const pending = collect(stream);
  source.push(1);
  await Promise.resolve();
  controller.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
  assert.equal(source.closed, true);
});

Deno.test("pipe() rejects an operator that is not a function with a TypeError", () => {
  assert.throws(() => pipe(recordingSource([1]), increment, undefined as never), {
    name: "TypeError",
    message: "Cannot create pipe(): operators[1] must be a function, got undefined",
  });
});

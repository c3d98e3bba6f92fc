import assert from "node:assert/strict";
import { filter as ixFilter, map as ixMap } from "ix/asynciterable/operators";
import { Dataflow, type KeyedStream, run, StepError, type Stream } from "../../mod.ts";
import { TestingSink, TestingSource, TestingTime } from "../../connectors/testing.ts";
import type { DynamicSource } from "./inputs.ts";
import { outputOf, pushable, settle, waitFor } from "../../tests/_helpers.ts";

/** Seven items: with `batchSize: 3` they arrive as batches of 3, 3 and 1. */
const MANY = [1, 2, 3, 4, 5, 6, 7];
const KEYED_MANY: [string, number][] = MANY.map((n) => [n % 2 === 0 ? "even" : "odd", n]);

/** Asserts the output for `items` is `expected`, with one-item batches and with batches of 3. */
async function assertOutput<T, U>(
  items: readonly T[],
  build: (up: Stream<T>) => Stream<U>,
  expected: readonly U[],
): Promise<void> {
  for (const batchSize of [1, 3]) {
    assert.deepEqual(await outputOf(items, build, batchSize), expected, `batchSize ${batchSize}`);
  }
}

/** Starts a run of `items` through `build`; returns the run and the collected output. */
function runOf<T, U>(
  items: readonly T[],
  build: (up: Stream<T>) => Stream<U>,
  batchSize = 3,
): { done: Promise<void>; out: U[] } {
  const out: U[] = [];
  const flow = new Dataflow("f");
  build(flow.input("inp", new TestingSource<T>(items, { batchSize })))
    .output("out", new TestingSink(out));
  return { done: run(flow), out };
}

/** Asserts `promise` rejects with a `StepError` for `stepId`, `item` and `cause`. */
async function assertStepError(
  promise: Promise<unknown>,
  expected: { stepId: string; item: unknown; cause: unknown },
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof StepError, `expected a StepError, got ${error}`);
    assert.equal(error.stepId, expected.stepId);
    assert.deepEqual(error.item, expected.item);
    assert.equal(error.cause, expected.cause);
    assert.match(error.message, new RegExp(`^Cannot run step "${expected.stepId}"`));
    return true;
  });
}

/** Asserts `promise` rejects with a plain `TypeError` whose message matches `pattern`. */
async function assertTypeError(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof TypeError, `expected a TypeError, got ${error}`);
    assert.match(error.message, pattern);
    return true;
  });
}

/** A source that never ends; records how far it was read and whether it was closed. */
function endlessSource(): {
  source: DynamicSource<number>;
  state: { read: number; closed: boolean };
} {
  const state = { read: 0, closed: false };
  return {
    state,
    source: {
      build: () => ({
        nextBatch: () => [++state.read],
        close: () => {
          state.closed = true;
        },
      }),
    },
  };
}

const boom = new Error("boom");

function throwAt<T, U>(bad: unknown, fn: (item: T) => U): (item: T) => U {
  return (item) => {
    if (item === bad) throw boom;
    return fn(item);
  };
}

/** Keyed items that are not `[key, value]` pairs, for the keyed steps. */
function notKeyed(up: Stream<unknown>): KeyedStream<number> {
  return up as unknown as KeyedStream<number>;
}

// map

Deno.test("map() applies the mapper to every item in order", async () => {
  const build = (up: Stream<number>) => up.map("double", (x) => x * 2);
  await assertOutput([], build, []);
  await assertOutput([1], build, [2]);
  await assertOutput(MANY, build, [2, 4, 6, 8, 10, 12, 14]);
});

Deno.test("map() stops the run with a StepError naming the step, the item and the cause", async () => {
  const { done, out } = runOf(MANY, (up) => up.map("double", throwAt(5, (x) => x * 2)));
  await assertStepError(done, { stepId: "f.double", item: 5, cause: boom });
  assert.ok(out.every((x) => x < 10), `items after the failure were written: ${out}`);
});

// filter

Deno.test("filter() keeps the items for which the predicate returns true, in order", async () => {
  const build = (up: Stream<number>) => up.filter("odd", (x) => x % 2 === 1);
  await assertOutput([], build, []);
  await assertOutput([1], build, [1]);
  await assertOutput([2], build, []);
  await assertOutput(MANY, build, [1, 3, 5, 7]);
});

Deno.test("filter() stops the run with a StepError when the predicate throws", async () => {
  const { done } = runOf(MANY, (up) => up.filter("odd", throwAt(4, (x) => x % 2 === 1)));
  await assertStepError(done, { stepId: "f.odd", item: 4, cause: boom });
});

Deno.test("filter() rejects a predicate result that is not a boolean, naming step and value", async () => {
  const { done } = runOf(MANY, (up) => up.filter("odd", (x) => (x % 2) as unknown as boolean));
  await assertTypeError(done, /"f\.odd".*boolean.*got 1$/);
});

// filterMap

Deno.test("filterMap() keeps mapped results except undefined and null", async () => {
  const build = (up: Stream<number>) =>
    up.filterMap("parse", (x) => x === 3 ? undefined : x === 5 ? null : x * 10);
  await assertOutput([], build, []);
  await assertOutput([1], build, [10]);
  await assertOutput([3], build, []);
  await assertOutput(MANY, build, [10, 20, 40, 60, 70]);
});

Deno.test("filterMap() keeps falsy results other than undefined and null", async () => {
  const build = (up: Stream<number>) =>
    up.filterMap("falsy", (x) => [0, false, "", Number.NaN][x - 1]);
  await assertOutput([1, 2, 3, 4], build, [0, false, "", Number.NaN]);
});

Deno.test("filterMap() stops the run with a StepError when the mapper throws", async () => {
  const { done } = runOf(MANY, (up) => up.filterMap("parse", throwAt(6, (x) => x)));
  await assertStepError(done, { stepId: "f.parse", item: 6, cause: boom });
});

// flatMap

Deno.test("flatMap() emits every element of each returned iterable, in order", async () => {
  const build = (up: Stream<number>) => up.flatMap("repeat", (x) => new Array(x % 3).fill(x));
  await assertOutput([], build, []);
  await assertOutput([3], build, []);
  await assertOutput([2], build, [2, 2]);
  await assertOutput(MANY, build, [1, 2, 2, 4, 5, 5, 7]);
});

Deno.test("flatMap() accepts any iterable: a Set, a generator", async () => {
  const sets = (up: Stream<number>) => up.flatMap("set", (x) => new Set([x, x, -x]));
  await assertOutput([1, 2], sets, [1, -1, 2, -2]);
  const generators = (up: Stream<number>) =>
    up.flatMap("gen", function* (x) {
      for (let i = 0; i < x; i++) yield x;
    });
  await assertOutput([1, 2, 3], generators, [1, 2, 2, 3, 3, 3]);
});

Deno.test("flatMap() stops the run with a StepError when the mapper throws", async () => {
  const { done } = runOf(MANY, (up) => up.flatMap("split", throwAt(2, (x) => [x])));
  await assertStepError(done, { stepId: "f.split", item: 2, cause: boom });
});

Deno.test("flatMap() rejects a mapper result that is not iterable, naming step and value", async () => {
  const { done } = runOf(MANY, (up) => up.flatMap("split", (x) => x as unknown as number[]));
  await assertTypeError(done, /^Cannot run step "f\.split":.*iterable.*got 1$/);
});

Deno.test("flatMap() rejects a string result, so a forgotten split() is caught", async () => {
  const { done } = runOf(
    ["a b"],
    (up) => up.flatMap("split", (line) => line as unknown as string[]),
  );
  await assertTypeError(done, /^Cannot run step "f\.split":.*iterable.*got "a b"$/);
});

// flatMapBatch

Deno.test("flatMapBatch() concatenates what the mapper returns for each batch", async () => {
  const build = (up: Stream<number>) =>
    up.flatMapBatch("tens", (batch) => batch.map((x) => x * 10));
  await assertOutput([], build, []);
  await assertOutput([1], build, [10]);
  await assertOutput(MANY, build, [10, 20, 30, 40, 50, 60, 70]);
});

Deno.test("flatMapBatch() sees the runtime batches the source produced", async () => {
  const build = (up: Stream<number>) => up.flatMapBatch("sizes", (batch) => [batch.length]);
  assert.deepEqual(await outputOf(MANY, build, 1), [1, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual(await outputOf(MANY, build, 3), [3, 3, 1]);
});

Deno.test("flatMapBatch() stops the run with a StepError carrying the failed batch", async () => {
  const { done } = runOf(MANY, (up) =>
    up.flatMapBatch("bulk", (batch) => {
      if (batch.includes(5)) throw boom;
      return batch;
    }));
  await assertStepError(done, { stepId: "f.bulk", item: [4, 5, 6], cause: boom });
});

Deno.test("flatMapBatch() rejects a mapper result that is not iterable, naming step and value", async () => {
  const { done } = runOf(MANY, (up) => up.flatMapBatch("bulk", (b) => b.length as unknown as []));
  await assertTypeError(done, /^Cannot run step "f\.bulk":.*iterable.*got 3$/);
});

// flatten

Deno.test("flatten() moves the elements of each iterable item up one level", async () => {
  const build = (up: Stream<Iterable<number>>) => up.flatten<number>("flat");
  await assertOutput([], build, []);
  await assertOutput([[1, 2]], build, [1, 2]);
  await assertOutput([[1, 2], [], new Set([3]), [4, 5, 6], [7]], build, MANY);
});

Deno.test("flatten() rejects an item that is not iterable, naming step and value", async () => {
  const { done } = runOf([[1], 2] as Iterable<number>[], (up) => up.flatten<number>("flat"));
  await assertTypeError(done, /^Cannot run step "f\.flat":.*got 2$/);
});

// inspect

Deno.test("inspect() calls the inspector with the step path and each item, passing items on", async () => {
  for (const batchSize of [1, 3]) {
    const seen: string[] = [];
    const out = await outputOf(
      MANY,
      (up) => up.inspect("peek", (stepId, x) => seen.push(`${stepId}=${x}`)),
      batchSize,
    );
    assert.deepEqual(out, MANY);
    assert.deepEqual(seen, MANY.map((x) => `f.peek=${x}`));
  }
  const none: unknown[] = [];
  assert.deepEqual(await outputOf([], (up) => up.inspect("peek", (_, x) => none.push(x))), []);
  assert.deepEqual(none, []);
});

Deno.test("inspect() prints `path: item` with console.log by default", async () => {
  const logged: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => logged.push(args.join(" "));
  try {
    await outputOf<unknown, unknown>([1, "a", { k: [2] }], (up) => up.inspect("peek"));
  } finally {
    console.log = original;
  }
  assert.deepEqual(logged, ["f.peek: 1", 'f.peek: "a"', 'f.peek: {"k":[2]}']);
});

Deno.test("inspect() stops the run with a StepError when the inspector throws", async () => {
  const { done } = runOf(MANY, (up) => up.inspect("peek", (_, x) => throwAt(3, () => {})(x)));
  await assertStepError(done, { stepId: "f.peek", item: 3, cause: boom });
});

// inspectDebug

Deno.test("inspectDebug() shows each item with epoch 1 and worker 0 in a short run", async () => {
  for (const batchSize of [1, 3]) {
    const seen: [string, number, number, number][] = [];
    const out = await outputOf(
      MANY,
      (up) => up.inspectDebug("peek", (id, x, epoch, worker) => seen.push([id, x, epoch, worker])),
      batchSize,
    );
    assert.deepEqual(out, MANY);
    assert.deepEqual(seen, MANY.map((x) => ["f.peek", x, 1, 0]));
  }
  const none: unknown[] = [];
  await outputOf([], (up) => up.inspectDebug("peek", (_, x) => none.push(x)));
  assert.deepEqual(none, []);
});

Deno.test("inspectDebug() sees the epoch grow as epoch barriers pass", async () => {
  const seen: { item: string; epoch: number; worker: number }[] = [];
  const out: string[] = [];
  const time = new TestingTime(0);
  const input = pushable<string>();
  const flow = new Dataflow("f");
  flow.input("inp", input.items)
    .inspectDebug("peek", (_, item, epoch, worker) => seen.push({ item, epoch, worker }))
    .output("out", new TestingSink(out));
  const done = run(flow, { time, epochInterval: 1_000 });
  for (const item of ["a", "b", "c"]) {
    input.push(item);
    await waitFor(() => seen.at(-1)?.item === item, 10_000);
    // One epoch's tick; the timer lets the run take it before the next item.
    time.advance(1_000);
    await settle(0);
  }
  input.end();
  await done;
  assert.deepEqual(out, ["a", "b", "c"]);
  assert.deepEqual(seen, [
    { item: "a", epoch: 1, worker: 0 },
    { item: "b", epoch: 2, worker: 0 },
    { item: "c", epoch: 3, worker: 0 },
  ]);
});

Deno.test("inspectDebug() prints `path W0 @1: item` with console.log by default", async () => {
  const logged: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => logged.push(args.join(" "));
  try {
    await outputOf(["a"], (up) => up.inspectDebug("peek"));
  } finally {
    console.log = original;
  }
  assert.deepEqual(logged, ['f.peek W0 @1: "a"']);
});

Deno.test("inspectDebug() stops the run with a StepError when the inspector throws", async () => {
  const { done } = runOf(MANY, (up) => up.inspectDebug("peek", (_, x) => throwAt(7, () => {})(x)));
  await assertStepError(done, { stepId: "f.peek", item: 7, cause: boom });
});

// branch

/** Runs `items` through a branch on `predicate`, both sides written out. */
async function branchOutputs<T>(
  items: readonly T[],
  predicate: (item: T) => boolean,
  batchSize: number,
): Promise<{ trues: T[]; falses: T[] }> {
  const trues: T[] = [];
  const falses: T[] = [];
  const flow = new Dataflow("f");
  const split = flow.input("inp", new TestingSource(items, { batchSize })).branch(
    "split",
    predicate,
  );
  split.trues.output("trues", new TestingSink(trues));
  split.falses.output("falses", new TestingSink(falses));
  await run(flow);
  return { trues, falses };
}

Deno.test("branch() sends accepted items to trues and the rest to falses, each in order", async () => {
  const even = (x: number) => x % 2 === 0;
  for (const batchSize of [1, 3]) {
    assert.deepEqual(await branchOutputs([], even, batchSize), { trues: [], falses: [] });
    assert.deepEqual(await branchOutputs([2], even, batchSize), { trues: [2], falses: [] });
    assert.deepEqual(await branchOutputs([1], even, batchSize), { trues: [], falses: [1] });
    assert.deepEqual(await branchOutputs(MANY, even, batchSize), {
      trues: [2, 4, 6],
      falses: [1, 3, 5, 7],
    });
  }
});

Deno.test("branch() works when only one of its outputs is consumed", async () => {
  for (const side of ["trues", "falses"] as const) {
    const out: number[] = [];
    const flow = new Dataflow("f");
    const split = flow.input("inp", new TestingSource(MANY, { batchSize: 3 }))
      .branch("split", (x) => x > 3);
    split[side].output("out", new TestingSink(out));
    await run(flow);
    assert.deepEqual(out, side === "trues" ? [4, 5, 6, 7] : [1, 2, 3]);
  }
});

Deno.test("branch() narrows with a type guard and names its outputs under the step path", () => {
  const flow = new Dataflow("f");
  const split = flow.input<string | number>("inp", ["a", 1])
    .branch("split", (x): x is string => typeof x === "string");
  const upper: Stream<string> = split.trues.map("upper", (s) => s.toUpperCase());
  const doubled: Stream<number> = split.falses.map("double", (n) => n * 2);
  assert.equal(split.trues.stepId, "f.split");
  assert.equal(split.falses.stepId, "f.split");
  assert.equal(upper.stepId, "f.upper");
  assert.equal(doubled.stepId, "f.double");
});

Deno.test("branch() stops the run with a StepError when the predicate throws", async () => {
  const flow = new Dataflow("f");
  const split = flow.input("inp", new TestingSource(MANY, { batchSize: 3 }))
    .branch("split", throwAt(5, (x) => x > 3));
  split.trues.output("trues", new TestingSink());
  split.falses.output("falses", new TestingSink());
  await assertStepError(run(flow), { stepId: "f.split", item: 5, cause: boom });
});

Deno.test("branch() rejects a predicate result that is not a boolean, naming step and value", async () => {
  const flow = new Dataflow("f");
  const split = flow.input("inp", MANY).branch("split", (x) => (x > 3 ? "yes" : false) as boolean);
  split.trues.output("trues", new TestingSink());
  split.falses.output("falses", new TestingSink());
  await assertTypeError(run(flow), /^Cannot run step "f\.split":.*boolean.*got "yes"$/);
});

// merge

Deno.test("merge() interleaves three inputs, keeping each input's order", async () => {
  for (const batchSize of [1, 3]) {
    const out: number[] = [];
    const flow = new Dataflow("f");
    const a = flow.input("a", new TestingSource([1, 2, 3, 4, 5], { batchSize }));
    const b = flow.input("b", new TestingSource([10, 20, 30, 40], { batchSize }));
    const c = flow.input("c", new TestingSource([100], { batchSize }));
    a.merge("all", b, c).output("out", new TestingSink(out));
    await run(flow);
    assert.deepEqual([...out].sort((x, y) => x - y), [1, 2, 3, 4, 5, 10, 20, 30, 40, 100]);
    assert.deepEqual(out.filter((x) => x < 10), [1, 2, 3, 4, 5]);
    assert.deepEqual(out.filter((x) => x >= 10 && x < 100), [10, 20, 30, 40]);
  }
});

Deno.test("merge() of empty inputs is empty, and of one item is that item", async () => {
  for (const items of [[[], [], []], [[], [7], []]]) {
    const out: number[] = [];
    const flow = new Dataflow("f");
    const [a, b, c] = items.map((list, i) => flow.input(`in${i}`, new TestingSource(list)));
    a!.merge("all", b!, c!).output("out", new TestingSink(out));
    await run(flow);
    assert.deepEqual(out, items.flat());
  }
});

Deno.test("merge() with no other streams passes its input through", async () => {
  await assertOutput(MANY, (up) => up.merge("alone"), MANY);
});

// keyOn / keyRm

Deno.test("keyOn() pairs every item with the key the function returns", async () => {
  const build = (up: Stream<number>) => up.keyOn("parity", (x) => x % 2 === 0 ? "even" : "odd");
  await assertOutput([], build, []);
  await assertOutput([1], build, [["odd", 1]]);
  await assertOutput(MANY, build, KEYED_MANY);
});

Deno.test("keyOn() stops the run with a StepError when the key function throws", async () => {
  const { done } = runOf(MANY, (up) => up.keyOn("key", throwAt(1, String)));
  await assertStepError(done, { stepId: "f.key", item: 1, cause: boom });
});

Deno.test("keyOn() rejects a key that is not a string, naming step and value", async () => {
  const { done } = runOf(MANY, (up) => up.keyOn("key", (x) => x as unknown as string));
  await assertTypeError(done, /^Cannot run step "f\.key":.*string.*got 1$/);
});

Deno.test("keyRm() drops the key of every pair", async () => {
  const build = (up: KeyedStream<number>) => up.keyRm("rm");
  await assertOutput([], build, []);
  await assertOutput([["a", 1]], build, [1]);
  await assertOutput(KEYED_MANY, build, MANY);
});

// keyed value steps

Deno.test("mapValue() maps every value and keeps its key", async () => {
  const build = (up: KeyedStream<number>) => up.mapValue("x10", (v) => v * 10);
  await assertOutput([], build, []);
  await assertOutput([["a", 1]], build, [["a", 10]]);
  await assertOutput(KEYED_MANY, build, KEYED_MANY.map(([k, v]) => [k, v * 10]));
});

Deno.test("mapValue() stops the run with a StepError when the mapper throws", async () => {
  const { done } = runOf(KEYED_MANY, (up) => up.mapValue("x10", throwAt(3, (v) => v)));
  await assertStepError(done, { stepId: "f.x10", item: ["odd", 3], cause: boom });
});

Deno.test("flatMapValue() emits every produced value under the item's key", async () => {
  const build = (up: KeyedStream<number>) =>
    up.flatMapValue("repeat", (v) => new Array(v % 3).fill(v));
  await assertOutput([], build, []);
  await assertOutput([["a", 2]], build, [["a", 2], ["a", 2]]);
  await assertOutput(KEYED_MANY, build, [
    ["odd", 1],
    ["even", 2],
    ["even", 2],
    ["even", 4],
    ["odd", 5],
    ["odd", 5],
    ["odd", 7],
  ]);
});

Deno.test("flatMapValue() stops the run with a StepError when the mapper throws", async () => {
  const { done } = runOf(KEYED_MANY, (up) => up.flatMapValue("split", throwAt(6, (v) => [v])));
  await assertStepError(done, { stepId: "f.split", item: ["even", 6], cause: boom });
});

Deno.test("flatMapValue() rejects a mapper result that is not iterable, naming step and value", async () => {
  for (const bad of [42, "ab"]) {
    const { done } = runOf(KEYED_MANY, (up) => up.flatMapValue("split", () => bad as never));
    await assertTypeError(
      done,
      new RegExp(`^Cannot run step "f\\.split":.*iterable.*got ${JSON.stringify(bad)}$`),
    );
  }
});

Deno.test("filterValue() keeps the pairs whose value passes the predicate", async () => {
  const build = (up: KeyedStream<number>) => up.filterValue("big", (v) => v > 4);
  await assertOutput([], build, []);
  await assertOutput([["a", 5]], build, [["a", 5]]);
  await assertOutput([["a", 1]], build, []);
  await assertOutput(KEYED_MANY, build, [["odd", 5], ["even", 6], ["odd", 7]]);
});

Deno.test("filterValue() stops the run with a StepError when the predicate throws", async () => {
  const { done } = runOf(KEYED_MANY, (up) => up.filterValue("big", throwAt(2, (v) => v > 4)));
  await assertStepError(done, { stepId: "f.big", item: ["even", 2], cause: boom });
});

Deno.test("filterValue() rejects a predicate result that is not a boolean, naming step and value", async () => {
  const { done } = runOf(KEYED_MANY, (up) => up.filterValue("big", (v) => v as unknown as boolean));
  await assertTypeError(done, /^Cannot run step "f\.big":.*boolean.*got 1$/);
});

Deno.test("filterMapValue() maps values and drops the pairs mapped to undefined or null", async () => {
  const build = (up: KeyedStream<number>) =>
    up.filterMapValue("half", (v) => v === 6 ? null : v % 2 === 0 ? v / 2 : undefined);
  await assertOutput([], build, []);
  await assertOutput([["a", 4]], build, [["a", 2]]);
  await assertOutput([["a", 1]], build, []);
  await assertOutput(KEYED_MANY, build, [["even", 1], ["even", 2]]);
});

Deno.test("filterMapValue() stops the run with a StepError when the mapper throws", async () => {
  const { done } = runOf(KEYED_MANY, (up) => up.filterMapValue("half", throwAt(7, (v) => v)));
  await assertStepError(done, { stepId: "f.half", item: ["odd", 7], cause: boom });
});

Deno.test("keyed steps reject an item that is not a [key, value] pair, naming step and value", async () => {
  const steps: [string, (up: KeyedStream<number>) => Stream<unknown>][] = [
    ["keyRm", (up) => up.keyRm("step")],
    ["mapValue", (up) => up.mapValue("step", (v) => v)],
    ["flatMapValue", (up) => up.flatMapValue("step", (v) => [v])],
    ["filterValue", (up) => up.filterValue("step", () => true)],
    ["filterMapValue", (up) => up.filterMapValue("step", (v) => v)],
  ];
  const badItems: [unknown, string][] = [
    [5, "5"],
    [["a", 1, 2], '\\["a",1,2\\]'],
    [[1, 2], "\\[1,2\\]"],
    [null, "null"],
  ];
  for (const [name, build] of steps) {
    for (const [bad, shown] of badItems) {
      const { done } = runOf<unknown, unknown>([["ok", 1], bad], (up) => build(notKeyed(up)));
      await assertTypeError(
        done,
        new RegExp(`^Cannot run step "f\\.step":.*\\[key, value\\].*got ${shown}$`),
      ).catch((error) => {
        throw new Error(`${name}(${JSON.stringify(bad)}): ${error.message}`);
      });
    }
  }
});

// redistribute

Deno.test("redistribute() passes every item on (one worker)", async () => {
  const build = (up: Stream<number>) => up.redistribute("spread");
  for (const items of [[], [1], MANY]) {
    for (const batchSize of [1, 3]) {
      const out = await outputOf(items, build, batchSize);
      assert.deepEqual([...out].sort((x, y) => x - y), items);
    }
  }
});

// raises

Deno.test("raises() lets a run with an empty stream finish", async () => {
  const good: number[] = [];
  const flow = new Dataflow("f");
  const { trues: bad, falses } = flow.input("inp", new TestingSource(MANY))
    .branch("neg", (x) => x < 0);
  bad.raises("no_negatives");
  falses.output("good", new TestingSink(good));
  await run(flow);
  assert.deepEqual(good, MANY);
});

Deno.test("raises() stops the run with a StepError on the first item that reaches it", async () => {
  for (const batchSize of [1, 3]) {
    const flow = new Dataflow("f");
    const { trues: bad } = flow.input("inp", new TestingSource(MANY, { batchSize }))
      .branch("big", (x) => x >= 5);
    bad.raises("no_big");
    await assert.rejects(run(flow), (error: unknown) => {
      assert.ok(error instanceof StepError);
      assert.equal(error.stepId, "f.no_big");
      assert.equal(error.item, 5);
      assert.match(error.message, /^Cannot run step "f\.no_big": an item reached a raises step/);
      return true;
    });
  }
});

// output

Deno.test("output() builds a dynamic sink with the step path, worker 0 of 1, and writes to it", async () => {
  const builds: unknown[][] = [];
  const written: number[][] = [];
  const flow = new Dataflow("f");
  flow.input("inp", new TestingSource(MANY, { batchSize: 3 })).output("out", {
    build: (...args: unknown[]) => {
      builds.push(args);
      return { writeBatch: (batch: readonly number[]) => void written.push([...batch]) };
    },
  });
  await run(flow);
  assert.deepEqual(builds, [["f.out", 0, 1]]);
  assert.deepEqual(written, [[1, 2, 3], [4, 5, 6], [7]]);
});

Deno.test("output() never writes an empty batch", async () => {
  const written: number[][] = [];
  const flow = new Dataflow("f");
  flow.input("inp", new TestingSource(MANY, { batchSize: 3 }))
    .filter("none", () => false)
    .output("out", {
      build: () => ({ writeBatch: (b: readonly number[]) => void written.push([...b]) }),
    });
  await run(flow);
  assert.deepEqual(written, []);
});

// pipe

async function* runningTotal(items: AsyncIterable<number>): AsyncGenerator<number> {
  let total = 0;
  for await (const x of items) yield (total += x);
}

async function* takeTwo<T>(items: AsyncIterable<T>): AsyncGenerator<T> {
  let taken = 0;
  for await (const x of items) {
    yield x;
    if (++taken === 2) return;
  }
}

Deno.test("pipe() runs an async generator transformer over the items, in order", async () => {
  const build = (up: Stream<number>) => up.pipe("total", runningTotal);
  await assertOutput([], build, []);
  await assertOutput([5], build, [5]);
  await assertOutput(MANY, build, [1, 3, 6, 10, 15, 21, 28]);
});

Deno.test("pipe() with a transformer that stops early ends the step and the run", async () => {
  await assertOutput([], (up) => up.pipe("take", takeTwo), []);
  await assertOutput([1], (up) => up.pipe("take", takeTwo), [1]);
  await assertOutput(MANY, (up) => up.pipe("take", takeTwo), [1, 2]);
});

Deno.test("pipe() with a transformer that stops early closes an endless source", async () => {
  const { source, state } = endlessSource();
  const out: number[] = [];
  const flow = new Dataflow("f");
  flow.input("inp", source).pipe("take", takeTwo).output("out", new TestingSink(out));
  await run(flow);
  assert.deepEqual(out, [1, 2]);
  assert.equal(state.closed, true);
});

Deno.test("pipe() runs ix operators", async () => {
  const build = (up: Stream<number>) =>
    up.pipe("inc", ixMap((x: number) => x + 1)).pipe("odd", ixFilter((x: number) => x % 2 === 1));
  await assertOutput([], build, []);
  await assertOutput([2], build, [3]);
  await assertOutput(MANY, build, [3, 5, 7]);
});

Deno.test("pipe() stops the run with a StepError naming the step when the transformer throws", async () => {
  const { done, out } = runOf(MANY, (up) =>
    up.pipe("p", async function* (items) {
      for await (const x of items) {
        if (x === 4) throw boom;
        yield x;
      }
    }));
  await assertStepError(done, { stepId: "f.p", item: undefined, cause: boom });
  assert.deepEqual(out, [1, 2, 3]);
});

Deno.test("pipe() passes an upstream StepError through without wrapping it again", async () => {
  const { done } = runOf(
    MANY,
    (up) => up.map("bad", throwAt(2, (x) => x)).pipe("total", runningTotal),
  );
  await assertStepError(done, { stepId: "f.bad", item: 2, cause: boom });
});

Deno.test("pipe() with a transformer that ignores its input does not stall a fan-out", async () => {
  const all: number[] = [];
  const piped: string[] = [];
  const flow = new Dataflow("f");
  const inp = flow.input("inp", new TestingSource(MANY));
  inp.output("all", new TestingSink(all));
  inp.pipe("const", async function* () {
    yield "only";
  }).output("piped", new TestingSink(piped));
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"stalled">((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error("stalled"));
      resolve("stalled");
    }, 150);
  });
  try {
    const outcome = await Promise.race([run(flow, { signal: controller.signal }), timeout]);
    assert.notEqual(outcome, "stalled", `run stalled; "all" got ${JSON.stringify(all)}`);
  } finally {
    clearTimeout(timer);
  }
  assert.deepEqual(piped, ["only"]);
  assert.deepEqual(all, MANY);
});

// then

Deno.test("then() nests the ids of a composite's steps under its id", () => {
  const flow = new Dataflow("flow");
  const out = flow.input("inp", [1]).then(
    (up: Stream<number>) => up.then((s: Stream<number>) => s.map("inner", (x) => x), "mid"),
    "outer",
  );
  assert.equal(out.stepId, "flow.outer.mid.inner");
  const next = out.map("after", (x) => x);
  assert.equal(next.stepId, "flow.after");
});

Deno.test("then() passes extra arguments to the composite and returns its stream", async () => {
  function clamp(up: Stream<number>, lo: number, hi: number): Stream<number> {
    return up.map("lower", (x) => Math.max(lo, x)).map("upper", (x) => Math.min(hi, x));
  }
  const build = (up: Stream<number>) => up.then(clamp, "clamp", 2, 5);
  await assertOutput([], build, []);
  await assertOutput([9], build, [5]);
  await assertOutput(MANY, build, [2, 2, 3, 4, 5, 5, 5]);
});

Deno.test("then() reports the full nested path when an inner step throws", async () => {
  const { done } = runOf(
    MANY,
    (up) => up.then((s: Stream<number>) => s.map("inner", throwAt(3, (x) => x)), "outer"),
  );
  await assertStepError(done, { stepId: "f.outer.inner", item: 3, cause: boom });
});

Deno.test("then() returns an object of streams from a composite, usable at the outer level", async () => {
  function splitSign(up: Stream<number>): { a: Stream<number>; b: Stream<number> } {
    const { trues, falses } = up.branch("sign", (x) => x >= 0);
    return { a: trues.map("abs_pos", (x) => x), b: falses.map("abs_neg", (x) => -x) };
  }
  const a: number[] = [];
  const b: number[] = [];
  const flow = new Dataflow("f");
  const parts = flow.input("inp", new TestingSource([1, -2, 3, -4], { batchSize: 3 }))
    .then(splitSign, "split");
  assert.equal(parts.a.stepId, "f.split.abs_pos");
  assert.equal(parts.b.stepId, "f.split.abs_neg");
  const merged = parts.a.merge("both", parts.b);
  assert.equal(merged.stepId, "f.both");
  parts.a.output("a", new TestingSink(a));
  parts.b.output("b", new TestingSink(b));
  await run(flow);
  assert.deepEqual(a, [1, 3]);
  assert.deepEqual(b, [2, 4]);
});

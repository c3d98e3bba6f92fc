import assert from "node:assert/strict";
import { Dataflow, type KeyedStream, run } from "../../../mod.ts";
import { TestingSink, TestingSource } from "../../../connectors/testing.ts";
import type { JoinEmitMode, JoinInsertMode } from "./join.ts";
import { toArray } from "../../../operators/to_array.ts";

/** An input item for side `L` or `R`. */
type Tagged = ["L" | "R", string, string];

/**
 * Joins the `L` and `R` items of one input (so arrival order is fixed) with
 * the given modes; returns the output.
 */
async function joinOf(
  items: readonly Tagged[],
  insertMode: JoinInsertMode,
  emitMode: JoinEmitMode,
  batchSize = 1,
): Promise<[string, (string | undefined)[]][]> {
  const out: [string, (string | undefined)[]][] = [];
  const flow = new Dataflow("f");
  const { trues, falses } = flow.input("inp", new TestingSource<Tagged>(items, { batchSize }))
    .branch("split", (item) => item[0] === "L");
  const left: KeyedStream<string> = trues.map("left", ([, k, v]) => [k, v] as [string, string]);
  const right: KeyedStream<string> = falses.map("right", ([, k, v]) => [k, v] as [string, string]);
  left.join("j", right, { insertMode, emitMode }).output("out", new TestingSink(out));
  await run(flow);
  return out;
}

const U = undefined;

// Key k: a1, a2, b1, b2, a3; key m only ever has a left value.
const SEQUENCE: Tagged[] = [
  ["L", "k", "a1"],
  ["L", "k", "a2"],
  ["R", "k", "b1"],
  ["R", "k", "b2"],
  ["L", "k", "a3"],
  ["L", "m", "z"],
];

const EXPECTED: Record<`${JoinInsertMode}/${JoinEmitMode}`, [string, (string | undefined)[]][]> = {
  "first/complete": [["k", ["a1", "b1"]], ["k", ["a3", "b2"]]],
  "last/complete": [["k", ["a2", "b1"]], ["k", ["a3", "b2"]]],
  "product/complete": [["k", ["a1", "b1"]], ["k", ["a2", "b1"]], ["k", ["a3", "b2"]]],
  "first/final": [["k", ["a1", "b1"]], ["m", ["z", U]]],
  "last/final": [["k", ["a3", "b2"]], ["m", ["z", U]]],
  "product/final": [
    ["k", ["a1", "b1"]],
    ["k", ["a1", "b2"]],
    ["k", ["a2", "b1"]],
    ["k", ["a2", "b2"]],
    ["k", ["a3", "b1"]],
    ["k", ["a3", "b2"]],
    ["m", ["z", U]],
  ],
  "first/running": [
    ["k", ["a1", U]],
    ["k", ["a1", U]],
    ["k", ["a1", "b1"]],
    ["k", ["a1", "b1"]],
    ["k", ["a1", "b1"]],
    ["m", ["z", U]],
  ],
  "last/running": [
    ["k", ["a1", U]],
    ["k", ["a2", U]],
    ["k", ["a2", "b1"]],
    ["k", ["a2", "b2"]],
    ["k", ["a3", "b2"]],
    ["m", ["z", U]],
  ],
  "product/running": [
    ["k", ["a1", U]],
    ["k", ["a1", U]],
    ["k", ["a2", U]],
    ["k", ["a1", "b1"]],
    ["k", ["a2", "b1"]],
    ["k", ["a1", "b1"]],
    ["k", ["a1", "b2"]],
    ["k", ["a2", "b1"]],
    ["k", ["a2", "b2"]],
    ["k", ["a1", "b1"]],
    ["k", ["a1", "b2"]],
    ["k", ["a2", "b1"]],
    ["k", ["a2", "b2"]],
    ["k", ["a3", "b1"]],
    ["k", ["a3", "b2"]],
    ["m", ["z", U]],
  ],
};

for (const insertMode of ["first", "last", "product"] as const) {
  for (const emitMode of ["complete", "final", "running"] as const) {
    Deno.test(`join() with insertMode ${insertMode} and emitMode ${emitMode}`, async () => {
      assert.deepEqual(
        await joinOf(SEQUENCE, insertMode, emitMode),
        EXPECTED[`${insertMode}/${emitMode}`],
      );
    });
  }
}

Deno.test("join() with emitMode final gives the same rows whatever the batch boundaries", async () => {
  for (const insertMode of ["first", "last", "product"] as const) {
    for (const batchSize of [1, 4]) {
      assert.deepEqual(
        await joinOf(SEQUENCE, insertMode, "final", batchSize),
        EXPECTED[`${insertMode}/final`],
        `${insertMode}, batchSize ${batchSize}`,
      );
    }
  }
});

Deno.test("join() keeps many keys apart, from two inputs", async () => {
  const names: [string, string][] = [["1", "Ann"], ["2", "Bob"], ["3", "Cy"], ["1", "Anne"]];
  const ages: [string, number][] = [["2", 40], ["1", 30], ["4", 99]];
  for (const batchSize of [1, 4]) {
    const out: [string, [string | undefined, number | undefined]][] = [];
    const flow = new Dataflow("f");
    const left = flow.input("names", new TestingSource(names, { batchSize }));
    const right = flow.input("ages", new TestingSource(ages, { batchSize }));
    left.join("j", right, { emitMode: "final" }).output("out", new TestingSink(out));
    await run(flow);
    assert.deepEqual(out, [
      ["1", ["Anne", 30]],
      ["2", ["Bob", 40]],
      ["3", ["Cy", undefined]],
      ["4", [undefined, 99]],
    ], `batchSize ${batchSize}`);
  }
});

Deno.test("join() in complete mode emits nothing for keys missing a side", async () => {
  const out = await joinOf(
    [["L", "a", "1"], ["R", "b", "2"], ["L", "c", "3"], ["L", "a", "4"]],
    "last",
    "complete",
  );
  assert.deepEqual(out, []);
});

Deno.test("join() of three sides, complete and final", async () => {
  const flow = new Dataflow("f");
  const names = flow.input(
    "names",
    new TestingSource<[string, string]>([["1", "Ann"], ["2", "Bob"]]),
  );
  const emails = flow.input(
    "emails",
    new TestingSource<[string, string]>([["1", "ann@x.org"], ["2", "bob@x.org"]]),
  );
  const ages = flow.input("ages", new TestingSource<[string, number]>([["1", 30]]));
  const complete: [string, [string, string, number]][] = [];
  const final: [string, [string | undefined, string | undefined, number | undefined]][] = [];
  names.join("inner", emails, ages).output("complete", new TestingSink(complete));
  names.join("outer", emails, ages, { emitMode: "final" }).output("final", new TestingSink(final));
  await run(flow);
  assert.deepEqual(complete, [["1", ["Ann", "ann@x.org", 30]]]);
  assert.deepEqual(final, [
    ["1", ["Ann", "ann@x.org", 30]],
    ["2", ["Bob", "bob@x.org", undefined]],
  ]);
});

Deno.test("join() rows are typed tuples: complete rows have every side, others may not", async () => {
  const flow = new Dataflow("f");
  const names = flow.input("names", new TestingSource<[string, string]>([["1", "Ann"]]));
  const ages = flow.input("ages", new TestingSource<[string, number]>([["1", 30]]));
  const rows: [string, number][] = [];
  const outer: [string | undefined, number | undefined][] = [];
  names.join("inner", ages).map("row", ([, value]) => {
    const row: [string, number] = value;
    return row;
  }).output("rows_out", new TestingSink(rows));
  names.join("outer", ages, { emitMode: "running" }).map("outer_row", ([, value]) => {
    // @ts-expect-error A running row may miss a side.
    const _strict: [string, number] = value;
    const row: [string | undefined, number | undefined] = value;
    return row;
  }).output("outer_out", new TestingSink(outer));
  await run(flow);
  assert.deepEqual(rows, [["Ann", 30]]);
  assert.equal(outer.length, 2);
  assert.deepEqual(outer[outer.length - 1], ["Ann", 30]);
});

Deno.test("join() rejects a side item that is not a [key, value] pair, naming the step", async () => {
  const flow = new Dataflow("f");
  const left = flow.input("l", new TestingSource<[string, number]>([["a", 1]]));
  const right = flow.input("r", new TestingSource<unknown>([["a", 2], 42]));
  left.join("j", right as KeyedStream<unknown>).output("out", new TestingSink([]));
  await assert.rejects(run(flow), (error: unknown) => {
    assert.ok(error instanceof TypeError, `got ${error}`);
    assert.match(
      error.message,
      /^Cannot run step "f\.j": expected a \[key, value\] pair with a string key on side 1, got 42$/,
    );
    return true;
  });
});

Deno.test("join() rejects a non-string key, naming the step", async () => {
  const flow = new Dataflow("f");
  const left = flow.input("l", new TestingSource<unknown>([[7, 1]]));
  const right = flow.input("r", new TestingSource<[string, number]>([["a", 2]]));
  (left as KeyedStream<unknown>).join("j", right).output("out", new TestingSink([]));
  await assert.rejects(
    run(flow),
    /Cannot run step "f\.j": expected .*string key on side 0, got \[7,1\]/,
  );
});

Deno.test("join() rejects unknown modes and foreign sides when added", () => {
  const flow = new Dataflow("f");
  const a = flow.input("a", new TestingSource<[string, number]>([]));
  const b = flow.input("b", new TestingSource<[string, number]>([]));
  assert.throws(() => a.join("j", b, { insertMode: "all" as never }), RangeError);
  assert.throws(() => a.join("j", b, { emitMode: "eager" as never }), RangeError);
  const other = new Dataflow("g").input("c", new TestingSource<[string, number]>([]));
  assert.throws(() => a.join("j", other), TypeError);
});

Deno.test("join() of 32 sides completes a row once every side has a value", async () => {
  const flow = new Dataflow("f");
  const sides = Array.from(
    { length: 32 },
    (_, i) => flow.input(`s${i}`, new TestingSource<[string, number]>([["k", i]])),
  );
  const [first, ...rest] = sides;
  const rows = await toArray(first!.join("j", ...rest));
  assert.deepEqual(rows, [["k", Array.from({ length: 32 }, (_, i) => i)]]);
});

Deno.test("join() counts an undefined value as present: the row completes", async () => {
  const flow = new Dataflow("f");
  const left = flow.input("l", new TestingSource<[string, undefined]>([["k", undefined]]));
  const right = flow.input("r", new TestingSource<[string, number]>([["k", 1]]));
  assert.deepEqual(await toArray(left.join("j", right)), [["k", [undefined, 1]]]);
});

Deno.test("join() of a stream with itself sees every item on both sides", async () => {
  const flow = new Dataflow("f");
  const items = flow.input("inp", new TestingSource<[string, number]>([["a", 1], ["b", 2]]));
  const rows = await toArray(items.join("self", items, { emitMode: "running" }));
  // Each item arrives once per side: first on one side alone, then completing the row.
  assert.equal(rows.length, 4);
  assert.deepEqual(rows.filter(([, row]) => row[0] !== undefined && row[1] !== undefined), [
    ["a", [1, 1]],
    ["b", [2, 2]],
  ]);
});

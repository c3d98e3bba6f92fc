import assert from "node:assert/strict";
import {
  Dataflow,
  EventClock,
  type KeyedStream,
  run,
  type Stream,
  TumblingWindower,
} from "../../mod.ts";
import { TestingSink } from "../../connectors/testing.ts";

/** Asserts `fn` throws a `TypeError` whose message matches `pattern`. */
function assertThrowsType(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof TypeError, `expected a TypeError, got ${error}`);
    assert.match(error.message, pattern);
    return true;
  });
}

const BAD_IDS: [string, unknown][] = [
  ["a dot", "a.b"],
  ["a space", "a b"],
  ["a tab", "a\tb"],
  ["the empty string", ""],
  ["a number", 5],
];

Deno.test("new Dataflow() takes a non-empty id without dots or white space", () => {
  assert.equal(new Dataflow("word_count-2").id, "word_count-2");
  for (const [what, id] of BAD_IDS) {
    assert.throws(
      () => new Dataflow(id as string),
      (error: unknown) => error instanceof TypeError && /flow id/.test(error.message),
      `flow id with ${what}`,
    );
  }
});

Deno.test("a step id with a dot, white space, or nothing in it is rejected at build time", () => {
  for (const [what, id] of BAD_IDS) {
    const flow = new Dataflow("f");
    assertThrowsType(() => flow.input(id as string, [1]), /step id/);
    const inp = flow.input("inp", [1]);
    assertThrowsType(() => inp.map(id as string, (x) => x), /step id/);
    assertThrowsType(() => inp.then((s) => s, id as string), /step id/);
    assert.equal(flow.nodes.length, 1, `a step was added for an id with ${what}`);
  }
});

Deno.test("a duplicate step id under the same parent is rejected, naming the path", () => {
  const flow = new Dataflow("f");
  const inp = flow.input("inp", [1]);
  inp.map("double", (x) => x * 2);
  assertThrowsType(
    () => inp.map("double", (x) => x),
    /^Cannot add step "f\.double":.*already exists/,
  );
  assertThrowsType(() => inp.filter("double", () => true), /"f\.double"/);
  assertThrowsType(() => flow.input("inp", [2]), /"f\.inp"/);
  assertThrowsType(() => inp.output("inp", new TestingSink()), /"f\.inp"/);
  assertThrowsType(
    () => inp.then((s: Stream<number>) => [s.map("a", (x) => x), s.map("a", (x) => x)], "c"),
    /"f\.c\.a"/,
  );
});

Deno.test("a composite's id is taken like a step's", () => {
  const flow = new Dataflow("f");
  const inp = flow.input("inp", [1]);
  inp.then((s: Stream<number>) => s.map("inner", (x) => x), "outer");
  assertThrowsType(() => inp.map("outer", (x) => x), /"f\.outer"/);
});

Deno.test("the same step id under different composites, or at another level, is fine", () => {
  const flow = new Dataflow("f");
  const inp = flow.input("inp", [1]);
  const inner = (s: Stream<number>) => s.map("step", (x) => x);
  const a = inp.then(inner, "a");
  const b = inp.then(inner, "b");
  const top = inp.map("step", (x) => x);
  const nested = inp.then((s: Stream<number>) => s.then(inner, "a"), "b2");
  assert.deepEqual(
    [a.stepId, b.stepId, top.stepId, nested.stepId],
    ["f.a.step", "f.b.step", "f.step", "f.b2.a.step"],
  );
});

Deno.test("input() rejects anything that is not a source, an Iterable or an AsyncIterable", () => {
  const bad: [unknown, string][] = [[5, "number"], [null, "null"], [{}, "object"], [
    undefined,
    "undefined",
  ]];
  for (const [source, shown] of bad) {
    const flow = new Dataflow("f");
    assertThrowsType(
      () => flow.input("inp", source as never),
      new RegExp(`^Cannot add input step "f\\.inp":.*got ${shown}$`),
    );
  }
});

Deno.test("input() accepts arrays, generators, async iterables and source objects", () => {
  const flow = new Dataflow("f");
  flow.input("array", [1]);
  flow.input("gen", (function* () {})());
  flow.input("async", (async function* () {})());
  flow.input("dynamic", { build: () => ({ nextBatch: () => null }) });
  flow.input("fixed", {
    listParts: () => [],
    buildPart: () => ({ nextBatch: () => null, snapshot: () => 0 }),
  });
  assert.deepEqual(flow.nodes.map((n) => n.path), [
    "f.array",
    "f.gen",
    "f.async",
    "f.dynamic",
    "f.fixed",
  ]);
});

Deno.test("output() rejects anything that is not a sink, naming the step", () => {
  for (
    const [sink, shown] of [[{}, "object"], [null, "null"], [[], "object"], [5, "number"]] as const
  ) {
    const flow = new Dataflow("f");
    const inp = flow.input("inp", [1]);
    assertThrowsType(
      () => inp.output("out", sink as never),
      new RegExp(`^Cannot add output step "f\\.out":.*got ${shown}$`),
    );
  }
});

Deno.test("a step callback that is not a function is rejected at build time", () => {
  const flow = new Dataflow("f");
  const inp = flow.input("inp", [1]);
  assertThrowsType(
    () => inp.map("m", 5 as never),
    /^Cannot add step "f\.m": mapper must be a function, got number$/,
  );
  assertThrowsType(() => inp.filter("p", "x" as never), /"f\.p".*got string/);
  assertThrowsType(() => inp.branch("b", null as never), /"f\.b".*got object/);
  assertThrowsType(() => inp.pipe("t", {} as never), /"f\.t".*transformer/);
  assertThrowsType(() => inp.then(1 as never, "c"), /"f\.c".*composite/);
});

Deno.test("merge() rejects a stream of another flow", () => {
  const flow = new Dataflow("f");
  const other = new Dataflow("g");
  const a = flow.input("a", [1]);
  const b = other.input("b", [2]);
  assertThrowsType(() => a.merge("all", b), /^Cannot add step "f\.all":.*same flow/);
  assertThrowsType(() => a.merge("all2", a, "x" as never), /"f\.all2"/);
});

Deno.test("a rejected merge, join or composite leaves its id free", () => {
  const flow = new Dataflow("f");
  const a = flow.input("a", [["k", 1]] as [string, number][]);
  const b = flow.input("b", [["k", 2]] as [string, number][]);
  const foreign = new Dataflow("g").input("x", [["k", 3]] as [string, number][]);
  assertThrowsType(() => a.merge("all", foreign), /^Cannot add step "f\.all":.*same flow/);
  a.merge("all", b);
  assertThrowsType(() => a.join("j", foreign), /^Cannot add step "f\.j":.*same flow/);
  a.join("j", b);
  assertThrowsType(() => a.then(1 as never, "c"), /"f\.c".*composite/);
  a.then((s) => s, "c");
});

Deno.test("a composite step's build errors name its full path", () => {
  const windows = {
    clock: EventClock((x: number) => x, { waitForSystemDuration: 0 }),
    windower: TumblingWindower({ length: 10, alignTo: 0 }),
  };
  const cases: [string, (up: KeyedStream<number>) => unknown, string][] = [
    ["reduceFinal", (up) => up.reduceFinal("c", 5 as never), "reducer"],
    ["foldFinal", (up) => up.foldFinal("c", () => 0, null as never), "folder"],
    ["countFinal", (up) => up.countFinal("c", 1 as never), "key function"],
    ["maxFinal", (up) => up.maxFinal("c", { by: "x" as never }), "by"],
    ["collect", (up) => up.collect("c", { maxSize: 0, timeout: 1 }), "maxSize"],
    ["enrichCached", (up) => up.enrichCached("c", 1 as never, (_, x) => x), "getter"],
    ["join", (up) => up.join("c", up, { insertMode: "all" as never }), "insertMode"],
    ["window", (up) => up.window("c", 1 as never, windows), "builder"],
    ["foldWindow", (up) => up.foldWindow("c", () => 0, (a) => a, windows as never), "merger"],
    ["collectWindow", (up) => up.collectWindow("c", { ...windows, into: "x" as never }), "into"],
  ];
  for (const [name, add, what] of cases) {
    for (const [scope, path] of [["top", "f.c"], ["nested", "f.outer.c"]]) {
      const keyed = new Dataflow("f").input("inp", [["k", 1]] as [string, number][]);
      assert.throws(
        () => scope === "top" ? add(keyed) : keyed.then((up) => add(up), "outer"),
        (error: unknown) => {
          assert.ok(error instanceof Error);
          assert.ok(
            error.message.startsWith(`Cannot add step "${path}": ${what}`),
            `${name} (${scope}): ${error.message}`,
          );
          return true;
        },
      );
    }
  }
});

Deno.test("building a flow runs nothing", () => {
  let built = false;
  let called = false;
  const flow = new Dataflow("f");
  flow.input("inp", { build: () => (built = true, { nextBatch: () => null }) })
    .map("m", (x) => (called = true, x))
    .output("out", new TestingSink());
  assert.equal(built, false);
  assert.equal(called, false);
});

Deno.test("run() of a flow without an output rejects with a TypeError", async () => {
  let built = false;
  const flow = new Dataflow("f");
  flow.input("inp", { build: () => (built = true, { nextBatch: () => null }) })
    .map("m", (x) => x);
  await assert.rejects(run(flow), (error: unknown) => {
    assert.ok(error instanceof TypeError);
    assert.match(error.message, /^Cannot run flow "f":.*no output step/);
    return true;
  });
  assert.equal(built, false);
});

Deno.test("run() rejects an epoch interval that is not positive", async () => {
  for (const epochInterval of [0, -1, Number.NaN]) {
    const flow = new Dataflow("f");
    flow.input("inp", [1]).output("out", new TestingSink());
    await assert.rejects(run(flow, { epochInterval }), RangeError);
  }
});

Deno.test("a flow's nodes are listed upstream before downstream with their paths", () => {
  const flow = new Dataflow("f");
  const { trues, falses } = flow.input("inp", [1]).branch("split", () => true);
  trues.merge("all", falses).output("out", new TestingSink());
  assert.deepEqual(
    flow.nodes.map((node) => [node.kind, node.path]),
    [["input", "f.inp"], ["branch", "f.split"], ["merge", "f.all"], ["output", "f.out"]],
  );
});

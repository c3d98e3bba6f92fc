import assert from "node:assert/strict";
import fc from "fast-check";
import process from "node:process";
import { Dataflow, type KeyedStream, run, StepError, type Stream } from "../../mod.ts";
import { TestingSink, TestingSource } from "../../connectors/testing.ts";
import type { ItemStage, ItemStageKind } from "../dataflow/graph.ts";
import { codegenByDefault, compileFold, compileSplit, compileStages } from "./_compile.ts";

/** Runs `items` (in batches of 3) through `build`; the run's output, or its error. */
async function outcome<T>(
  items: readonly T[],
  build: (up: Stream<T>) => Stream<unknown>,
): Promise<{ out: unknown[] } | { error: unknown }> {
  const out: unknown[] = [];
  const flow = new Dataflow("f");
  build(flow.input("inp", new TestingSource<T>(items, { batchSize: 3 })))
    .output("out", new TestingSink(out));
  try {
    await run(flow);
    return { out };
  } catch (error) {
    return { error };
  }
}

/** The error `promise` rejects with. */
async function errorOf(promise: Promise<{ out: unknown[] } | { error: unknown }>): Promise<Error> {
  const result = await promise;
  assert.ok("error" in result, `expected an error, got ${JSON.stringify(result)}`);
  assert.ok(result.error instanceof Error);
  return result.error;
}

const double = (x: number) => x * 2;

Deno.test("a fused chain blames its failing middle step, with the value that step was given", async () => {
  const cause = new RangeError("too big");
  const error = await errorOf(outcome([1, 2, 3, 4], (s) =>
    s.map("double", double)
      .map("check", (x) => {
        if (x > 4) throw cause;
        return x;
      })
      .map("inc", (x) => x + 1)));
  assert.ok(error instanceof StepError);
  assert.equal(error.stepId, "f.check");
  assert.equal(error.item, 6);
  assert.equal(error.cause, cause);
  assert.equal(
    error.message,
    'Cannot run step "f.check": mapper threw; item 6; RangeError: too big',
  );
});

Deno.test("a fused chain blames a failing step after a flatMap with the value it was given", async () => {
  const error = await errorOf(outcome([1, 2], (s) =>
    s.flatMap("spread", (x) => [x, x * 10])
      .filter("keep", (x) => {
        if (x === 20) throw new Error("no");
        return true;
      })
      .map("inc", (x) => x + 1)));
  assert.ok(error instanceof StepError);
  assert.equal(error.stepId, "f.keep");
  assert.equal(error.item, 20);
});

Deno.test("a filter returning a non-boolean in a chain raises the same TypeError as alone", async () => {
  // deno-lint-ignore no-explicit-any
  const truthy = (x: number) => (x % 2) as any as boolean;
  const alone = await errorOf(outcome([1, 2, 3], (s) => s.filter("keep", truthy)));
  const chained = await errorOf(outcome([1, 2, 3], (s) =>
    s.map("id", (x) => x)
      .filter("keep", truthy)
      .map("inc", (x) => x + 1)));
  for (const error of [alone, chained]) {
    assert.ok(error instanceof TypeError);
    assert.equal(
      error.message,
      'Cannot run step "f.keep": expected the predicate to return a boolean, got 1',
    );
  }
});

Deno.test("filterMap in a chain drops only undefined and null, keeping 0, '' and false", async () => {
  const values: unknown[] = [0, "", false, null, undefined, NaN, 1];
  const result = await outcome([0, 1, 2, 3, 4, 5, 6], (s) =>
    s.map("id", (i) => i)
      .filterMap("pick", (i) => values[i])
      .map("box", (v) => [v]));
  assert.deepEqual(result, { out: [[0], [""], [false], [NaN], [1]] });
  const keyed = await outcome([0, 1, 2, 3, 4, 5, 6], (s) =>
    s.keyOn("key", () => "k")
      .filterMapValue("pick", (i) => values[i])
      .mapValue("box", (v) => [v]));
  assert.deepEqual(keyed, {
    out: [["k", [0]], ["k", [""]], ["k", [false]], ["k", [NaN]], ["k", [1]]],
  });
});

Deno.test("a flatMap returning a non-iterable in a chain is a TypeError naming the step", async () => {
  for (const bad of [5, "ab", null]) {
    const error = await errorOf(outcome([1, 2], (s) =>
      s.map("double", double)
        // deno-lint-ignore no-explicit-any
        .flatMap("spread", (x) => (x === 4 ? bad : [x]) as any as number[])
        .map("inc", (x) => x + 1)));
    assert.ok(error instanceof TypeError);
    assert.equal(
      error.message,
      `Cannot run step "f.spread": expected the mapper to return an iterable, got ${
        JSON.stringify(bad)
      }`,
    );
  }
});

Deno.test("a keyOn returning a non-string in a chain is a TypeError naming the step", async () => {
  const error = await errorOf(outcome([1, 2, 3], (s) =>
    s.map("double", double)
      // deno-lint-ignore no-explicit-any
      .keyOn("key", (x) => (x === 4 ? 4 : `${x}`) as any as string)
      .mapValue("inc", (x) => x + 1)));
  assert.ok(error instanceof TypeError);
  assert.equal(
    error.message,
    'Cannot run step "f.key": expected the key function to return a string, got 4',
  );
});

Deno.test("keyed stages in a chain reject an item that is not a [key, value] pair", async () => {
  const error = await errorOf(
    outcome([1], (s) =>
      (s.map("bad", (x) => [x, x]) as unknown as KeyedStream<number>)
        .mapValue("inc", (x) => x + 1)
        .keyRm("unkey")),
  );
  assert.ok(error instanceof TypeError);
  assert.equal(
    error.message,
    'Cannot run step "f.inc": expected a [key, value] pair with a string key, got [1,1]',
  );
});

Deno.test("an iterator that throws inside a flatMap blames the flatMap's mapper and item", async () => {
  const error = await errorOf(outcome([1, 2], (s) =>
    s.map("double", double)
      .flatMap("spread", function* (x) {
        yield x;
        if (x === 4) throw new Error("mid-iteration");
      })
      .map("inc", (x) => x + 1)));
  assert.ok(error instanceof StepError);
  assert.equal(error.stepId, "f.spread");
  assert.equal(error.item, 4);
  assert.equal(
    error.message,
    'Cannot run step "f.spread": mapper threw; item 4; Error: mid-iteration',
  );
});

// --- generated code and the interpreter agree -----------------------------

/** A stage of the model: its kind and a parameter its callback uses. */
interface Spec {
  kind: ItemStageKind;
  n: number;
}

const KINDS: ItemStageKind[] = [
  "map",
  "filter",
  "filterMap",
  "flatMap",
  "flatten",
  "inspect",
  "keyOn",
  "keyRm",
  "mapValue",
  "filterValue",
  "filterMapValue",
  "flatMapValue",
];

/** Callbacks that exercise every outcome: values, drops, wrong shapes and throws. */
function stageOf({ kind, n }: Spec, seen: unknown[]): ItemStage {
  const num = (v: unknown) => typeof v === "number" ? v : Array.isArray(v) ? v.length : 0;
  const fn = (v: unknown): unknown => {
    const x = num(v);
    if (x === n + 7) throw new Error(`stage throws on ${x}`);
    switch (kind) {
      case "map":
      case "mapValue":
        return x % 5 === n ? [String(x), x] : x + n;
      case "filter":
      case "filterValue":
        return x % 7 === n ? "yes" : x % 2 === 0;
      case "filterMap":
      case "filterMapValue":
        return [undefined, null, 0, "", false, x + 1][(x + n) % 6];
      case "flatMap":
      case "flatMapValue":
        return x % 6 === n ? x : x % 3 === 0 ? new Set([x, x + 1]) : [x, x + n];
      case "keyOn":
        return x % 4 === n ? x : `k${x % 3}`;
      default:
        return seen.push(v);
    }
  };
  const what = kind.startsWith("filter") && !kind.startsWith("filterMap")
    ? "predicate"
    : kind === "keyOn"
    ? "key function"
    : kind === "inspect"
    ? "inspector"
    : "mapper";
  return kind === "keyRm" || kind === "flatten" ? { kind, what } : { kind, fn, what };
}

function runModel(
  specs: readonly Spec[],
  batch: readonly unknown[],
  codegen: boolean,
): { out: unknown; seen: unknown[] } {
  const seen: unknown[] = [];
  const stages = specs.map((spec, j) => ({ path: `f.s${j}`, stage: stageOf(spec, seen) }));
  try {
    return { out: compileStages(stages, { codegen })(batch), seen };
  } catch (error) {
    const e = error as Error & { stepId?: string; item?: unknown };
    return { out: { name: e.name, message: e.message, stepId: e.stepId, item: e.item }, seen };
  }
}

Deno.test("compiled and interpreted runs of stages give the same items and errors", () => {
  const item = fc.oneof(
    fc.integer({ min: -3, max: 20 }),
    fc.tuple(fc.constantFrom("a", "b"), fc.integer({ min: 0, max: 20 })),
    fc.constant("text"),
  );
  const spec = fc.record({ kind: fc.constantFrom(...KINDS), n: fc.integer({ min: 0, max: 4 }) });
  fc.assert(
    fc.property(fc.array(spec, { minLength: 1, maxLength: 5 }), fc.array(item), (specs, batch) => {
      const generated = runModel(specs, batch, true);
      const interpreted = runModel(specs, batch, false);
      assert.deepEqual(generated, interpreted);
      // Running the stages one at a time gives the same too.
      const single = specs.reduce<{ out: unknown; seen: unknown[] }>(
        (acc, s, j) => {
          if (!Array.isArray(acc.out)) return acc;
          const seen: unknown[] = [];
          const stage = { path: `f.s${j}`, stage: stageOf(s, seen) };
          try {
            const out = compileStages([stage], { codegen: true })(acc.out);
            return { out, seen: [...acc.seen, ...seen] };
          } catch (error) {
            const e = error as Error & { stepId?: string; item?: unknown };
            const out = { name: e.name, message: e.message, stepId: e.stepId, item: e.item };
            return { out, seen: [...acc.seen, ...seen] };
          }
        },
        { out: batch, seen: [] },
      );
      // The callbacks are pure, so one way fails where the other does; which error comes
      // first may differ (fused runs item by item, alone stage by stage).
      assert.equal(Array.isArray(single.out), Array.isArray(generated.out));
      if (Array.isArray(generated.out)) assert.deepEqual(single.out, generated.out);
    }),
    { numRuns: 300 },
  );
});

Deno.test("compiled and interpreted branches split alike and reject a non-boolean alike", () => {
  for (const codegen of [true, false]) {
    const split = compileSplit("f.b", (x) => (x as number) % 2 === 0, { codegen });
    assert.deepEqual(split([1, 2, 3, 4]), [[2, 4], [1, 3]]);
    const bad = compileSplit("f.b", (x) => x, { codegen });
    assert.throws(() => bad([true, 0]), {
      name: "TypeError",
      message: 'Cannot run step "f.b": expected the predicate to return a boolean, got 0',
    });
  }
});

Deno.test("compiled and interpreted keyed folds agree, errors included", () => {
  for (const codegen of [true, false]) {
    const fold = compileFold("f.sum", {
      what: "folder",
      step: (sum: number | undefined, value: number, key, out) => {
        if (value < 0) throw new RangeError("negative");
        const next = (sum ?? 0) + value;
        out.push([key, next]);
        return next === 10 ? undefined : next;
      },
      eof: (sum: number, key, out) => out.push([key, `end ${sum}`]),
    }, { codegen });
    const state = fold.init({ workerIndex: 0, workerCount: 1, now: () => 0 }, { set() {} });
    const out: unknown[] = [];
    fold.onBatch(state, [["a", 4], ["b", 1], ["a", 6], ["a", 2]], out, 0);
    fold.onEof!(state, out);
    assert.deepEqual(out, [
      ["a", 4],
      ["b", 1],
      ["a", 10],
      ["a", 2],
      ["a", "end 2"],
      ["b", "end 1"],
    ]);
    assert.throws(() => fold.onBatch(state, [["a", -1]], [], 0), {
      name: "StepError",
      message: 'Cannot run step "f.sum": folder threw; key "a"; item -1; RangeError: negative',
    });
    assert.throws(() => fold.onBatch(state, [5], [], 0), {
      name: "TypeError",
      message: 'Cannot run step "f.sum": expected a [key, value] pair with a string key, got 5',
    });
  }
});

Deno.test("code generation refused (CSP, --disallow-code-generation-from-strings) falls back to the interpreter", () => {
  const original = globalThis.Function;
  globalThis.Function = function () {
    throw new EvalError("Code generation from strings disallowed for this context");
  } as unknown as FunctionConstructor;
  try {
    // A path never compiled before, so nothing cached answers.
    const stages = [
      { path: "refused.double", stage: { kind: "map", fn: double, what: "mapper" } as ItemStage },
      {
        path: "refused.keep",
        stage: { kind: "filter", fn: (x: unknown) => x !== 4, what: "predicate" } as ItemStage,
      },
    ];
    assert.deepEqual(compileStages(stages, { codegen: true })([1, 2, 3]), [2, 6]);
  } finally {
    globalThis.Function = original;
  }
});

Deno.test("with code generation off, nothing is generated", () => {
  const original = globalThis.Function;
  globalThis.Function = function () {
    throw new Error("generated code while code generation was off");
  } as unknown as FunctionConstructor;
  try {
    const stage = { kind: "map", fn: double, what: "mapper" } as ItemStage;
    assert.deepEqual(compileStages([{ path: "off.double", stage }], { codegen: false })([1]), [2]);
  } finally {
    globalThis.Function = original;
  }
});

Deno.test("RUNNEL_CODEGEN=0 turns code generation off by default", () => {
  assert.equal(codegenByDefault(), process.env.RUNNEL_CODEGEN !== "0");
});

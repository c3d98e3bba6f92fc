import assert from "node:assert/strict";
import { Dataflow, type KeyedStream, run, StepError } from "../../../mod.ts";
import { TestingSink, TestingSource } from "../../../connectors/testing.ts";
import { outputOf, waitFor } from "../../../tests/_helpers.ts";

type Kv = [string, number];

const ITEMS: Kv[] = [
  ["c", 5],
  ["a", 3],
  ["b", 7],
  ["a", 9],
  ["c", 1],
  ["a", 4],
  ["b", 2],
];

const sum = (up: KeyedStream<number>) => up.reduceFinal("r", (acc, x) => acc + x);

Deno.test("reduceFinal() emits one value per key at end of input, in key order", async () => {
  for (const batchSize of [1, 4]) {
    assert.deepEqual(
      await outputOf(ITEMS, sum, batchSize),
      [["a", 16], ["b", 9], ["c", 6]],
      `batchSize ${batchSize}`,
    );
    assert.deepEqual(await outputOf(ITEMS.filter(([k]) => k === "a"), sum, batchSize), [[
      "a",
      16,
    ]]);
  }
});

Deno.test("reduceFinal() applies the reducer in arrival order", async () => {
  for (const batchSize of [1, 4]) {
    assert.deepEqual(
      await outputOf(
        ITEMS.map(([k, v]) => [k, String(v)] as [string, string]),
        (up) => up.reduceFinal("r", (acc, x) => `${acc}${x}`),
        batchSize,
      ),
      [["a", "394"], ["b", "72"], ["c", "51"]],
    );
  }
});

Deno.test("reduceFinal() emits nothing before end of input", async () => {
  const out: Kv[] = [];
  const seen: Kv[] = [];
  // The input stays open until the test lets it end.
  let end = () => {};
  const ended = new Promise<void>((resolve) => end = resolve);
  async function* items(): AsyncGenerator<Kv> {
    yield ["a", 1];
    yield ["a", 2];
    await ended;
  }
  const flow = new Dataflow("f");
  flow.input("inp", items())
    .inspect("seen", (_id, item) => seen.push(item))
    .reduceFinal("r", (acc, x) => acc + x)
    .output("out", new TestingSink(out));
  const done = run(flow);
  await waitFor(() => seen.length === 2);
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(out, []);
  end();
  await done;
  assert.deepEqual(out, [["a", 3]]);
});

Deno.test("reduceFinal() ignores items after an EOF marker and emits nothing for empty input", async () => {
  assert.deepEqual(await outputOf([["a", 1], TestingSource.EOF, ["a", 5]], sum), [["a", 1]]);
  assert.deepEqual(await outputOf<Kv, Kv>([], sum), []);
});

Deno.test("reduceFinal() rejects an item that is not a [key, value] pair, naming the step", async () => {
  for (const batchSize of [1, 4]) {
    await assert.rejects(
      outputOf<unknown, unknown>(
        [["a", 1], [1, 2]],
        (up) => sum(up as KeyedStream<number>),
        batchSize,
      ),
      (error: unknown) => {
        assert.ok(error instanceof TypeError, `got ${error}`);
        assert.match(
          error.message,
          /^Cannot run step "f\.r(\.[a-z_]+)?": expected a \[key, value\]/,
        );
        return true;
      },
    );
  }
});

Deno.test("reduceFinal() wraps a throwing reducer in a StepError with key and item", async () => {
  const boom = new Error("bad reduce");
  for (const batchSize of [1, 4]) {
    await assert.rejects(
      outputOf<Kv, Kv>([["b", 1], ["a", 1], ["a", 2]], (up) =>
        up.reduceFinal("r", (acc, x) => {
          if (x === 2) throw boom;
          return acc + x;
        }), batchSize),
      (error: unknown) => {
        assert.ok(error instanceof StepError, `got ${error}`);
        assert.match(error.stepId, /^f\.r\./);
        assert.match(error.message, /^Cannot run step "f\.r\./);
        assert.equal(error.cause, boom);
        assert.equal(error.key, "a", `batchSize ${batchSize}: key`);
        return true;
      },
      `batchSize ${batchSize}`,
    );
  }
});

Deno.test("foldFinal() folds each key from a fresh accumulator", async () => {
  for (const batchSize of [1, 4]) {
    let builds = 0;
    const out = await outputOf(
      [...ITEMS, ["a", 3] as Kv],
      (up) =>
        up.foldFinal("fold", () => (builds++, [] as number[]), (acc, x) => {
          if (!acc.includes(x)) acc.push(x);
          return acc;
        }),
      batchSize,
    );
    assert.deepEqual(out, [["a", [3, 9, 4]], ["b", [7, 2]], ["c", [5, 1]]]);
    assert.equal(builds, 3);
  }
});

Deno.test("foldFinal() wraps a throwing folder in a StepError", async () => {
  const boom = new Error("bad fold");
  await assert.rejects(
    outputOf<Kv, unknown>([["a", 1], ["a", 2]], (up) =>
      up.foldFinal("fold", () => 0, (acc, x) => {
        if (x === 2) throw boom;
        return acc + x;
      })),
    (error: unknown) => {
      assert.ok(error instanceof StepError, `got ${error}`);
      assert.equal(error.stepId, "f.fold");
      assert.equal(error.key, "a");
      assert.equal(error.item, 2);
      assert.equal(error.cause, boom);
      return true;
    },
  );
});

Deno.test("foldFinal() blames a throwing builder, not the folder, naming key and value", async () => {
  const boom = new Error("no accumulator");
  await assert.rejects(
    outputOf<Kv, unknown>([["a", 1]], (up) =>
      up.foldFinal("fold", () => {
        throw boom;
      }, (acc: number, x) => acc + x)),
    (error: unknown) => {
      assert.ok(error instanceof StepError, `got ${error}`);
      assert.equal(error.stepId, "f.fold");
      assert.match(error.message, /builder threw/);
      assert.equal(error.key, "a");
      assert.equal(error.item, 1);
      assert.equal(error.cause, boom);
      return true;
    },
  );
});

Deno.test("countFinal() counts items per key, in key order", async () => {
  const words = ["to", "be", "or", "not", "to", "be", "to"];
  for (const batchSize of [1, 4]) {
    assert.deepEqual(
      await outputOf(words, (up) => up.countFinal("count", (w) => w), batchSize),
      [["be", 2], ["not", 1], ["or", 1], ["to", 3]],
    );
  }
  assert.deepEqual(await outputOf(["x"], (up) => up.countFinal("count", (w) => w)), [["x", 1]]);
});

Deno.test("countFinal() reports a non-string key naming its inner step", async () => {
  await assert.rejects(
    outputOf<number, unknown>([1, 2], (up) => up.countFinal("count", (n) => n as never)),
    (error: unknown) => {
      assert.ok(error instanceof TypeError, `got ${error}`);
      assert.match(error.message, /^Cannot run step "f\.count\.[a-z_]+": expected .*string/);
      return true;
    },
  );
});

Deno.test("countFinal() wraps a throwing key function in a StepError with the item", async () => {
  const boom = new Error("bad key");
  await assert.rejects(
    outputOf<string, unknown>(["ok", "bad"], (up) =>
      up.countFinal("count", (w) => {
        if (w === "bad") throw boom;
        return w;
      }), 4),
    (error: unknown) => {
      assert.ok(error instanceof StepError, `got ${error}`);
      assert.equal(error.stepId, "f.count.init_count");
      assert.match(error.stepId, /^f\.count\./);
      assert.equal(error.item, "bad");
      assert.equal(error.cause, boom);
      return true;
    },
  );
});

Deno.test("maxFinal() and minFinal() keep each key's extreme", async () => {
  for (const batchSize of [1, 4]) {
    assert.deepEqual(
      await outputOf(ITEMS, (up) => up.maxFinal("max"), batchSize),
      [["a", 9], ["b", 7], ["c", 5]],
    );
    assert.deepEqual(
      await outputOf(ITEMS, (up) => up.minFinal("min"), batchSize),
      [["a", 3], ["b", 2], ["c", 1]],
    );
  }
});

Deno.test("maxFinal() and minFinal() compare by a key and keep the earlier value on ties", async () => {
  type Offer = { shop: string; price: number };
  const offers: [string, Offer][] = [
    ["x", { shop: "s1", price: 5 }],
    ["x", { shop: "s2", price: 3 }],
    ["x", { shop: "s3", price: 5 }],
    ["x", { shop: "s4", price: 3 }],
  ];
  for (const batchSize of [1, 4]) {
    assert.deepEqual(
      await outputOf(offers, (up) => up.minFinal("min", { by: (o) => o.price }), batchSize),
      [["x", { shop: "s2", price: 3 }]],
    );
    assert.deepEqual(
      await outputOf(offers, (up) => up.maxFinal("max", { by: (o) => o.price }), batchSize),
      [["x", { shop: "s1", price: 5 }]],
    );
  }
});

Deno.test("maxFinal() wraps a throwing by() in a StepError under its step", async () => {
  const boom = new Error("bad by");
  await assert.rejects(
    outputOf<Kv, unknown>([["a", 1], ["a", 2]], (up) =>
      up.maxFinal("max", {
        by: (x) => {
          if (x === 2) throw boom;
          return x;
        },
      })),
    (error: unknown) => {
      assert.ok(error instanceof StepError, `got ${error}`);
      assert.match(error.stepId, /^f\.max\./);
      assert.equal(error.cause, boom);
      assert.equal(error.key, "a");
      return true;
    },
  );
});

Deno.test("final aggregates reject non-function callbacks when added", () => {
  const flow = new Dataflow("f");
  const up = flow.input("inp", new TestingSource<Kv>([]));
  assert.throws(() => up.reduceFinal("r", 5 as never), TypeError);
  assert.throws(() => up.foldFinal("f", (() => 0) as never, null as never), TypeError);
  assert.throws(() => up.countFinal("c", "x" as never), TypeError);
  assert.throws(() => up.maxFinal("m", { by: 1 as never }), TypeError);
});

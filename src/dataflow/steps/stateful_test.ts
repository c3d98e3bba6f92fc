import assert from "node:assert/strict";
import { Dataflow, type KeyedStream, StepError } from "../../../mod.ts";
import { TestingSource, TestingTime } from "../../../connectors/testing.ts";
import { outputOf, settle, startOpen, waitFor } from "../../../tests/_helpers.ts";

type Kv = [string, number];

/** The values emitted for `key`, in order. */
function valuesOf<V>(out: readonly [string, V][], key: string): V[] {
  return out.filter(([k]) => k === key).map(([, v]) => v);
}

/** A running sum per key, emitting each new sum. */
function runningSum(up: KeyedStream<number>): KeyedStream<number> {
  return up.stateful<number, number>("s", (resume) => {
    let sum = resume ?? 0;
    return {
      onItem(value) {
        sum += value;
        return [[sum], false];
      },
      snapshot: () => sum,
    };
  });
}

const INTERLEAVED: Kv[] = [
  ["a", 1],
  ["b", 10],
  ["a", 2],
  ["c", 100],
  ["b", 20],
  ["a", 3],
  ["c", 200],
  ["b", 30],
  ["a", 4],
];

async function assertStepError(
  promise: Promise<unknown>,
  expected: { stepId: string; key: string; item: unknown; cause: unknown },
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof StepError, `expected a StepError, got ${error}`);
    assert.equal(error.stepId, expected.stepId);
    assert.equal(error.key, expected.key);
    assert.deepEqual(error.item, expected.item);
    assert.equal(error.cause, expected.cause);
    assert.match(error.message, new RegExp(`^Cannot run step "${expected.stepId}"`));
    return true;
  });
}

// --- stateful ---

Deno.test("stateful() keeps one key's state across items and batches", async () => {
  const items: Kv[] = [["a", 1], ["a", 2], ["a", 3], ["a", 4], ["a", 5]];
  for (const batchSize of [1, 4]) {
    assert.deepEqual(
      await outputOf(items, runningSum, batchSize),
      [["a", 1], ["a", 3], ["a", 6], ["a", 10], ["a", 15]],
      `batchSize ${batchSize}`,
    );
  }
});

Deno.test("stateful() keeps interleaved keys apart, whatever the batch boundaries", async () => {
  for (const batchSize of [1, 4]) {
    const out = await outputOf(INTERLEAVED, runningSum, batchSize);
    assert.equal(out.length, INTERLEAVED.length);
    assert.deepEqual(valuesOf(out, "a"), [1, 3, 6, 10], `batchSize ${batchSize}`);
    assert.deepEqual(valuesOf(out, "b"), [10, 30, 60], `batchSize ${batchSize}`);
    assert.deepEqual(valuesOf(out, "c"), [100, 300], `batchSize ${batchSize}`);
  }
});

Deno.test("stateful() with one-item batches emits in arrival order", async () => {
  assert.deepEqual(await outputOf(INTERLEAVED, runningSum, 1), [
    ["a", 1],
    ["b", 10],
    ["a", 3],
    ["c", 100],
    ["b", 30],
    ["a", 6],
    ["c", 300],
    ["b", 60],
    ["a", 10],
  ]);
});

Deno.test("stateful() starts a discarded key fresh, even within the same batch", async () => {
  for (const batchSize of [1, 4]) {
    const builds: string[] = [];
    const pairs = (up: KeyedStream<number>) =>
      up.stateful<[number, number] | number, number | undefined>("pairs", (resume, ctx) => {
        builds.push(ctx.key);
        let held = resume;
        return {
          onItem(value) {
            if (held === undefined) {
              held = value;
              return [[], false];
            }
            return [[[held, value]], true];
          },
          onEof: () => [held === undefined ? [] : [held], true],
          snapshot: () => held,
        };
      });
    const out = await outputOf<Kv, [string, [number, number] | number]>(
      [["a", 1], ["a", 2], ["a", 3], ["a", 4], ["a", 5]],
      pairs,
      batchSize,
    );
    assert.deepEqual(out, [["a", [1, 2]], ["a", [3, 4]], ["a", 5]], `batchSize ${batchSize}`);
    assert.deepEqual(builds, ["a", "a", "a"], `batchSize ${batchSize}`);
  }
});

Deno.test("stateful() gives the builder the key and the run clock's now()", async () => {
  const time = new TestingTime(5_000);
  const seen: [string, number][] = [];
  const out = await outputOf<Kv, [string, number]>(
    [["x", 1], ["y", 2]],
    (up) =>
      up.stateful<number, null>("s", (_resume, ctx) => {
        seen.push([ctx.key, ctx.now()]);
        return {
          onItem: (value) => [[value * 10 + ctx.now()], false],
          snapshot: () => null,
        };
      }),
    1,
    { time },
  );
  assert.deepEqual(seen, [["x", 5_000], ["y", 5_000]]);
  assert.deepEqual(out, [["x", 5_010], ["y", 5_020]]);
});

Deno.test("stateful(): every key of a batch sees one now(); the next batch and onEof read again", async () => {
  const time = new TestingTime(1_000);
  const seen: string[] = [];
  await outputOf<Kv, [string, never]>(
    [["x", 1], ["y", 2], ["x", 3]],
    (up) =>
      up.stateful<never, null>("s", (_resume, ctx) => ({
        onItem(value) {
          seen.push(`${ctx.key}${value}@${ctx.now()}`);
          time.advance(5); // time moves while the batch is handled
          return [[], false];
        },
        onEof() {
          seen.push(`${ctx.key} eof@${ctx.now()}`);
          return [[], false];
        },
        snapshot: () => null,
      })),
    2,
    { time },
  );
  // Batch 1 holds x1 and y2, read at 1000; batch 2 (x3) reads 1010; end of input 1015.
  assert.deepEqual(seen, ["x1@1000", "y2@1000", "x3@1010", "x eof@1015", "y eof@1015"]);
});

Deno.test("stateful() calls onEof for every live key in sorted key order", async () => {
  for (const batchSize of [1, 4]) {
    const eofs: string[] = [];
    const out = await outputOf<Kv, [string, string]>(
      [["c", 1], ["a", 2], ["d", 0], ["b", 3], ["c", 4]],
      (up) =>
        up.stateful<string, number[]>("s", (_resume, ctx) => {
          const values: number[] = [];
          return {
            // A zero discards the key, so it gets no onEof.
            onItem: (value) => {
              values.push(value);
              return [[], value === 0];
            },
            onEof: () => {
              eofs.push(ctx.key);
              return [[values.join(",")], true];
            },
            snapshot: () => values,
          };
        }),
      batchSize,
    );
    assert.deepEqual(eofs, ["a", "b", "c"], `batchSize ${batchSize}`);
    assert.deepEqual(out, [["a", "2"], ["b", "3"], ["c", "1,4"]], `batchSize ${batchSize}`);
  }
});

Deno.test("stateful() stops at an EOF marker and emits nothing for later items", async () => {
  const out = await outputOf<Kv, [string, number]>(
    [["a", 1], ["a", 2], TestingSource.EOF, ["a", 100]],
    runningSum,
  );
  assert.deepEqual(out, [["a", 1], ["a", 3]]);
});

Deno.test("stateful() emits nothing for empty input", async () => {
  assert.deepEqual(await outputOf<Kv, [string, number]>([], runningSum), []);
});

Deno.test("stateful() calls onNotify once notifyAt passes, with no new item", async () => {
  const time = new TestingTime(1_000);
  const notified: number[] = [];
  const run = startOpen<Kv, [string, string]>(
    [["a", 1], ["b", 2]],
    (up) =>
      up.stateful<string, null>("s", (_resume, ctx) => {
        let fireAt: number | undefined;
        return {
          onItem(value) {
            fireAt = ctx.now() + (ctx.key === "a" ? 100 : 200);
            return [[`item ${value}`], false];
          },
          onNotify() {
            notified.push(ctx.now());
            return [[`timer ${ctx.key}`], true];
          },
          notifyAt: () => fireAt,
          snapshot: () => null,
        };
      }),
    time,
  );
  try {
    await waitFor(() => run.out.length === 2);
    assert.deepEqual(run.out, [["a", "item 1"], ["b", "item 2"]]);
    time.advance(99);
    await settle();
    assert.equal(run.out.length, 2, "no timer before its time");
    time.advance(1);
    await waitFor(() => run.out.length === 3);
    assert.deepEqual(run.out[2], ["a", "timer a"]);
    time.advance(100);
    await waitFor(() => run.out.length === 4);
    assert.deepEqual(run.out[3], ["b", "timer b"]);
    assert.deepEqual(notified, [1_100, 1_200]);
    // Both keys were discarded: nothing more fires.
    time.advance(1_000);
    await settle();
    assert.equal(run.out.length, 4);
  } finally {
    await run.stop();
  }
});

Deno.test("stateful() rejects an item that is not a [key, value] pair", async () => {
  for (const bad of [5, ["a", 1, 2], [1, 1]]) {
    await assert.rejects(
      outputOf<unknown, unknown>(
        [["a", 1], bad],
        (up) => runningSum(up as KeyedStream<number>),
      ),
      (error: unknown) => {
        assert.ok(error instanceof TypeError, `got ${error}`);
        assert.match(
          error.message,
          /^Cannot run step "f\.s": expected a \[key, value\] pair with a string key, got /,
        );
        return true;
      },
    );
  }
});

Deno.test("stateful() reports a malformed logic result with the step path", async () => {
  for (const result of [[[], "no"], 5, [5, false], [[]]]) {
    for (const batchSize of [1, 4]) {
      await assert.rejects(
        outputOf<Kv, unknown>(
          [["a", 1]],
          (up) =>
            up.stateful<unknown, null>("s", () => ({
              onItem: () => result as never,
              snapshot: () => null,
            })),
          batchSize,
        ),
        (error: unknown) => {
          assert.ok(error instanceof Error);
          assert.match(error.message, /"f\.s"/);
          assert.match(error.message, /\[emits, discard\]/);
          return true;
        },
        `result ${JSON.stringify(result)}`,
      );
    }
  }
});

Deno.test("stateful() reports a malformed onEof or onNotify result with the step path", async () => {
  await assert.rejects(
    outputOf<Kv, unknown>(
      [["a", 1]],
      (up) =>
        up.stateful<unknown, null>("s", () => ({
          onItem: () => [[], false],
          onEof: () => [[], "no"] as never,
          snapshot: () => null,
        })),
    ),
    (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.match(error.message, /^Cannot run step "f\.s": expected onEof\(\)/);
      return true;
    },
  );
  await assert.rejects(
    outputOf<Kv, unknown>(
      [["a", 1]],
      (up) =>
        up.stateful<unknown, null>("s", () => ({
          onItem: () => [[], false],
          onNotify: () => 5 as never,
          notifyAt: () => 0,
          snapshot: () => null,
        })),
    ),
    (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.match(error.message, /^Cannot run step "f\.s": expected onNotify\(\)/);
      return true;
    },
  );
});

Deno.test("stateful() wraps a throwing onItem in a StepError with key and item", async () => {
  const boom = new Error("boom");
  const failing = (up: KeyedStream<number>) =>
    up.stateful<number, null>("s", () => ({
      onItem(value) {
        if (value === 2) throw boom;
        return [[value], false];
      },
      snapshot: () => null,
    }));
  await assertStepError(
    outputOf<Kv, [string, number]>([["b", 9], ["a", 1], ["a", 2], ["a", 3]], failing, 1),
    { stepId: "f.s", key: "a", item: 2, cause: boom },
  );
});

Deno.test("stateful() StepError names the value that threw, not the key's whole batch", async () => {
  const boom = new Error("boom");
  const failing = (up: KeyedStream<number>) =>
    up.stateful<number, null>("s", () => ({
      onItem(value) {
        if (value === 2) throw boom;
        return [[value], false];
      },
      snapshot: () => null,
    }));
  await assertStepError(
    outputOf<Kv, [string, number]>([["b", 9], ["a", 1], ["a", 2], ["a", 3]], failing, 4),
    { stepId: "f.s", key: "a", item: 2, cause: boom },
  );
});

Deno.test("stateful() wraps a throwing builder in a StepError with the key", async () => {
  const boom = new Error("no build");
  await assert.rejects(
    outputOf<Kv, unknown>(
      [["a", 1], ["z", 7]],
      (up) =>
        up.stateful<unknown, null>("s", (_resume, ctx) => {
          if (ctx.key === "z") throw boom;
          return { onItem: () => [[], false], snapshot: () => null };
        }),
    ),
    (error: unknown) => {
      assert.ok(error instanceof StepError);
      assert.equal(error.stepId, "f.s");
      assert.equal(error.key, "z");
      assert.equal(error.item, 7);
      assert.equal(error.cause, boom);
      return true;
    },
  );
});

Deno.test("stateful() wraps a throwing onEof in a StepError with the key", async () => {
  const boom = new Error("eof");
  await assert.rejects(
    outputOf<Kv, unknown>(
      [["a", 1]],
      (up) =>
        up.stateful<unknown, null>("s", () => ({
          onItem: () => [[], false],
          onEof: () => {
            throw boom;
          },
          snapshot: () => null,
        })),
    ),
    (error: unknown) => {
      assert.ok(error instanceof StepError);
      assert.equal(error.stepId, "f.s");
      assert.equal(error.key, "a");
      assert.equal(error.cause, boom);
      return true;
    },
  );
});

// --- statefulBatch ---

Deno.test("statefulBatch() gives each key its values of a batch together, in order", async () => {
  const calls: [string, number[]][] = [];
  const out = await outputOf<Kv, [string, number]>(
    [["a", 1], ["b", 2], ["a", 3], ["a", 4], ["b", 5]],
    (up) =>
      up.statefulBatch<number, number, number>("sb", () => {
        let sum = 0;
        return {
          onBatch(values) {
            calls.push([String(values.length), [...values]]);
            for (const v of values) sum += v;
            return [[sum], false];
          },
          onNotify: () => [[], false],
          onEof: () => [[-sum], true],
          notifyAt: () => undefined,
          snapshot: () => sum,
        };
      }),
    4,
  );
  assert.deepEqual(calls, [["3", [1, 3, 4]], ["1", [2]], ["1", [5]]]);
  assert.deepEqual(out, [["a", 8], ["b", 2], ["b", 7], ["a", -8], ["b", -7]]);
});

Deno.test("statefulBatch() rebuilds a discarded key on its next batch", async () => {
  const builds: string[] = [];
  const out = await outputOf<Kv, [string, number]>(
    [["a", 1], ["a", 2], ["a", 3], ["a", 4], ["a", 5]],
    (up) =>
      up.statefulBatch<number, number, number>("sb", (_resume, key) => {
        builds.push(key);
        let sum = 0;
        return {
          onBatch(values) {
            for (const v of values) sum += v;
            return [[sum], true];
          },
          onNotify: () => [[], false],
          onEof: () => [[], true],
          notifyAt: () => undefined,
          snapshot: () => sum,
        };
      }),
    2,
  );
  assert.deepEqual(out, [["a", 3], ["a", 7], ["a", 5]]);
  assert.deepEqual(builds, ["a", "a", "a"]);
});

Deno.test("statefulBatch() rejects a malformed result with the step path", async () => {
  for (const result of [[[], "no"], 5, [5, false]]) {
    await assert.rejects(
      outputOf<Kv, unknown>(
        [["a", 1]],
        (up) =>
          up.statefulBatch<number, unknown, null>("sb", () => ({
            onBatch: () => result as never,
            onNotify: () => [[], false],
            onEof: () => [[], true],
            notifyAt: () => undefined,
            snapshot: () => null,
          })),
      ),
      (error: unknown) => {
        assert.ok(error instanceof TypeError, `got ${error}`);
        assert.match(error.message, /^Cannot run step "f\.sb": expected onBatch\(\)/);
        return true;
      },
    );
  }
});

Deno.test("statefulBatch() rejects a non-string key naming the step", async () => {
  await assert.rejects(
    outputOf<unknown, unknown>(
      [[1, 1]],
      (up) =>
        (up as KeyedStream<number>).statefulBatch<number, number, null>("sb", () => ({
          onBatch: () => [[], false],
          onNotify: () => [[], false],
          onEof: () => [[], true],
          notifyAt: () => undefined,
          snapshot: () => null,
        })),
    ),
    /^TypeError: Cannot run step "f\.sb": expected a \[key, value\] pair with a string key, got \[1,1\]/,
  );
});

// --- statefulMap ---

Deno.test("statefulMap() threads a per-key state, for one key and many", async () => {
  const sum = (up: KeyedStream<number>) =>
    up.statefulMap("m", (state: number | undefined, x: number) => {
      const next = (state ?? 0) + x;
      return [next, next] as const;
    });
  for (const batchSize of [1, 4]) {
    assert.deepEqual(
      await outputOf<Kv, [string, number]>([["a", 1], ["a", 2], ["a", 3]], sum, batchSize),
      [["a", 1], ["a", 3], ["a", 6]],
    );
    const out = await outputOf<Kv, [string, number]>(INTERLEAVED, sum, batchSize);
    assert.deepEqual(valuesOf(out, "a"), [1, 3, 6, 10], `batchSize ${batchSize}`);
    assert.deepEqual(valuesOf(out, "b"), [10, 30, 60], `batchSize ${batchSize}`);
    assert.deepEqual(valuesOf(out, "c"), [100, 300], `batchSize ${batchSize}`);
  }
});

Deno.test("statefulMap() discards a key when the new state is undefined", async () => {
  // Counts up to 3 then resets.
  const counter = (up: KeyedStream<string>) =>
    up.statefulMap("m", (state: number | undefined, _x: string) => {
      const n = (state ?? 0) + 1;
      return [n === 3 ? undefined : n, n] as const;
    });
  for (const batchSize of [1, 4]) {
    const items: [string, string][] = Array.from({ length: 7 }, () => ["k", "x"]);
    assert.deepEqual(
      (await outputOf<[string, string], [string, number]>(items, counter, batchSize)).map((
        [, n],
      ) => n),
      [1, 2, 3, 1, 2, 3, 1],
      `batchSize ${batchSize}`,
    );
  }
});

Deno.test("statefulMap() wraps a throwing mapper in a StepError", async () => {
  const boom = new Error("bad map");
  await assert.rejects(
    outputOf<Kv, unknown>(
      [["a", 1], ["a", 2]],
      (up) =>
        up.statefulMap("m", (state: number | undefined, x: number) => {
          if (x === 2) throw boom;
          return [x, state] as const;
        }),
    ),
    (error: unknown) => {
      assert.ok(error instanceof StepError, `got ${error}`);
      assert.equal(error.stepId, "f.m");
      assert.equal(error.key, "a");
      assert.equal(error.item, 2);
      assert.equal(error.cause, boom);
      return true;
    },
  );
});

Deno.test("statefulMap() reports a mapper result that is not a pair, naming the step", async () => {
  await assert.rejects(
    outputOf<Kv, unknown>(
      [["a", 1]],
      (up) => up.statefulMap("m", (() => 5) as never),
    ),
    (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.match(error.message, /"f\.m"/);
      assert.match(error.message, /\[state, value\]/);
      return true;
    },
  );
});

// --- statefulFlatMap ---

Deno.test("statefulFlatMap() emits every value the mapper returns", async () => {
  const changes = (up: KeyedStream<number>) =>
    up.statefulFlatMap(
      "fm",
      (last: number | undefined, x: number) => [x, last === x ? [] : [x, -x]] as const,
    );
  for (const batchSize of [1, 4]) {
    const out = await outputOf<Kv, [string, number]>(
      [["a", 1], ["b", 1], ["a", 1], ["a", 2], ["b", 1], ["b", 3]],
      changes,
      batchSize,
    );
    assert.deepEqual(valuesOf(out, "a"), [1, -1, 2, -2]);
    assert.deepEqual(valuesOf(out, "b"), [1, -1, 3, -3]);
  }
});

Deno.test("statefulFlatMap() starts fresh after the state becomes undefined", async () => {
  const out = await outputOf<Kv, [string, string]>(
    [["a", 1], ["a", 2], ["a", 0], ["a", 5]],
    (up) =>
      up.statefulFlatMap("fm", (seen: number[] | undefined, x: number) => {
        if (x === 0) return [undefined, ["reset"]] as const;
        const next = [...(seen ?? []), x];
        return [next, [next.join("+")]] as const;
      }),
    4,
  );
  assert.deepEqual(out, [["a", "1"], ["a", "1+2"], ["a", "reset"], ["a", "5"]]);
});

Deno.test("statefulMap() and statefulFlatMap() reject a mapper that is not a function when added", () => {
  const up = new Dataflow("f").input("inp", [["a", 1]] as Kv[]);
  assert.throws(() => up.statefulMap("m", 5 as never), TypeError);
  assert.throws(() => up.statefulFlatMap("fm", null as never), TypeError);
});

/**
 * Property tests: a join in every mode, and the keyed folds, give the same
 * results as simple reference models however the input is cut into batches.
 * Runs are few and the seed fixed; fast-check prints the seed and path of a
 * failure to replay it.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { Dataflow, type KeyedStream, run } from "../../../mod.ts";
import { TestingSink, TestingSource } from "../../../connectors/testing.ts";
import type { TestingMarker } from "../../../connectors/testing.ts";
import type { JoinEmitMode, JoinInsertMode } from "./join.ts";
import { outputOf } from "../../../tests/_helpers.ts";

const SEED = 20261201;

type Side = 0 | 1;
type Row = [string, (string | undefined)[]];

/**
 * The join as the docs describe it, one item at a time: each side keeps the
 * first, the last or every value of a key; "complete" emits once every side
 * has one and forgets the key, "running" emits on every item, "final" emits
 * at the end, keys sorted, a missing side as `undefined`. A key's rows are the
 * cross product of its sides' values, the first side outermost.
 */
function referenceJoin(
  items: readonly [Side, string, string][],
  insertMode: JoinInsertMode,
  emitMode: JoinEmitMode,
): Row[] {
  const state = new Map<string, [string[], string[]]>();
  const out: Row[] = [];
  const emit = (key: string, sides: [string[], string[]]) => {
    const left = sides[0].length === 0 ? [undefined] : sides[0];
    const right = sides[1].length === 0 ? [undefined] : sides[1];
    for (const l of left) for (const r of right) out.push([key, [l, r]]);
  };
  for (const [side, key, value] of items) {
    if (!state.has(key)) state.set(key, [[], []]);
    const sides = state.get(key)!;
    const values = sides[side];
    if (insertMode === "product") values.push(value);
    else if (insertMode === "last" || values.length === 0) values.splice(0, 1, value);
    if (emitMode === "running") emit(key, sides);
    if (emitMode === "complete" && sides[0].length > 0 && sides[1].length > 0) {
      emit(key, sides);
      state.delete(key);
    }
  }
  if (emitMode === "final") {
    for (const key of [...state.keys()].sort()) {
      emit(key, state.get(key)!);
    }
  }
  return out;
}

/** Rows grouped by key, each key's rows in the order they came. */
function byKey<T>(rows: readonly [string, T][]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const [key, value] of rows) {
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(value);
  }
  return new Map([...groups].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0));
}

const key = fc.constantFrom("a", "b", "c", "d");
// Values name their side and a number, so a row shows where each value came from.
const sideItems = (side: Side) =>
  fc.array(fc.tuple(key, fc.nat(99)), { minLength: 1, maxLength: 6 }).map((pairs) =>
    pairs.map(([k, n]) => [side, k, `${"LR"[side]}${n}`] as [Side, string, string])
  );
/** Runs of items from one side at a time. */
const runs = fc.array(fc.oneof(sideItems(0), sideItems(1)), { maxLength: 8 });
const modes = fc.record({
  insertMode: fc.constantFrom<JoinInsertMode>("first", "last", "product"),
  emitMode: fc.constantFrom<JoinEmitMode>("complete", "final", "running"),
});

Deno.test("join() in every mode gives the reference join's rows per key, whatever the batches", async () => {
  // One input, split by side: a pause ends a batch at every change of side,
  // and its timer lets the run finish what it holds first, so the join takes
  // the items in input order and only the batch size varies. (Without the
  // wait, the branch's two outputs may reach the join in either order.) The
  // wait is real time: 1 ms proved too short once, on a machine loaded enough
  // that the run had not finished a batch when the timer fired.
  await fc.assert(
    fc.asyncProperty(
      runs,
      modes,
      fc.integer({ min: 1, max: 7 }),
      async (parts, { insertMode, emitMode }, batchSize) => {
        const items: ([Side, string, string] | TestingMarker)[] = [];
        for (const part of parts) items.push(...part, TestingSource.PAUSE(5));
        const rows = await outputOf<[Side, string, string], Row>(items, (up) => {
          const { trues, falses } = up.branch("side", ([side]) => side === 0);
          const left: KeyedStream<string> = trues.map("l", ([, k, v]) => [k, v]);
          const right: KeyedStream<string> = falses.map("r", ([, k, v]) => [k, v]);
          return left.join("join", right, { insertMode, emitMode }) as KeyedStream<
            (string | undefined)[]
          >;
        }, batchSize);
        const expected = referenceJoin(parts.flat(), insertMode, emitMode);
        assert.deepEqual(byKey(rows), byKey(expected));
        // At the end of input, keys come out sorted.
        if (emitMode === "final") assert.deepEqual(rows, expected);
      },
    ),
    { seed: SEED, numRuns: 300 },
  );
});

Deno.test("join() in final mode gives the reference rows from two inputs, whatever their batches", async () => {
  // Final rows depend only on each side's order, not on how the sides interleave.
  await fc.assert(
    fc.asyncProperty(
      fc.array(sideItems(0), { maxLength: 4 }),
      fc.array(sideItems(1), { maxLength: 4 }),
      fc.constantFrom<JoinInsertMode>("first", "last", "product"),
      fc.integer({ min: 1, max: 7 }),
      fc.integer({ min: 1, max: 7 }),
      async (leftRuns, rightRuns, insertMode, leftBatch, rightBatch) => {
        const pairs = (side: readonly [Side, string, string][][]) =>
          side.flat().map(([, k, v]) => [k, v] as [string, string]);
        const out: Row[] = [];
        const flow = new Dataflow("f");
        const left = flow.input(
          "left",
          new TestingSource(pairs(leftRuns), { batchSize: leftBatch }),
        );
        const right = flow.input(
          "right",
          new TestingSource(pairs(rightRuns), { batchSize: rightBatch }),
        );
        left.join("join", right, { insertMode, emitMode: "final" }).output(
          "out",
          new TestingSink(out),
        );
        await run(flow);
        // Any interleaving of the sides will do for the reference: all left, then all right.
        assert.deepEqual(
          out,
          referenceJoin([...leftRuns.flat(), ...rightRuns.flat()], insertMode, "final"),
        );
      },
    ),
    { seed: SEED, numRuns: 200 },
  );
});

const keyed = fc.array(fc.tuple(key, fc.string({ maxLength: 3 })), { maxLength: 40 });

Deno.test("countFinal(), reduceFinal() and statefulMap() give the same results whatever the batches", async () => {
  await fc.assert(
    fc.asyncProperty(keyed, fc.integer({ min: 1, max: 12 }), async (items, batchSize) => {
      const counts = new Map<string, number>();
      const joined = new Map<string, string>();
      const running: [string, string][] = [];
      for (const [k, v] of items) {
        counts.set(k, (counts.get(k) ?? 0) + 1);
        // Not commutative: the order of a key's values shows in the result.
        joined.set(k, joined.has(k) ? `${joined.get(k)}|${v}` : v);
        running.push([k, joined.get(k)!]);
      }
      const sorted = <T>(map: Map<string, T>) =>
        [...map].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);

      assert.deepEqual(
        await outputOf(items, (up) => up.countFinal("count", ([k]) => k), batchSize),
        sorted(counts),
      );
      assert.deepEqual(
        await outputOf(
          items,
          (up) => (up as KeyedStream<string>).reduceFinal("join", (a, b) => `${a}|${b}`),
          batchSize,
        ),
        sorted(joined),
      );
      const mapped = await outputOf(
        items,
        (up) =>
          (up as KeyedStream<string>).statefulMap("run", (state: string | undefined, v) => {
            const next = state === undefined ? v : `${state}|${v}`;
            return [next, next] as const;
          }),
        batchSize,
      );
      assert.deepEqual(byKey(mapped), byKey(running));
    }),
    { seed: SEED, numRuns: 300 },
  );
});

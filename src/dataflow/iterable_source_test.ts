import assert from "node:assert/strict";
import { Dataflow, run, StepError } from "../../mod.ts";
import { TestingSink } from "../../connectors/testing.ts";
import { ARRAY_BATCH_SIZE, ITERABLE_BATCH_SIZE, iterableSource } from "./iterable_source.ts";

const boom = new Error("boom");

function* syncItems(): Generator<number> {
  yield 1;
  yield 2;
  throw boom;
}

async function* asyncItems(): AsyncGenerator<number> {
  yield 1;
  yield 2;
  throw boom;
}

for (
  const [kind, items] of [["an Iterable", syncItems], ["an AsyncIterable", asyncItems]] as const
) {
  Deno.test(`${kind} input that throws delivers the items it yielded first, then fails the run`, async () => {
    const out: number[] = [];
    const flow = new Dataflow("f");
    flow.input("inp", items()).map("double", (n) => n * 2).output("out", new TestingSink(out));
    await assert.rejects(run(flow), (error: unknown) => {
      assert.ok(error instanceof StepError, String(error));
      assert.equal(error.stepId, "f.inp");
      assert.equal(error.cause, boom);
      return true;
    });
    assert.deepEqual(out, [2, 4]);
  });
}

Deno.test("an array is handed over in batches of ARRAY_BATCH_SIZE, other iterables of ITERABLE_BATCH_SIZE", async () => {
  const length = 2 * ARRAY_BATCH_SIZE + 5;
  const items = Array.from({ length }, (_, i) => i);
  const sizes = async (iterable: Iterable<number> | AsyncIterable<number>) => {
    const part = await iterableSource(iterable).build("f.inp", 0, 1, { now: () => 0 });
    const lengths: number[] = [];
    const seen: number[] = [];
    for (let batch = await part.nextBatch(); batch !== null; batch = await part.nextBatch()) {
      lengths.push(batch.length);
      seen.push(...batch);
    }
    assert.deepEqual(seen, items);
    return lengths;
  };
  assert.deepEqual(await sizes(items), [ARRAY_BATCH_SIZE, ARRAY_BATCH_SIZE, 5]);
  const set = await sizes(new Set(items));
  assert.ok(set.every((n) => n <= ITERABLE_BATCH_SIZE) && set[0] === ITERABLE_BATCH_SIZE, `${set}`);
  // The array handed over is a copy: the source's array is never passed on to be changed.
  const part = await iterableSource(items).build("f.inp", 0, 1, { now: () => 0 });
  assert.notEqual(await part.nextBatch(), items);
});

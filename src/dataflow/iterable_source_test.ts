import assert from "node:assert/strict";
import { Dataflow, run, StepError } from "../../mod.ts";
import { TestingSink } from "../../connectors/testing.ts";

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

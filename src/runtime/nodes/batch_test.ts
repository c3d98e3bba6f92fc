import assert from "node:assert/strict";
import { Dataflow, run, StepError } from "../../../mod.ts";
import type { BatchFn } from "../../dataflow/graph.ts";
import { Barrier, type Message } from "../message.ts";
import { applyBatchFns, BatchStream } from "./batch.ts";

async function* messages(...list: Message[]): AsyncGenerator<Message> {
  yield* list;
}

const double: BatchFn = (batch) => batch.map((x) => (x as number) * 2);
const odd: BatchFn = (batch) => batch.filter((x) => (x as number) % 2 === 1);

Deno.test("BatchStream iterated applies its functions and drops emptied batches, passing controls", async () => {
  const stream = new BatchStream([odd, double], messages([1, 2, 3], new Barrier(1), [2, 4], [5]));
  const out: Message[] = [];
  for await (const message of stream) out.push(message);
  assert.deepEqual(out, [[2, 6], new Barrier(1), [10]]);
  assert.deepEqual(applyBatchFns([odd, double], [4, 6]), []);
  assert.deepEqual(applyBatchFns([], [4, 6]), [4, 6]);
});

/** A sink that records each batch it is given and whether it was closed. */
function recording() {
  const batches: unknown[][] = [];
  let closed = false;
  const sink = {
    build: () => ({
      writeBatch: (batch: readonly unknown[]) => void batches.push([...batch]),
      close: () => void (closed = true),
    }),
  };
  return { sink, batches, closed: () => closed };
}

Deno.test("an output after a fused chain writes the chain's batches, never an emptied one", async () => {
  const { sink, batches, closed } = recording();
  const flow = new Dataflow("f");
  flow.input("inp", [1, 2, 3, 4, 6, 8]).filter("odd", (x) => x % 2 === 1).map("inc", (x) => x + 1)
    .output("out", sink);
  await run(flow);
  assert.deepEqual(batches, [[2, 4]]);
  assert.ok(closed());

  const none = recording();
  const empty = new Dataflow("f");
  empty.input("inp", [2, 4]).filter("odd", (x) => x % 2 === 1).output("out", none.sink);
  await run(empty);
  assert.deepEqual(none.batches, [], "a batch the filter emptied reached the sink");
});

Deno.test("an output after a fused chain reports a step's throw as that step's, and closes its sink", async () => {
  const { sink, batches, closed } = recording();
  const flow = new Dataflow("f");
  flow.input("inp", [1, 2, 3]).map("check", (x) => {
    if (x === 2) throw new RangeError("two");
    return x;
  }).output("out", sink);
  await assert.rejects(run(flow), (error: unknown) => {
    assert.ok(error instanceof StepError, String(error));
    assert.equal(error.stepId, "f.check");
    assert.equal(error.item, 2);
    return true;
  });
  assert.deepEqual(batches, []);
  assert.ok(closed(), "the sink was not closed");
});

import assert from "node:assert/strict";
import { Dataflow, run, RunStats } from "../../mod.ts";
import { TestingSink } from "../../connectors/testing.ts";
import { stableHash } from "../dataflow/stable_hash.ts";

const words = ["a", "b", "c", "d", "e", "f", "g", "h"];
const items = Array.from(
  { length: 40 },
  (_, i) => [words[i % words.length]!, i] as [string, number],
);

function flowOf(): Dataflow {
  const flow = new Dataflow("f");
  const { trues: even, falses: odd } = flow.input("inp", items).branch(
    "even",
    ([, n]) => n % 2 === 0,
  );
  even.merge("both", odd).statefulMap(
    "sum",
    (s: number | undefined, n: number) => [(s ?? 0) + n, n],
  )
    .output("out", new TestingSink());
  return flow;
}

Deno.test("RunStats counts per step and worker; the workers' counts add up to one worker's", async () => {
  const single = new RunStats();
  await run(flowOf(), { stats: single });
  const one = single.byStep();
  assert.deepEqual(one["f.inp"], { in: [0], out: [40] });
  assert.deepEqual(one["f.even"], { in: [40], out: [40] });
  assert.deepEqual(one["f.both"], { in: [40], out: [40] });
  assert.deepEqual(one["f.sum"], { in: [40], out: [40] });
  for (const workers of [2, 4]) {
    const stats = new RunStats();
    await run(flowOf(), { workers, stats });
    const many = stats.byStep();
    assert.deepEqual(Object.keys(many).sort(), Object.keys(one).sort());
    const total = (list: number[]) => list.reduce((a, b) => a + b, 0);
    for (const [path, counts] of Object.entries(many)) {
      assert.equal(counts.in.length, workers, path);
      assert.equal(total(counts.in), one[path]!.in[0], `${path} in`);
      assert.equal(total(counts.out), one[path]!.out[0], `${path} out`);
    }
    // The keyed step read on each worker exactly the items whose key hashes there.
    const expected = new Array(workers).fill(0);
    for (const [word] of items) expected[stableHash(word) % workers]++;
    assert.deepEqual(many["f.sum"]!.in, expected);
  }
});

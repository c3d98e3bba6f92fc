import assert from "node:assert/strict";
import { Dataflow } from "./dataflow.ts";
import { pactOf } from "./pact.ts";
import type { StepNode } from "./graph.ts";

Deno.test("pactOf() says which inputs are keyed, spread or partitioned by sink", () => {
  const flow = new Dataflow("f");
  const words = flow.input("inp", ["a b", "b"]).flatMap("split", (line) => line.split(" "));
  const counts = words.countFinal("count", (word) => word);
  counts.output("dyn", { build: () => ({ writeBatch() {} }) });
  counts.output("fixed", {
    listParts: () => ["p0", "p1"],
    buildPart: () => ({ writeBatch() {}, snapshot: () => null }),
  });
  words.redistribute("spread").map("upper", (w) => w.toUpperCase())
    .output("out", { build: () => ({ writeBatch() {} }) });
  const pacts = Object.fromEntries(
    flow.nodes.map((node: StepNode) => [node.path, pactOf(node)]),
  );
  assert.deepEqual(pacts, {
    "f.inp": "pipeline",
    "f.split": "pipeline",
    "f.count.init_count": "pipeline",
    "f.count.sum": "key",
    "f.dyn": "pipeline",
    "f.fixed": "sinkPartition",
    "f.spread": "roundRobin",
    "f.upper": "pipeline",
    "f.out": "pipeline",
  });
});

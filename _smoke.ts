import { Dataflow, run } from "./mod.ts";
import { TestingSink } from "./connectors/testing.ts";
for (const w of [1, 2, 4, 7]) {
  const out: unknown[] = [];
  const flow = new Dataflow("wc");
  flow.input("inp", ["a b c", "b c", "c d a", "e"]).flatMap("split", (l) => l.split(" "))
    .countFinal("count", (x) => x).output("out", new TestingSink(out));
  const t = performance.now();
  await run(flow, { workers: w });
  console.log(w, JSON.stringify(out), (performance.now() - t).toFixed(1));
}

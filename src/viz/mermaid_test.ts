import assert from "node:assert/strict";
import { Dataflow, type Stream } from "../../mod.ts";
import { toMermaid } from "./mermaid.ts";

const sink = { build: () => ({ writeBatch() {} }) };

function branchFlow(): Dataflow {
  const flow = new Dataflow("demo");
  const { trues, falses } = flow.input("inp", [1, 2, 3])
    .map("double", (x) => x * 2)
    .branch("big", (x) => x > 2);
  trues.output("big_out", sink);
  falses.output("small_out", sink);
  return flow;
}

function clamp(up: Stream<number>): Stream<number> {
  return up.map("lower", (x) => Math.max(0, x)).map("upper", (x) => Math.min(10, x));
}

function compositeFlow(): Dataflow {
  const flow = new Dataflow("f");
  flow.input("inp", [-5, 5, 50]).then(clamp, "outer").output("out", sink);
  return flow;
}

const BRANCH_PICTURE = `flowchart TD
  subgraph demo["demo (Dataflow)"]
    demo_inp["inp (input)"]
    demo_double["double (map)"]
    demo_big["big (branch)"]
    demo_big_out["big_out (output)"]
    demo_small_out["small_out (output)"]
    demo_inp --> demo_double
    demo_double --> demo_big
    demo_big -->|trues| demo_big_out
    demo_big -->|falses| demo_small_out
  end
`;

Deno.test("toMermaid() draws each step with its kind and labels branch edges", () => {
  assert.equal(toMermaid(branchFlow()), BRANCH_PICTURE);
});

Deno.test("toMermaid() recursive draws the same picture when there are no composites", () => {
  assert.equal(toMermaid(branchFlow(), { recursive: true }), BRANCH_PICTURE);
});

Deno.test("toMermaid() draws a composite as one box, with no edges inside it", () => {
  assert.equal(
    toMermaid(compositeFlow()),
    `flowchart TD
  subgraph f["f (Dataflow)"]
    f_inp["inp (input)"]
    f_outer[["outer (flatMapBatch)"]]
    f_out["out (output)"]
    f_inp --> f_outer
    f_outer --> f_out
  end
`,
  );
});

Deno.test("toMermaid() recursive draws a composite as a subgraph of its inner steps", () => {
  assert.equal(
    toMermaid(compositeFlow(), { recursive: true }),
    `flowchart TD
  subgraph f["f (Dataflow)"]
    f_inp["inp (input)"]
    subgraph f_outer["outer"]
      f_outer_lower["lower (map)"]
      f_outer_upper["upper (map)"]
    end
    f_out["out (output)"]
    f_inp --> f_outer_lower
    f_outer_lower --> f_outer_upper
    f_outer_upper --> f_out
  end
`,
  );
});

Deno.test("toMermaid() labels a composite with its most telling kind", () => {
  const flow = new Dataflow("wc");
  flow.input("inp", ["a", "b", "a"])
    .then(
      (up: Stream<string>) =>
        up.keyOn("key", (w) => w)
          .statefulMap("stateful", (n: number | undefined) => [(n ?? 0) + 1, (n ?? 0) + 1]),
      "count",
    )
    .output("out", sink);
  const picture = toMermaid(flow);
  assert.match(picture, /\n {4}wc_count\[\["count \(keyedFold\)"\]\]\n/);
  assert.match(picture, /\n {4}wc_inp --> wc_count\n {4}wc_count --> wc_out\n/);
});

Deno.test("toMermaid() nests subgraphs for composites inside composites", () => {
  const flow = new Dataflow("f");
  flow.input("inp", [1])
    .then((up: Stream<number>) => up.then(clamp, "inner").map("after", (x) => x), "outer")
    .output("out", sink);
  assert.equal(
    toMermaid(flow, { recursive: true }),
    `flowchart TD
  subgraph f["f (Dataflow)"]
    f_inp["inp (input)"]
    subgraph f_outer["outer"]
      subgraph f_outer_inner["inner"]
        f_outer_inner_lower["lower (map)"]
        f_outer_inner_upper["upper (map)"]
      end
      f_outer_after["after (map)"]
    end
    f_out["out (output)"]
    f_inp --> f_outer_inner_lower
    f_outer_inner_lower --> f_outer_inner_upper
    f_outer_inner_upper --> f_outer_after
    f_outer_after --> f_out
  end
`,
  );
});

Deno.test("toMermaid() draws each edge between top-level steps once, with the branch port", () => {
  const flow = new Dataflow("f");
  const split = flow.input("inp", [1, 2]).then(
    (up: Stream<number>) => {
      const { trues, falses } = up.map("pre", (x) => x).branch("even", (x) => x % 2 === 0);
      return { evens: trues.map("a", (x) => x), odds: falses.map("b", (x) => x), trues };
    },
    "split",
  );
  split.evens.merge("both", split.odds, split.trues).output("out", sink);
  assert.equal(
    toMermaid(flow),
    `flowchart TD
  subgraph f["f (Dataflow)"]
    f_inp["inp (input)"]
    f_split[["split (branch)"]]
    f_both["both (merge)"]
    f_out["out (output)"]
    f_inp --> f_split
    f_split --> f_both
    f_split -->|trues| f_both
    f_both --> f_out
  end
`,
  );
});

Deno.test("toMermaid() makes ids safe and unique, and escapes labels", () => {
  const flow = new Dataflow("end");
  const inp = flow.input("a-b", [1]);
  inp.map("a_b", (x) => x).output('say"<hi>#&`', sink);
  assert.equal(
    toMermaid(flow),
    `flowchart TD
  subgraph end_["end (Dataflow)"]
    end_a_b["a-b (input)"]
    end_a_b_2["a_b (map)"]
    end_say__hi____["say#34;#60;hi#62;#35;#38;#96; (output)"]
    end_a_b --> end_a_b_2
    end_a_b_2 --> end_say__hi____
  end
`,
  );
});

Deno.test("toMermaid() gives the same text for the same flow", () => {
  const flow = compositeFlow();
  assert.equal(toMermaid(flow, { recursive: true }), toMermaid(flow, { recursive: true }));
  assert.equal(toMermaid(compositeFlow()), toMermaid(compositeFlow()));
});

Deno.test("toMermaid() labels each stateless step with the method that added it", () => {
  const flow = new Dataflow("f");
  flow.input("inp", ["a b"])
    .map("lower", (s) => s.toLowerCase())
    .flatMap("words", (s) => s.split(" "))
    .filter("long", (w) => w.length > 0)
    .inspect("look", () => {})
    .keyOn("by_word", (w) => w)
    .mapValue("len", (w) => w.length)
    .output("out", sink);
  const labels = [...toMermaid(flow).matchAll(/\["(\w+ \(\w+\))"\]/g)].map((m) => m[1]);
  assert.deepEqual(labels, [
    "f (Dataflow)",
    "inp (input)",
    "lower (map)",
    "words (flatMap)",
    "long (filter)",
    "look (inspect)",
    "by_word (keyOn)",
    "len (mapValue)",
    "out (output)",
  ]);
});

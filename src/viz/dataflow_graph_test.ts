import assert from "node:assert/strict";
import { Dataflow, type Stream } from "../../mod.ts";
import { TestingSink } from "../../connectors/testing.ts";
import { dataflowGraph } from "./dataflow_graph.ts";

const JUPYTER_DISPLAY = Symbol.for("Jupyter.display");

interface Box {
  path: string;
  x: number;
  y: number;
  width: number;
  label: string;
  kind: string;
  rects: number;
}

function boxes(svg: string): Box[] {
  return [...svg.matchAll(/<g class="step" data-path="([^"]*)">([\s\S]*?)<\/g>/g)].map((m) => {
    const rect = m[2]!.match(/<rect x="([^"]+)" y="([^"]+)" width="([^"]+)"/)!;
    const texts = [...m[2]!.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => t[1]!);
    return {
      path: m[1]!,
      x: +rect[1]!,
      y: +rect[2]!,
      width: +rect[3]!,
      label: texts[0]!,
      kind: texts[1]!,
      rects: (m[2]!.match(/<rect /g) ?? []).length,
    };
  });
}

function edges(svg: string): { from: string; to: string; d: string }[] {
  return [...svg.matchAll(/<path class="edge" data-from="([^"]*)" data-to="([^"]*)" d="([^"]*)"/g)]
    .map((m) => ({ from: m[1]!, to: m[2]!, d: m[3]! }));
}

Deno.test("dataflowGraph() draws one box per top-level step and one edge per stream", () => {
  const flow = new Dataflow("wc");
  flow.input("inp", ["a b"])
    .flatMap("split", (line) => line.split(" "))
    .countFinal("count", (word) => word)
    .output("out", new TestingSink([]));
  const svg = String(dataflowGraph(flow));
  assert.deepEqual(
    boxes(svg).map((b) => [b.path, b.label, b.kind]),
    [
      ["wc.inp", "inp", "input"],
      ["wc.split", "split", "flatMap"],
      ["wc.count", "count", "keyedFold"],
      ["wc.out", "out", "output"],
    ],
  );
  assert.deepEqual(edges(svg).map((e) => [e.from, e.to]), [
    ["wc.inp", "wc.split"],
    ["wc.split", "wc.count"],
    ["wc.count", "wc.out"],
  ]);
  // A chain is one column, each step one layer below the one feeding it.
  const ys = boxes(svg).map((b) => b.y);
  assert.deepEqual(ys, ys.toSorted((a, b) => a - b));
  assert.equal(new Set(ys).size, 4);
  // The composite count has a double border; plain steps one.
  assert.deepEqual(boxes(svg).map((b) => b.rects), [1, 1, 2, 1]);
});

Deno.test("dataflowGraph() places a step one layer below the lowest step feeding it", () => {
  const flow = new Dataflow("f");
  const a = flow.input("a", [1]);
  const b = flow.input("b", [2]).map("slow", (x) => x).map("slower", (x) => x);
  a.merge("both", b).output("out", new TestingSink([]));
  const byPath = new Map(boxes(String(dataflowGraph(flow))).map((box) => [box.path, box]));
  assert.equal(byPath.get("f.a")!.y, byPath.get("f.b")!.y);
  assert.ok(byPath.get("f.both")!.y > byPath.get("f.slower")!.y);
  assert.ok(byPath.get("f.out")!.y > byPath.get("f.both")!.y);
  // Boxes in one layer do not overlap.
  const top = [byPath.get("f.a")!, byPath.get("f.b")!].sort((p, q) => p.x - q.x);
  assert.ok(top[0]!.x + top[0]!.width <= top[1]!.x);
});

Deno.test("dataflowGraph() labels named outputs and draws parallel streams apart", () => {
  const flow = new Dataflow("f");
  const sides = flow.input("inp", [1, 2]).branch("odd", (x) => x % 2 === 1);
  sides.trues.merge("again", sides.falses).output("out", new TestingSink([]));
  const svg = String(dataflowGraph(flow));
  const ports = [...svg.matchAll(/<text class="port"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
  assert.deepEqual(ports, ["trues", "falses"]);
  const parallel = edges(svg).filter((e) => e.from === "f.odd");
  assert.equal(parallel.length, 2);
  assert.notEqual(parallel[0]!.d, parallel[1]!.d);
});

Deno.test("dataflowGraph() escapes the title and step ids", () => {
  const flow = new Dataflow("f");
  function tag(up: Stream<number>): Stream<number> {
    return up.map("inner", (x) => x);
  }
  flow.input("in<&>", [1]).then(tag, 'q"t').output("out", new TestingSink([]));
  const svg = String(dataflowGraph(flow, { title: `<script>&"` }));
  assert.ok(svg.includes("<title>&lt;script&gt;&amp;&quot;</title>"));
  assert.ok(svg.includes(">in&lt;&amp;&gt;</text>"));
  assert.ok(svg.includes('data-path="f.q&quot;t"'));
  assert.ok(!svg.includes("<script>"));
});

Deno.test("dataflowGraph() returns a Figure that Jupyter shows as SVG", () => {
  const flow = new Dataflow("f");
  flow.input("inp", [1]).output("out", new TestingSink([]));
  const figure = dataflowGraph(flow);
  const bundle =
    (figure as unknown as Record<symbol, () => Record<string, string>>)[JUPYTER_DISPLAY]!();
  assert.equal(bundle["image/svg+xml"], String(figure));
  assert.equal(bundle["text/plain"], 'Dataflow "f": 2 steps, 1 streams');
  assert.match(
    String(figure),
    /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="\d+" height="\d+"/,
  );
});

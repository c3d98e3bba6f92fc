import assert from "node:assert/strict";
import { plot } from "./plot.ts";

function points(polyline: string): [number, number][] {
  return polyline.split(" ").map((p) => p.split(",").map(Number) as [number, number]);
}

Deno.test("plot() draws a line through the points in order, inside the axes", () => {
  const svg = String(plot([{ points: [[0, 0], [1, 10], [2, 5]] }], { width: 400, height: 200 }));
  const lines = [...svg.matchAll(/<polyline[^>]* points="([^"]*)"/g)].map((m) => points(m[1]!));
  assert.equal(lines.length, 1);
  const [a, b, c] = lines[0]!;
  assert.ok(a![0] < b![0] && b![0] < c![0], "x grows left to right");
  assert.ok(b![1] < c![1] && c![1] < a![1], "a larger y is higher up");
  for (const [x, y] of lines[0]!) assert.ok(x >= 56 && x <= 400 && y >= 0 && y <= 200);
});

Deno.test("plot() breaks a line at a missing value and draws dots as circles", () => {
  const svg = String(plot([
    { points: [[0, 1], [1, NaN], [2, 3], [3, 4]] },
    { points: [[2, 3]], mark: "dot", label: "flag" },
  ]));
  assert.equal(svg.match(/<polyline/g)?.length, 2);
  assert.equal(svg.match(/<circle class="point"/g)?.length, 1);
  assert.ok(svg.includes(">flag</text>"));
});

Deno.test("plot() labels a time axis in UTC when x values are dates", () => {
  const t0 = Date.UTC(2024, 5, 1, 12, 0, 0);
  const svg = String(plot([{ points: [[new Date(t0), 1], [new Date(t0 + 4 * 60_000), 2]] }]));
  assert.ok(svg.includes(">12:00:00</text>"), svg);
  assert.ok(svg.includes(">12:04:00</text>"));
});

Deno.test("plot() widens the y axis to round values around every point", () => {
  const svg = String(plot([{ points: [[0, 0.3], [1, 9.7]] }], { height: 200 }));
  const labels = [...svg.matchAll(/text-anchor="end"[^>]*>([^<]*)</g)].map((m) => Number(m[1]));
  assert.ok(labels[0]! <= 0.3 && labels.at(-1)! >= 9.7, `labels ${labels}`);
});

Deno.test("plot() escapes the title, labels and colours", () => {
  const svg = String(plot([{ points: [[0, 1]], label: "<a&b>", color: '"red"' }], {
    title: "T<&>",
    xLabel: "x&",
    yLabel: "<y>",
  }));
  for (
    const text of ["T&lt;&amp;&gt;", "x&amp;", "&lt;y&gt;", "&lt;a&amp;b&gt;", "&quot;red&quot;"]
  ) {
    assert.ok(svg.includes(text), text);
  }
  assert.ok(!svg.includes("<a&b>"));
});

Deno.test("plot() refuses a picture too small to read", () => {
  assert.throws(() => plot([], { width: 50 }), {
    name: "RangeError",
    message: "Cannot draw plot: width and height must be at least 120 and 80 px, got 50 × 260",
  });
});

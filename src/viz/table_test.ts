import assert from "node:assert/strict";
import { table } from "./table.ts";

const JUPYTER_DISPLAY = Symbol.for("Jupyter.display");

function cells(html: string, tag: "th" | "td"): string[] {
  return [...html.matchAll(new RegExp(`<${tag}(?: [^>]*)?>(.*?)</${tag}>`, "g"))].map((m) => m[1]!);
}

Deno.test("table() draws pairs as one column per position, named by columns", () => {
  const html = String(table([["to", 4], ["be", 2]], { columns: ["word", "count"] }));
  assert.deepEqual(cells(html, "th"), ["word", "count"]);
  assert.deepEqual(cells(html, "td"), ["to", "4", "be", "2"]);
  assert.equal(html.match(/<td class="num"/g)?.length, 2);
});

Deno.test("table() draws objects as one column per property in order of first appearance", () => {
  const html = String(table([{ a: 1 }, { b: "x", a: 2 }]));
  assert.deepEqual(cells(html, "th"), ["a", "b"]);
  assert.deepEqual(cells(html, "td"), ["1", "", "2", "x"]);
});

Deno.test("table() draws other values in one value column, nested values as short text", () => {
  const html = String(table([1.23456789, new Date(0), { k: [1, "a"] }, null]));
  assert.deepEqual(cells(html, "th"), ["value"]);
  assert.deepEqual(cells(html, "td"), [
    "1.2346",
    "1970-01-01T00:00:00.000Z",
    "{k: [1, &quot;a&quot;]}",
    "null",
  ]);
});

Deno.test("table() escapes <, & and quotes in cells, headings and the title, and keeps line breaks", () => {
  const html = String(
    table([['<b>"x" & y</b>\nnext']], { columns: ["<th>"], title: `A & "B" <c>` }),
  );
  assert.ok(!html.includes("<b>"));
  assert.deepEqual(cells(html, "td"), ["&lt;b&gt;&quot;x&quot; &amp; y&lt;/b&gt;<br>next"]);
  assert.deepEqual(cells(html, "th"), ["&lt;th&gt;"]);
  assert.ok(html.includes(">A &amp; &quot;B&quot; &lt;c&gt;</div>"));
});

Deno.test("table() draws at most limit rows and says how many it left out", () => {
  const figure = table(Array.from({ length: 12 }, (_, i) => i), { limit: 10 });
  assert.equal(cells(String(figure), "td").length, 11);
  assert.ok(String(figure).includes("… 2 more rows"));
  const bundle =
    (figure as unknown as Record<symbol, () => Record<string, string>>)[JUPYTER_DISPLAY]!();
  assert.equal(bundle["text/html"], String(figure));
  assert.equal(bundle["text/plain"], "12 rows × 1 columns (value)");
  assert.throws(() => table([1], { limit: 0 }), {
    name: "RangeError",
    message: "Cannot draw table: limit must be a positive integer, got 0",
  });
});

Deno.test("table() of no items draws the headings only", () => {
  const html = String(table([], { columns: ["a"] }));
  assert.deepEqual(cells(html, "th"), ["a"]);
  assert.deepEqual(cells(html, "td"), []);
});

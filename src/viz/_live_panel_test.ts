import assert from "node:assert/strict";
import { livePanel } from "./_live_panel.ts";

Deno.test("livePanel() shows the counts, rate, watermarks and latest items, escaped", () => {
  const figure = livePanel({
    title: "<Clicks & co>",
    status: "running",
    items: 30,
    elapsedMs: 2_000,
    watermarks: [["a<b", Date.UTC(2023, 0, 1)], ["c", -Infinity], ["d", Infinity]],
    latest: [["a<b", { v: '"x"' }]],
    picture: { markup: "<svg id='p'></svg>" },
  });
  assert.equal(figure.type, "text/html");
  assert.equal(figure.summary, "running: 30 items in 2.0 s (15.0 items/s)");
  const html = String(figure);
  assert.ok(html.includes(">&lt;Clicks &amp; co&gt;</div>"));
  assert.ok(
    html.includes(
      "watermark: a&lt;b 2023-01-01 00:00:00.000 · c none yet · d end of time</div>",
    ),
  );
  assert.ok(html.includes("latest: [&quot;a&lt;b&quot;, {v: &quot;\\&quot;x\\&quot;&quot;}]"));
  // The picture is markup the caller drew, shown as it is.
  assert.ok(html.includes(`<div class="picture"><svg id='p'></svg></div>`));
});

Deno.test("livePanel() says why a run stopped", () => {
  const figure = livePanel({
    status: "stopped",
    reason: "interrupted",
    items: 0,
    elapsedMs: 0,
    latest: [],
  });
  assert.equal(figure.summary, "stopped: interrupted: 0 items in 0.0 s (0.0 items/s)");
  assert.ok(!String(figure).includes("latest:"));
  assert.ok(!String(figure).includes("watermark:"));
});

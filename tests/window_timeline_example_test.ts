import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { runModule, withTempDir } from "./_runtime.ts";

const root = new URL("../", import.meta.url);

Deno.test("examples/window_timeline.ts writes the seed example's timeline into the given directory", async () => {
  await withTempDir(async (dir) => {
    const { code, stdout, stderr } = await runModule("examples/window_timeline.ts", [dir], {
      cwd: root,
      denoFlags: [`--allow-write=${dir}`],
    });
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^wrote .*timeline\.svg: 860×\d+ px\n$/);
    const svg = await readFile(`${dir}/timeline.svg`, "utf8");
    const pictured = await readFile(new URL("examples/window_timeline.svg", root), "utf8");
    assert.equal(
      svg,
      pictured,
      "examples/window_timeline.svg is stale: deno run --allow-write examples/window_timeline.ts examples/window_timeline.svg",
    );
    assert.ok(svg.startsWith(`<svg xmlns="http://www.w3.org/2000/svg"`));
    assert.equal(svg.match(/<g class="rn-item"/g)?.length, 3);
    assert.equal(svg.match(/rn-late/g), null);
    assert.deepEqual(
      [...svg.matchAll(/class="rn-window-label"[^>]*>([^<]*)</g)].map((m) => m[1]),
      ["#0: 6", "#1: 2"],
    );
  });
});

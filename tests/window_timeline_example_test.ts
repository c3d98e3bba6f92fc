import assert from "node:assert/strict";

const root = new URL("../", import.meta.url);

Deno.test("examples/window_timeline.ts writes the seed example's timeline into the given directory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", `--allow-write=${dir}`, "examples/window_timeline.ts", dir],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    assert.equal(code, 0, decoder.decode(stderr));
    assert.match(decoder.decode(stdout), /^wrote .*timeline\.svg: 860×\d+ px\n$/);
    const svg = await Deno.readTextFile(`${dir}/timeline.svg`);
    const pictured = await Deno.readTextFile(new URL("examples/window_timeline.svg", root));
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
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

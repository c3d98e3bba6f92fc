import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { runModule, withTempDir } from "../tests/_runtime.ts";

/** Runs `body` in a child process of this runtime with `StdOutSink` imported, returning what it printed. */
async function printThroughChild(body: string): Promise<string> {
  return await withTempDir(async (dir) => {
    const module = new URL("./std_out_sink.ts", import.meta.url).href;
    const script = `${dir}/print.ts`;
    await writeFile(
      script,
      `import { StdOutSink } from ${JSON.stringify(module)};
const writer = await new StdOutSink().build("t", 0, 1);
${body}
await writer.close?.();
`,
    );
    const { code, stdout, stderr } = await runModule(script, [], {
      denoFlags: ["--allow-all", "--quiet"],
    });
    assert.equal(stderr, "");
    assert.equal(code, 0);
    return stdout;
  });
}

Deno.test("StdOutSink prints each item on its own line", async () => {
  const printed = await printThroughChild(`
await writer.writeBatch(["plain text", ["to", 4], { word: "to", count: 4 }]);
await writer.writeBatch([]);
await writer.writeBatch([42, null, 12n, "ünïcode 😀"]);
`);
  assert.equal(
    printed,
    'plain text\n["to", 4]\n{ word: "to", count: 4 }\n42\nnull\n12n\nünïcode 😀\n',
  );
});

Deno.test("StdOutSink writes a large batch completely through a pipe", async () => {
  const printed = await printThroughChild(`
await writer.writeBatch(Array.from({ length: 50_000 }, (_, i) => "line " + i));
`);
  const lines = printed.split("\n");
  assert.equal(lines.length, 50_001);
  assert.equal(lines[49_999], "line 49999");
  assert.equal(lines[50_000], "");
});

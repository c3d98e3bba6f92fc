import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { runModule, spawnModule, withTempDir } from "../tests/_runtime.ts";

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

Deno.test("a closed standard output ends `runnel run` quietly, with the sources stopped and the other sinks closed", async () => {
  await withTempDir(async (dir) => {
    const root = new URL("../", import.meta.url);
    const marker = `${dir}/closed.txt`;
    await writeFile(
      `${dir}/flow.ts`,
      `import { writeFileSync } from "node:fs";
import { Dataflow } from ${JSON.stringify(new URL("mod.ts", root).href)};
import { StdOutSink } from ${JSON.stringify(new URL("connectors/mod.ts", root).href)};

// Endless: only the closed output can end this run.
async function* numbers() {
  for (let i = 0; ; i++) {
    yield i;
    if (i % 100 === 99) await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

export const flow = new Dataflow("endless");
const lines = flow.input("inp", numbers()).map("text", (n) => "line " + n);
lines.output("out", new StdOutSink());
lines.output("other", {
  build: () => ({
    writeBatch() {},
    close() {
      writeFileSync(${JSON.stringify(marker)}, "closed");
    },
  }),
});
`,
    );
    const child = spawnModule(new URL("cli.ts", root), ["run", `${dir}/flow.ts`], {
      denoFlags: ["--allow-all", "--quiet"],
    });
    child.closeStdin();
    // Read one line, then close the pipe, as `| head -n 1` does.
    let first = "";
    child.child.stdout!.on("data", (chunk: Uint8Array) => {
      if (first.includes("\n")) return;
      first += new TextDecoder().decode(chunk);
      if (first.includes("\n")) child.child.stdout!.destroy();
    });
    let timedOut = false;
    const watchdog = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, 30_000);
    const { code, stderr } = await child.done.finally(() => clearTimeout(watchdog));
    assert.ok(!timedOut, "runnel run did not end after its output closed");
    assert.equal(first.split("\n")[0], "line 0");
    assert.equal(stderr, "");
    assert.equal(code, 0);
    assert.equal(await readFile(marker, "utf8"), "closed");
  });
});

import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { StdInSource } from "./std_in_source.ts";
import { spawnModule, withTempDir } from "../tests/_runtime.ts";

const encoder = new TextEncoder();

// A child that stops reading would never exit: fail the test long before the runner's timeout.
const WATCHDOG_MS = 30_000;

/** Runs a child process of this runtime that drains a StdInSource, feeding it `chunks` with pauses between them. */
async function readThroughChild(chunks: Uint8Array[], batchSize: number): Promise<string[][]> {
  return await withTempDir(async (dir) => {
    const module = new URL("./std_in_source.ts", import.meta.url).href;
    const script = `${dir}/read.ts`;
    await writeFile(
      script,
      `import { StdInSource } from ${JSON.stringify(module)};
const reader = new StdInSource({ batchSize: ${batchSize} }).build("t", 0, 1);
const batches = [];
for (let batch; (batch = await reader.nextBatch()) !== null;) {
  if (batch.length === 0) await new Promise((r) => setTimeout(r, 1));
  else batches.push(batch);
}
await reader.close?.();
console.log(JSON.stringify(batches));
`,
    );
    const child = spawnModule(script, [], { denoFlags: ["--allow-all", "--quiet"] });
    // Writes to a child that ended (or that the watchdog killed) fail with EPIPE;
    // the assertions below on how it ended say why.
    child.child.stdin!.on("error", () => {});
    let timedOut = false;
    const watchdog = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, WATCHDOG_MS);
    try {
      for (const chunk of chunks) {
        await Promise.race([child.write(chunk).catch(() => {}), child.done]);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      child.closeStdin();
      await child.done;
    } finally {
      clearTimeout(watchdog);
    }
    const { code, stdout, stderr } = await child.done;
    assert.ok(!timedOut, `the reader did not finish within ${WATCHDOG_MS} ms`);
    assert.equal(stderr, "");
    assert.equal(code, 0);
    return JSON.parse(stdout);
  });
}

Deno.test("StdInSource reads lines from standard input until it ends", async () => {
  const bytes = encoder.encode("first\r\nsecönd\n\nthird 😀\nno newline");
  // Split inside "ö" and inside the emoji to cross chunk boundaries mid-character.
  const cuts = [3, 10, 22, bytes.length];
  const chunks = cuts.map((end, i) => bytes.subarray(i === 0 ? 0 : cuts[i - 1], end));
  const batches = await readThroughChild(chunks, 1000);
  assert.deepEqual(batches.flat(), ["first", "secönd", "", "third 😀", "no newline"]);
});

Deno.test("StdInSource batches by batchSize", async () => {
  const batches = await readThroughChild([encoder.encode("1\n2\n3\n4\n5\n")], 2);
  assert.deepEqual(batches, [["1", "2"], ["3", "4"], ["5"]]);
});

Deno.test("StdInSource reads a line of 64 KiB and one of several MB, however they arrive", async () => {
  const long = "a".repeat(65_536);
  const huge = "é".repeat(3 * 1024 * 1024); // 6 MiB of UTF-8.
  const batches = await readThroughChild([encoder.encode(`${long}\nshort\n${huge}\nlast\n`)], 1000);
  const lines = batches.flat();
  assert.equal(lines.length, 4);
  assert.equal(lines[0], long);
  assert.equal(lines[1], "short");
  assert.equal(lines[2], huge);
  assert.equal(lines[3], "last");
});

Deno.test("StdInSource reads a long line that arrives in many small writes", async () => {
  // Each write adds 16 KiB to the unfinished line; the reader keeps reading past 64 KiB.
  const piece = encoder.encode("b".repeat(16 * 1024));
  const chunks = [...Array.from({ length: 8 }, () => piece), encoder.encode("\nend\n")];
  const batches = await readThroughChild(chunks, 10);
  assert.deepEqual(batches.flat(), ["b".repeat(128 * 1024), "end"]);
});

Deno.test("StdInSource ends at once on an empty input", async () => {
  assert.deepEqual(await readThroughChild([], 10), []);
});

Deno.test("StdInSource gives workers other than 0 a reader that ends at once", async () => {
  const source = new StdInSource();
  for (const worker of [1, 2, 3]) {
    const reader = await source.build("t", worker, 4);
    assert.equal(await reader.nextBatch(), null);
  }
  assert.throws(() => new StdInSource({ batchSize: 0 }), RangeError);
});

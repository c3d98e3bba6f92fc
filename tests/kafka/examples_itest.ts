import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { runModule } from "../_runtime.ts";
import { produce, withTopics } from "./_topics.ts";

const root = new URL("../../", import.meta.url);

Deno.test("examples/kafka_wordcount.ts counts a topic's words into another topic", async () => {
  await withTopics(["wc-lines", "wc-counts"], 2, async ([input, output], brokers) => {
    const text = await readFile(new URL("examples/wordcount.txt", root), "utf8");
    await produce(
      brokers,
      input!,
      text.split("\n").filter((l) => l !== "").map((value) => ({ value })),
    );
    const { code, stdout, stderr } = await runModule(
      "examples/kafka_wordcount.ts",
      ["--brokers", brokers.join(","), "--in", input!, "--out", output!],
      { cwd: root },
    );
    assert.equal(code, 0, stderr);
    const expected = await readFile(new URL("tests/wordcount_expected.txt", root), "utf8");
    const sorted = (lines: string) => lines.trim().split("\n").sort();
    assert.deepEqual(sorted(stdout), sorted(expected));
  });
});

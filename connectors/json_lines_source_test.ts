import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { JsonLinesSource } from "./json_lines_source.ts";
import { drainBatches, readThenSnapshot } from "./_test_helpers.ts";
import { withTempDir } from "../tests/_runtime.ts";

async function writeInput(dir: string, content: string): Promise<string> {
  const path = `${dir}/data.jsonl`;
  await writeFile(path, content);
  return path;
}

Deno.test("JsonLinesSource parses one value per line and skips blank lines", async () => {
  await withTempDir(async (dir) => {
    const path = await writeInput(
      dir,
      '{"a":1}\n\n[1,"two"]\r\n  \n"text"\nnull\n3.5\ntrue\n{"nested":{"é":"😀"}}',
    );
    const source = new JsonLinesSource(path);
    const [part] = await source.listParts();
    assert.equal(part, path);
    assert.deepEqual(await drainBatches(await source.buildPart("t", part, undefined)), [
      [{ a: 1 }, [1, "two"], "text", null, 3.5, true, { nested: { "é": "😀" } }],
    ]);
  });
});

Deno.test("JsonLinesSource fills batches across blank lines and ends on an empty file", async () => {
  await withTempDir(async (dir) => {
    const path = await writeInput(dir, "1\n\n\n2\n\n3\n4\n\n5\n\n");
    const source = new JsonLinesSource(path, { batchSize: 2, chunkSize: 2 });
    assert.deepEqual(await drainBatches(await source.buildPart("t", path, undefined)), [
      [1, 2],
      [3, 4],
      [5],
    ]);
    const empty = await writeInput(dir, "\n\n");
    assert.deepEqual(await drainBatches(await source.buildPart("t", empty, undefined)), []);
  });
});

Deno.test("JsonLinesSource resumes from a snapshot offset", async () => {
  await withTempDir(async (dir) => {
    const path = await writeInput(dir, '{"n":1}\n{"n":2}\n\n{"n":3}\n{"n":"é"}\n');
    const source = new JsonLinesSource(path, { batchSize: 1, chunkSize: 3 });
    const first = await readThenSnapshot(await source.buildPart("t", path, undefined), 2);
    assert.deepEqual(first.batches, [[{ n: 1 }], [{ n: 2 }]]);
    assert.equal(first.snapshot, 16);
    assert.deepEqual(await drainBatches(await source.buildPart("t", path, first.snapshot)), [
      [{ n: 3 }],
      [{ n: "é" }],
    ]);
  });
});

Deno.test("JsonLinesSource names the file and line of a malformed line", async () => {
  await withTempDir(async (dir) => {
    const path = await writeInput(dir, '{"ok":1}\n\n{"ok":2}\n{"broken":\n{"ok":3}\n');
    const source = new JsonLinesSource(path, { batchSize: 1 });
    const expectLine4 = (error: Error) => {
      assert.equal(error.name, "SyntaxError");
      assert.match(
        error.message,
        new RegExp(`^Cannot parse JSON Lines file ".*data\\.jsonl": line 4: `),
      );
      assert.ok(error.cause instanceof SyntaxError);
      return true;
    };
    await assert.rejects(drainBatches(await source.buildPart("t", path, undefined)), expectLine4);
    // After a resume the line number still counts from the start of the file.
    await assert.rejects(drainBatches(await source.buildPart("t", path, 10)), expectLine4);
  });
});

Deno.test("JsonLinesSource names a missing file in its error", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/missing.jsonl`;
    await assert.rejects(new JsonLinesSource(path).listParts(), {
      message: `Cannot open JSON Lines source "${path}": file not found`,
    });
  });
});

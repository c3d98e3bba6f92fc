import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { JsonLinesSource } from "./json_lines_source.ts";
import { Dataflow, run } from "../mod.ts";
import { TestingSink } from "./testing.ts";
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

Deno.test("JsonLinesSource delivers every good line before a bad one in the same batch", async () => {
  await withTempDir(async (dir) => {
    const good = Array.from({ length: 2_500 }, (_, i) => JSON.stringify({ i })).join("\n");
    const path = await writeInput(dir, `${good}\n{"i":\n{"i":2501}\n`);
    const line2501 = {
      name: "SyntaxError",
      message: new RegExp(`^Cannot parse JSON Lines file ".*data\\.jsonl": line 2501: `),
    };

    // Through a flow: the sink gets all 2,500 values, then the run fails.
    const out: { i: number }[] = [];
    const flow = new Dataflow("f");
    flow.input("inp", new JsonLinesSource<{ i: number }>(path)).output("out", new TestingSink(out));
    await assert.rejects(run(flow), (error: Error) => {
      assert.equal(error.name, "StepError");
      assert.match((error.cause as Error).message, line2501.message);
      return true;
    });
    assert.equal(out.length, 2_500);
    assert.deepEqual(out.at(-1), { i: 2_499 });

    // The reader: batches of 1000, 1000 and 500; the snapshot then points at
    // the bad line, so a resume fails on it again without repeating values.
    const source = new JsonLinesSource<{ i: number }>(path);
    const reader = await source.buildPart("t", path, undefined);
    const sizes = [];
    for (let i = 0; i < 3; i++) sizes.push((await reader.nextBatch())!.length);
    assert.deepEqual(sizes, [1_000, 1_000, 500]);
    const snapshot = reader.snapshot();
    assert.equal(snapshot, new TextEncoder().encode(good + "\n").length);
    await assert.rejects(Promise.resolve(reader.nextBatch()), line2501);
    await assert.rejects(Promise.resolve(reader.nextBatch()), line2501);
    await reader.close?.();
    const resumed = await source.buildPart("t", path, snapshot);
    await assert.rejects(drainBatches(resumed), line2501);

    // A bad first line of a batch fails at once.
    const first = await writeInput(dir, "oops\n1\n");
    await assert.rejects(drainBatches(await source.buildPart("t", first, undefined)), {
      name: "SyntaxError",
      message: new RegExp(`line 1: `),
    });
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

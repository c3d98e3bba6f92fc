import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { Dataflow } from "../mod.ts";
import { FileSink } from "./file_sink.ts";
import { FileSource } from "./file_source.ts";
import { withTempDir } from "../tests/_runtime.ts";

Deno.test("FileSink writes each value followed by end, one partition for every key", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/out.txt`;
    const sink = new FileSink(path);
    assert.deepEqual(await sink.listParts(), [path]);
    assert.equal(sink.partFn("any key"), 0);
    const part = await sink.buildPart("t.out", path, undefined);
    assert.equal(part.snapshot(), 0);
    await part.writeBatch(["one", "twö"]);
    assert.equal(await readFile(path, "utf8"), "one\ntwö\n");
    assert.equal(part.snapshot(), 9);
    await part.writeBatch([]);
    await part.writeBatch([""]);
    assert.equal(part.snapshot(), 10);
    await part.close?.();
    await part.close?.();
    assert.equal(await readFile(path, "utf8"), "one\ntwö\n\n");
  });
});

Deno.test("FileSink uses a custom end and empties the file on a fresh start", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/out.csv`;
    await writeFile(path, "old content\n");
    const part = await new FileSink(path, { end: "\r\n" }).buildPart("t", path, undefined);
    await part.writeBatch(["a,b", "c,d"]);
    await part.close?.();
    assert.equal(await readFile(path, "utf8"), "a,b\r\nc,d\r\n");
  });
});

Deno.test("FileSink truncates to the snapshot offset on resume", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/out.txt`;
    const sink = new FileSink(path);
    const first = await sink.buildPart("t", path, undefined);
    await first.writeBatch(["a", "b"]);
    const snapshot = first.snapshot();
    await first.writeBatch(["lost after crash"]);
    await first.close?.();
    assert.equal(snapshot, 4);

    const resumed = await sink.buildPart("t", path, snapshot);
    assert.equal(await readFile(path, "utf8"), "a\nb\n");
    assert.equal(resumed.snapshot(), 4);
    await resumed.writeBatch(["c"]);
    await resumed.close?.();
    assert.equal(await readFile(path, "utf8"), "a\nb\nc\n");
  });
});

Deno.test("FileSink with a resumable source writes every line exactly once across a crash", async () => {
  await withTempDir(async (dir) => {
    const input = `${dir}/in.txt`;
    const output = `${dir}/out.txt`;
    await writeFile(input, "1\n2\n3\n4\n5\n");
    const source = new FileSource(input, { batchSize: 2 });
    const sink = new FileSink(output);

    // First run: snapshot after one batch, write one more batch, then crash.
    const reader = await source.buildPart("t", input, undefined);
    const writer = await sink.buildPart("t", output, undefined);
    await writer.writeBatch((await reader.nextBatch())!.map((x) => `n=${x}`));
    const epoch = { source: reader.snapshot(), sink: writer.snapshot() };
    await writer.writeBatch((await reader.nextBatch())!.map((x) => `n=${x}`));
    await reader.close?.();
    await writer.close?.();

    // Second run resumes both from the same epoch.
    const reader2 = await source.buildPart("t", input, epoch.source);
    const writer2 = await sink.buildPart("t", output, epoch.sink);
    for (let batch; (batch = await reader2.nextBatch()) !== null;) {
      await writer2.writeBatch(batch.map((x) => `n=${x}`));
    }
    await reader2.close?.();
    await writer2.close?.();
    assert.equal(await readFile(output, "utf8"), "n=1\nn=2\nn=3\nn=4\nn=5\n");
  });
});

Deno.test("FileSink rejects non-string values, naming the sink and the value", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/out.txt`;
    const part = await new FileSink(path).buildPart("t", path, undefined);
    try {
      await assert.rejects(
        Promise.resolve(part.writeBatch(["fine", 4 as unknown as string])),
        {
          name: "TypeError",
          message: `Cannot write to file sink "${path}": value must be a string, got number 4`,
        },
      );
      await assert.rejects(Promise.resolve(part.writeBatch([["to", 4] as unknown as string])), {
        message: `Cannot write to file sink "${path}": value must be a string, got array ["to",4]`,
      });
      assert.equal(await readFile(path, "utf8"), "");
      assert.equal(part.snapshot(), 0);
    } finally {
      await part.close?.();
    }
  });
});

Deno.test("FileSink refuses a snapshot beyond the file and a missing directory", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/out.txt`;
    await writeFile(path, "ab\n");
    const sink = new FileSink(path);
    await assert.rejects(sink.buildPart("t", path, 10), {
      name: "RangeError",
      message: `Cannot resume file sink "${path}": the file has 3 bytes but the snapshot says ` +
        "10 were written; was it replaced?",
    });
    assert.equal(await readFile(path, "utf8"), "ab\n");
    await assert.rejects(sink.buildPart("t", "other", undefined), RangeError);
    const nested = `${dir}/no/such/out.txt`;
    await assert.rejects(new FileSink(nested).buildPart("t", nested, undefined), {
      message: `Cannot open file sink "${nested}": directory of "${nested}" not found`,
    });
  });
});

// Checked when the test files are type-checked: the step is only added, never run.
Deno.test("FileSink takes only a keyed stream: an unkeyed one is a type error", () => {
  const flow = new Dataflow("f");
  const lines = flow.input("inp", ["a", "b"]);
  // @ts-expect-error FileSink writes [key, line] pairs: key the stream first.
  lines.output("unkeyed", new FileSink("unused.txt"));
  lines.keyOn("key", () => "k").output("keyed", new FileSink("unused.txt"));
});

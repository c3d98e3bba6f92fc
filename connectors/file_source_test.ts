import assert from "node:assert/strict";
import { stat, writeFile } from "node:fs/promises";
import { FileSource, type FileSourceOptions } from "./file_source.ts";
import { drainBatches, readThenSnapshot } from "./_test_helpers.ts";
import { withTempDir } from "../tests/_runtime.ts";

async function readLines(
  path: string,
  options: FileSourceOptions = {},
  resume?: number,
): Promise<string[][]> {
  const source = new FileSource(path, options);
  const [part] = await source.listParts();
  return drainBatches<string>(await source.buildPart("test.inp", part, resume));
}

async function writeInput(dir: string, content: string | Uint8Array): Promise<string> {
  const path = `${dir}/input.txt`;
  await writeFile(path, content);
  return path;
}

Deno.test("FileSource lists one partition named by its path", async () => {
  await withTempDir(async (dir) => {
    const path = await writeInput(dir, "a\n");
    assert.deepEqual(await new FileSource(path).listParts(), [path]);
  });
});

Deno.test("FileSource emits lines without terminators, with or without a final newline", async () => {
  await withTempDir(async (dir) => {
    assert.deepEqual(await readLines(await writeInput(dir, "a\nbb\nccc\n")), [["a", "bb", "ccc"]]);
    assert.deepEqual(await readLines(await writeInput(dir, "a\nbb\nccc")), [["a", "bb", "ccc"]]);
    assert.deepEqual(await readLines(await writeInput(dir, "a\n\nb\n\n")), [["a", "", "b", ""]]);
    assert.deepEqual(await readLines(await writeInput(dir, "\n")), [[""]]);
  });
});

Deno.test("FileSource strips CRLF terminators but keeps a lone CR inside a line", async () => {
  await withTempDir(async (dir) => {
    const path = await writeInput(dir, "one\r\ntwo\r\nx\ry\r\nlast\r");
    assert.deepEqual(await readLines(path, { chunkSize: 3 }), [["one", "two", "x\ry", "last"]]);
  });
});

Deno.test("FileSource ends at once on an empty file", async () => {
  await withTempDir(async (dir) => {
    const path = await writeInput(dir, "");
    assert.deepEqual(await readLines(path), []);
    const source = new FileSource(path);
    const part = await source.buildPart("test.inp", path, undefined);
    assert.equal(part.snapshot(), 0);
    assert.equal(await part.nextBatch(), null);
    assert.equal(part.snapshot(), 0);
    await part.close?.();
  });
});

Deno.test("FileSource decodes UTF-8 characters split across chunk boundaries", async () => {
  await withTempDir(async (dir) => {
    const lines = ["héllo wörld", "日本語", "emoji 😀👍", "", "ascii"];
    const path = await writeInput(dir, lines.join("\n") + "\n");
    for (const chunkSize of [1, 2, 3, 5, 7, 64]) {
      assert.deepEqual((await readLines(path, { chunkSize })).flat(), lines, `chunk ${chunkSize}`);
    }
  });
});

Deno.test("FileSource reads a line longer than many chunks", async () => {
  await withTempDir(async (dir) => {
    const long = "x".repeat(100_000) + "é";
    const path = await writeInput(dir, `short\n${long}\nend`);
    assert.deepEqual((await readLines(path, { chunkSize: 1000 })).flat(), ["short", long, "end"]);
  });
});

Deno.test("FileSource drops a UTF-8 byte order mark at the start", async () => {
  await withTempDir(async (dir) => {
    const path = await writeInput(dir, "\ufefffirst\nsecond\n");
    assert.deepEqual(await readLines(path, { chunkSize: 1 }), [["first", "second"]]);
  });
});

Deno.test("FileSource batches by batchSize", async () => {
  await withTempDir(async (dir) => {
    const path = await writeInput(dir, "1\n2\n3\n4\n5\n");
    assert.deepEqual(await readLines(path, { batchSize: 2 }), [["1", "2"], ["3", "4"], ["5"]]);
    assert.deepEqual(await readLines(path, { batchSize: 5 }), [["1", "2", "3", "4", "5"]]);
    assert.deepEqual(await readLines(path, { batchSize: 1, chunkSize: 1 }), [
      ["1"],
      ["2"],
      ["3"],
      ["4"],
      ["5"],
    ]);
  });
});

Deno.test("FileSource resumes from every snapshot without losing or repeating a line", async () => {
  await withTempDir(async (dir) => {
    const lines = ["α", "β\r", "γγ", "", "δ 😀", "ε", "last"];
    const path = await writeInput(dir, "\ufeff" + lines.join("\n"));
    const expected = ["α", "β", "γγ", "", "δ 😀", "ε", "last"];
    const source = new FileSource(path, { batchSize: 2, chunkSize: 3 });
    for (let taken = 0; taken <= 4; taken++) {
      const first = await readThenSnapshot(
        await source.buildPart("test.inp", path, undefined),
        taken,
      );
      const rest = await drainBatches<string>(
        await source.buildPart("test.inp", path, first.snapshot),
      );
      assert.deepEqual([...first.batches.flat(), ...rest.flat()], expected, `after ${taken}`);
    }
  });
});

Deno.test("FileSource snapshots the byte offset of the next unread line", async () => {
  await withTempDir(async (dir) => {
    const path = await writeInput(dir, "ab\r\né\nlast");
    const part = await new FileSource(path, { batchSize: 1 }).buildPart("t", path, undefined);
    const offsets = [part.snapshot()];
    while (await part.nextBatch() !== null) offsets.push(part.snapshot());
    offsets.push(part.snapshot());
    await part.close?.();
    assert.deepEqual(offsets, [0, 4, 7, 11, 11]);
  });
});

Deno.test("FileSource names a missing file in its error", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/missing.txt`;
    const source = new FileSource(path);
    await assert.rejects(source.listParts(), {
      message: `Cannot open file source "${path}": file not found`,
    });
    await assert.rejects(source.buildPart("t", path, undefined), {
      message: `Cannot open file source "${path}": file not found`,
    });
    await assert.rejects(new FileSource(dir).listParts(), {
      message: `Cannot open file source "${dir}": file is not a regular file`,
    });
  });
});

Deno.test("FileSource rejects bad options, unknown partitions and bad snapshots", async () => {
  assert.throws(() => new FileSource("x", { batchSize: 0 }), {
    name: "RangeError",
    message: 'Cannot create file source "x": batchSize must be a positive integer, got 0',
  });
  assert.throws(() => new FileSource(""), TypeError);
  await withTempDir(async (dir) => {
    const path = await writeInput(dir, "abc\n");
    const source = new FileSource(path);
    await assert.rejects(source.buildPart("t", "other", undefined), {
      name: "RangeError",
      message: `Cannot build file source "${path}": unknown partition "other"`,
    });
    await assert.rejects(source.buildPart("t", path, 5), {
      name: "RangeError",
      message: `Cannot resume file source "${path}": snapshot offset 5 is past the end of the ` +
        "file (4 bytes); was it replaced?",
    });
    await assert.rejects(source.buildPart("t", path, -1), TypeError);
  });
});

Deno.test("FileSource names partitions by device and path with fsId: device", async () => {
  await withTempDir(async (dir) => {
    const path = await writeInput(dir, "a\nb\n");
    const source = new FileSource(path, { fsId: "device" });
    const [part] = await source.listParts();
    const dev = (await stat(path)).dev.toString(16);
    assert.equal(part, `${dev}::${path}`);
    assert.deepEqual(await drainBatches(await source.buildPart("t", part, 2)), [["b"]]);
  });
});

import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { DirSource } from "./dir_source.ts";
import { drainBatches, readThenSnapshot } from "./_test_helpers.ts";
import { withTempDir } from "../tests/_runtime.ts";

async function fill(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await writeFile(`${dir}/${name}`, content);
  }
}

Deno.test("DirSource lists one partition per matching file, sorted by name", async () => {
  await withTempDir(async (dir) => {
    await fill(dir, { "b.csv": "", "a.csv": "", "c.txt": "", "a.csv.bak": "" });
    await mkdir(`${dir}/sub.csv`);
    assert.deepEqual(await new DirSource(dir, { globPattern: "*.csv" }).listParts(), [
      `${dir}/a.csv`,
      `${dir}/b.csv`,
    ]);
    assert.deepEqual(await new DirSource(dir).listParts(), [
      `${dir}/a.csv`,
      `${dir}/a.csv.bak`,
      `${dir}/b.csv`,
      `${dir}/c.txt`,
    ]);
    assert.deepEqual(await new DirSource(`${dir}/`, { globPattern: "?.txt" }).listParts(), [
      `${dir}/c.txt`,
    ]);
  });
});

Deno.test("DirSource reads each file's lines in batches", async () => {
  await withTempDir(async (dir) => {
    await fill(dir, { "1.txt": "a\nb\nc\n", "2.txt": "d\r\ne", "3.txt": "" });
    const source = new DirSource(dir, { batchSize: 2 });
    const result: Record<string, string[][]> = {};
    for (const part of await source.listParts()) {
      result[part.slice(dir.length + 1)] = await drainBatches(
        await source.buildPart("t", part, undefined),
      );
    }
    assert.deepEqual(result, { "1.txt": [["a", "b"], ["c"]], "2.txt": [["d", "e"]], "3.txt": [] });
  });
});

Deno.test("DirSource resumes each file from its own snapshot", async () => {
  await withTempDir(async (dir) => {
    await fill(dir, { "x.log": "x1\nx2\nx3\n", "y.log": "y1\ny2\n" });
    const source = new DirSource(dir, { batchSize: 1, globPattern: "*.log" });
    const [x, y] = await source.listParts();
    const xFirst = await readThenSnapshot(await source.buildPart("t", x, undefined), 2);
    const yFirst = await readThenSnapshot(await source.buildPart("t", y, undefined), 1);
    assert.deepEqual([xFirst.snapshot, yFirst.snapshot], [6, 3]);
    assert.deepEqual((await drainBatches(await source.buildPart("t", x, xFirst.snapshot))).flat(), [
      "x3",
    ]);
    assert.deepEqual((await drainBatches(await source.buildPart("t", y, yFirst.snapshot))).flat(), [
      "y2",
    ]);
  });
});

Deno.test("DirSource names a missing directory or file in its error", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(new DirSource(`${dir}/nope`).listParts(), {
      message: `Cannot open directory source "${dir}/nope": directory not found`,
    });
    const source = new DirSource(dir);
    await assert.rejects(source.buildPart("t", `${dir}/gone.txt`, undefined), {
      message: `Cannot open directory source "${dir}": file "${dir}/gone.txt" not found`,
    });
  });
});

Deno.test("DirSource refuses partitions outside its directory or pattern", async () => {
  await withTempDir(async (dir) => {
    await fill(dir, { "a.txt": "a\n" });
    const source = new DirSource(dir, { globPattern: "*.csv" });
    for (const part of ["/etc/passwd", `${dir}/a.txt`, `${dir}/sub/a.csv`, `${dir}x/a.csv`]) {
      await assert.rejects(source.buildPart("t", part, undefined), {
        name: "RangeError",
        message: `Cannot build directory source "${dir}": unknown partition "${part}"`,
      });
    }
  });
});

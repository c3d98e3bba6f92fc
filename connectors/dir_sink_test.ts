import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { DirSink } from "./dir_sink.ts";
import { stableHash } from "../src/dataflow/stable_hash.ts";
import { withTempDir } from "../tests/_runtime.ts";

/** Routes items as the runtime does: the key picks the partition via partFn. */
async function writeKeyed(
  sink: DirSink,
  items: [string, string][],
  resume: Record<string, number> = {},
): Promise<Record<string, number>> {
  const parts = sink.listParts();
  const writers = await Promise.all(parts.map((p) => sink.buildPart("t", p, resume[p])));
  const byPart = parts.map(() => [] as string[]);
  for (const [key, value] of items) byPart[sink.partFn(key)].push(value);
  const snapshots: Record<string, number> = {};
  for (let i = 0; i < parts.length; i++) {
    await writers[i].writeBatch(byPart[i]);
    snapshots[parts[i]] = writers[i].snapshot();
    await writers[i].close?.();
  }
  return snapshots;
}

async function readDir(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const name of await readdir(dir)) {
    files[name] = await readFile(`${dir}/${name}`, "utf8");
  }
  return files;
}

Deno.test("DirSink lists fileCount partitions named by fileNamer", () => {
  assert.deepEqual(new DirSink("out", { fileCount: 3 }).listParts(), [
    "part_0",
    "part_1",
    "part_2",
  ]);
  const named = new DirSink("out", { fileCount: 2, fileNamer: (i, n) => `${i}-of-${n}.txt` });
  assert.deepEqual(named.listParts(), ["0-of-2.txt", "1-of-2.txt"]);
});

Deno.test("DirSink routes each key to fileNamer(stableHash(key) % fileCount)", async () => {
  await withTempDir(async (dir) => {
    const out = `${dir}/out`;
    // Eleven files: "part_10" sorts before "part_2", so indices must be mapped.
    const sink = new DirSink(out, { fileCount: 11 });
    const keys = ["apple", "banana", "cherry", "date", "elderberry", "fig", "grape", "ünïcode"];
    await writeKeyed(sink, keys.map((key) => [key, key]));
    const files = await readDir(out);
    assert.equal(Object.keys(files).length, 11);
    for (const key of keys) {
      const file = `part_${stableHash(key) % 11}`;
      assert.ok(files[file].split("\n").includes(key), `${key} in ${file}`);
      assert.equal(sink.listParts()[sink.partFn(key)], file);
    }
  });
});

Deno.test("DirSink routing is stable across runs", () => {
  // Frozen: changing where keys land would split a key's output across files between runs.
  const sink = new DirSink("out", { fileCount: 4 });
  const parts = sink.listParts();
  assert.deepEqual(
    ["user-1", "apple", "banana", "cherry"].map((key) => parts[sink.partFn(key)]),
    ["part_0", "part_3", "part_0", "part_0"],
  );
});

Deno.test("DirSink truncates each file to its snapshot on resume", async () => {
  await withTempDir(async (dir) => {
    const sink = new DirSink(dir, { fileCount: 2 });
    const items: [string, string][] = [["a", "a1"], ["b", "b1"], ["c", "c1"], ["d", "d1"]];
    const snapshots = await writeKeyed(sink, items);
    await writeKeyed(sink, [["a", "a-lost"], ["b", "b-lost"]], snapshots);
    const afterCrash = await readDir(dir);
    await writeKeyed(sink, [["a", "a2"], ["b", "b2"]], snapshots);
    const files = await readDir(dir);
    assert.notDeepEqual(files, afterCrash);
    assert.ok(!Object.values(files).join("").includes("lost"));
    assert.deepEqual(Object.values(files).join("").split("\n").filter(Boolean).sort(), [
      "a1",
      "a2",
      "b1",
      "b2",
      "c1",
      "d1",
    ]);
  });
});

Deno.test("DirSink rejects bad options and unknown partitions", async () => {
  assert.throws(() => new DirSink("out", { fileCount: 0 }), {
    name: "RangeError",
    message: 'Cannot create directory sink "out": fileCount must be a positive integer, got 0',
  });
  assert.throws(() => new DirSink("out", { fileCount: 2, fileNamer: () => "same" }), {
    name: "RangeError",
    message: 'Cannot create directory sink "out": fileNamer gave "same" for two files',
  });
  assert.throws(() => new DirSink("out", { fileCount: 1, fileNamer: () => "a/b" }), TypeError);
  await assert.rejects(new DirSink("out", { fileCount: 1 }).buildPart("t", "part_9", undefined), {
    name: "RangeError",
    message: 'Cannot build directory sink "out": unknown partition "part_9"',
  });
});

Deno.test("DirSink names the file in a non-string value error", async () => {
  await withTempDir(async (dir) => {
    const part = await new DirSink(dir, { fileCount: 1 }).buildPart("t", "part_0", undefined);
    try {
      await assert.rejects(Promise.resolve(part.writeBatch([null as unknown as string])), {
        name: "TypeError",
        message: `Cannot write to directory sink "${dir}" (file "part_0"): value must be a ` +
          "string, got null",
      });
    } finally {
      await part.close?.();
    }
  });
});

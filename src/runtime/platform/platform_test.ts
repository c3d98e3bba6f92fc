import assert from "node:assert/strict";
import { type Platform, platform } from "./platform.ts";
import { denoPlatform } from "./deno.ts";
import { nodePlatform } from "./node.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

Deno.test("platform is the Deno adapter when running on Deno", () => {
  assert.equal(platform, denoPlatform);
  assert.equal(platform.name, "deno");
});

async function readAll(adapter: Platform, path: string, offset?: number, size = 4) {
  const file = await adapter.openRead(path, { offset });
  const buffer = new Uint8Array(size);
  const chunks: string[] = [];
  try {
    for (;;) {
      const n = await file.read(buffer);
      if (n === null) break;
      chunks.push(decoder.decode(buffer.subarray(0, n)));
    }
  } finally {
    await file.close();
  }
  return chunks;
}

// Node's adapter runs here under Deno's node compatibility layer, so both
// adapters meet the same specification in one test run.
for (const adapter of [denoPlatform, nodePlatform]) {
  const label = adapter === denoPlatform ? "deno" : "node";

  Deno.test(`${label} adapter reads a file in chunks from a byte offset`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      const path = `${dir}/a.txt`;
      await Deno.writeTextFile(path, "0123456789");
      assert.deepEqual(await readAll(adapter, path), ["0123", "4567", "89"]);
      assert.deepEqual(await readAll(adapter, path, 3), ["3456", "789"]);
      assert.deepEqual(await readAll(adapter, path, 10), []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`${label} adapter appends, truncates to an offset and syncs`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      const path = `${dir}/out.txt`;
      let file = await adapter.openWrite(path);
      await file.write(encoder.encode("hello "));
      await file.write(encoder.encode("world"));
      await file.sync();
      await file.close();
      await file.close();
      assert.equal(await Deno.readTextFile(path), "hello world");

      file = await adapter.openWrite(path);
      await file.write(encoder.encode("!"));
      await file.close();
      assert.equal(await Deno.readTextFile(path), "hello world!");

      file = await adapter.openWrite(path, { truncateTo: 5 });
      await file.write(encoder.encode(", you"));
      await file.close();
      assert.equal(await Deno.readTextFile(path), "hello, you");

      file = await adapter.openWrite(path, { truncateTo: 0 });
      await file.close();
      assert.equal(await Deno.readTextFile(path), "");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`${label} adapter stats files and directories`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/f`, "abc");
      const file = await adapter.stat(`${dir}/f`);
      assert.equal(file.isFile, true);
      assert.equal(file.isDirectory, false);
      assert.equal(file.size, 3);
      assert.ok(file.mtime instanceof Date);
      assert.equal(typeof file.dev, "number");
      assert.ok(file.dev > 0);
      const folder = await adapter.stat(dir);
      assert.equal(folder.isDirectory, true);
      assert.equal(folder.dev, file.dev);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`${label} adapter reports missing files as not found`, async () => {
    const missing = `${await Deno.makeTempDir()}/nope`;
    try {
      for (const attempt of [() => adapter.stat(missing), () => adapter.openRead(missing)]) {
        await assert.rejects(attempt(), (error: unknown) => adapter.isNotFound(error));
      }
      await assert.rejects(
        adapter.openWrite(`${missing}/sub/file`),
        (error: unknown) => adapter.isNotFound(error),
      );
      assert.equal(adapter.isNotFound(new Error("other")), false);
      assert.equal(adapter.isNotFound(undefined), false);
    } finally {
      await Deno.remove(missing.slice(0, -5), { recursive: true });
    }
  });

  Deno.test(`${label} adapter lists a directory sorted and filtered by a glob`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      for (const name of ["b.csv", "a.csv", "c.txt", "a.csv.bak"]) {
        await Deno.writeTextFile(`${dir}/${name}`, name);
      }
      await adapter.mkdir(`${dir}/sub.csv/deeper`);
      await adapter.mkdir(`${dir}/sub.csv/deeper`);
      await Deno.symlink(`${dir}/c.txt`, `${dir}/link.csv`);
      const all = await adapter.readDir(dir);
      assert.deepEqual(all.map((e) => e.name), [
        "a.csv",
        "a.csv.bak",
        "b.csv",
        "c.txt",
        "link.csv",
        "sub.csv",
      ]);
      const csv = await adapter.readDir(dir, { pattern: "*.csv" });
      assert.deepEqual(csv, [
        { name: "a.csv", isFile: true, isDirectory: false },
        { name: "b.csv", isFile: true, isDirectory: false },
        { name: "link.csv", isFile: true, isDirectory: false },
        { name: "sub.csv", isFile: false, isDirectory: true },
      ]);
      assert.deepEqual((await adapter.readDir(dir, { pattern: "?.txt" })).map((e) => e.name), [
        "c.txt",
      ]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`${label} adapter reports args, env and cwd`, () => {
    assert.ok(Array.isArray(adapter.args()));
    assert.equal(adapter.cwd(), Deno.cwd());
    Deno.env.set("RUNNEL_PLATFORM_TEST", "yes");
    assert.equal(adapter.env("RUNNEL_PLATFORM_TEST"), "yes");
    assert.equal(adapter.env("RUNNEL_PLATFORM_TEST_UNSET"), undefined);
  });

  Deno.test(`${label} adapter copies stdin to stdout and exits with a code`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      const module = new URL(`./${label}.ts`, import.meta.url).href;
      const script = `${dir}/echo.ts`;
      await Deno.writeTextFile(
        script,
        `import { ${label}Platform as p } from ${JSON.stringify(module)};
for await (const chunk of p.stdin()) await p.writeStdout(chunk);
await p.writeStdout(new TextEncoder().encode(JSON.stringify(p.args())));
p.exit(3);
`,
      );
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", "--quiet", script, "x", "y"],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const writer = child.stdin.getWriter();
      await writer.write(encoder.encode("line 1\n"));
      await writer.write(encoder.encode("line 2 é\n"));
      await writer.close();
      const { code, stdout, stderr } = await child.output();
      assert.equal(decoder.decode(stderr), "");
      assert.equal(decoder.decode(stdout), 'line 1\nline 2 é\n["x","y"]');
      assert.equal(code, 3);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

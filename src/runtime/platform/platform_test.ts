import assert from "node:assert/strict";
import { readFile, symlink, writeFile } from "node:fs/promises";
import process from "node:process";
import { type Platform, platform } from "./platform.ts";
import { denoPlatform } from "./deno.ts";
import { nodePlatform } from "./node.ts";
import { runModule, runtime, spawnModule, withTempDir } from "../../../tests/_runtime.ts";
import { isLiveProcStat } from "./proc_stat.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

Deno.test("platform is the adapter for the runtime it runs on, named after it", () => {
  assert.equal(platform, runtime === "deno" ? denoPlatform : nodePlatform);
  assert.equal(platform.name, runtime);
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

// On Deno, Node's adapter runs under Deno's node compatibility layer, so both
// adapters meet the same specification in one test run. The Deno adapter is
// built on Deno's own API, so Bun and Node test the Node adapter alone.
for (const adapter of runtime === "deno" ? [denoPlatform, nodePlatform] : [nodePlatform]) {
  const label = adapter === denoPlatform ? "deno" : "node";

  Deno.test(`${label} adapter reads a file in chunks from a byte offset`, async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/a.txt`;
      await writeFile(path, "0123456789");
      assert.deepEqual(await readAll(adapter, path), ["0123", "4567", "89"]);
      assert.deepEqual(await readAll(adapter, path, 3), ["3456", "789"]);
      assert.deepEqual(await readAll(adapter, path, 10), []);
    });
  });

  Deno.test(`${label} adapter appends, truncates to an offset and syncs`, async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/out.txt`;
      let file = await adapter.openWrite(path);
      await file.write(encoder.encode("hello "));
      await file.write(encoder.encode("world"));
      await file.sync();
      await file.close();
      await file.close();
      assert.equal(await readFile(path, "utf8"), "hello world");

      file = await adapter.openWrite(path);
      await file.write(encoder.encode("!"));
      await file.close();
      assert.equal(await readFile(path, "utf8"), "hello world!");

      file = await adapter.openWrite(path, { truncateTo: 5 });
      await file.write(encoder.encode(", you"));
      await file.close();
      assert.equal(await readFile(path, "utf8"), "hello, you");

      file = await adapter.openWrite(path, { truncateTo: 0 });
      await file.close();
      assert.equal(await readFile(path, "utf8"), "");
    });
  });

  Deno.test(`${label} adapter stats files and directories`, async () => {
    await withTempDir(async (dir) => {
      await writeFile(`${dir}/f`, "abc");
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
    });
  });

  Deno.test(`${label} adapter reports missing files as not found`, async () => {
    await withTempDir(async (dir) => {
      const missing = `${dir}/nope`;
      for (const attempt of [() => adapter.stat(missing), () => adapter.openRead(missing)]) {
        await assert.rejects(attempt(), (error: unknown) => adapter.isNotFound(error));
      }
      await assert.rejects(
        adapter.openWrite(`${missing}/sub/file`),
        (error: unknown) => adapter.isNotFound(error),
      );
      assert.equal(adapter.isNotFound(new Error("other")), false);
      assert.equal(adapter.isNotFound(undefined), false);
    });
  });

  Deno.test(`${label} adapter lists a directory sorted, following symlinks`, async () => {
    await withTempDir(async (dir) => {
      for (const name of ["b.csv", "a.csv", "c.txt", "a.csv.bak"]) {
        await writeFile(`${dir}/${name}`, name);
      }
      await adapter.mkdir(`${dir}/sub.csv/deeper`);
      await adapter.mkdir(`${dir}/sub.csv/deeper`);
      await symlink(`${dir}/c.txt`, `${dir}/link.csv`);
      await symlink(`${dir}/gone.txt`, `${dir}/dangling.csv`);
      assert.deepEqual(await adapter.readDir(dir), [
        { name: "a.csv", isFile: true, isDirectory: false },
        { name: "a.csv.bak", isFile: true, isDirectory: false },
        { name: "b.csv", isFile: true, isDirectory: false },
        { name: "c.txt", isFile: true, isDirectory: false },
        { name: "dangling.csv", isFile: false, isDirectory: false },
        { name: "link.csv", isFile: true, isDirectory: false },
        { name: "sub.csv", isFile: false, isDirectory: true },
      ]);
    });
  });

  Deno.test(`${label} adapter reports args, env and cwd`, () => {
    assert.ok(Array.isArray(adapter.args()));
    assert.equal(adapter.cwd(), process.cwd());
    process.env.RUNNEL_PLATFORM_TEST = "yes";
    assert.equal(adapter.env("RUNNEL_PLATFORM_TEST"), "yes");
    assert.equal(adapter.env("RUNNEL_PLATFORM_TEST_UNSET"), undefined);
  });

  Deno.test(`${label} adapter copies stdin to stdout, knows its main module, hears SIGINT, SIGTERM and SIGHUP and exits with a code`, async () => {
    await withTempDir(async (dir) => {
      const module = new URL(`./${label}.ts`, import.meta.url).href;
      const script = `${dir}/echo.ts`;
      await writeFile(
        script,
        `import process from "node:process";
import { ${label}Platform as p } from ${JSON.stringify(module)};
const print = (value) => p.writeStdout(new TextEncoder().encode(JSON.stringify(value) + "\\n"));
for await (const chunk of p.stdin()) await p.writeStdout(chunk);
await print(p.args());
await print([p.isMain(import.meta.url), p.isMain(${JSON.stringify(module)})]);
const heard = [];
for (const name of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  const interrupted = new Promise((resolve) => {
    // The timer also keeps Node's event loop alive: a signal listener does not.
    const timer = setTimeout(() => resolve("no " + name + " within 10 s"), 10_000);
    const remove = p.onInterrupt((signal) => {
      clearTimeout(timer);
      remove();
      remove();
      resolve(signal);
    });
  });
  process.kill(process.pid, name);
  heard.push(await interrupted);
}
await print(heard);
p.exit(3);
`,
      );
      const child = spawnModule(script, ["x", "y"], { denoFlags: ["--allow-all", "--quiet"] });
      await child.write(encoder.encode("line 1\n"));
      await child.write(encoder.encode("line 2 é\n"));
      child.closeStdin();
      const { code, stdout, stderr } = await child.done;
      assert.equal(stderr, "");
      assert.equal(
        stdout,
        'line 1\nline 2 é\n["x","y"]\n[true,false]\n["SIGINT","SIGTERM","SIGHUP"]\n',
      );
      assert.equal(code, 3);
    });
  });
}

for (const adapter of runtime === "deno" ? [denoPlatform, nodePlatform] : [nodePlatform]) {
  const label = adapter === denoPlatform ? "deno" : "node";

  Deno.test(`${label} adapter opens a Deno KV file: bytes round trip, checked atomics, ordered lists`, async () => {
    await withTempDir(async (dir) => {
      const kv = await adapter.openKv(`${dir}/db.kv`);
      try {
        const missing = await kv.get(["a"]);
        assert.equal(missing.value, null);
        assert.equal(missing.versionstamp, null);
        const big = new Uint8Array(64 * 1024).fill(7);
        assert.ok(
          (await kv.atomic().check({ key: ["a"], versionstamp: null }).set(["a"], big)
            .set(["b", 2], Uint8Array.of(2)).set(["b", 1], Uint8Array.of(1)).commit()).ok,
        );
        const a = await kv.get(["a"]);
        assert.ok(a.value instanceof Uint8Array);
        assert.deepEqual([...(a.value as Uint8Array)], [...big]);
        // A stale versionstamp fails the whole commit.
        assert.equal(
          (await kv.atomic().check({ key: ["a"], versionstamp: null }).delete(["b", 1]).commit())
            .ok,
          false,
        );
        const listed: unknown[] = [];
        for await (const entry of kv.list({ prefix: ["b"] })) {
          listed.push([entry.key, [...(entry.value as Uint8Array)]]);
        }
        assert.deepEqual(listed, [[["b", 1], [1]], [["b", 2], [2]]]);
        const fromTwo: unknown[] = [];
        for await (const entry of kv.list({ prefix: ["b"], start: ["b", 2] })) {
          fromTwo.push(entry.key);
        }
        assert.deepEqual(fromTwo, [["b", 2]]);
      } finally {
        kv.close();
      }
    });
  });

  Deno.test(`${label} adapter knows its own process is alive and an ended one is not`, async () => {
    assert.ok(adapter.pid() > 0);
    assert.equal(adapter.pid(), process.pid);
    assert.equal(typeof adapter.hostname(), "string");
    assert.equal(adapter.isProcessAlive(adapter.pid()), true);
    await withTempDir(async (dir) => {
      await writeFile(
        `${dir}/pid.ts`,
        'import process from "node:process";\nconsole.log(process.pid);\n',
      );
      const { stdout } = await runModule(`${dir}/pid.ts`);
      const ended = Number(stdout.trim());
      assert.ok(ended > 0, stdout);
      assert.equal(adapter.isProcessAlive(ended), false);
    });
  });
}

Deno.test("isLiveProcStat() reads the state after the command name, however odd the name", () => {
  assert.equal(isLiveProcStat("42 (deno) S 1 42 42 0"), true);
  assert.equal(isLiveProcStat("42 (deno) R 1 42 42 0"), true);
  assert.equal(isLiveProcStat("42 (a) Z (b) Z 1 42"), false);
  assert.equal(isLiveProcStat("42 (x) S) Z 1 42"), false);
  assert.equal(isLiveProcStat("42 (deno) X 1 42"), false);
});

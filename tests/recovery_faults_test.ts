// Bad recovery directories through the command line: each fault ends the
// run with exit 1 and a message naming the file and what is wrong, and
// leaves the outputs as they were (never a silent fresh start); --fresh
// starts over on purpose.
import assert from "node:assert/strict";
import { copyFile, mkdir, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { platform } from "../src/runtime/platform/platform.ts";
import { partitionPath } from "../src/runtime/recovery/_partitions.ts";
import { FIXTURES, runCli, startCli } from "./_recovery_cli.ts";
import { withTempDir } from "./_runtime.ts";

const WORDCOUNT = `${FIXTURES}wordcount_flow.ts`;
const WINDOWS = `${FIXTURES}windows_flow.ts`;
const OUTPUTS = ["counts.txt", "running.txt"];
const INPUT = Array.from({ length: 300 }, (_, i) => `w${i % 17} w${i % 5} w${i % 3}`).join("\n") +
  "\n";

function run(dir: string, ...more: string[]) {
  return runCli(["run", WORDCOUNT, "-w", "1", "-r", "snaps", "-s", "0.05", ...more], dir);
}

async function outputs(dir: string): Promise<string[]> {
  return await Promise.all(OUTPUTS.map((file) => readFile(join(dir, file), "utf8")));
}

// A directory with input.txt, a store of two partitions and one complete
// run of the wordcount flow; returns that run's outputs.
async function completedRun(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "input.txt"), INPUT);
  const init = await runCli(["recovery", "init", "snaps", "2"], dir);
  assert.equal(init.output.code, 0, init.output.stderr);
  const done = await run(dir);
  assert.equal(done.output.code, 0, done.output.stderr);
  return await outputs(dir);
}

// Runs the flow on the store in `dir` and checks it refuses with `message`
// and exit 1, having written nothing.
async function refuses(dir: string, message: RegExp): Promise<void> {
  const before = await outputs(dir);
  const refused = await run(dir);
  assert.equal(refused.output.code, 1, refused.output.stderr);
  assert.match(refused.output.stderr, message);
  assert.deepEqual(await outputs(dir), before, "a refused run changed the outputs");
}

Deno.test("process: runnel run -r refuses a missing partition, another flow's, another store's, naming the file; --fresh starts over", async () => {
  await withTempDir(async (dir) => {
    const a = join(dir, "a");
    const expected = await completedRun(a);
    assert.match(expected[0]!, /^w0 \d+\n/);
    const part1 = partitionPath(join(a, "snaps"), 1);
    await copyFile(part1, join(dir, "saved.kv"));

    await rm(part1);
    await refuses(a, /^runnel: The recovery partition .*snaps\/part-1\.kv is missing/);
    await copyFile(join(dir, "saved.kv"), part1);

    // Another store's partition 1, of the same flow even.
    const b = join(dir, "b");
    await completedRun(b);
    await copyFile(partitionPath(join(b, "snaps"), 1), part1);
    await refuses(a, /snaps\/part-1\.kv belongs to another store.*mixed/);
    await copyFile(join(dir, "saved.kv"), part1);

    // Another flow on this store.
    await writeFile(join(a, "events.txt"), "0 u1 click\n");
    const other = await runCli(
      ["run", WINDOWS, "-w", "1", "-r", "snaps", "-s", "0.05"],
      a,
    );
    assert.equal(other.output.code, 1, other.output.stderr);
    assert.match(
      other.output.stderr,
      /snaps\/part-0\.kv belongs to flow "crash_wordcount", not "crash_windows".*--fresh/,
    );

    // The store is sound again: a resume after the end of input adds nothing.
    const again = await run(a);
    assert.equal(again.output.code, 0, again.output.stderr);
    assert.deepEqual(await outputs(a), expected);

    // --fresh: the windows flow takes the store over and starts from its first event.
    const fresh = await runCli(
      ["run", WINDOWS, "-w", "1", "-r", "snaps", "-s", "0.05", "--fresh"],
      a,
    );
    assert.equal(fresh.output.code, 0, fresh.output.stderr);
    assert.equal(await readFile(join(a, "batches.txt"), "utf8"), "u1 click\n");
    assert.equal(await readFile(join(a, "joined.txt"), "utf8"), "u1 [0,null]\n");
  });
});

Deno.test("process: runnel run -r refuses a corrupt or truncated value and a sink file shorter than its committed offset; --fresh starts over", async () => {
  await withTempDir(async (dir) => {
    const expected = await completedRun(dir);
    const part0 = partitionPath(join(dir, "snaps"), 0);

    // Each state segment cut in half, as a torn copy of the file would leave it.
    const kv = await platform.openKv(part0);
    let cut = 0;
    try {
      for await (const entry of kv.list({ prefix: ["seg"] })) {
        const value = entry.value as Uint8Array;
        await kv.atomic().set(entry.key, value.slice(0, value.length >> 1)).commit();
        cut++;
      }
    } finally {
      kv.close();
    }
    assert.ok(cut > 0);
    await refuses(dir, /^runnel: .*snaps\/part-0\.kv is corrupt: segment .*truncated/);

    const fresh = await run(dir, "--fresh");
    assert.equal(fresh.output.code, 0, fresh.output.stderr);
    assert.deepEqual(await outputs(dir), expected);

    // running.txt lost its last bytes since the commit that counted them.
    const size = expected[1]!.length;
    await truncate(join(dir, "running.txt"), size - 10);
    const short = await run(dir);
    assert.equal(short.output.code, 1, short.output.stderr);
    assert.match(
      short.output.stderr,
      new RegExp(
        `^runnel: .*file sink "running\\.txt": the file has ${
          size - 10
        } bytes but the snapshot says ${size} were written`,
      ),
    );
    assert.equal((await readFile(join(dir, "running.txt"), "utf8")).length, size - 10);
  });
});

Deno.test("process: a second runnel run on a recovery directory in use refuses, naming the run that holds it", async () => {
  await withTempDir(async (dir) => {
    await completedRun(dir);
    // The first run stays paused inside its first commit, holding the store.
    await writeFile(join(dir, "input.txt"), INPUT.repeat(50));
    const first = startCli(
      ["run", WORDCOUNT, "-w", "1", "-r", "snaps", "-s", "0.05", "--fresh"],
      dir,
      { pause: "commit:1", hold: true },
    );
    try {
      const deadline = Date.now() + 60_000;
      while (!first.stderr().includes("runnel-test: paused at commit 1")) {
        assert.ok(Date.now() < deadline, `the first run did not pause: ${first.stderr()}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const second = await run(dir);
      assert.equal(second.output.code, 1, second.output.stderr);
      assert.match(
        second.output.stderr,
        /^runnel: Cannot open the recovery store .*snaps: another run holds it \(process \d+ on host/,
      );
    } finally {
      first.kill();
    }
    assert.equal((await first.done).output.signal, "SIGKILL");
    // The killed run's lock does not stand in the way of the next.
    const next = await run(dir);
    assert.equal(next.output.code, 0, next.output.stderr);
  });
});

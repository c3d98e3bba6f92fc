// Recovery on Worker threads, end to end: `runnel run -w N -r DIR` in child
// processes (Deno type-checks each Worker a test process starts; a child
// started with `run` does not). Each flow is stopped mid-file three times,
// resumed each time with another worker count, and must end with the files
// of a run that was never stopped.
import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { inspectRecovery, KvRecoveryStore } from "../recovery.ts";
import { REPO, startCli } from "./_cli_process.ts";
import { settle } from "./_helpers.ts";
import { type ModuleOutput, runModule, type SpawnedModule, withTempDir } from "./_runtime.ts";

const FLOWS = "tests/fixtures/recovery/threaded_flows.ts";
// Bounds on a busy machine (a run here takes a few seconds, most of it starting
// the runtime and its Workers): a hang fails the test instead of stalling it.
const WAIT_MS = 30_000;
const RUN_MS = 60_000;

/** The run's end; a run that does not end within `RUN_MS` is killed and fails the test. */
async function exitOf(cli: SpawnedModule): Promise<ModuleOutput> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      cli.kill("SIGKILL");
      reject(new Error(`the run did not end within ${RUN_MS} ms`));
    }, RUN_MS);
  });
  try {
    return await Promise.race([cli.done, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `flow(dir)` with `args` to its end. With `stop`, the run is failed on
 * purpose once its store committed an epoch after `stop.after`.
 */
async function runOnce(
  flow: string,
  dir: string,
  args: string[],
  stop?: { store: string; after: number },
): Promise<void> {
  if (stop !== undefined) await writeFile(`${dir}/stop`, "");
  const cli = startCli(["run", `${FLOWS}:${flow}(${JSON.stringify(dir)})`, ...args]);
  if (stop !== undefined) {
    // Reads the store beside the running process (a read takes no lock).
    const deadline = Date.now() + WAIT_MS;
    while (await committedEpoch(stop.store) <= stop.after) {
      if (cli.child.exitCode !== null) {
        const early = await cli.done;
        assert.fail(`the run ended before it was stopped (${early.code}): ${early.stderr}`);
      }
      if (Date.now() > deadline) assert.fail(`no epoch after ${stop.after} was committed`);
      await settle(20);
    }
    await writeFile(`${dir}/go`, "");
  }
  const { code, stderr } = await exitOf(cli);
  if (stop === undefined) {
    assert.equal(stderr, "");
    assert.equal(code, 0);
  } else {
    assert.equal(code, 1, stderr);
    assert.match(stderr, /^runnel: flow failed( on worker \d)?: .*stopped as told before line "/);
  }
}

function committedEpoch(store: string): Promise<number> {
  return inspectRecovery(store).then((report) => report.committedEpoch, () => 0);
}

/** The files `names` under `dir`; a name ending in " (sorted)" gives the file's lines sorted. */
async function files(dir: string, names: readonly string[]): Promise<string[]> {
  return await Promise.all(names.map(async (name) => {
    const sorted = name.endsWith(" (sorted)");
    const text = await readFile(`${dir}/${name.replace(" (sorted)", "")}`, "utf8");
    return sorted ? text.split("\n").sort().join("\n") : text;
  }));
}

/**
 * Runs `flow` over `input` once without a stop (on 2 threads), and once
 * stopped on 3 threads, resumed on 1 worker and stopped, on 2 threads and
 * stopped, and finished on 4; the output files must match byte for byte
 * (or line for line, for the files of many keys, which workers interleave).
 */
async function stoppedAndResumed(
  flow: string,
  input: string,
  outputs: readonly string[],
): Promise<string[]> {
  return await withTempDir(async (root) => {
    const clean = `${root}/clean`;
    const stopped = `${root}/stopped`;
    const store = `${root}/store`;
    for (const dir of [clean, stopped]) {
      await mkdir(dir);
      await writeFile(`${dir}/in.txt`, input);
    }
    await runOnce(flow, clean, ["-w", "2", "-s", "0.05"]);
    const expected = await files(clean, outputs);

    await KvRecoveryStore.init(store, 3);
    const recovery = ["-r", store, "-s", "0.05"];
    for (const workers of [3, 1, 2]) {
      const after = await committedEpoch(store);
      await runOnce(flow, stopped, ["-w", `${workers}`, ...recovery], { store, after });
    }
    await runOnce(flow, stopped, ["-w", "4", ...recovery]);
    const report = await inspectRecovery(store);
    // Four runs, each resumed from where the one before committed last.
    assert.equal(report.executions.length, 4);
    assert.ok(
      report.executions.slice(1).every((e, i) => e.resumedFrom > report.executions[i]!.resumedFrom),
      JSON.stringify(report.executions),
    );
    assert.deepEqual(await files(stopped, outputs), expected);
    return expected;
  });
}

Deno.test("recovery on threads: a wordcount over a FileSource, stopped mid-file on 3, 1 and 2 workers and finished on 4, writes the file of a run never stopped", async () => {
  const words = ["to", "be", "or", "not", "that", "is", "the", "question", "whether", "tis"];
  const input = Array.from(
    { length: 3000 },
    (_, i) => `${words[i % 10]} ${words[(i * 7) % 10]} w${i % 97}`,
  ).join("\n") + "\n";
  const [counts] = await stoppedAndResumed("wordcount", input, ["counts.txt"]);
  const lines = counts!.trimEnd().split("\n");
  assert.equal(lines.length, 10 + 97);
  assert.ok(lines.includes("to 600"), lines.slice(0, 12).join(", "));
  assert.ok(lines.includes("w0 31"), lines.slice(-5).join(", "));
});

Deno.test("recovery on threads: windowed counts over a FileSource, stopped mid-file on 3, 1 and 2 workers and finished on 4, write the files of a run never stopped", async () => {
  const users = ["ann", "bo", "cy", "di", "ed"];
  const input = Array.from({ length: 3000 }, (_, i) => `${users[(i * 3) % 5]} ${i}`).join("\n") +
    "\n";
  const [total, byUser] = await stoppedAndResumed("windowed", input, [
    "total.txt",
    "users.txt (sorted)",
  ]);
  // Thirty windows of 100 seconds, in order: the total file is written as they close.
  const totals = total!.trimEnd().split("\n").map((line) => JSON.parse(line));
  assert.equal(totals.length, 30);
  assert.ok(totals.every((value) => JSON.stringify(value).includes("100")), total);
  assert.equal(byUser!.split("\n").filter((line) => line !== "").length, 150);
});

Deno.test("recovery on threads: TestingSource.ABORT fails the first run of a store once, and the next run, on other Workers, goes past it", async () => {
  await withTempDir(async (dir) => {
    const store = `${dir}/store`;
    await KvRecoveryStore.init(store, 2);
    const args = ["run", `${FLOWS}:aborting(${JSON.stringify(dir)})`, "-r", store];
    const first = await exitOf(startCli([...args, "-w", "3"]));
    assert.equal(first.code, 1);
    assert.match(first.stderr, /^runnel: flow failed on worker \d: .*TestingSource aborted/);
    const second = await exitOf(startCli([...args, "-w", "2"]));
    assert.equal(second.stderr, "");
    assert.equal(second.code, 0);
    assert.equal(await readFile(`${dir}/counts.txt`, "utf8"), "a 3\nb 2\nc 1\n");
    assert.deepEqual((await inspectRecovery(store)).executions.length, 2);
  });
});

Deno.test("recovery on threads: a write that fails on the main thread stops the run with its error, and nothing is committed", async () => {
  await withTempDir(async (dir) => {
    await writeFile(`${dir}/in.txt`, "to be or not to be\n");
    const { stdout, stderr } = await runModule(
      `${REPO}tests/fixtures/recovery/threaded_api_main.ts`,
      [dir],
    );
    assert.equal(stderr, "");
    assert.deepEqual(JSON.parse(stdout), { message: "disk full", wrote: true, committed: 0 });
  });
});

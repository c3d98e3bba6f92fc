// Worker threads, end to end: `runnel run -w N` and `run(flow, { workers, module })`
// in child processes (Deno type-checks each Worker a test process starts,
// which would make these tests slow; a child started with `run` does not).
import assert from "node:assert/strict";
import { readdir, readFile, stat } from "node:fs/promises";
import { Dataflow, run } from "../mod.ts";
import { everything } from "./fixtures/threads/flows.ts";
import { exitOf, REPO, startCli, waitForOutput } from "./_cli_process.ts";
import { settle } from "./_helpers.ts";
import { FILES, outputs, prepare } from "./fixtures/threads/outputs.ts";
import { runModule, spawnModule, withTempDir } from "./_runtime.ts";
import { DRAINED_ON_TWO_WORKERS } from "./fixtures/cli/window_flow_drained.ts";

const FLOWS = "tests/fixtures/threads/flows.ts";
Deno.test("threads: wordcount, collect, join, a window, statefulMap and a FileSink give one worker's results on 2, 4 and 7 Worker threads", async () => {
  await withTempDir(async (root) => {
    const one = `${root}/w1`;
    await prepare(one);
    await run(everything(one));
    const expected = await outputs(one);
    delete expected.dirWorkers;
    assert.deepEqual((expected.wc as string[]).slice(0, 3), ['["a",44]', '["b",5]', '["c",3]']);
    assert.deepEqual(expected.sums, {
      a: [1, 4, 8],
      b: [2, 7],
      c: [6, 13, 22],
      d: [8],
      e: [10, 21, 33, 46],
    });
    assert.deepEqual(expected.join, ['["1",["Ann","ann@x"]]', '["3",["Cy","cy@x"]]']);
    assert.deepEqual(expected.dir, FILES.flatMap((n) => [`"${n}1"`, `"${n}2"`]));

    for (const workers of [2, 4, 7]) {
      const dir = `${root}/w${workers}`;
      await prepare(dir);
      const cli = startCli([
        "run",
        `${FLOWS}:everything(${JSON.stringify(dir)})`,
        "-w",
        `${workers}`,
      ]);
      const { code, stderr } = await exitOf(cli);
      assert.equal(stderr, "", `${workers} workers`);
      assert.equal(code, 0);
      const got = await outputs(dir);
      // File i of the DirSource (sorted by name) is read once, by worker i % workers.
      assert.deepEqual(
        got.dirWorkers,
        FILES.flatMap((n, i) => [[`${n}1`, i % workers], [`${n}2`, i % workers]]),
      );
      delete got.dirWorkers;
      assert.deepEqual(got, expected, `${workers} workers`);
    }
  });
});

Deno.test("threads: a Worker that throws ends runnel run -w 3 with exit 1 naming the step and the worker, every sink closed", async () => {
  await withTempDir(async (dir) => {
    const started = Date.now();
    const cli = startCli(["run", `${FLOWS}:failing(${JSON.stringify(dir)})`, "-w", "3"]);
    const { code, stderr } = await exitOf(cli);
    assert.equal(
      stderr,
      'runnel: flow failed on worker 2: Cannot run step "f.check": mapper threw; item ["c",3]; ' +
        "RangeError: too few: 3\n",
    );
    assert.equal(code, 1);
    assert.deepEqual((await readdir(dir)).sort(), ["closed-0", "closed-1", "closed-2"]);
    // No Worker kept the process alive.
    assert.ok(Date.now() - started < 10_000);
  });
});

Deno.test("threads: run() with a module rejects with the Worker's StepError, its item, cause and worker intact", async () => {
  await withTempDir(async (dir) => {
    const { stdout, stderr } = await runModule(`${REPO}tests/fixtures/threads/api_main.ts`, [
      "failing",
      dir,
    ]);
    assert.equal(stderr, "");
    assert.deepEqual(JSON.parse(stdout), {
      isStepError: true,
      name: "StepError",
      message: 'Cannot run step "f.check": mapper threw; item ["c",3]; RangeError: too few: 3',
      stepId: "f.check",
      key: null,
      item: ["c", 3],
      causeIsRangeError: true,
      causeMessage: "too few: 3",
      worker: 2,
    });
    assert.deepEqual((await readdir(dir)).sort(), ["closed-0", "closed-1", "closed-2"]);
  });
});

Deno.test("threads: Workers that build another graph than the caller's flow are refused before the run starts", async () => {
  await withTempDir(async (dir) => {
    await prepare(dir);
    const { stdout } = await runModule(`${REPO}tests/fixtures/threads/api_main.ts`, [
      "mismatch",
      dir,
    ]);
    const { message, isStepError } = JSON.parse(stdout);
    assert.equal(isStepError, false);
    assert.match(
      message,
      /^Cannot run flow "all" on 3 workers: worker \d built a different graph from file:.*flows\.ts: it has step "all\.split flatMapBatch <- all\.lines:down" where "all\.wc output <- all\.lines:down" was expected; a flow module must build the same flow on every worker$/,
    );
    // Nothing ran: no output was written.
    assert.deepEqual(await readdir(dir), ["in"]);
  });
});

Deno.test("threads: Workers that do not build the flow within startupTimeout fail the run, named, and every Worker ends", async () => {
  await withTempDir(async (dir) => {
    const started = Date.now();
    const child = spawnModule(`${REPO}tests/fixtures/threads/api_main.ts`, ["stuck", dir]);
    child.closeStdin();
    // Bounded: without the startup timeout the run would wait for ever.
    const { stdout, stderr } = await exitOf(child, 30_000);
    assert.equal(stderr, "");
    const { message, isStepError, worker } = JSON.parse(stdout);
    assert.equal(isStepError, false);
    assert.equal(worker, null);
    assert.match(
      message,
      /^Cannot run flow "f" on 3 workers: workers 0, 1, 2 did not build the flow from file:.*flows\.ts within 1 s; a flow module must build its flow without waiting for ever \(the startup timeout is options\.startupTimeout, or runnel run --startup-timeout\)$/,
    );
    // Nothing ran, and the process ended (the stuck Workers were ended too).
    assert.deepEqual(await readdir(dir), []);
    assert.ok(Date.now() - started < 30_000);
  });
});

Deno.test("threads: runnel run --startup-timeout and a bad startupTimeout are refused with the setting named", async () => {
  const cli = startCli([
    "run",
    `${FLOWS}:failing("/nonexistent")`,
    "-w",
    "2",
    "--startup-timeout",
    "soon",
  ]);
  const { code, stderr } = await exitOf(cli);
  assert.match(
    stderr,
    /^runnel: --startup-timeout must be a positive number of seconds, got "soon"/,
  );
  assert.equal(code, 2);
  const flow = new Dataflow("f");
  flow.input("inp", [1]).output("out", { build: () => ({ writeBatch() {} }) });
  await assert.rejects(
    run(flow, { startupTimeout: 0 }),
    {
      name: "RangeError",
      message:
        /^Cannot run flow: startupTimeout must be positive milliseconds up to 2147483647, got 0$/,
    },
  );
});

Deno.test("threads: Ctrl-C stops runnel run -w 4, closes every sink with the file flushed, exit 130", async () => {
  await withTempDir(async (dir) => {
    const cli = startCli(["run", `${FLOWS}:endless(${JSON.stringify(dir)})`, "-w", "4"]);
    const deadline = Date.now() + 20_000;
    while (((await stat(`${dir}/sums.txt`).catch(() => undefined))?.size ?? 0) < 10_000) {
      assert.ok(cli.child.exitCode === null, "the flow ended before it was signalled");
      assert.ok(Date.now() < deadline, "nothing was written in 20 s");
      await settle(20);
    }
    cli.kill("SIGINT");
    const { code, stderr } = await exitOf(cli);
    assert.equal(stderr, "runnel: interrupted; closing sinks (Ctrl-C again to quit at once)\n");
    assert.equal(code, 130);
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n.startsWith("closed")).sort(),
      ["closed-0", "closed-1", "closed-2", "closed-3"],
    );
    // Flushed: whole lines only, each a number.
    const text = await readFile(`${dir}/sums.txt`, "utf8");
    assert.ok(text.endsWith("\n"));
    assert.ok(text.split("\n").slice(0, -1).every((line) => /^\d+$/.test(line)));
  });
});

Deno.test("threads: with --flush-on-interrupt, Ctrl-C at -w 2 emits every worker's open windows and totals, then exits 130", async () => {
  const cli = startCli([
    "run",
    "tests/fixtures/cli/window_flow.ts",
    "-w",
    "2",
    "--flush-on-interrupt",
  ]);
  await waitForOutput(cli, "seen 3\n");
  cli.kill("SIGINT");
  const { code, stdout, stderr } = await exitOf(cli);
  assert.equal(
    stderr,
    "runnel: interrupted; closing open windows and sinks (Ctrl-C again to quit at once)\n",
  );
  assert.equal(code, 130);
  assert.deepEqual(stdout.split("\n").filter((line) => line !== "").sort(), DRAINED_ON_TWO_WORKERS);
});

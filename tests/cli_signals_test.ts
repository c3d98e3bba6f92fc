import assert from "node:assert/strict";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { settle, waitFor } from "./_helpers.ts";
import { type SpawnedModule, spawnModule, withTempDir } from "./_runtime.ts";

const REPO = decodeURIComponent(new URL("../", import.meta.url).pathname);
// Long enough for a runtime to start on a busy machine; a hang fails instead of stalling.
const START_MS = 20_000;
const EXIT_MS = 10_000;

function startCli(args: string[], cwd = REPO): SpawnedModule {
  const cli = spawnModule(`${REPO}cli.ts`, args, { cwd, env: { NO_COLOR: "1" } });
  cli.closeStdin();
  return cli;
}

async function waitForOutput(cli: SpawnedModule, text: string): Promise<void> {
  await waitFor(() => cli.stdout().includes(text) || cli.child.exitCode !== null, START_MS);
  if (cli.child.exitCode !== null) {
    const early = await cli.done;
    assert.fail(`the flow ended before it was signalled (${early.code}): ${early.stderr}`);
  }
}

// The child's end, or a SIGKILL and a failure if it does not end in time.
async function exitOf(cli: SpawnedModule) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      cli.kill("SIGKILL");
      reject(new Error(`the process did not exit within ${EXIT_MS} ms of the signal`));
    }, EXIT_MS);
  });
  try {
    return await Promise.race([cli.done, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("process: SIGINT stops a flow that never waits, closes its sinks and exits 130", async () => {
  const cli = startCli(["run", "tests/fixtures/cli/busy_flow.ts"]);
  await waitForOutput(cli, "started\n");
  cli.kill("SIGINT");
  const { code, stdout, stderr } = await exitOf(cli);
  assert.equal(stderr, "runnel: interrupted; closing sinks (Ctrl-C again to quit at once)\n");
  assert.equal(code, 130);
  assert.equal(stdout, "started\nclosed\n");
});

Deno.test("process: SIGHUP stops a flow like SIGINT, closes its sinks and exits 129", async () => {
  const cli = startCli(["run", "tests/fixtures/cli/busy_flow.ts"]);
  await waitForOutput(cli, "started\n");
  cli.kill("SIGHUP");
  const { code, stdout, stderr } = await exitOf(cli);
  assert.equal(stderr, "runnel: SIGHUP received; closing sinks (a second signal quits at once)\n");
  assert.equal(code, 129);
  assert.equal(stdout, "started\nclosed\n");
});

async function waitForFile(cli: SpawnedModule, path: string): Promise<void> {
  const deadline = Date.now() + START_MS;
  while (((await stat(path).catch(() => undefined))?.size ?? 0) === 0) {
    if (cli.child.exitCode !== null) {
      const early = await cli.done;
      assert.fail(`the flow ended before it was signalled (${early.code}): ${early.stderr}`);
    }
    if (Date.now() > deadline) assert.fail(`nothing was written to ${path} in ${START_MS} ms`);
    await settle(5);
  }
}

// Before SIGTERM was handled, about one run in twenty ended on a torn line:
// forty runs, four at a time, signalled at spread-out moments after the
// first write, would have caught it with a chance of 6 in 7.
const SIGTERM_RUNS = 40;
const AT_ONCE = 4;

async function sigtermFileRun(run: number): Promise<void> {
  const module = `${REPO}tests/fixtures/cli/file_flow.ts`;
  await withTempDir(async (dir) => {
    const out = join(dir, "out.txt");
    const cli = startCli(["run", module], dir);
    await waitForFile(cli, out);
    await settle((run % 10) * 7);
    cli.kill("SIGTERM");
    const { code, stderr } = await exitOf(cli);
    assert.equal(
      stderr,
      "runnel: SIGTERM received; closing sinks (a second signal quits at once)\n",
      `run ${run}`,
    );
    assert.equal(code, 143, `run ${run}`);
    const text = await readFile(out, "utf8");
    assert.ok(text.endsWith("\n"), `run ${run}: the file ends in a torn line: ${text.slice(-40)}`);
    const lines = text.slice(0, -1).split("\n");
    lines.forEach((line: string, i: number) =>
      assert.match(line, /^\d+ x{2000}$/, `run ${run}, line ${i}`)
    );
  });
}

Deno.test("process: SIGTERM closes a FileSink on a whole line and exits 143, run after run", async () => {
  for (let first = 0; first < SIGTERM_RUNS; first += AT_ONCE) {
    await Promise.all(
      Array.from({ length: AT_ONCE }, (_, i) => sigtermFileRun(first + i)),
    );
  }
});

Deno.test("process: a second SIGTERM ends a run whose sink hangs in close()", async () => {
  const cli = startCli(["run", "tests/fixtures/cli/busy_flow.ts:stuck"]);
  await waitForOutput(cli, "started\n");
  cli.kill("SIGTERM");
  await waitForOutput(cli, "closing forever\n");
  cli.kill("SIGTERM");
  const { code, signal, stderr } = await exitOf(cli);
  assert.equal(stderr, "runnel: SIGTERM received; closing sinks (a second signal quits at once)\n");
  // Ended by the signal itself, as a shell reports it (143) or as the parent sees it.
  assert.ok(code === 143 || signal === "SIGTERM", `code ${code}, signal ${signal}`);
});

async function interruptWindowFlow(flags: string[]) {
  const cli = startCli(["run", "tests/fixtures/cli/window_flow.ts", ...flags]);
  await waitForOutput(cli, "seen 3\n");
  cli.kill("SIGINT");
  return await exitOf(cli);
}

Deno.test("process: with --flush-on-interrupt, Ctrl-C emits the open windows and totals, then exits 130", async () => {
  const { code, stdout, stderr } = await interruptWindowFlow(["--flush-on-interrupt"]);
  assert.equal(
    stderr,
    "runnel: interrupted; closing open windows and sinks (Ctrl-C again to quit at once)\n",
  );
  assert.equal(code, 130);
  const lines = stdout.split("\n").filter((line) => line !== "seen 3" && line !== "");
  assert.deepEqual(lines.filter((line) => line.startsWith("window")), [
    'window ["a",[0,2]]',
    'window ["b",[0,1]]',
    "window closed",
  ]);
  assert.deepEqual(lines.filter((line) => line.startsWith("total")), [
    'total ["a",2]',
    'total ["b",1]',
    "total closed",
  ]);
});

Deno.test("process: without --flush-on-interrupt, Ctrl-C drops the open windows and totals", async () => {
  const { code, stdout, stderr } = await interruptWindowFlow([]);
  assert.equal(stderr, "runnel: interrupted; closing sinks (Ctrl-C again to quit at once)\n");
  assert.equal(code, 130);
  assert.deepEqual(stdout.split("\n").filter((line) => line !== "").sort(), [
    "seen 3",
    "total closed",
    "window closed",
  ]);
});

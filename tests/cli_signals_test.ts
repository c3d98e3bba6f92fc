import assert from "node:assert/strict";
import { exitOf, startCli, waitForOutput } from "./_cli_process.ts";

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

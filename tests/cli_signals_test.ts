import assert from "node:assert/strict";
import { waitFor } from "./_helpers.ts";
import { type SpawnedModule, spawnModule } from "./_runtime.ts";

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

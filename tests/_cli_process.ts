/**
 * Running the CLI as a child process for the signal tests: start it, wait
 * for what it prints or writes, and wait for its end within a bound.
 *
 * @module
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { stat } from "node:fs/promises";
import { settle, waitFor } from "./_helpers.ts";
import { type ModuleOutput, type SpawnedModule, spawnModule } from "./_runtime.ts";

/** The repository's root directory, ending with a slash. */
export const REPO: string = decodeURIComponent(new URL("../", import.meta.url).pathname);
// Long enough for a runtime to start on a busy machine; a hang fails instead of stalling.
const START_MS = 20_000;
const EXIT_MS = 10_000;

/** Starts `runnel <args>` on the runtime running the tests, with an empty standard input. */
export function startCli(args: string[], cwd: string = REPO): SpawnedModule {
  const cli = spawnModule(`${REPO}cli.ts`, args, { cwd, env: { NO_COLOR: "1" } });
  cli.closeStdin();
  return cli;
}

/** Waits until the child printed `text`; fails if it ends first. */
export async function waitForOutput(cli: SpawnedModule, text: string): Promise<void> {
  await waitFor(() => cli.stdout().includes(text) || cli.child.exitCode !== null, START_MS);
  if (cli.child.exitCode !== null) {
    const early = await cli.done;
    assert.fail(`the flow ended before it was signalled (${early.code}): ${early.stderr}`);
  }
}

/** Waits until the child has written to `path`; fails if it ends first. */
export async function waitForFile(cli: SpawnedModule, path: string): Promise<void> {
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

/**
 * How the system sees the child, for a failure message: its state from
 * `/proc` ("R" running, "S" sleeping, "Z" ended but not yet reaped by this
 * process), "gone", or "unknown" off Linux. A child that ended while this
 * process never heard of it shows as "Z".
 */
export function processState(cli: SpawnedModule): string {
  try {
    const stat = readFileSync(`/proc/${cli.child.pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0]!;
  } catch (error) {
    return (error as { code?: string }).code === "ENOENT" ? "gone" : "unknown";
  }
}

/** The child's end, or a SIGKILL and a failure if it does not end within `ms` (10 s by default). */
export async function exitOf(cli: SpawnedModule, ms = EXIT_MS): Promise<ModuleOutput> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const state = processState(cli);
      cli.kill("SIGKILL");
      reject(
        new Error(
          `the process did not exit within ${ms} ms (state ${state}, exit code ${cli.child.exitCode}); ` +
            `it printed ${JSON.stringify(cli.stderr())} to stderr`,
        ),
      );
    }, ms);
  });
  try {
    return await Promise.race([cli.done, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

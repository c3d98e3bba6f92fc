import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { exitOf, REPO, startCli, waitForFile } from "./_cli_process.ts";
import { settle } from "./_helpers.ts";
import { withTempDir } from "./_runtime.ts";

// Before SIGTERM was handled, about one run in twenty ended on a torn line:
// 24 runs, four at a time, signalled at spread-out moments after the first
// write, would have caught it more than two times in three (lines of 2 KB
// make a torn write likelier still). The runs have this file to themselves,
// so that they fit a runner's time limit per file.
const SIGTERM_RUNS = 24;
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

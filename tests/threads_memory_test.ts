// The memory of a threaded run stays bounded: every queue between Workers has a bound.
import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { exitOf, startCli } from "./_cli_process.ts";
import { settle } from "./_helpers.ts";
import { withTempDir } from "./_runtime.ts";

const FLOWS = "tests/fixtures/threads/flows.ts";

/** The resident set size of process `pid`, in bytes (Linux). */
function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)![1]) * 1024;
}

Deno.test("threads: an endless source into a slow sink at -w 2 keeps the memory flat for 60 s", async () => {
  await withTempDir(async (dir) => {
    const cli = startCli(["run", `${FLOWS}:endless(${JSON.stringify(dir)}, 2)`, "-w", "2"]);
    try {
      const pid = cli.child.pid!;
      // Warm-up: the runtime's, the Workers' and the channels' memory settle.
      await settle(15_000);
      assert.equal(cli.child.exitCode, null);
      const samples: number[] = [];
      for (let i = 0; i < 9; i++) {
        samples.push(rssOf(pid));
        await settle(5_000);
      }
      samples.push(rssOf(pid));
      const written = (await stat(`${dir}/sums.txt`)).size;
      assert.ok(written > 100_000, `only ${written} bytes written`);
      const first = Math.min(...samples.slice(0, 3));
      const last = Math.min(...samples.slice(-3));
      const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;
      console.log(`RSS samples (MB): ${samples.map(mb).join(", ")}; ${written} bytes written`);
      // A queue without a bound would grow by hundreds of MB in this time.
      assert.ok(
        last - first < 40e6,
        `RSS grew from ${mb(first)} MB to ${mb(last)} MB: ${samples.map(mb).join(", ")}`,
      );
    } finally {
      cli.kill("SIGINT");
      await exitOf(cli);
    }
  });
});

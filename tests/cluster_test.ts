// Cluster runs end to end: `runnel run -i I -a "…"` as real processes on
// 127.0.0.1 (free ports), compared with one process; a peer killed or
// stopped; a failing step; the local launcher `-p`.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import process from "node:process";
import { run } from "../mod.ts";
import { main } from "../cli.ts";
import { everything } from "./fixtures/threads/flows.ts";
import { FILES, outputs, prepare } from "./fixtures/threads/outputs.ts";
import { exitOf, processState, REPO, startCli, waitForFile } from "./_cli_process.ts";
import { settle, waitFor } from "./_helpers.ts";
import type { SpawnedModule } from "./_runtime.ts";
import { spawnModule, withTempDir } from "./_runtime.ts";
import { loopbackAddresses } from "../src/runtime/exchange/tcp/_test_cluster.ts";
import { formatAddress } from "../src/runtime/exchange/tcp/cluster.ts";
import { DRAINED_ON_TWO_WORKERS } from "./fixtures/cli/window_flow_drained.ts";

const FLOWS = "tests/fixtures/threads/flows.ts";

/** Starts process `i` of a cluster at `addresses` for each `i`, with `extra` flags. */
async function startCluster(
  spec: string,
  processes: number,
  extra: string[] = [],
): Promise<{ clis: SpawnedModule[]; addresses: string[] }> {
  const addresses = (await loopbackAddresses(processes)).map(formatAddress);
  const clis = addresses.map((_, i) =>
    startCli(["run", spec, "-i", `${i}`, "-a", addresses.join(";"), ...extra])
  );
  return { clis, addresses };
}

/**
 * Waits until `dir/sums.txt` (of the `endless` flow) holds a number read by
 * each of `workers`: worker `w` counts up from `w * 1e9`, so every process
 * runs (its peers connected) once its worker's numbers arrive.
 */
async function waitForWorkers(
  dir: string,
  workers: number[],
  clis: SpawnedModule[],
): Promise<void> {
  await waitForFile(clis[0]!, `${dir}/sums.txt`);
  // Longer than the 30 s startup timeout: a process that cannot join fails
  // with its reason first, and a slow start on a busy machine is waited for.
  const deadline = Date.now() + 45_000;
  while (true) {
    const text = await readFile(`${dir}/sums.txt`, "utf8");
    if (
      workers.every((w) => new RegExp(`^${w === 0 ? "\\d{1,9}" : `${w}\\d{9}`}$`, "m").test(text))
    ) return;
    for (const cli of clis) assert.equal(cli.child.exitCode, null, "a process ended");
    assert.ok(
      Date.now() < deadline,
      `workers ${workers} did not all write in 45 s; the processes said: ${
        clis.map((cli, i) => `${i} (state ${processState(cli)}): ${JSON.stringify(cli.stderr())}`)
          .join(", ")
      }; sums.txt ends with ${JSON.stringify(text.slice(-200))}`,
    );
    await settle(50);
  }
}

/** Expected outputs of `everything`, from one process and one worker. */
async function expectedOf(root: string): Promise<Record<string, unknown>> {
  const one = `${root}/one`;
  await prepare(one);
  await run(everything(one));
  const expected = await outputs(one);
  delete expected.dirWorkers;
  return expected;
}

Deno.test("cluster: wordcount, a join, a window, collect and statefulMap across 2 and 3 processes give one process's results", async () => {
  await withTempDir(async (root) => {
    const expected = await expectedOf(root);
    for (const [processes, workers] of [[2, 1], [3, 1], [2, 2]] as const) {
      const dir = `${root}/p${processes}w${workers}`;
      await prepare(dir);
      const { clis } = await startCluster(
        `${FLOWS}:everything(${JSON.stringify(dir)})`,
        processes,
        ["-w", `${workers}`],
      );
      const ends = await Promise.all(clis.map((cli) => exitOf(cli)));
      for (const [i, { code, stderr }] of ends.entries()) {
        assert.equal(stderr, "", `process ${i} of ${processes}`);
        assert.equal(code, 0);
      }
      const got = await outputs(dir);
      // File i of the DirSource is read once, by global worker i % (processes × workers).
      const total = processes * workers;
      assert.deepEqual(
        got.dirWorkers,
        FILES.flatMap((n, i) => [[`${n}1`, i % total], [`${n}2`, i % total]]),
      );
      delete got.dirWorkers;
      assert.deepEqual(got, expected, `${processes} processes × ${workers} workers`);
    }
  });
});

Deno.test("cluster: runnel run -p 2 -w 2 starts a local cluster of 2 processes with one process's results", async () => {
  await withTempDir(async (root) => {
    const expected = await expectedOf(root);
    const dir = `${root}/launched`;
    await prepare(dir);
    const cli = startCli([
      "run",
      `${FLOWS}:everything(${JSON.stringify(dir)})`,
      "-p",
      "2",
      "-w",
      "2",
    ]);
    const { code, stderr } = await exitOf(cli);
    assert.equal(stderr, "");
    assert.equal(code, 0);
    const got = await outputs(dir);
    assert.deepEqual(got.dirWorkers, FILES.flatMap((n, i) => [[`${n}1`, i % 4], [`${n}2`, i % 4]]));
    delete got.dirWorkers;
    assert.deepEqual(got, expected);
  });
});

Deno.test("cluster: a step that throws on one process ends every process with exit 1, the failing one naming the step, every sink closed", async () => {
  await withTempDir(async (dir) => {
    const { clis, addresses } = await startCluster(
      `${FLOWS}:failing(${JSON.stringify(dir)})`,
      3,
    );
    // The processes start, connect and fail on their own: allow for a slow start on a busy machine.
    const ends = await Promise.all(clis.map((cli) => exitOf(cli, 60_000)));
    const step = 'Cannot run step "f.check": mapper threw; item ["c",3]; RangeError: too few: 3';
    // "c" hashes to worker 2 of 3, on process 2.
    assert.deepEqual(ends.map((end) => end.code), [1, 1, 1]);
    assert.equal(ends[2]!.stderr, `runnel: flow failed on worker 2: ${step}\n`);
    for (const i of [0, 1]) {
      assert.equal(
        ends[i]!.stderr,
        `runnel: flow failed: Cluster process 2 at ${addresses[2]} failed: ${step}\n`,
      );
    }
    assert.deepEqual((await readdir(dir)).sort(), ["closed-0", "closed-1", "closed-2"]);
  });
});

Deno.test("cluster: each source partition is read once, by a worker on a process that can reach it (RUNNEL_ADDRESSES and RUNNEL_PROCESS_ID)", async () => {
  await withTempDir(async (dir) => {
    await mkdir(`${dir}/host0`);
    await mkdir(`${dir}/host1`);
    await writeFile(`${dir}/host0/a.txt`, "a1\na2\n");
    await writeFile(`${dir}/host0/shared.txt`, "s1\n");
    await writeFile(`${dir}/host1/b.txt`, "b1\n");
    await writeFile(`${dir}/host1/c.txt`, "c1\n");
    await writeFile(`${dir}/host1/shared.txt`, "s1\n");
    const addresses = (await loopbackAddresses(2)).map(formatAddress).join(";");
    const clis = [0, 1].map((i) => {
      const cli = spawnModule(
        `${REPO}cli.ts`,
        ["run", `${FLOWS}:reachable(${JSON.stringify(dir)})`],
        {
          cwd: REPO,
          env: { NO_COLOR: "1", RUNNEL_ADDRESSES: addresses, RUNNEL_PROCESS_ID: `${i}` },
        },
      );
      cli.closeStdin();
      return cli;
    });
    const ends = await Promise.all(clis.map((cli) => exitOf(cli)));
    assert.deepEqual(ends.map((end) => [end.code, end.stderr]), [[0, ""], [0, ""]]);
    const lines = [];
    for (const file of (await readdir(dir)).filter((n) => n.startsWith("lines-")).sort()) {
      const worker = Number(/\d+/.exec(file)![0]);
      for (const line of (await readFile(`${dir}/${file}`, "utf8")).split("\n")) {
        if (line !== "") lines.push([...JSON.parse(line), worker]);
      }
    }
    // Sorted partitions a, b, c, shared: a only on process 0, b and c only on
    // process 1, shared on both and dealt to the worker with fewer.
    assert.deepEqual(lines.sort(), [
      ["a1", 0, 0],
      ["a2", 0, 0],
      ["b1", 1, 1],
      ["c1", 1, 1],
      ["s1", 0, 0],
    ]);
  });
});

// The tests that kill or stop a child come last: on Bun, a child started by
// the next test sometimes exited without the test runner hearing of it.
Deno.test("cluster: kill -9 of a peer makes the others close their sinks and exit 1 within the heartbeat timeout plus 3 s, naming it", async () => {
  await withTempDir(async (dir) => {
    const { clis, addresses } = await startCluster(
      // A sink taking 5 ms a batch keeps sums.txt small, so reading it while
      // waiting does not starve the processes on a busy machine.
      `${FLOWS}:endless(${JSON.stringify(dir)}, 5)`,
      3,
      ["--heartbeat-timeout", "2"],
    );
    await waitForWorkers(dir, [0, 1, 2], clis);
    const killed = Date.now();
    clis[1]!.kill("SIGKILL");
    for (const i of [0, 2]) {
      const { code, stderr } = await exitOf(clis[i]!);
      assert.equal(code, 1, `process ${i}`);
      assert.match(stderr, new RegExp(`Lost cluster process 1 at ${addresses[1]}`));
    }
    assert.ok(Date.now() - killed < 5_000, `exited ${Date.now() - killed} ms after the kill`);
    await exitOf(clis[1]!);
    // Processes 0 and 2 (workers 0 and 2) closed their sinks.
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n.startsWith("closed")).sort(),
      ["closed-0", "closed-2"],
    );
  });
});

Deno.test("cluster: a peer stopped (SIGSTOP) for less than the heartbeat timeout is survived, for longer it is lost", async () => {
  await withTempDir(async (dir) => {
    const { clis, addresses } = await startCluster(
      `${FLOWS}:endless(${JSON.stringify(dir)}, 5)`,
      2,
      ["--heartbeat-timeout", "4"],
    );
    const [zero, one] = clis as [SpawnedModule, SpawnedModule];
    await waitForWorkers(dir, [0, 1], clis);
    one.kill("SIGSTOP");
    await settle(1_000);
    one.kill("SIGCONT");
    await settle(2_000);
    assert.equal(zero.child.exitCode, null, "process 0 ended after a short stop of process 1");
    assert.equal(one.child.exitCode, null, "process 1 ended after its short stop");

    one.kill("SIGSTOP");
    const stopped = Date.now();
    const { code, stderr } = await exitOf(zero);
    assert.equal(code, 1);
    assert.match(
      stderr,
      new RegExp(`Lost cluster process 1 at ${addresses[1]}: nothing arrived for \\d+ ms`),
    );
    const after = Date.now() - stopped;
    assert.ok(after >= 4_000 && after < 7_000, `lost after ${after} ms`);
    // Woken, process 1 finds its peer gone and exits 1 too.
    one.kill("SIGCONT");
    const end = await exitOf(one);
    assert.equal(end.code, 1);
    assert.match(end.stderr, new RegExp(`Lost cluster process 0 at ${addresses[0]}`));
  });
});

Deno.test("cluster: Ctrl-C reaches every process of runnel run -p 2 -w 2 once: every sink closed, exit 130", async () => {
  await withTempDir(async (dir) => {
    const cli = startCli(["run", `${FLOWS}:endless(${JSON.stringify(dir)})`, "-p", "2", "-w", "2"]);
    await waitForWorkers(dir, [0, 1, 2, 3], [cli]);
    cli.kill("SIGINT");
    const { code } = await exitOf(cli);
    assert.equal(code, 130);
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n.startsWith("closed")).sort(),
      ["closed-0", "closed-1", "closed-2", "closed-3"],
    );
  });
});

Deno.test("cluster: Ctrl-C on one hand-started process stops every process: sinks closed, the others say why, exit 130", async () => {
  await withTempDir(async (dir) => {
    const { clis } = await startCluster(`${FLOWS}:endless(${JSON.stringify(dir)})`, 3);
    await waitForWorkers(dir, [0, 1, 2], clis);
    clis[1]!.kill("SIGINT");
    const ends = await Promise.all(clis.map((cli) => exitOf(cli)));
    assert.deepEqual(ends.map((end) => end.code), [130, 130, 130], JSON.stringify(ends));
    assert.equal(
      ends[1]!.stderr,
      "runnel: cluster process 1 interrupted; closing sinks (Ctrl-C again to quit at once)\n",
    );
    for (const i of [0, 2]) {
      assert.equal(
        ends[i]!.stderr,
        "runnel: stopped: cluster process 1 was interrupted (SIGINT); sinks closed\n",
      );
    }
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n.startsWith("closed")).sort(),
      ["closed-0", "closed-1", "closed-2"],
    );
  });
});

Deno.test("cluster: Ctrl-C with --flush-on-interrupt on one hand-started process drains every process: open windows and totals emitted, sinks closed", async () => {
  const { clis } = await startCluster("tests/fixtures/cli/window_flow.ts", 2, [
    "--flush-on-interrupt",
  ]);
  // Worker 0 reads the words; its process prints "seen 3" once they went through.
  // Longer than the 30 s startup timeout, as waitForWorkers waits: a busy machine starts slowly.
  await waitFor(
    () => clis[0]!.stdout().includes("seen 3\n") || clis.some((cli) => cli.child.exitCode !== null),
    45_000,
  );
  for (const cli of clis) {
    assert.equal(cli.child.exitCode, null, `a process ended: ${cli.stderr()}`);
  }
  clis[1]!.kill("SIGINT");
  const ends = await Promise.all(clis.map((cli) => exitOf(cli)));
  assert.deepEqual(ends.map((end) => end.code), [0, 130], JSON.stringify(ends));
  assert.equal(
    ends[1]!.stderr,
    "runnel: cluster process 1 interrupted; closing open windows and sinks (Ctrl-C again to quit at once)\n",
  );
  assert.equal(ends[0]!.stderr, "");
  // Each key's window and total come from the worker that owns it, on either process.
  const lines = ends.flatMap((end) => end.stdout.split("\n")).filter((line) => line !== "");
  assert.deepEqual(lines.sort(), DRAINED_ON_TWO_WORKERS);
});

/** The pid of the child of process `parent` whose command line holds `-i index`, from /proc. */
function clusterChild(parent: number, index: number): number {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The parent's pid is the 4th field, after the command name in parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) !== parent) continue;
      const args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      const at = args.indexOf("-i");
      if (at !== -1 && args[at + 1] === String(index)) return Number(entry);
    } catch {
      // It ended meanwhile.
    }
  }
  throw new Error(`no child of ${parent} runs as process ${index}`);
}

Deno.test("cluster: runnel run -p 2 says which process ended, and how, before it stops the others; it exits with that status", async () => {
  await withTempDir(async (dir) => {
    const cli = startCli(["run", `${FLOWS}:endless(${JSON.stringify(dir)})`, "-p", "2"]);
    await waitForWorkers(dir, [0, 1], [cli]);
    // Process 0, stopped meanwhile, cannot notice the loss and fail first:
    // process 1's end is the one the launcher sees first, whatever the load.
    const zero = clusterChild(cli.child.pid!, 0);
    process.kill(zero, "SIGSTOP");
    try {
      process.kill(clusterChild(cli.child.pid!, 1), "SIGKILL");
      await waitFor(() => cli.stderr().includes("stopping the others"), 20_000);
    } finally {
      process.kill(zero, "SIGCONT");
    }
    const { code, stderr } = await exitOf(cli);
    assert.equal(code, 137, stderr);
    assert.match(stderr, /^runnel: cluster process 1 was ended by SIGKILL; stopping the others\n/);
  });
});

Deno.test("cluster: runnel run refuses bad cluster flags before loading the flow, exit 2", async () => {
  const cases: [string[], Record<string, string>, string][] = [
    [["-i", "1"], {}, 'Cannot join a cluster: -i is "1" but no addresses were given'],
    [
      ["-a", "127.0.0.1:7001;127.0.0.1:7002"],
      {},
      "Cannot join the cluster of 2 processes in -a: this process's index is missing",
    ],
    [
      [],
      { RUNNEL_ADDRESSES: "127.0.0.1:7001;127.0.0.1:7002", RUNNEL_PROCESS_ID: "2" },
      "Cannot read RUNNEL_PROCESS_ID: process 2 is not in the 2 addresses of RUNNEL_ADDRESSES",
    ],
    [
      ["-a", "127.0.0.1:7001", "-i", "0", "--heartbeat-timeout", "0"],
      {},
      '--heartbeat-timeout must be a positive number of seconds, got "0"',
    ],
    [["-p", "0"], {}, '-p/--processes must be a whole number of at least 1, got "0"'],
    [
      ["-p", "2", "-i", "0"],
      {},
      "-p/--processes starts its own cluster and gives each process its -i and -a; leave out --process-id",
    ],
    [
      ["-p", "2", "-a", "127.0.0.1:7001;127.0.0.1:7002"],
      {},
      "-p/--processes starts its own cluster and gives each process its -i and -a; leave out --addresses",
    ],
  ];
  for (const [flags, env, message] of cases) {
    let stderr = "";
    const code = await main(["run", "no_such_flow.ts", ...flags], {
      stdout: () => {},
      stderr: (text) => void (stderr += text),
      env: (name) => env[name],
      cwd: () => REPO,
      onInterrupt: () => () => {},
    });
    assert.equal(code, 2, flags.join(" "));
    assert.ok(stderr.startsWith(`runnel: ${message}`), stderr);
  }
});

// Recovery in a cluster run, end to end: `runnel run -i I -a "…" -r DIR` as
// real processes on 127.0.0.1 sharing one recovery directory, killed with
// SIGKILL mid-run and restarted with another process count (and as one
// process), must end with the files of one process never stopped; process
// 0 commits only what every process wrote; a failure to open stops every
// process; stores that cannot be shared, and a local directory across
// hosts, are refused. Across hosts the store is a denokv server's URL: a
// real one (see _denokv.ts) is restarted through and stopped under a cluster.
import assert from "node:assert/strict";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { Dataflow, run } from "../mod.ts";
import { main } from "../cli.ts";
import { inspectRecovery, KvRecoveryStore } from "../recovery.ts";
import { MemoryRecoveryStore } from "../connectors/testing.ts";
import { exitOf, REPO, startCli } from "./_cli_process.ts";
import { settle } from "./_helpers.ts";
import { type SpawnedModule, spawnModule, withTempDir } from "./_runtime.ts";
import { loopbackAddresses } from "../src/runtime/exchange/tcp/_test_cluster.ts";
import { formatAddress } from "../src/runtime/exchange/tcp/cluster.ts";
import { denokvTest, withDenokv } from "./_denokv.ts";

const FLOWS = "tests/fixtures/recovery/threaded_flows.ts";
// Bounds on a busy machine: a hang fails the test instead of stalling it.
const WAIT_MS = 45_000;
const EXIT_MS = 30_000;
const EPOCH = ["-s", "0.05"];
// A killed peer is noticed by its closed connection at once, or after this.
const HEARTBEAT = ["--heartbeat-timeout", "3"];

const WORDS = ["to", "be", "or", "not", "that", "is", "the", "question", "whether", "tis"];
const INPUT = Array.from(
  { length: 3000 },
  (_, i) => `${WORDS[i % 10]} ${WORDS[(i * 7) % 10]} w${i % 97}`,
).join("\n") + "\n";

/** What `wordcount` writes for `input`: "word count" lines, sorted. */
function countsOf(input: string): string {
  const counts = new Map<string, number>();
  for (const word of input.split(/\s+/).filter((word) => word !== "")) {
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return [...counts].map(([word, n]) => `${word} ${n}`).sort().join("\n") + "\n";
}

/** Starts process `i` of a cluster of `processes` for each `i`, each with `envs[i]`. */
async function startCluster(
  spec: string,
  processes: number,
  extra: string[],
  envs: Record<string, string>[] = [],
): Promise<SpawnedModule[]> {
  const addresses = (await loopbackAddresses(processes)).map(formatAddress).join(";");
  return Array.from({ length: processes }, (_, i) => {
    const cli = spawnModule(
      `${REPO}cli.ts`,
      ["run", spec, "-i", `${i}`, "-a", addresses, ...extra],
      { cwd: REPO, env: { NO_COLOR: "1", ...envs[i] } },
    );
    cli.closeStdin();
    return cli;
  });
}

function committedEpoch(store: string): Promise<number> {
  return inspectRecovery(store).then((report) => report.committedEpoch, () => 0);
}

/** Waits until `until()` holds; fails naming `what` if a process ends first or it takes too long. */
async function waitUntil(
  what: string,
  clis: SpawnedModule[],
  until: () => Promise<boolean> | boolean,
): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await until())) {
    for (const [i, cli] of clis.entries()) {
      if (cli.child.exitCode !== null) {
        const early = await cli.done;
        assert.fail(`process ${i} ended (${early.code}) before ${what}: ${early.stderr}`);
      }
    }
    assert.ok(
      Date.now() < deadline,
      `no ${what} within ${WAIT_MS} ms; the processes said: ${
        clis.map((cli, i) => `${i}: ${JSON.stringify(cli.stderr())}`).join(", ")
      }`,
    );
    await settle(20);
  }
}

/**
 * The committed epoch once it stayed the same for 1.5 s. Fails when it
 * keeps rising for 6 s: the paced input of the crash test lasts longer.
 */
async function steadyCommit(store: string): Promise<number> {
  const deadline = Date.now() + 6_000;
  let epoch = await committedEpoch(store);
  let since = Date.now();
  while (Date.now() - since < 1_500) {
    assert.ok(
      Date.now() < deadline,
      `process 0 kept committing (epoch ${epoch}) while process 1's rows were not written`,
    );
    await settle(50);
    const now = await committedEpoch(store);
    if (now !== epoch) [epoch, since] = [now, Date.now()];
  }
  return epoch;
}

/** Kills process `victim` with SIGKILL; every other process must then exit 1. */
async function killOne(clis: SpawnedModule[], victim: number): Promise<void> {
  clis[victim]!.kill("SIGKILL");
  const ends = await Promise.all(clis.map((cli) => exitOf(cli, EXIT_MS)));
  for (const [i, end] of ends.entries()) {
    if (i === victim) assert.equal(end.signal, "SIGKILL");
    else assert.equal(end.code, 1, `process ${i}: ${end.stderr}`);
  }
}

Deno.test("cluster recovery: a wordcount killed with SIGKILL on 2 and 3 processes, stopped on 1, finished on 2 and run again by -p 2 --fresh, writes the file of one process never stopped", async () => {
  await withTempDir(async (root) => {
    const clean = `${root}/clean`;
    const crash = `${root}/crash`;
    const store = `${root}/store`;
    for (const dir of [clean, crash]) {
      await mkdir(dir);
      await writeFile(`${dir}/in.txt`, INPUT);
    }
    const reference = await exitOf(
      startCli(["run", `${FLOWS}:wordcount(${JSON.stringify(clean)})`]),
      EXIT_MS,
    );
    assert.equal(reference.stderr, "");
    assert.equal(reference.code, 0);
    const expected = await readFile(`${clean}/counts.txt`, "utf8");
    assert.equal(expected, countsOf(INPUT));

    await KvRecoveryStore.init(store, 2);
    const spec = `${FLOWS}:wordcount(${JSON.stringify(crash)})`;
    const recovery = ["-r", store, ...EPOCH];
    // The reading worker paces its lines while `stop` exists, so epochs commit mid-file.
    await writeFile(`${crash}/stop`, "");

    // 2 processes: process 1 held in its 5th partition write (its rows of an
    // epoch not yet durable), while process 0 ticks an epoch every 50 ms and
    // its own workers write them. Its commits, which may lag on a busy
    // machine, must catch up with process 1's last report and stop there.
    let clis = await startCluster(spec, 2, [...recovery, ...HEARTBEAT], [
      {},
      { RUNNEL_TEST_PAUSE_AT: "write:5" },
    ]);
    await waitUntil(
      "pause in process 1's write",
      clis,
      () => clis[1]!.stderr().includes("runnel-test: paused at write 5"),
    );
    const held = await steadyCommit(store);
    assert.ok(held >= 1, "nothing was committed before process 1's write was held");
    await killOne(clis, 1);

    // 3 processes, resumed from there: process 2 killed once an epoch after it committed.
    const before = await committedEpoch(store);
    clis = await startCluster(spec, 3, [...recovery, ...HEARTBEAT]);
    await waitUntil(
      `a commit after epoch ${before} on 3 processes`,
      clis,
      async () => await committedEpoch(store) > before + 1,
    );
    await killOne(clis, 2);

    // One process (no -a), resumed from the cluster's commit, stopped on purpose mid-file.
    const clusterCommit = await committedEpoch(store);
    assert.ok(clusterCommit > before, `${clusterCommit} after ${before}`);
    const alone = startCli(["run", spec, ...recovery, "-w", "2"]);
    await waitUntil(
      `a commit after epoch ${clusterCommit} on 1 process`,
      [alone],
      async () => await committedEpoch(store) > clusterCommit,
    );
    await writeFile(`${crash}/go`, "");
    const stopped = await exitOf(alone, EXIT_MS);
    assert.equal(stopped.code, 1, stopped.stderr);
    assert.match(stopped.stderr, /stopped as told before line "/);

    // 2 processes again, to the end (no longer paced).
    clis = await startCluster(spec, 2, recovery);
    const ends = await Promise.all(clis.map((cli) => exitOf(cli, WAIT_MS)));
    for (const [i, end] of ends.entries()) {
      assert.equal(end.stderr, "", `process ${i}`);
      assert.equal(end.code, 0);
    }
    assert.equal(await readFile(`${crash}/counts.txt`, "utf8"), expected);
    // Four runs, each resumed from where the one before committed last.
    const { executions } = await inspectRecovery(store);
    assert.equal(executions.length, 4, JSON.stringify(executions));
    assert.ok(
      executions.slice(1).every((e, i) => e.resumedFrom > executions[i]!.resumedFrom),
      JSON.stringify(executions),
    );

    // The launcher passes -r and --fresh to each process; process 0 starts the store over.
    const launched = await exitOf(
      startCli(["run", spec, "-p", "2", ...recovery, "--fresh"]),
      WAIT_MS,
    );
    assert.equal(launched.stderr, "");
    assert.equal(launched.code, 0);
    assert.equal(await readFile(`${crash}/counts.txt`, "utf8"), expected);
    const after = (await inspectRecovery(store)).executions;
    assert.equal(after.length, 5, JSON.stringify(after));
    assert.deepEqual([after[4]!.fresh, after[4]!.resumedFrom], [true, 0]);
  });
});

Deno.test("cluster recovery: process 0 failing to open the store (another flow's) stops every process with that error", async () => {
  await withTempDir(async (root) => {
    const store = `${root}/store`;
    await writeFile(`${root}/in.txt`, "1 10\n2 20\n");
    await KvRecoveryStore.init(store, 1);
    // The store now belongs to flow "win".
    const first = await exitOf(
      startCli(["run", `${FLOWS}:windowed(${JSON.stringify(root)})`, "-r", store]),
      EXIT_MS,
    );
    assert.equal(first.code, 0, first.stderr);
    const clis = await startCluster(
      `${FLOWS}:wordcount(${JSON.stringify(root)})`,
      2,
      ["-r", store, ...EPOCH],
    );
    const ends = await Promise.all(clis.map((cli) => exitOf(cli, WAIT_MS)));
    for (const [i, end] of ends.entries()) {
      assert.equal(end.code, 1, `process ${i}: ${end.stderr}`);
      assert.match(end.stderr, /"win"/, `process ${i}`);
    }
    assert.match(ends[0]!.stderr, /^runnel: /);
    assert.match(ends[1]!.stderr, /Cluster process 0 at 127\.0\.0\.1:\d+ failed: /);
    // Nothing ran: the store still holds the one run of "win".
    assert.equal((await inspectRecovery(store)).executions.length, 1);
  });
});

Deno.test("cluster recovery: run() refuses a store the processes cannot share, before connecting", async () => {
  const flow = new Dataflow("wc");
  flow.input("inp", ["a"]).output("out", { build: () => ({ writeBatch() {} }) });
  await assert.rejects(
    run(flow, {
      module: import.meta.url,
      cluster: {
        addresses: [{ hostname: "127.0.0.1", port: 1 }, { hostname: "127.0.0.1", port: 2 }],
        processIndex: 0,
        version: "0",
      },
      recovery: { store: new MemoryRecoveryStore() },
    }),
    {
      name: "TypeError",
      message:
        /^Cannot run flow "wc" in a cluster with recovery on a MemoryRecoveryStore: it cannot be shared between processes/,
    },
  );
});

Deno.test("cluster recovery: runnel run refuses a local recovery directory when -a names more than one host, exit 2", async () => {
  const cli = async (flags: string[]) => {
    let stderr = "";
    const code = await main(["run", "no_such_flow.ts", ...flags], {
      stdout: () => {},
      stderr: (text) => void (stderr += text),
      env: () => undefined,
      cwd: () => REPO,
      onInterrupt: () => () => {},
    });
    return { code, stderr };
  };
  const refused = await cli(["-a", "127.0.0.1:7001;10.0.0.2:7001", "-i", "0", "-r", "snaps"]);
  assert.equal(refused.code, 2);
  assert.ok(
    refused.stderr.startsWith(
      'runnel: -r/--recovery-directory "snaps" is a local directory, but the cluster\'s ' +
        "addresses name more than one host (127.0.0.1, 10.0.0.2): every process must write to " +
        "one store; give a denokv URL (http://host:port) that every host reaches",
    ),
    refused.stderr,
  );
  // Every name of the loopback is one host: the directory is accepted, and
  // the run goes on to load the flow (which does not exist).
  for (const a of ["127.0.0.1:7001;localhost:7002;127.0.1.1:7003;[::1]:7004"]) {
    const accepted = await cli(["-a", a, "-i", "1", "-r", "snaps"]);
    assert.equal(accepted.code, 2);
    assert.match(accepted.stderr, /no_such_flow\.ts/);
    assert.doesNotMatch(accepted.stderr, /local directory/);
  }
});

denokvTest(
  "cluster recovery: a cluster over a denokv URL, killed with SIGKILL on 2 processes and finished on 3, writes the file of one process never stopped",
  async () => {
    // This test's store and every process of the cluster read the token from the environment.
    await withDenokv(async (server) => {
      await withTempDir(async (dir) => {
        await writeFile(`${dir}/in.txt`, INPUT);
        await KvRecoveryStore.init(server.url, 1);
        const spec = `${FLOWS}:wordcount(${JSON.stringify(dir)})`;
        const recovery = ["-r", server.url, ...EPOCH];
        await writeFile(`${dir}/stop`, "");
        let clis = await startCluster(spec, 2, [...recovery, ...HEARTBEAT]);
        await waitUntil(
          "a second commit on 2 processes",
          clis,
          async () => await committedEpoch(server.url) >= 2,
        );
        await killOne(clis, 1);
        const killedAt = await committedEpoch(server.url);

        await rm(`${dir}/stop`);
        clis = await startCluster(spec, 3, recovery);
        const ends = await Promise.all(clis.map((cli) => exitOf(cli, WAIT_MS)));
        for (const [i, end] of ends.entries()) {
          assert.equal(end.stderr, "", `process ${i}`);
          assert.equal(end.code, 0);
        }
        assert.equal(await readFile(`${dir}/counts.txt`, "utf8"), countsOf(INPUT));
        const { executions } = await inspectRecovery(server.url);
        assert.deepEqual(executions.map((e) => e.resumedFrom), [0, killedAt]);
      });
    });
  },
);

denokvTest(
  "cluster recovery: the denokv server stopped under a cluster run stops every process with exit 1, naming its URL",
  async () => {
    await withDenokv(async (server) => {
      await withTempDir(async (dir) => {
        await writeFile(`${dir}/in.txt`, INPUT);
        await writeFile(`${dir}/stop`, "");
        await KvRecoveryStore.init(server.url, 1);
        const clis = await startCluster(
          `${FLOWS}:wordcount(${JSON.stringify(dir)})`,
          2,
          ["-r", server.url, ...EPOCH],
        );
        await waitUntil("a commit", clis, async () => await committedEpoch(server.url) >= 1);
        await server.stop();
        const ends = await Promise.all(clis.map((cli) => exitOf(cli, WAIT_MS)));
        for (const [i, end] of ends.entries()) {
          assert.equal(end.code, 1, `process ${i}: ${end.stderr}`);
          assert.ok(end.stderr.includes(server.url), `process ${i}: ${end.stderr}`);
        }
      });
    });
  },
);

import assert from "node:assert/strict";
import { rm, writeFile } from "node:fs/promises";
import { main } from "../cli.ts";
import { KvRecoveryStore } from "../recovery.ts";
import { encodeValue } from "../src/runtime/exchange/codec.ts";
import { partitionPath } from "../src/runtime/recovery/_partitions.ts";
import { runModule, withTempDir } from "./_runtime.ts";

const REPO = decodeURIComponent(new URL("../", import.meta.url).pathname);

async function cli(args: string[], cwd: string) {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    env: () => undefined,
    cwd: () => cwd,
    onInterrupt: () => () => {},
  });
  return { code, stdout, stderr };
}

// A store of flow "wordcount" with one committed epoch: 20 counted words and a source position.
async function wordcountStore(dir: string): Promise<void> {
  await KvRecoveryStore.init(dir, 2);
  const store = new KvRecoveryStore(dir);
  await store.open("wordcount");
  await store.write(1, [
    ...Array.from({ length: 20 }, (_, i) => ({
      step: "wordcount.count",
      key: `word${i}`,
      state: encodeValue(i),
    })),
    { step: "wordcount.inp", key: "words.txt", state: encodeValue(1234) },
  ]);
  await store.commit(1);
  await store.close();
}

Deno.test("runnel recovery init DIR N creates N partitions, relative to the working directory, exit 0", async () => {
  await withTempDir(async (dir) => {
    const { code, stdout, stderr } = await cli(["recovery", "init", "snaps", "3"], dir);
    assert.equal(stderr, "");
    assert.equal(code, 0);
    assert.equal(stdout, "Created recovery store snaps: 3 partitions (part-0.kv … part-2.kv)\n");
    const one = await cli(["recovery", "init", "one", "1"], dir);
    assert.equal(one.stdout, "Created recovery store one: 1 partition (part-0.kv)\n");
    const inspected = await cli(["recovery", "inspect", "snaps", "--json"], dir);
    assert.equal(inspected.code, 0);
    const report = JSON.parse(inspected.stdout);
    assert.equal(report.partitions, 3);
    assert.equal(report.committedEpoch, 0);
    assert.equal(report.flow, undefined);

    await writeFile(`${dir}/a-file`, "");
    const onFile = await cli(["recovery", "init", "a-file", "2"], dir);
    assert.equal(onFile.code, 1);
    assert.match(onFile.stderr, /^runnel: Cannot create the recovery store .*a-file: /);

    const again = await cli(["recovery", "init", "snaps", "2"], dir);
    assert.equal(again.code, 1);
    assert.match(
      again.stderr,
      /^runnel: The directory .*snaps already holds a recovery store \(part-0\.kv\); delete it first, or keep it and start it over in the next run \(runnel run -r DIR --fresh; in code, fresh: true\)\n$/,
    );
  });
});

Deno.test("runnel recovery: usage errors exit 2 with a hint", async () => {
  await withTempDir(async (dir) => {
    for (
      const [args, message] of [
        [["recovery"], /^Usage: runnel recovery init DIR N/],
        [
          ["recovery", "init", "snaps"],
          /takes a directory and a partition count.*got 1 argument$/m,
        ],
        [
          ["recovery", "init", "snaps", "0"],
          /partition count must be a whole number from 1 to 10000, got "0"/,
        ],
        [["recovery", "init", "snaps", "two"], /got "two"/],
        [
          ["recovery", "init", "http://127.0.0.1:4512", "3"],
          /a recovery store on a server is one partition, the database at http:\/\/127\.0\.0\.1:4512; got a partition count of "3"/,
        ],
        [["recovery", "inspect"], /takes one directory/],
        [["recovery", "inspect", "snaps", "--yaml"], /unknown option "--yaml"/],
        [
          ["recovery", "compact", "snaps"],
          /unknown recovery command "compact"; commands: init, inspect/,
        ],
      ] as const
    ) {
      const { code, stderr } = await cli([...args], dir);
      assert.equal(code, 2, `${args.join(" ")}: ${stderr}`);
      assert.match(stderr, message);
    }
    const help = await cli(["recovery", "--help"], dir);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /inspect DIR +print the runs that used DIR/);
    assert.equal((await cli(["help", "recovery"], dir)).stdout, help.stdout);
    assert.match((await cli(["--help"], dir)).stdout, /runnel recovery init DIR N/);
  });
});

Deno.test("runnel recovery inspect prints executions, the committed epoch, steps and source positions", async () => {
  await withTempDir(async (dir) => {
    await wordcountStore(`${dir}/snaps`);
    const { code, stdout, stderr } = await cli(["recovery", "inspect", "snaps"], dir);
    assert.equal(stderr, "");
    assert.equal(code, 0);
    const lines = stdout.split("\n");
    assert.match(
      lines[0]!,
      /^Recovery store snaps: 2 partitions of 32 buckets \(store [0-9a-f]{16}\)$/,
    );
    assert.equal(lines[1], "Flow: wordcount");
    assert.match(lines[2]!, /^Committed epoch: 1 \(\d{4}-\d\d-\d\dT/);
    assert.equal(lines[3], "Lock: free");
    assert.match(
      stdout,
      /\nExecutions:\n {2}# +started +resumed from +process +host\n {2}1 +\d{4}-\S+ +0 +\d+ /,
    );
    assert.match(
      stdout,
      /\nSteps as of epoch 1:\n {2}step +keys +bytes\n {2}wordcount\.count +20 +20\n {2}wordcount\.inp +1 +3\n/,
    );
    assert.match(stdout, /\n {2}wordcount\.inp +"words\.txt" +1234\n$/);

    const json = await cli(["recovery", "inspect", "snaps", "--json"], dir);
    assert.equal(json.code, 0);
    const report = JSON.parse(json.stdout);
    assert.equal(report.dir, "snaps");
    assert.equal(report.flow, "wordcount");
    assert.equal(report.committedEpoch, 1);
    assert.deepEqual(report.partitionEpochs, [1, 1]);
    assert.equal(report.executions.length, 1);
    assert.equal(report.executions[0].resumedFrom, 0);
    assert.deepEqual(report.steps, [
      { step: "wordcount.count", keys: 20, bytes: 20 },
      { step: "wordcount.inp", keys: 1, bytes: 3, values: { "words.txt": 1234 } },
    ]);
  });
});

Deno.test("runnel recovery inspect of a missing directory or partition exits 1 naming the file", async () => {
  await withTempDir(async (dir) => {
    const missing = await cli(["recovery", "inspect", "nowhere"], dir);
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      /^runnel: The recovery directory .*nowhere does not exist; create it with 'runnel recovery init DIR N'\n$/,
    );
    await writeFile(`${dir}/a-file`, "");
    const notDir = await cli(["recovery", "inspect", "a-file"], dir);
    assert.equal(notDir.code, 1);
    assert.match(notDir.stderr, /^runnel: Cannot read the recovery directory .*a-file: /);
    await wordcountStore(`${dir}/snaps`);
    await rm(partitionPath(`${dir}/snaps`, 1));
    const partial = await cli(["recovery", "inspect", "snaps", "--json"], dir);
    assert.equal(partial.code, 1);
    assert.equal(partial.stdout, "");
    assert.match(partial.stderr, /^runnel: The recovery partition .*snaps\/part-1\.kv is missing/);
  });
});

Deno.test("runnel run: -b and --fresh need -r, and -b must be seconds of at least 0, exit 2", async () => {
  const fixtures = `${REPO}tests/fixtures/cli`;
  for (
    const [args, message] of [
      [["-b", "30"], /^runnel: -b\/--backup-interval needs a recovery directory \(-r DIR\)/],
      [["--fresh"], /^runnel: --fresh needs a recovery directory \(-r DIR\)/],
      [
        ["-r", "snaps", "-b", "-1"],
        /-b\/--backup-interval must be a number of seconds of at least 0, got "-1"/,
      ],
      [["-r", "snaps", "-b", "soon"], /got "soon"/],
    ] as const
  ) {
    const { code, stderr } = await cli(["run", "good_flow.ts", ...args], fixtures);
    assert.equal(code, 2, `${args.join(" ")}: ${stderr}`);
    assert.match(stderr, message);
  }
  const help = await cli(["run", "--help"], fixtures);
  assert.match(help.stdout, /-r, --recovery-directory DIR/);
  assert.match(help.stdout, /-b, --backup-interval SECONDS/);
  assert.match(help.stdout, /--fresh/);
});

Deno.test("process: runnel recovery init and inspect --json work through the command line", async () => {
  await withTempDir(async (dir) => {
    const init = await runModule(`${REPO}cli.ts`, ["recovery", "init", `${dir}/snaps`, "2"], {
      cwd: REPO,
      denoFlags: ["--allow-all", "--unstable-kv"],
    });
    assert.equal(init.stderr, "");
    assert.equal(init.code, 0);
    const inspect = await runModule(`${REPO}cli.ts`, [
      "recovery",
      "inspect",
      `${dir}/snaps`,
      "--json",
    ], {
      cwd: REPO,
      denoFlags: ["--allow-all", "--unstable-kv"],
    });
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.equal(JSON.parse(inspect.stdout).partitions, 2);
  });
});

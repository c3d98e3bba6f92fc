// A recovery store on a real denokv server (see _denokv.ts): the store's
// API through the URL, its lock and access token, and `runnel run -r URL`
// killed and resumed, and failing clearly when the server goes away.
import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type AddressInfo, createServer, type Socket } from "node:net";
import process from "node:process";
import { KvRecoveryStore, RecoveryStoreError } from "../src/runtime/recovery/kv_store.ts";
import { openRemoteKv } from "../src/runtime/recovery/_remote.ts";
import { decodeValue, encodeValue } from "../src/runtime/exchange/codec.ts";
import { denokvTest, TOKEN, withDenokv, withToken } from "./_denokv.ts";
import { FIXTURES, runCli, startCli } from "./_recovery_cli.ts";
import { withTempDir } from "./_runtime.ts";
import { wordcountInput } from "./_recovery_crash.ts";

denokvTest(
  "a recovery store on a denokv server: init, write, commit and resume through its URL",
  async () => {
    await withDenokv(async ({ url }) => {
      await assert.rejects(
        KvRecoveryStore.init(url, 2),
        new RegExp(`at ${url}: a store on a server is one partition, the database at that URL`),
      );
      await KvRecoveryStore.init(url, 1);
      await assert.rejects(
        KvRecoveryStore.init(url, 1),
        new RegExp(`The server at ${url} already holds a recovery store`),
      );
      const first = new KvRecoveryStore(url);
      assert.equal((await first.open("f")).epoch, 0);
      await first.write(1, [
        { step: "count", key: "a", state: encodeValue(1) },
        { step: "count", key: "b", state: encodeValue(2) },
      ]);
      await first.commit(1);
      await first.write(2, [{ step: "count", key: "a", state: undefined }]);
      await first.commit(2);
      await first.write(3, [{ step: "count", key: "c", state: encodeValue(3) }]);
      await first.close(); // epoch 3 never committed

      const second = new KvRecoveryStore(url);
      const resume = await second.open("f");
      await second.close();
      assert.equal(resume.epoch, 2);
      assert.equal(resume.generation, 1);
      const counts = resume.rows.get("count")!;
      assert.deepEqual([...counts.keys()], ["b"]);
      assert.equal(decodeValue(counts.get("b")!), 2);
    });
  },
);

denokvTest(
  "a recovery store on a denokv server is held by one run at a time; process 0 and a joined process share it",
  async () => {
    await withDenokv(async ({ url }) => {
      await KvRecoveryStore.init(url, 1);
      const holder = new KvRecoveryStore(url);
      const { opening } = await holder.openShared("f");
      const second = new KvRecoveryStore(url);
      await assert.rejects(second.open("f"), (error: Error) => {
        assert.ok(error instanceof RecoveryStoreError);
        assert.match(
          error.message,
          new RegExp(`Cannot open the recovery store ${url}: another run holds it`),
        );
        return true;
      });
      const joined = new KvRecoveryStore(url);
      await joined.join("f", opening, 1);
      await Promise.all([
        holder.write(1, [{ step: "s", key: "from 0", state: encodeValue(0) }]),
        joined.write(1, [{ step: "s", key: "from 1", state: encodeValue(1) }]),
      ]);
      await holder.commit(1);
      await joined.close();
      await holder.close();
      const after = new KvRecoveryStore(url);
      const resume = await after.open("f");
      await after.close();
      assert.deepEqual([...resume.rows.get("s")!.keys()].sort(), ["from 0", "from 1"]);
    });
  },
);

denokvTest(
  "a recovery store on a denokv server: a missing or wrong access token fails naming the variable or the URL",
  async () => {
    await withDenokv(async ({ url }) => {
      await KvRecoveryStore.init(url, 1);
      delete process.env[TOKEN];
      await assert.rejects(new KvRecoveryStore(url).open("f"), (error: Error) => {
        assert.ok(error instanceof RecoveryStoreError);
        assert.equal(
          error.message,
          `Cannot open the recovery store ${url}: set the environment variable DENO_KV_ACCESS_TOKEN ` +
            "to its server's access token",
        );
        return true;
      });
      process.env[TOKEN] = "not the token";
      await assert.rejects(new KvRecoveryStore(url).open("f"), (error: Error) => {
        assert.ok(error instanceof RecoveryStoreError);
        assert.match(error.message, new RegExp(`^The recovery store ${url} failed`));
        assert.equal(error.path, url);
        return true;
      });
    });
  },
);

denokvTest(
  "a recovery store on a stopped server fails naming its URL, without waiting long",
  async () => {
    let url = "";
    await withDenokv(async (server) => {
      url = server.url;
      await KvRecoveryStore.init(url, 1);
      await server.stop();
      const started = Date.now();
      await assert.rejects(new KvRecoveryStore(url).open("f"), (error: Error) => {
        assert.ok(error instanceof RecoveryStoreError, String(error));
        assert.match(error.message, new RegExp(`^The recovery store ${url} `));
        return true;
      });
      assert.ok(Date.now() - started < 15_000, `${Date.now() - started} ms`);
    });
  },
);

Deno.test("a recovery store on a server that accepts connections but never answers fails naming its URL after 10 s", async () => {
  const sockets: Socket[] = [];
  const silent = createServer((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  try {
    await withToken("a token of some length", async () => {
      const started = Date.now();
      await assert.rejects(new KvRecoveryStore(url).open("f"), (error: Error) => {
        assert.ok(error instanceof RecoveryStoreError, String(error));
        assert.equal(
          error.message,
          `The recovery store ${url} did not answer within 10 s while opening it: is its server ` +
            "running and reachable?",
        );
        return true;
      });
      assert.ok(Date.now() - started < 20_000, `${Date.now() - started} ms`);
    });
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});

denokvTest(
  "runnel run -r URL: killed mid-run (SIGKILL) and run again, writes what a run without a crash writes",
  async () => {
    await withDenokv(async ({ url }) => {
      await withTempDir(async (dir) => {
        const clean = join(dir, "clean");
        const crash = join(dir, "crash");
        for (const at of [clean, crash]) {
          await mkdir(at);
          await writeFile(join(at, "input.txt"), wordcountInput());
        }
        const flow = `${FIXTURES}wordcount_flow.ts`;
        const reference = await runCli(["run", flow], clean);
        assert.equal(reference.output.code, 0, reference.output.stderr);

        const init = await runCli(["recovery", "init", url], crash);
        assert.equal(init.output.code, 0, init.output.stderr);
        assert.equal(
          init.output.stdout,
          `Created recovery store ${url}: 1 partition (the database at that URL)\n`,
        );
        const args = ["run", flow, "-r", url, "-s", "0.02"];
        for (const pause of ["commit:2", "write:3"]) {
          const run = await runCli(args, crash, { pause });
          assert.ok(run.killed, `not killed at ${pause}: ${run.output.stderr}`);
        }
        const last = await runCli(args, crash);
        assert.equal(last.output.code, 0, last.output.stderr);
        for (const file of ["counts.txt", "running.txt"]) {
          assert.ok(
            (await readFile(join(crash, file), "utf8")) ===
              (await readFile(join(clean, file), "utf8")),
            `${file} differs from the run without a crash`,
          );
        }
        const inspect = await runCli(["recovery", "inspect", url, "--json"], crash);
        assert.equal(inspect.output.code, 0, inspect.output.stderr);
        const report = JSON.parse(inspect.output.stdout);
        assert.equal(report.dir, url);
        assert.equal(report.flow, "crash_wordcount");
        const resumed = (report.executions as { resumedFrom: number }[]).map((e) => e.resumedFrom);
        assert.equal(resumed.length, 3);
        // Killed before its second commit, the first run left epoch 1 committed.
        assert.ok(resumed[1]! >= 1 && resumed[2]! >= resumed[1]!, `resumed from ${resumed}`);
      });
    });
  },
);

denokvTest("runnel run -r URL fails naming the URL when the server stops under it", async () => {
  await withDenokv(async (server) => {
    await withTempDir(async (dir) => {
      const init = await runCli(["recovery", "init", server.url], dir);
      assert.equal(init.output.code, 0, init.output.stderr);
      const run = startCli(["run", `${FIXTURES}slow_flow.ts`, "-r", server.url, "-s", "0.05"], dir);
      // Stopped once the run committed an epoch: it opened the store and runs epochs.
      let ended = false;
      void run.done.then(() => ended = true);
      const kv = await openRemoteKv(server.url);
      try {
        while ((await kv.get(["commit"])).versionstamp === null) {
          assert.ok(!ended, `the run ended before its first commit: ${run.stderr()}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      } finally {
        kv.close();
      }
      await server.stop();
      const stopped = Date.now();
      const { output, killed } = await run.done;
      assert.ok(!killed, "the run hung after its server stopped");
      assert.equal(output.code, 1, output.stderr);
      assert.match(output.stderr, new RegExp(server.url.replaceAll(".", "\\.")));
      assert.ok(
        Date.now() - stopped < 30_000,
        `${Date.now() - stopped} ms after the server stopped`,
      );
    });
  });
});

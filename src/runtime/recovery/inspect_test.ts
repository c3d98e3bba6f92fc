import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { formatRecoveryReport, inspectRecovery } from "./inspect.ts";
import { KvRecoveryStore } from "./kv_store.ts";
import { encodeRecord, partitionPath } from "./_partitions.ts";
import { encodeValue } from "../exchange/codec.ts";
import { platform } from "../platform/platform.ts";
import { spawnModule, withTempDir } from "../../../tests/_runtime.ts";

Deno.test("inspectRecovery() reads a store in use without its lock, as of the last epoch every partition committed", async () => {
  await withTempDir(async (dir) => {
    await KvRecoveryStore.init(dir, 2);
    const store = new KvRecoveryStore(dir);
    await store.open("f");
    await store.write(1, [
      ...Array.from(
        { length: 17 },
        (_, i) => ({ step: "f.big", key: `k${i}`, state: encodeValue(i) }),
      ),
      { step: "f.inp", key: "p0", state: encodeValue({ offset: 10n, files: new Map([["a", 1]]) }) },
    ]);
    await store.commit(1);
    await store.write(2, [{ step: "f.inp", key: "p0", state: encodeValue({ offset: 20n }) }]);
    // Uncommitted rows are not shown.
    let report = await inspectRecovery(dir);
    assert.equal(report.committedEpoch, 1);
    assert.deepEqual(report.partitionEpochs, [1, 1]);
    assert.equal(report.lock?.pid, platform.pid());
    assert.deepEqual(report.steps.map((s) => [s.step, s.keys, s.values === undefined]), [
      ["f.big", 17, true],
      ["f.inp", 1, false],
    ]);
    assert.deepEqual(report.steps[1]!.values, { p0: { offset: 10n, files: new Map([["a", 1]]) } });
    assert.match(formatRecoveryReport(report), /^Lock: process \d+ on host /m);
    const json = JSON.parse(formatRecoveryReport(report, { json: true }));
    assert.deepEqual(json.steps[1].values, { p0: { offset: "10", files: [["a", 1]] } });
    await store.commit(2);
    await store.close();

    // A crash during a commit: partition 1 is one epoch ahead.
    const kv = await platform.openKv(partitionPath(dir, 1));
    await kv.atomic().set(["commit"], encodeValue({ epoch: 3, at: 0 })).commit();
    kv.close();
    report = await inspectRecovery(dir);
    assert.equal(report.lock, undefined);
    assert.equal(report.committedEpoch, 2);
    assert.deepEqual(report.partitionEpochs, [2, 3]);
    assert.deepEqual(report.steps[1]!.values, { p0: { offset: 20n } });
    const text = formatRecoveryReport(report);
    assert.match(text, /^Lock: free$/m);
    assert.match(text, /^Partition epochs: 2, 3$/m);
  });
});

Deno.test("inspectRecovery() reads a store that a run is writing and compacting meanwhile: each report is one committed epoch's rows", async () => {
  await withTempDir(async (dir) => {
    await KvRecoveryStore.init(dir, 1);
    const store = new KvRecoveryStore(dir);
    await store.open("f");
    const keys = Array.from({ length: 8 }, (_, i) => `k${i}`);
    let writing = true;
    // Every epoch rewrites every key with its own number: compaction then
    // replaces the segments of older epochs, and deletes them, all the time.
    const writer = (async () => {
      for (let epoch = 1; writing; epoch++) {
        await store.write(
          epoch,
          keys.map((key) => ({ step: "f.s", key, state: encodeValue(epoch) })),
        );
        await store.commit(epoch);
        // A run's epochs are seconds apart; these, milliseconds: a read that
        // starts again after a commit still has time to finish.
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    try {
      let last = 0;
      for (let i = 0; i < 60; i++) {
        const report = await inspectRecovery(dir);
        assert.ok(report.committedEpoch >= last, `epoch ${report.committedEpoch} after ${last}`);
        last = report.committedEpoch;
        if (last === 0) continue;
        const values = report.steps.find((s) => s.step === "f.s")!.values!;
        assert.deepEqual(Object.values(values), keys.map(() => last));
      }
      assert.ok(last > 10, `only ${last} epochs were written meanwhile`);
    } finally {
      writing = false;
      await writer;
      await store.close();
    }
  });
});

Deno.test("inspectRecovery() tells a lock whose process on this host has ended, which the next run takes over", async () => {
  await withTempDir(async (dir) => {
    await KvRecoveryStore.init(dir, 1);
    // A process id that was in use and has ended: a child's, once it exited.
    await writeFile(`${dir}/exit.ts`, "");
    const child = spawnModule(`${dir}/exit.ts`, []);
    await child.done;
    const lock = (pid: number) => ({
      owner: "o",
      pid,
      host: platform.hostname(),
      since: Date.now() - 60_000,
      renewed: Date.now(),
      heartbeat: 1_000,
    });
    const kv = await platform.openKv(partitionPath(dir, 0));
    try {
      await kv.atomic().set(["lock"], encodeRecord(lock(child.child.pid!))).commit();
      let report = await inspectRecovery(dir);
      assert.equal(report.lock?.running, false);
      assert.match(
        formatRecoveryReport(report),
        /^Lock: process \d+ on host .*, renewed .* \(not running: the next run takes the lock over\)$/m,
      );
      // This process: running while it renews the lock.
      await kv.atomic().set(["lock"], encodeRecord(lock(platform.pid()))).commit();
      report = await inspectRecovery(dir);
      assert.equal(report.lock?.running, true);
      assert.doesNotMatch(formatRecoveryReport(report), /not running/);
      // Another host's run: nobody here can tell.
      await kv.atomic().set(["lock"], encodeRecord({ ...lock(1), host: "elsewhere" })).commit();
      report = await inspectRecovery(dir);
      assert.equal(report.lock?.running, undefined);
    } finally {
      kv.close();
    }
  });
});

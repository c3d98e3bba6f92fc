import assert from "node:assert/strict";
import { copyFile, rm, writeFile } from "node:fs/promises";
import { KvRecoveryStore, RecoveryStoreError } from "./kv_store.ts";
import type { ResumePoint, SnapshotRow } from "./store.ts";
import { partitionPath, placeRow } from "./_partitions.ts";
import { platform } from "../platform/platform.ts";
import { decodeValue, encodeValue } from "../exchange/codec.ts";
import { TestingTime } from "../../../connectors/testing_time.ts";
import { spawnModule, withTempDir } from "../../../tests/_runtime.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytes = (text: string) => encoder.encode(text);

/** The resume point's rows as plain data: step -> key -> decoded text. */
function plain(resume: ResumePoint): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [step, keys] of resume.rows) {
    out[step] = Object.fromEntries([...keys].map(([k, v]) => [k, decoder.decode(v)]));
  }
  return out;
}

async function reopen(
  dir: string,
  flow = "f",
  options: ConstructorParameters<typeof KvRecoveryStore>[1] = {},
): Promise<ResumePoint> {
  const store = new KvRecoveryStore(dir, options);
  try {
    return await store.open(flow);
  } finally {
    await store.close();
  }
}

/** Every KV key of a partition, for checking what a store left behind. */
async function keysOf(path: string): Promise<unknown[][]> {
  const kv = await platform.openKv(path);
  try {
    const keys: unknown[][] = [];
    for await (const entry of kv.list({ prefix: [] })) keys.push([...entry.key]);
    return keys;
  } finally {
    kv.close();
  }
}

async function withKv<T>(
  path: string,
  fn: (kv: Awaited<ReturnType<typeof platform.openKv>>) => Promise<T>,
): Promise<T> {
  const kv = await platform.openKv(path);
  try {
    return await fn(kv);
  } finally {
    kv.close();
  }
}

async function rejects(promise: Promise<unknown>, pattern: RegExp, path?: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof RecoveryStoreError, `expected a RecoveryStoreError, got ${error}`);
    assert.match(error.message, pattern);
    if (path !== undefined) assert.equal(error.path, path);
    return true;
  });
}

Deno.test("KvRecoveryStore resumes from the last commit: states, tombstones, several steps and writes per epoch", async () => {
  await withTempDir(async (dir) => {
    await KvRecoveryStore.init(dir, 3);
    const store = new KvRecoveryStore(dir);
    const first = await store.open("f");
    assert.equal(first.epoch, 0);
    assert.equal(first.rows.size, 0);
    await store.write(1, [
      { step: "f.count", key: "a", state: bytes("1") },
      { step: "f.count", key: "b", state: bytes("1") },
    ]);
    // A second worker's rows of the same epoch and step.
    await store.write(1, [
      { step: "f.count", key: "c", state: bytes("1") },
      { step: "f.inp", key: "part-0", state: bytes("offset 10") },
    ]);
    await store.commit(1);
    await store.write(2, [
      { step: "f.count", key: "a", state: bytes("2") },
      { step: "f.count", key: "b", state: undefined },
      { step: "f.inp", key: "part-0", state: bytes("offset 20") },
    ]);
    await store.commit(2);
    assert.equal(store.committedEpoch, 2);
    await store.close();

    const resume = await reopen(dir);
    assert.equal(resume.epoch, 2);
    assert.deepEqual(plain(resume), {
      "f.count": { a: "2", c: "1" },
      "f.inp": { "part-0": "offset 20" },
    });
    // The rows went to more than one partition, by (step, key).
    const used = new Set(["a", "b", "c"].map((k) => placeRow("f.count", k, 3, 32).partition));
    assert.ok(used.size > 1);
  });
});

Deno.test("KvRecoveryStore ignores the rows of an uncommitted epoch and deletes them on open", async () => {
  await withTempDir(async (dir) => {
    await KvRecoveryStore.init(dir, 1);
    const store = new KvRecoveryStore(dir);
    await store.open("f");
    await store.write(1, [{ step: "s", key: "k", state: bytes("one") }]);
    await store.commit(1);
    await store.write(2, [
      { step: "s", key: "k", state: bytes("two") },
      { step: "s", key: "new", state: bytes("x") },
    ]);
    await store.close(); // a crash before commit(2)
    const path = partitionPath(dir, 0);
    assert.ok((await keysOf(path)).some((key) => key[0] === "seg" && key[1] === 2));

    const resume = await reopen(dir);
    assert.equal(resume.epoch, 1);
    assert.deepEqual(plain(resume), { s: { k: "one" } });
    const left = await keysOf(path);
    assert.deepEqual(
      left.filter((key) => typeof key[1] === "number" && key[1] > 1 && key[0] !== "exec"),
      [],
    );

    // The next run writes epoch 2 afresh.
    const next = new KvRecoveryStore(dir);
    await next.open("f");
    await next.write(2, [{ step: "s", key: "k", state: bytes("again") }]);
    await next.commit(2);
    await next.close();
    assert.deepEqual(plain(await reopen(dir)), { s: { k: "again" } });
  });
});

Deno.test("KvRecoveryStore.commit() refuses an epoch not after the last commit, and a commit over a newer run's", async () => {
  await withTempDir(async (dir) => {
    await KvRecoveryStore.init(dir, 2);
    const store = new KvRecoveryStore(dir);
    await store.open("f");
    await store.write(1, [{ step: "s", key: "k", state: bytes("1") }]);
    await store.commit(1);
    await assert.rejects(store.commit(1), /epoch 1 is committed already/);
    await assert.rejects(store.write(1, []), /after the committed epoch 1/);

    // A newer run took the store over (its lock) and committed epoch 5.
    await withKv(partitionPath(dir, 0), async (kv) => {
      await kv.atomic()
        .set(
          ["lock"],
          encodeValue({ owner: "newer", pid: 1, host: "h", since: 0, renewed: 0, heartbeat: 1000 }),
        )
        .set(["commit"], encodeValue({ epoch: 5, at: 0 })).commit();
    });
    await store.write(2, [{ step: "s", key: "k", state: bytes("stale") }]);
    await rejects(store.commit(2), /another run took the store over/, partitionPath(dir, 0));
    // Once refused, the store refuses everything but close.
    await rejects(store.write(3, []), /another run took the store over/);
    await store.close();
    await withKv(partitionPath(dir, 0), async (kv) => {
      const commit = decodeValue((await kv.get(["commit"])).value as Uint8Array);
      assert.deepEqual(commit, { epoch: 5, at: 0 });
      // The newer run's lock is left alone.
      const lock = decodeValue((await kv.get(["lock"])).value as Uint8Array) as { owner: string };
      assert.equal(lock.owner, "newer");
    });
  });
});

Deno.test("KvRecoveryStore cuts large segments into pieces under Deno KV's limits: states near and over 64 KiB", async () => {
  await withTempDir(async (dir) => {
    await KvRecoveryStore.init(dir, 2, { buckets: 1 });
    const store = new KvRecoveryStore(dir);
    await store.open("f");
    const pattern = (n: number, seed: number) =>
      Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
    const rows: SnapshotRow[] = [];
    const sizes = [0, 1, 65_535, 65_536, 65_537, 200_000, 1_000_000];
    sizes.forEach((n, i) => rows.push({ step: "big", key: `k${i}`, state: pattern(n, i) }));
    for (let i = 0; i < 40; i++) {
      rows.push({ step: "near", key: `n${i}`, state: pattern(65_000, i) });
    }
    await store.write(1, rows);
    await store.commit(1);
    await store.close();

    const resume = await reopen(dir);
    const big = resume.rows.get("big")!;
    sizes.forEach((n, i) =>
      assert.deepEqual(big.get(`k${i}`), pattern(n, i), `k${i} of ${n} bytes`)
    );
    const near = resume.rows.get("near")!;
    assert.equal(near.size, 40);
    for (let i = 0; i < 40; i++) assert.deepEqual(near.get(`n${i}`), pattern(65_000, i));
    // Several KV values per segment: never one entry per key, never one over the limit.
    await withKv(partitionPath(dir, 0), async (kv) => {
      let pieces = 0;
      for await (const entry of kv.list({ prefix: ["seg"] })) {
        pieces++;
        assert.ok((entry.value as Uint8Array).length <= 65_536);
      }
      assert.ok(pieces > 1);
    });
  });
});

Deno.test("KvRecoveryStore holds 120,000 keys in a few hundred KV entries and resumes them all", async () => {
  await withTempDir(async (dir) => {
    await KvRecoveryStore.init(dir, 2);
    const store = new KvRecoveryStore(dir);
    await store.open("f");
    const n = 120_000;
    const rows: SnapshotRow[] = [];
    for (let i = 0; i < n; i++) {
      rows.push({ step: "f.count", key: `key-${i}`, state: encodeValue(i) });
    }
    await store.write(1, rows);
    await store.commit(1);
    // Epoch 2: a tenth changes, a hundredth goes.
    const changes: SnapshotRow[] = [];
    for (let i = 0; i < n; i += 10) {
      changes.push({ step: "f.count", key: `key-${i}`, state: encodeValue(-i - 1) });
    }
    for (let i = 5; i < n; i += 100) {
      changes.push({ step: "f.count", key: `key-${i}`, state: undefined });
    }
    await store.write(2, changes);
    await store.commit(2);
    await store.close();

    const resume = await reopen(dir);
    const counts = resume.rows.get("f.count")!;
    assert.equal(counts.size, n - n / 100);
    for (let i = 0; i < n; i++) {
      const expected = i % 100 === 5 ? undefined : i % 10 === 0 ? -i - 1 : i;
      const got = counts.get(`key-${i}`);
      assert.deepEqual(got === undefined ? undefined : decodeValue(got), expected, `key-${i}`);
    }
    let entries = 0;
    for (let p = 0; p < 2; p++) entries += (await keysOf(partitionPath(dir, p))).length;
    assert.ok(entries < 600, `${entries} KV entries for ${n} keys`);
  });
});

Deno.test("KvRecoveryStore compacts: a resume reads a base and few deltas, and older segments go once out of the backup window", async () => {
  await withTempDir(async (dir) => {
    await KvRecoveryStore.init(dir, 1, { buckets: 1 });
    const time = new TestingTime(1_000_000);
    const store = new KvRecoveryStore(dir, { time, backup: 10 });
    await store.open("f");
    const keys = Array.from({ length: 200 }, (_, i) => `k${i}`);
    for (let epoch = 1; epoch <= 30; epoch++) {
      // Every key in epoch 1, then two keys per epoch.
      const changed = epoch === 1 ? keys : [`k${epoch}`, `k${epoch + 100}`];
      await store.write(
        epoch,
        changed.map((key) => ({ step: "s", key, state: encodeValue(epoch) })),
      );
      await store.commit(epoch);
      time.advance(1000);
    }
    await store.close();
    const segments = (await keysOf(partitionPath(dir, 0))).filter((key) => key[0] === "idx");
    const epochs = segments.map((key) => key[1] as number);
    // Epochs committed within the last 10 s (21 … 30) can be rebuilt, so
    // their deltas and the base at or before 21 stay; older segments are gone.
    const bases = segments.filter((key) => key[4] === 0).map((key) => key[1] as number);
    assert.ok(bases.some((e) => e <= 21), `bases at ${bases}`);
    assert.ok(
      Math.min(...epochs) >= Math.max(...bases.filter((e) => e <= 21)),
      `segments at ${epochs}`,
    );
    assert.ok(segments.length < 30, `${segments.length} segments kept`);
    const resume = await reopen(dir, "f", { time });
    const state = resume.rows.get("s")!;
    assert.equal(state.size, 200);
    for (let i = 0; i < 200; i++) {
      const last = i >= 2 && i <= 30 ? i : i >= 102 && i <= 130 ? i - 100 : 1;
      assert.equal(decodeValue(state.get(`k${i}`)!), last, `k${i}`);
    }
  });
});

Deno.test("KvRecoveryStore resumes at the common epoch of partitions restored from backups taken at different moments", async () => {
  for (const backup of [60, 0]) {
    await withTempDir(async (dir) => {
      await KvRecoveryStore.init(dir, 2, { buckets: 1 });
      const time = new TestingTime(0);
      const rowsAt = (epoch: number): SnapshotRow[] =>
        Array.from(
          { length: 20 },
          (_, i) => ({ step: "s", key: `k${i}`, state: encodeValue(epoch * 100 + i) }),
        );
      let store = new KvRecoveryStore(dir, { time, backup });
      await store.open("f");
      for (let epoch = 1; epoch <= 2; epoch++) {
        await store.write(epoch, rowsAt(epoch));
        await store.commit(epoch);
        time.advance(1000);
      }
      await store.close();
      const asOf2 = plain(await reopen(dir, "f", { time }));
      await copyFile(partitionPath(dir, 1), `${dir}/backup-1`);
      store = new KvRecoveryStore(dir, { time, backup });
      await store.open("f");
      for (let epoch = 3; epoch <= 6; epoch++) {
        await store.write(epoch, rowsAt(epoch));
        await store.commit(epoch);
        time.advance(1000);
      }
      await store.close();
      await copyFile(`${dir}/backup-1`, partitionPath(dir, 1));
      await rm(`${dir}/backup-1`);
      if (backup === 60) {
        const resume = await reopen(dir, "f", { time });
        assert.equal(resume.epoch, 2);
        assert.deepEqual(plain(resume), asOf2);
      } else {
        // Partition 0 kept only epoch 6: it cannot go back to 2, and says so.
        await rejects(
          reopen(dir, "f", { time }),
          /can rebuild epochs from 6 on only.*last epoch every partition committed is 2/,
          partitionPath(dir, 0),
        );
      }
    });
  }
});

Deno.test("KvRecoveryStore.open() names the file and the fault: missing, another flow, mixed stores, not a partition, no directory", async () => {
  await withTempDir(async (dir) => {
    const missingDir = `${dir}/nothing`;
    await rejects(
      reopen(missingDir),
      /recovery directory .*nothing does not exist.*runnel recovery init/,
      missingDir,
    );
    await platform.mkdir(`${dir}/empty`);
    await rejects(reopen(`${dir}/empty`), /holds no partitions/);

    const a = `${dir}/a`;
    const b = `${dir}/b`;
    await KvRecoveryStore.init(a, 3);
    await KvRecoveryStore.init(b, 3);
    await assert.rejects(KvRecoveryStore.init(a, 2), /already holds a recovery store/);
    await assert.rejects(KvRecoveryStore.init(`${dir}/c`, 0), RangeError);
    await reopen(a, "flow-a");
    await rejects(
      reopen(a, "flow-b"),
      /part-0\.kv belongs to flow "flow-a", not "flow-b".*--fresh/,
      partitionPath(a, 0),
    );

    await copyFile(partitionPath(a, 2), `${dir}/saved`);
    await copyFile(partitionPath(b, 2), partitionPath(a, 2));
    await rejects(
      reopen(a, "flow-a"),
      /a\/part-2\.kv belongs to another store.*mixed/,
      partitionPath(a, 2),
    );
    await copyFile(partitionPath(a, 1), partitionPath(a, 2));
    await rejects(
      reopen(a, "flow-a"),
      /part-2\.kv is partition 1 of its store, not 2/,
      partitionPath(a, 2),
    );
    await copyFile(`${dir}/saved`, partitionPath(a, 2));
    await copyFile(partitionPath(b, 1), partitionPath(a, 5));
    await rejects(
      reopen(a, "flow-a"),
      /part-5\.kv is not part of the store.*3 partitions/,
      partitionPath(a, 5),
    );
    await rm(partitionPath(a, 5));

    await rm(partitionPath(a, 1));
    await rejects(reopen(a, "flow-a"), /part-1\.kv is missing/, partitionPath(a, 1));
    // Nothing was created in its place.
    await assert.rejects(platform.stat(partitionPath(a, 1)));
    await withKv(partitionPath(a, 1), async () => {}); // an empty KV file
    await rejects(
      reopen(a, "flow-a"),
      /part-1\.kv is not a runnel recovery partition/,
      partitionPath(a, 1),
    );
    await writeFile(
      partitionPath(a, 1),
      "not a database at all, just text that goes on for a while",
    );
    await rejects(
      reopen(a, "flow-a"),
      /Cannot open the recovery partition .*part-1\.kv/,
      partitionPath(a, 1),
    );
  });
});

Deno.test("KvRecoveryStore.open() refuses a corrupt or truncated segment, naming the file", async () => {
  await withTempDir(async (dir) => {
    await KvRecoveryStore.init(dir, 1, { buckets: 1 });
    const store = new KvRecoveryStore(dir);
    await store.open("f");
    await store.write(
      1,
      Array.from(
        { length: 3000 },
        (_, i) => ({ step: "s", key: `key-${i}`, state: new Uint8Array(50).fill(i) }),
      ),
    );
    await store.commit(1);
    await store.close();
    const path = partitionPath(dir, 0);
    const pieceKeys = (await keysOf(path)).filter((key) => key[0] === "seg");
    assert.ok(pieceKeys.length >= 2, `${pieceKeys.length} pieces`);
    const original = await withKv(
      path,
      async (kv) => (await kv.get(pieceKeys[1] as never)).value as Uint8Array,
    );

    // A truncated piece.
    await withKv(
      path,
      (kv) => kv.atomic().set(pieceKeys[1] as never, original.slice(0, 1000)).commit(),
    );
    await rejects(
      reopen(dir),
      /part-0\.kv is corrupt: segment .* should have 3 pieces .* found 3 of \d+ bytes \(truncated\?\)/,
      path,
    );
    // A missing piece.
    await withKv(path, (kv) => kv.atomic().delete(pieceKeys[1] as never).commit());
    await rejects(reopen(dir), /part-0\.kv is corrupt: segment .*found 2 of/, path);
    // Garbage of the right length.
    await withKv(
      path,
      (kv) =>
        kv.atomic().set(pieceKeys[1] as never, new Uint8Array(original.length).fill(0xff)).commit(),
    );
    await rejects(
      reopen(dir),
      /part-0\.kv is corrupt: segment .*(cannot be decoded|is not 3000 rows)/,
      path,
    );
    // A commit marker that is not a record.
    await withKv(
      path,
      (kv) =>
        kv.atomic().set(pieceKeys[1] as never, original).set(["commit"], Uint8Array.of(0xff))
          .commit(),
    );
    await rejects(reopen(dir), /part-0\.kv is corrupt: its entry \["commit"\]/, path);
  });
});

Deno.test("KvRecoveryStore --fresh starts over: no rows, a new flow, the executions kept", async () => {
  await withTempDir(async (dir) => {
    await KvRecoveryStore.init(dir, 2);
    const store = new KvRecoveryStore(dir);
    await store.open("old");
    await store.write(1, [{ step: "s", key: "k", state: bytes("v") }]);
    await store.commit(1);
    await store.close();
    const fresh = await reopen(dir, "new", { fresh: true });
    assert.equal(fresh.epoch, 0);
    assert.equal(fresh.rows.size, 0);
    await rejects(reopen(dir, "old"), /belongs to flow "new"/);
    const execs = (await keysOf(partitionPath(dir, 0))).filter((key) => key[0] === "exec");
    assert.deepEqual(execs, [["exec", 1], ["exec", 2]]);
  });
});

Deno.test("KvRecoveryStore counts run generations durably: runs before this one since the store last started over", async () => {
  await withTempDir(async (dir) => {
    await KvRecoveryStore.init(dir, 2);
    const generations: (number | undefined)[] = [];
    for (const fresh of [false, false, false, true, false, false]) {
      generations.push((await reopen(dir, "f", { fresh })).generation);
    }
    // A failed open (another flow) is no run: it counts nothing.
    await rejects(reopen(dir, "other"), /belongs to flow "f"/);
    generations.push((await reopen(dir)).generation);
    assert.deepEqual(generations, [0, 1, 2, 0, 1, 2, 3]);
  });
});

Deno.test("KvRecoveryStore lets one run at a time open a store; a closed run's lock is released", async () => {
  await withTempDir(async (dir) => {
    await KvRecoveryStore.init(dir, 1);
    const first = new KvRecoveryStore(dir, { heartbeat: 50 });
    await first.open("f");
    const started = Date.now();
    await rejects(
      reopen(dir),
      new RegExp(`another run holds it \\(process ${platform.pid()} on host`),
      dir,
    );
    assert.ok(Date.now() - started < 1000, "refused at once: the holder is in this process");
    await first.close();
    assert.equal((await reopen(dir)).epoch, 0);
    assert.deepEqual((await keysOf(partitionPath(dir, 0))).filter((key) => key[0] === "lock"), []);
  });
});

Deno.test("KvRecoveryStore takes a lock whose holder stopped renewing it, and refuses one still renewed", async () => {
  await withTempDir(async (dir) => {
    await KvRecoveryStore.init(dir, 1);
    const path = partitionPath(dir, 0);
    const lockOf = (since: number) =>
      encodeValue({
        owner: "elsewhere",
        pid: 1,
        host: "another-host",
        since: 0,
        renewed: since,
        heartbeat: 40,
      });
    // A run on another host, renewing its lock.
    let renewing = true;
    await withKv(path, async (kv) => {
      await kv.atomic().set(["lock"], lockOf(0)).commit();
      const renewals = (async () => {
        for (let i = 1; renewing; i++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          await kv.atomic().set(["lock"], lockOf(i)).commit();
        }
      })();
      await rejects(reopen(dir), /another run holds it \(process 1 on host "another-host"/);
      renewing = false;
      await renewals;
    });
    // It stopped (the host died): three missed heartbeats later, the lock is taken.
    const started = Date.now();
    assert.equal((await reopen(dir)).epoch, 0);
    assert.ok(Date.now() - started >= 100, "waited for three missed heartbeats");
  });
});

Deno.test("KvRecoveryStore takes at once the lock of a run of this host that was killed", async () => {
  await withTempDir(async (dir) => {
    await KvRecoveryStore.init(dir, 1);
    const script = new URL("../../../tests/fixtures/recovery/hold_store.ts", import.meta.url);
    const child = spawnModule(script, [dir], { denoFlags: ["--allow-all", "--unstable-kv"] });
    try {
      for (let i = 0; i < 600 && !child.stdout().includes("holding"); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(child.stdout(), "holding\n", "the holder started");
      // Alive, on this host: refused (its heartbeat is a minute, so this is the process check).
      await rejects(reopen(dir), /another run holds it/);
    } finally {
      child.kill("SIGKILL");
    }
    await child.done;
    const started = Date.now();
    const resume = await reopen(dir);
    assert.ok(Date.now() - started < 5000, "did not wait for the minute-long heartbeat");
    assert.equal(resume.epoch, 1);
    assert.deepEqual([...resume.rows.get("s")!.get("k")!], [7]);
  });
});

Deno.test("KvRecoveryStore: an epoch written in many atomic commits counts only once committed; a crash during a commit rolls the partitions ahead back", async () => {
  await withTempDir(async (dir) => {
    await KvRecoveryStore.init(dir, 2, { buckets: 2 });
    const store = new KvRecoveryStore(dir);
    await store.open("f");
    await store.write(1, [{ step: "s", key: "k", state: bytes("one") }]);
    await store.commit(1);
    // Epoch 2: about 4 MB, so dozens of atomic commits per partition.
    const big = Array.from({ length: 64 }, (_, i) => ({
      step: "s",
      key: `big-${i}`,
      state: new Uint8Array(60_000).fill(i),
    }));
    await store.write(2, big);
    await store.close(); // killed after the writes, before the commit
    let resume = await reopen(dir);
    assert.equal(resume.epoch, 1);
    assert.deepEqual(plain(resume), { s: { k: "one" } });
    for (let p = 0; p < 2; p++) {
      const left = (await keysOf(partitionPath(dir, p))).filter((key) =>
        key[0] !== "exec" && key[1] === 2
      );
      assert.deepEqual(
        left,
        [],
        `partition ${p} kept rows of the uncommitted epoch: ${JSON.stringify(left)}`,
      );
    }

    // Killed during commit(2): partition 1 has the marker, partition 0 not.
    const again = new KvRecoveryStore(dir);
    await again.open("f");
    await again.write(2, big);
    await again.close();
    await withKv(
      partitionPath(dir, 1),
      (kv) => kv.atomic().set(["commit"], encodeValue({ epoch: 2, at: 0 })).commit(),
    );
    resume = await reopen(dir);
    assert.equal(resume.epoch, 1);
    assert.deepEqual(plain(resume), { s: { k: "one" } });
    await withKv(partitionPath(dir, 1), async (kv) => {
      assert.equal(
        (decodeValue((await kv.get(["commit"])).value as Uint8Array) as { epoch: number }).epoch,
        1,
      );
    });
    // The next run commits epoch 2 in both partitions again.
    const next = new KvRecoveryStore(dir);
    await next.open("f");
    await next.write(2, [{ step: "s", key: "k", state: bytes("two") }]);
    await next.commit(2);
    await next.close();
    assert.deepEqual(plain(await reopen(dir)), { s: { k: "two" } });
  });
});

Deno.test("KvRecoveryStore: a run suspended past its lock's heartbeats loses the store, and its commit is refused", async () => {
  await withTempDir(async (dir) => {
    await KvRecoveryStore.init(dir, 2);
    const script = new URL("../../../tests/fixtures/recovery/stale_run.ts", import.meta.url);
    const child = spawnModule(script, [dir], { denoFlags: ["--allow-all", "--unstable-kv"] });
    try {
      for (let i = 0; i < 600 && !child.stdout().includes("holding"); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(child.stdout(), "holding\n", "the run started");
      // Suspended (alive, but no longer renewing its lock): the next run
      // takes the store over once three heartbeats were missed.
      child.kill("SIGSTOP");
      await new Promise((resolve) => setTimeout(resolve, 400));
      const newer = new KvRecoveryStore(dir);
      const resume = await newer.open("f");
      assert.equal(resume.epoch, 1);
      await newer.write(2, [{ step: "s", key: "k", state: bytes("newer") }]);
      await newer.commit(2);
      // The old run wakes up and tries to commit its epoch 2.
      child.kill("SIGCONT");
      await child.write(bytes("commit\n"));
      child.closeStdin();
      const { stdout } = await child.done;
      assert.match(
        stdout,
        /^holding\nrefused: .*(another run took the store over|was taken over by another run)/,
      );
      await newer.close();
    } finally {
      if (child.child.exitCode === null) child.kill("SIGKILL");
    }
    assert.deepEqual(plain(await reopen(dir)), { s: { k: "newer" } });
  });
});

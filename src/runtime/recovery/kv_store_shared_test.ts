import assert from "node:assert/strict";
import { KvRecoveryStore, RecoveryStoreError } from "./kv_store.ts";
import { isSharedRecoveryStore, type ResumePoint } from "./store.ts";
import { partitionPath } from "./_partitions.ts";
import { platform } from "../platform/platform.ts";
import { decodeValue, encodeValue } from "../exchange/codec.ts";
import { withTempDir } from "../../../tests/_runtime.ts";

/** The resume point's rows as plain data: step -> key -> decoded value. */
function plain(resume: ResumePoint): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [step, keys] of resume.rows) {
    out[step] = Object.fromEntries([...keys].map(([k, v]) => [k, decodeValue(v)]));
  }
  return out;
}

async function reopen(dir: string, flow = "f"): Promise<ResumePoint> {
  const store = new KvRecoveryStore(dir);
  try {
    return await store.open(flow);
  } finally {
    await store.close();
  }
}

/** The segment index entries of a partition: [epoch, step, bucket, writer]. */
async function indexOf(path: string): Promise<[number, string, number, number][]> {
  const kv = await platform.openKv(path);
  try {
    const keys: [number, string, number, number][] = [];
    for await (const entry of kv.list({ prefix: ["idx"] })) {
      keys.push(entry.key.slice(1) as [number, string, number, number]);
    }
    return keys;
  } finally {
    kv.close();
  }
}

/** Process 0 opens the store shared, process 1 joins it; both are closed after `fn`. */
async function withCluster(
  dir: string,
  fn: (first: KvRecoveryStore, second: KvRecoveryStore, resume: ResumePoint) => Promise<void>,
): Promise<void> {
  const first = new KvRecoveryStore(dir);
  const second = new KvRecoveryStore(dir);
  try {
    const { resume, opening } = await first.openShared("f");
    const joined = await second.join("f", opening, 1);
    assert.equal(joined.epoch, resume.epoch);
    assert.equal(joined.generation, resume.generation);
    assert.deepEqual(plain(joined), plain(resume));
    await fn(first, second, resume);
  } finally {
    await second.close();
    await first.close();
  }
}

Deno.test("KvRecoveryStore is a shared store", () => {
  assert.ok(isSharedRecoveryStore(new KvRecoveryStore("unused")));
});

Deno.test("KvRecoveryStore shared by two processes: both write rows of one (epoch, step, bucket), process 0 commits, a new run resumes every row", async () => {
  await withTempDir(async (dir) => {
    // One partition of one bucket: every row of a step lands in one segment group.
    await KvRecoveryStore.init(dir, 1, { buckets: 1 });
    const before = new KvRecoveryStore(dir);
    await before.open("f");
    await before.write(1, [{ step: "s", key: "old", state: encodeValue(1) }]);
    await before.commit(1);
    await before.close();

    await withCluster(dir, async (first, second, resume) => {
      assert.equal(resume.epoch, 1);
      assert.equal(resume.generation, 1);
      assert.deepEqual(plain(resume), { s: { old: 1 } });
      await Promise.all([
        first.write(2, [{ step: "s", key: "a", state: encodeValue(2) }]),
        second.write(2, [
          { step: "s", key: "b", state: encodeValue(3) },
          { step: "s", key: "old", state: undefined },
        ]),
      ]);
      await first.commit(2);
    });
    const resume = await reopen(dir);
    assert.equal(resume.epoch, 2);
    assert.deepEqual(plain(resume), { s: { a: 2, b: 3 } });
  });
});

Deno.test("KvRecoveryStore shared: process 0's compaction covers the other process's segments", async () => {
  await withTempDir(async (dir) => {
    await KvRecoveryStore.init(dir, 1, { buckets: 1 });
    const epochs = 12;
    await withCluster(dir, async (first, second) => {
      for (let epoch = 1; epoch <= epochs; epoch++) {
        // Process 0 owns the keys p0-*, process 1 the keys p1-*.
        await Promise.all([
          first.write(epoch, [{ step: "s", key: `p0-${epoch % 3}`, state: encodeValue(epoch) }]),
          second.write(epoch, [
            { step: "s", key: `p1-${epoch % 4}`, state: encodeValue(-epoch) },
          ]),
        ]);
        await first.commit(epoch);
      }
    });
    const index = await indexOf(partitionPath(dir, 0));
    const bases = index.filter(([, , , writer]) => writer === 0).map(([epoch]) => epoch);
    assert.ok(bases.length > 0, `no base among ${JSON.stringify(index)}`);
    const base = Math.max(...bases);
    // Only the newest base and the deltas after it are kept, both processes' alike.
    assert.deepEqual(
      index.filter(([epoch, , , writer]) => epoch < base || (epoch === base && writer !== 0)),
      [],
    );
    assert.ok(
      index.length <= 1 + 2 * (epochs - base),
      `${index.length} segments: ${JSON.stringify(index)}`,
    );
    const resume = await reopen(dir);
    assert.equal(resume.epoch, epochs);
    assert.deepEqual(plain(resume), {
      s: {
        "p0-0": 12,
        "p0-1": 10,
        "p0-2": 11,
        "p1-0": -12,
        "p1-1": -9,
        "p1-2": -10,
        "p1-3": -11,
      },
    });
  });
});

Deno.test("KvRecoveryStore.join() refuses another store, another flow, a store committed behind process 0, and cannot commit", async () => {
  await withTempDir(async (dir) => {
    await withTempDir(async (other) => {
      await KvRecoveryStore.init(dir, 2);
      await KvRecoveryStore.init(other, 2);
      const first = new KvRecoveryStore(dir);
      try {
        const { opening } = await first.openShared("f");
        const refused = async (
          at: string,
          flow: string,
          open: typeof opening,
          pattern: RegExp,
        ) => {
          const store = new KvRecoveryStore(at);
          await assert.rejects(store.join(flow, open, 1), (error: Error) => {
            assert.ok(error instanceof RecoveryStoreError, String(error));
            assert.match(error.message, pattern);
            return true;
          });
          await store.close();
        };
        const otherStore = await (async () => {
          const kv = await platform.openKv(partitionPath(other, 0));
          try {
            return (decodeValue((await kv.get(["meta"])).value as Uint8Array) as { store: string })
              .store;
          } finally {
            kv.close();
          }
        })();
        await refused(
          other,
          "f",
          opening,
          new RegExp(
            `${other}: it is store ${otherStore}, but process 0 opened store ${opening.store}; ` +
              "the processes of a cluster must share one store",
          ),
        );
        await refused(dir, "g", opening, /belongs to flow "f", not "g"/);
        await refused(
          dir,
          "f",
          { ...opening, epoch: opening.epoch + 1 },
          /process 0 resumes from epoch 1, but its partition .*part-0\.kv has committed epoch 0 only/,
        );

        const joined = new KvRecoveryStore(dir);
        await joined.join("f", opening, 1);
        await joined.write(1, [{ step: "s", key: "k", state: encodeValue(1) }]);
        await assert.rejects(
          joined.commit(1),
          /Cannot commit epoch 1 to recovery store .*: this process joined the store of a cluster run, whose process 0 commits/,
        );
        await joined.close();
        // Closing a joined store leaves process 0's lock: a second run is still refused.
        await assert.rejects(new KvRecoveryStore(dir).open("f"), /another run holds it/);
        await first.commit(1);
      } finally {
        await first.close();
      }
      assert.deepEqual(plain(await reopen(dir)), { s: { k: 1 } });
    });
  });
});

Deno.test("KvRecoveryStore shared by one process keeps the same segments as a store opened alone (its own writes are not counted twice)", async () => {
  const indexes: [number, string, number, number][][][] = [];
  for (const shared of [false, true]) {
    await withTempDir(async (dir) => {
      await KvRecoveryStore.init(dir, 1, { buckets: 1 });
      const store = new KvRecoveryStore(dir);
      if (shared) await store.openShared("f");
      else await store.open("f");
      const after: [number, string, number, number][][] = [];
      for (let epoch = 1; epoch <= 10; epoch++) {
        await store.write(epoch, [{ step: "s", key: `k${epoch % 4}`, state: encodeValue(epoch) }]);
        await store.commit(epoch);
        after.push(await indexOf(partitionPath(dir, 0)));
      }
      await store.close();
      indexes.push(after);
    });
  }
  assert.ok(indexes[0]!.at(-1)!.some(([, , , writer]) => writer === 0), "no base was written");
  assert.deepEqual(indexes[1], indexes[0]);
});

import assert from "node:assert/strict";
import { isKvBusy, retryingWhenBusy } from "./kv_busy.ts";
import type { KvAtomic, KvDatabase, KvEntry, KvKey } from "./platform.ts";

const busy = () => new Error("database is locked Caused by: Error code 5: database is locked");

// A database whose first `refusals` operations of each kind fail busy.
function flakyKv(refusals: number) {
  const commits: string[][] = [];
  let commitTries = 0;
  let listTries = 0;
  let getTries = 0;
  const kv: KvDatabase = {
    get(key: KvKey): Promise<KvEntry> {
      if (getTries++ < refusals) return Promise.reject(busy());
      return Promise.resolve({ key, value: new Uint8Array([1]), versionstamp: "v1" });
    },
    async *list() {
      if (listTries++ < refusals) throw busy();
      yield { key: ["a"], value: new Uint8Array([1]), versionstamp: "v1" };
      yield { key: ["b"], value: new Uint8Array([2]), versionstamp: "v1" };
    },
    atomic(): KvAtomic {
      const steps: string[] = [];
      const atomic: KvAtomic = {
        check: ({ key }) => (steps.push(`check ${key}`), atomic),
        set: (key) => (steps.push(`set ${key}`), atomic),
        delete: (key) => (steps.push(`delete ${key}`), atomic),
        commit() {
          if (commitTries++ < refusals) return Promise.reject(busy());
          commits.push(steps);
          return Promise.resolve({ ok: true, versionstamp: "v2" });
        },
      };
      return atomic;
    },
    close() {},
  };
  return { kv, commits, tries: () => ({ commitTries, listTries, getTries }) };
}

Deno.test("isKvBusy() knows SQLite's refusal of a locked database, and nothing else", () => {
  assert.equal(isKvBusy(busy()), true);
  assert.equal(isKvBusy(new Error("SQLITE_BUSY")), true);
  assert.equal(isKvBusy(new Error("disk I/O error")), false);
  assert.equal(isKvBusy(undefined), false);
});

Deno.test("retryingWhenBusy() makes a refused commit again with the same checks and writes", async () => {
  const { kv, commits, tries } = flakyKv(3);
  const result = await retryingWhenBusy(kv).atomic()
    .check({ key: ["commit"], versionstamp: null })
    .set(["commit"], new Uint8Array([7]))
    .delete(["old"])
    .commit();
  assert.deepEqual(result, { ok: true, versionstamp: "v2" });
  assert.equal(tries().commitTries, 4);
  assert.deepEqual(commits, [["check commit", "set commit", "delete old"]]);
});

Deno.test("retryingWhenBusy() retries reads, and a listing refused before its first entry", async () => {
  const { kv, tries } = flakyKv(2);
  const wrapped = retryingWhenBusy(kv);
  assert.equal((await wrapped.get(["x"])).versionstamp, "v1");
  const keys: KvKey[] = [];
  for await (const entry of wrapped.list({ prefix: [] })) keys.push(entry.key);
  assert.deepEqual(keys, [["a"], ["b"]]);
  assert.deepEqual(tries(), { commitTries: 0, listTries: 3, getTries: 3 });
});

Deno.test("retryingWhenBusy() throws other errors at once, and a listing that fails after an entry", async () => {
  const broken: KvDatabase = {
    get: () => Promise.reject(new Error("disk I/O error")),
    async *list() {
      yield { key: ["a"], value: new Uint8Array([1]), versionstamp: "v1" };
      throw busy();
    },
    atomic: () => {
      throw new Error("unused");
    },
    close() {},
  };
  const wrapped = retryingWhenBusy(broken);
  await assert.rejects(wrapped.get(["x"]), /disk I\/O error/);
  const seen: KvKey[] = [];
  await assert.rejects(async () => {
    for await (const entry of wrapped.list({ prefix: [] })) seen.push(entry.key);
  }, /database is locked/);
  assert.deepEqual(seen, [["a"]]);
});

import assert from "node:assert/strict";
import { MemoryRecoveryStore } from "./memory_store.ts";

const bytes = (n: number) => new Uint8Array([n]);
const live = (rows: ReadonlyMap<string, ReadonlyMap<string, Uint8Array>>) =>
  [...rows].map(([step, keys]) => [step, [...keys].map(([key, state]) => [key, [...state]])]);

Deno.test("MemoryRecoveryStore resumes from the last commit: later rows win, tombstones drop keys, uncommitted epochs are dropped", async () => {
  const store = new MemoryRecoveryStore();
  assert.deepEqual(await store.open("f"), { epoch: 0, rows: new Map(), generation: 0 });
  await store.write(1, [{ step: "f.s", key: "a", state: bytes(1) }, {
    step: "f.s",
    key: "b",
    state: bytes(2),
  }]);
  await store.write(2, [{ step: "f.s", key: "a", state: bytes(3) }, {
    step: "f.s",
    key: "b",
    state: undefined,
  }]);
  await store.commit(2);
  await store.write(3, [{ step: "f.s", key: "a", state: bytes(9) }]);
  await store.close();
  const resume = await store.open("f");
  assert.equal(resume.epoch, 2);
  assert.equal(resume.generation, 1);
  assert.deepEqual(live(resume.rows), [["f.s", [["a", [3]]]]]);
  // Epoch 3 was never committed: gone, and a later commit of 3 does not bring it back.
  await store.commit(3);
  await store.close();
  assert.deepEqual(live((await store.open("f")).rows), [["f.s", [["a", [3]]]]]);
  await store.close();
});

Deno.test("MemoryRecoveryStore never replaces a commit with an older one, and refuses writes to committed epochs", async () => {
  const store = new MemoryRecoveryStore();
  await store.open("f");
  await store.commit(5);
  await store.commit(3);
  assert.equal(store.committed, 5);
  await assert.rejects(store.write(5, [{ step: "f.s", key: "a", state: bytes(1) }]), {
    name: "RangeError",
    message: "Cannot write epoch 5 to recovery store: epoch 5 is committed",
  });
  await store.close();
});

Deno.test("MemoryRecoveryStore refuses a second run at once, and a run of another flow", async () => {
  const store = new MemoryRecoveryStore();
  await store.open("f");
  await assert.rejects(store.open("f"), {
    message: 'Cannot open recovery store: a run of flow "f" is using it',
  });
  await store.close();
  await assert.rejects(store.open("g"), {
    message: 'Cannot open recovery store for flow "g": it holds snapshots of flow "f"',
  });
  await store.open("f");
  await store.close();
  await assert.rejects(store.commit(1), { message: "Cannot commit recovery store: not open" });
});

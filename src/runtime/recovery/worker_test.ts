import assert from "node:assert/strict";
import { stableHash } from "../../dataflow/stable_hash.ts";
import type { ResumePoint } from "./store.ts";
import { resumeShare } from "./worker.ts";

const bytes = (n: number) => new Uint8Array([n]);

Deno.test("resumeShare() gives each worker the keys it owns of the keyed steps, and every other step whole", () => {
  const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
  const resume: ResumePoint = {
    epoch: 7,
    generation: 2,
    rows: new Map([
      ["f.count", new Map(keys.map((key, i) => [key, bytes(i)]))],
      ["f.window", new Map([["a", bytes(1)], ["b", bytes(2)]])],
      // Source partitions, a fold's per-worker shared state: not keyed.
      ["f.inp", new Map([["part-0", bytes(3)], ["part-1", bytes(4)]])],
      ["f.count.shared", new Map([["0", bytes(5)], ["1", bytes(6)]])],
    ]),
  };
  const keyed = new Set(["f.count", "f.window"]);
  const shares = [0, 1, 2].map((w) => resumeShare(resume, keyed, w, 3));
  for (const [w, share] of shares.entries()) {
    assert.equal(share.epoch, 7);
    assert.equal(share.generation, 2);
    for (const step of ["f.count", "f.window"]) {
      for (const [key, value] of share.rows.get(step)!) {
        assert.equal(stableHash(key) % 3, w, `${step} ${key} on worker ${w}`);
        assert.deepEqual(value, resume.rows.get(step)!.get(key));
      }
    }
    assert.equal(share.rows.get("f.inp"), resume.rows.get("f.inp"));
    assert.equal(share.rows.get("f.count.shared"), resume.rows.get("f.count.shared"));
  }
  // Together the shares hold every key once.
  const all = shares.flatMap((share) => [...share.rows.get("f.count")!.keys()]).sort();
  assert.deepEqual(all, [...keys].sort());
  assert.ok(shares.every((share) => share.rows.get("f.count")!.size < keys.length));
  // One worker owns everything.
  assert.equal(resumeShare(resume, keyed, 0, 1).rows.get("f.count")!.size, keys.length);
});

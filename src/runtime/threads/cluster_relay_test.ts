import assert from "node:assert/strict";
import fc from "fast-check";
import { assignParts } from "../nodes/input.ts";
import { assignReachableParts, ClusterRelay } from "./cluster_relay.ts";
import { loopbackAddresses, sleep } from "../exchange/tcp/_test_cluster.ts";
import { decodeBatch, encodeBatch } from "../exchange/codec.ts";
import type { Frame } from "../exchange/port_channel.ts";

Deno.test("assignReachableParts() deals as one process does when every process lists the same partitions", () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.string({ minLength: 1, maxLength: 4 }), { maxLength: 30 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 3 }),
      (parts, processes, perProcess) => {
        const assigned = assignReachableParts(Array(processes).fill(parts), perProcess);
        const total = processes * perProcess;
        assert.deepEqual(
          assigned,
          Array.from({ length: total }, (_, w) => assignParts(parts, w, total)),
        );
      },
    ),
  );
});

Deno.test("assignReachableParts() gives each partition once, to a worker of a process that listed it", () => {
  fc.assert(
    fc.property(
      fc.array(fc.uniqueArray(fc.constantFrom("a", "b", "c", "d", "e", "f"), { maxLength: 6 }), {
        minLength: 1,
        maxLength: 4,
      }),
      fc.integer({ min: 1, max: 3 }),
      (lists, perProcess) => {
        const assigned = assignReachableParts(lists, perProcess);
        const all = [...new Set(lists.flat())].sort();
        assert.deepEqual(assigned.flat().sort(), all);
        assigned.forEach((parts, worker) => {
          const process = Math.floor(worker / perProcess);
          for (const part of parts) {
            assert.ok((lists[process] as string[]).includes(part), `${part} on ${worker}`);
          }
        });
      },
    ),
  );
  // a only on process 0, c and d only on process 1 go first; then b, which
  // both list, goes to worker 0, which has fewer by then. (In plain sorted
  // order b would go to worker 1 first, and worker 1 would get three.)
  assert.deepEqual(
    assignReachableParts([["a", "b"], ["b", "c", "d"]], 1),
    [["a", "b"], ["c", "d"]],
  );
  // Files of a directory on one host only, and files both hosts reach: the
  // one-host files are dealt first, the shared ones fill the other host's
  // worker (in plain sorted order, host 0 would get three and host 1 one).
  assert.deepEqual(
    assignReachableParts(
      [["a-shared", "b-shared", "x-local", "y-local"], ["a-shared", "b-shared"]],
      1,
    ),
    [["x-local", "y-local"], ["a-shared", "b-shared"]],
  );
});

Deno.test("ClusterRelay passes on a batch a peer's worker sent before this process made its worker's port", async () => {
  const addresses = await loopbackAddresses(2);
  const options = (processIndex: number) => ({
    addresses,
    processIndex,
    version: "0.1.0",
    heartbeatTimeoutMs: 10_000,
  });
  const handlers = { epoch: () => {}, stop: () => {}, report: () => {} };
  const flow = { id: "flow", fingerprint: "graph" };
  const [zero, one] = await Promise.all(
    [0, 1].map((i) => ClusterRelay.open(options(i), flow, 1, handlers)),
  );
  try {
    // Worker 0 (process 0) sends to worker 1 at once; process 1 makes
    // worker 1's port only once the channel's opening has arrived.
    const sending = zero!.port(0, 1);
    const bytes = encodeBatch("x", [["a", 1]], true);
    sending.postMessage({ type: "batch", exchange: "x", bytes } satisfies Frame);
    await sleep(300);
    const receiving = one!.port(1, 0);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const frame = await new Promise<Frame>((resolve, reject) => {
      receiving.onmessage = (event: MessageEvent) => resolve(event.data as Frame);
      timer = setTimeout(() => reject(new Error("the batch did not arrive in 10 s")), 10_000);
    }).finally(() => clearTimeout(timer));
    assert.equal(frame.type, "batch");
    assert.deepEqual(decodeBatch((frame as { bytes: Uint8Array }).bytes), [["a", 1]]);
    sending.close();
    receiving.close();
  } finally {
    await Promise.all([zero!.close(), one!.close()]);
  }
});

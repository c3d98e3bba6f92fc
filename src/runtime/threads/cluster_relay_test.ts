import assert from "node:assert/strict";
import fc from "fast-check";
import { assignParts } from "../nodes/input.ts";
import { assignReachableParts } from "./cluster_relay.ts";

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
  // In sorted order: a only on process 0, b on both goes to worker 1 (which
  // has fewer so far), c and d only on process 1.
  assert.deepEqual(
    assignReachableParts([["a", "b"], ["b", "c", "d"]], 1),
    [["a"], ["b", "c", "d"]],
  );
});

/**
 * Property tests: the built-in window steps keep each key's windows as plain
 * records in a keyed fold; the generic path (per-key clock, windower and
 * window logic objects in a stateful-batch step) is the specification. A
 * clock that is not built in sends the same aggregation down the generic
 * path, so both run on the same random streams, batches and pauses and
 * must agree item for item.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { runScenario, type Scenario, scenario, STEPS } from "./_test_window_steps.ts";

/** Items grouped by key, each key's in order. */
function byKey(items: unknown[]): Map<string, unknown[]> {
  const keys = new Map<string, unknown[]>();
  for (const item of items) {
    const key = (item as [string, unknown])[0];
    const list = keys.get(key) ?? [];
    list.push(item);
    keys.set(key, list);
  }
  return new Map([...keys].sort(([a], [b]) => a < b ? -1 : 1));
}

/**
 * Asserts the built-in path emitted what the generic path did: item for item
 * in key scope; in partition scope each key's items in the same order (keys
 * closing at one watermark may come in another order: a key whose state
 * shrank away is placed by when its state came back).
 */
export async function assertSame(s: Scenario, name: string): Promise<void> {
  const step = STEPS[name]!;
  const fast = await runScenario(s, step, false);
  const slow = await runScenario(s, step, true);
  for (const port of ["down", "late", "meta"] as const) {
    if (s.partition) {
      assert.deepEqual(byKey(fast[port]), byKey(slow[port]), `${name} ${port}`);
    } else {
      assert.deepEqual(fast[port], slow[port], `${name} ${port}`);
    }
  }
}

for (const name of Object.keys(STEPS)) {
  Deno.test(`${name}: the built-in path emits what the generic path does, for any stream, batches and pauses`, async () => {
    await fc.assert(fc.asyncProperty(scenario, (s) => assertSame(s, name)), {
      numRuns: 25,
      seed: 12,
    });
  });
}

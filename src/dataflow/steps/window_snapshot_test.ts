import assert from "node:assert/strict";
import fc from "fast-check";
import type { Dataflow } from "../../../mod.ts";
import type { KeyedFoldNode } from "../graph.ts";
import { runScenario, scenario, STEPS } from "./_test_window_steps.ts";
import type { WindowFold, WindowFoldSnapshot } from "./_window_state.ts";

/** Throws unless `value` is plain data: primitives (no symbols), arrays, plain objects, Maps and Sets. */
function assertPlain(value: unknown, at = "state"): void {
  if (typeof value === "function" || typeof value === "symbol") {
    assert.fail(`${at} is a ${typeof value}`);
  }
  if (typeof value !== "object" || value === null) return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => assertPlain(item, `${at}[${i}]`));
  } else if (value instanceof Map) {
    for (const [k, v] of value) assertPlain(k, `${at} key`), assertPlain(v, `${at}.get(${k})`);
  } else if (value instanceof Set) {
    for (const v of value) assertPlain(v, `${at} member`);
  } else {
    const proto = Object.getPrototypeOf(value);
    assert.ok(proto === Object.prototype || proto === null, `${at} is a class instance`);
    assert.deepEqual(Object.getOwnPropertySymbols(value), [], `${at} has symbol keys`);
    for (const [k, v] of Object.entries(value)) assertPlain(v, `${at}.${k}`);
  }
}

/** Takes a snapshot of every built-in window step's state after each batch and wake-up. */
function snapshotting(shots: WindowFoldSnapshot[]): (flow: Dataflow) => void {
  return (flow) => {
    for (const node of flow.nodes) {
      if (node.kind !== "keyedFold" || !node.path.endsWith(".window")) continue;
      const fold = (node as KeyedFoldNode).fold as WindowFold;
      const { onBatch, onNotify } = fold;
      fold.onBatch = (state, batch, out, side) => {
        onBatch(state, batch, out, side);
        shots.push(fold.snapshot(state));
      };
      fold.onNotify = (state, key, out) => {
        onNotify!(state, key, out);
        shots.push(fold.snapshot(state));
      };
    }
  };
}

for (const name of Object.keys(STEPS)) {
  Deno.test(`${name}: the state is plain data that survives a structured clone`, async () => {
    let open = 0;
    let idle = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const shots: WindowFoldSnapshot[] = [];
        await runScenario(s, STEPS[name]!, false, snapshotting(shots));
        assert.ok(shots.length > 0, "the built-in path ran");
        for (const shot of shots) {
          assertPlain(shot);
          assert.deepEqual(structuredClone(shot), shot);
          for (const [, key] of shot.keys) {
            if (typeof key === "object" && !Array.isArray(key) && key.ids.length > 0) open++;
            else idle++;
          }
        }
      }),
      { numRuns: 10, seed: 7 },
    );
    // The runs caught keys with open windows and keys shrunk to what survives.
    assert.ok(open > 0 && idle > 0, `open ${open}, idle ${idle}`);
  });
}

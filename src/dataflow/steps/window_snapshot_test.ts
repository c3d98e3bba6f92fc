import assert from "node:assert/strict";
import fc from "fast-check";
import type { Dataflow } from "../../../mod.ts";
import type { KeyedFoldNode } from "../graph.ts";
import { runScenario, scenario, STEPS, T0 } from "./_test_window_steps.ts";
import type { KeySnapshot, WindowFold, WindowFoldSnapshot } from "./_window_state.ts";

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

Deno.test("a key whose windows have closed keeps only its watermark, or nothing in partition scope", async () => {
  for (const partition of [false, true]) {
    const shots: WindowFoldSnapshot[] = [];
    await runScenario(
      {
        batches: [
          { advance: 0, items: [["a", { ts: T0 + 100, v: 0 }]] },
          // Two seconds on, a's window [0, 1 s) has closed by timer.
          { advance: 2_000, items: [["b", { ts: T0 + 5_000, v: 1 }]] },
        ],
        windower: ["tumbling", 1_000],
        wait: 0,
        ordered: false,
        partition,
        system: false,
      },
      STEPS.count!,
      false,
      snapshotting(shots),
    );
    const keys = new Map(shots.at(-1)!.keys);
    const b = keys.get("b") as KeySnapshot;
    assert.deepEqual(b.ids, [5], "b's window is open");
    assert.deepEqual(b.accs, [1]);
    if (partition) {
      assert.equal(keys.has("a"), false);
    } else {
      // Its watermark: 100 ms past system time when its event came, as one number.
      assert.equal(keys.get("a"), 100);
    }
  }
});

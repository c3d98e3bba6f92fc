/**
 * `joinWindow`: a multi-way join of keyed streams per key per window.
 *
 * @module
 */

import { checkKeyed } from "../_batch.ts";
import type { BatchFn } from "../graph.ts";
import type { KeyedStream } from "../stream.ts";
import type { Clock } from "../time/clock.ts";
import { checkJoinModes, type JoinOptions, JoinState } from "./join.ts";
import { window, type WindowLogic, type WindowOptions, type WindowOut } from "./window.ts";

/**
 * Options for {@linkcode joinWindow}: the window options (the clock reads
 * each side's values) and the join modes. `emitMode` defaults to `"final"`:
 * one row per window, at close.
 *
 * @example Complete rows only, or every row at close
 * ```ts
 * import { Dataflow, EventClock, type JoinWindowOptions, TumblingWindower } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * async function joined(options: Partial<JoinWindowOptions>): Promise<unknown[]> {
 *   const flow = new Dataflow("f");
 *   const left = flow.input("left", [["u", 1], ["v", 2]] as [string, number][]);
 *   const right = flow.input("right", [["u", 4]] as [string, number][]);
 *   return await Array.fromAsync(left.joinWindow("join", [right], {
 *     clock: EventClock((ms) => ms as number, { waitForSystemDuration: 10 }),
 *     windower: TumblingWindower({ length: 10, alignTo: 0 }),
 *     ...options,
 *   }).down);
 * }
 * assert.deepEqual(await joined({ emitMode: "complete" }), [["u", [0, [1, 4]]]]);
 * assert.deepEqual(await joined({}), [["u", [0, [1, 4]]], ["v", [0, [2, undefined]]]]);
 * ```
 */
export interface JoinWindowOptions extends WindowOptions<unknown>, JoinOptions {}

function tagSide(path: string, side: number): BatchFn {
  return (batch) => {
    const out = new Array(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const item = batch[i];
      checkKeyed(path, item);
      out[i] = [item[0], [side, item[1]]];
    }
    return out;
  };
}

/** `stream.joinWindow(id, sides, options)`; `late` carries `[side, value]` pairs. */
export function joinWindow(
  up: KeyedStream<unknown>,
  id: string,
  others: readonly KeyedStream<unknown>[],
  options: JoinWindowOptions,
): WindowOut<[number, unknown], unknown[]> {
  const { insertMode, emitMode } = checkJoinModes(id, {
    insertMode: options?.insertMode,
    emitMode: options?.emitMode ?? "final",
  });
  const sideCount = others.length + 1;
  const clock = options.clock;
  const sideClock: Clock<[number, unknown]> = {
    build(resume, ctx) {
      const logic = clock.build(resume, ctx);
      return { ...logic, onItem: ([, value]) => logic.onItem(value) };
    },
  };
  const build = (
    resume: unknown[][] | undefined,
  ): WindowLogic<[number, unknown], unknown[], unknown[][]> => {
    const state = new JoinState(sideCount, insertMode, resume);
    return {
      onValue([side, value]) {
        state.insert(side, value);
        if (emitMode === "running") return state.rows();
        if (emitMode === "complete" && state.isComplete()) {
          const rows = state.rows();
          state.clear();
          return rows;
        }
        return [];
      },
      onMerge(original) {
        const snapshot = original.snapshot();
        snapshot.forEach((values, side) => values.forEach((v) => state.insert(side, v)));
        if (emitMode === "running") return state.rows();
        if (emitMode === "complete" && state.isComplete()) {
          const rows = state.rows();
          state.clear();
          return rows;
        }
        return [];
      },
      onClose: () => emitMode === "final" && !state.isEmpty() ? state.rows() : [],
      snapshot: () => state.snapshot(),
    };
  };
  return up.then(
    (first, ...rest: KeyedStream<unknown>[]) => {
      const tagged = [first, ...rest].map((side, i) =>
        side.batchStep<[string, [number, unknown]]>(`side_${i}`, (path) => () => tagSide(path, i))
      );
      const merged = tagged.length === 1
        ? tagged[0]!
        : tagged[0]!.merge("merge", ...tagged.slice(1));
      return window(merged, "join", build, { ...options, clock: sideClock });
    },
    id,
    ...others,
  );
}

/**
 * `joinWindow`: a multi-way join of keyed streams per key per window.
 *
 * @module
 */

import { checkKeyed } from "../_batch.ts";
import type { BatchFn } from "../graph.ts";
import type { KeyedStream } from "../stream.ts";
import type { Clock } from "../time/clock.ts";
import {
  checkJoinModes,
  checkSideCount,
  copySides,
  emptySides,
  insertAllSides,
  insertSide,
  type JoinOptions,
  joinRows,
  type JoinSides,
  sidesComplete,
  sidesEmpty,
} from "./join.ts";
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

/** Tags each value with its side: `[key, value]` → `[key, [side, value]]`. */
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

/**
 * Tags each side's values with the side's index (steps `side_0`, `side_1`,
 * …) and merges the sides (step `merge`), inside a composite step.
 */
function mergeSides(
  sides: readonly KeyedStream<unknown>[],
): KeyedStream<[number, unknown]> {
  const tagged = sides.map((side, i) =>
    side.batchStep<[string, [number, unknown]]>(`side_${i}`, (path) => () => tagSide(path, i))
  );
  return tagged.length === 1 ? tagged[0]! : tagged[0]!.merge("merge", ...tagged.slice(1));
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
  checkSideCount(id, sideCount);
  const clock = options.clock;
  const sideClock: Clock<[number, unknown]> = {
    build(resume, ctx) {
      const logic = clock.build(resume, ctx);
      return {
        beforeBatch: () => logic.beforeBatch(),
        onItem: ([, value]) => logic.onItem(value),
        onNotify: () => logic.onNotify(),
        onEof: () => logic.onEof(),
        toSystem: (timestamp) => logic.toSystem(timestamp),
        snapshot: () => logic.snapshot(),
      };
    },
  };
  const build = (
    resume: JoinSides | undefined,
  ): WindowLogic<[number, unknown], unknown[], JoinSides> => {
    let sides = resume ? copySides(resume, insertMode) : emptySides(sideCount);
    const emit = (): unknown[][] => {
      if (emitMode === "running") return joinRows(sides, insertMode);
      if (emitMode === "complete" && sidesComplete(sides)) {
        const rows = joinRows(sides, insertMode);
        sides = emptySides(sideCount);
        return rows;
      }
      return [];
    };
    return {
      onValue([side, value]) {
        insertSide(sides, side, value, insertMode);
        return emit();
      },
      onMerge(original) {
        insertAllSides(sides, original.snapshot(), insertMode);
        return emit();
      },
      onClose: () => emitMode === "final" && !sidesEmpty(sides) ? joinRows(sides, insertMode) : [],
      snapshot: () => copySides(sides, insertMode),
    };
  };
  return up.then(
    (first, ...rest: KeyedStream<unknown>[]) =>
      window(mergeSides([first, ...rest]), "join", build, { ...options, clock: sideClock }),
    id,
    ...others,
  );
}

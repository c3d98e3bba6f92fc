/**
 * `joinWindow`: a multi-way join of keyed streams per key per window.
 *
 * @module
 */

import { checkKeyed } from "../_errors.ts";
import { batchStep, compose, stepPath } from "../_stream_core.ts";
import type { BatchFn } from "../graph.ts";
import type { Clock } from "../time/clock.ts";
import type { WindowAgg } from "./_window_state.ts";
import { checkJoinModes, type JoinInsertMode, type JoinOptions } from "./join.ts";
import { merge } from "./routing.ts";
import { checkWindowOptions, type WindowLogic, type WindowOptions, windowSteps } from "./window.ts";

/**
 * Options for {@linkcode joinWindow}: the window options (the clock reads
 * each side's values) and the join modes. `emitMode` defaults to `"final"`:
 * one row per window, at close.
 *
 * @example Complete rows only, or every row at close
 * ```ts
 * import {
 *   Dataflow,
 *   EventClock,
 *   iterate,
 *   type JoinWindowOptions,
 *   TumblingWindower,
 * } from "@runnel/runnel";
 * import { TestingTime } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * async function joined(options: Partial<JoinWindowOptions>): Promise<unknown[]> {
 *   const flow = new Dataflow("f");
 *   const left = flow.input("left", [["u", 1], ["v", 2]] as [string, number][]);
 *   const right = flow.input("right", [["u", 4]] as [string, number][]);
 *   const rows = left.joinWindow("join", [right], {
 *     clock: EventClock((ms) => ms as number, { waitForSystemDuration: 10 }),
 *     windower: TumblingWindower({ length: 10, alignTo: 0 }),
 *     ...options,
 *   }).down;
 *   // System time stands still, so the sides' windows stay open until end of input.
 *   return await Array.fromAsync(iterate(rows, { time: new TestingTime() }));
 * }
 * assert.deepEqual(await joined({ emitMode: "complete" }), [["u", [0, [1, 4]]]]);
 * assert.deepEqual(await joined({}), [["u", [0, [1, 4]]], ["v", [0, [2, undefined]]]]);
 * ```
 */
export interface JoinWindowOptions extends WindowOptions<unknown>, JoinOptions {}

/** The most sides a window join can have: one bit each in a row's presence mask. */
const MAX_JOIN_SIDES = 31;

/**
 * One window's join row as plain data, flat to keep it in one object: `[present, ...slots]`, where bit `i` of `present` says side `i`
 * has a value, and slot `i` holds that value (`first`/`last`) or the list of
 * its values (`product`).
 */
type JoinSides = unknown[];

/** A fresh row with no value on any side. */
function emptySides(sideCount: number): JoinSides {
  const sides = new Array(sideCount + 1).fill(undefined);
  sides[0] = 0;
  return sides;
}

/** Stores `value` for `side` under `mode`. */
function insertSide(
  sides: JoinSides,
  side: number,
  value: unknown,
  mode: JoinInsertMode,
): void {
  const bit = 1 << side;
  const present = sides[0] as number;
  if ((present & bit) === 0) {
    sides[0] = present | bit;
    sides[side + 1] = mode === "product" ? [value] : value;
  } else if (mode === "last") {
    sides[side + 1] = value;
  } else if (mode === "product") {
    (sides[side + 1] as unknown[]).push(value);
  }
}

/** Whether every side has a value. */
function sidesComplete(sides: JoinSides): boolean {
  return sides[0] === 2 ** (sides.length - 1) - 1;
}

/** Whether no side has a value. */
function sidesEmpty(sides: JoinSides): boolean {
  return sides[0] === 0;
}

/**
 * Every row of `sides`: the cross product of the sides' values (one row
 * unless `product`), a missing side as `undefined`.
 */
function joinRows(sides: JoinSides, mode: JoinInsertMode): unknown[][] {
  if (mode !== "product") return [firstRow(sides)];
  let rows: unknown[][] = [[]];
  for (let i = 1; i < sides.length; i++) {
    const values = sides[i] as unknown[] | undefined;
    const options = values === undefined ? [undefined] : values;
    const next: unknown[][] = [];
    for (const row of rows) for (const value of options) next.push([...row, value]);
    rows = next;
  }
  return rows;
}

function firstRow(sides: JoinSides): unknown[] {
  const n = sides.length - 1;
  const row = new Array(n);
  for (let i = 0; i < n; i++) row[i] = sides[i + 1];
  return row;
}

/** Inserts every value of `from` into `into`, side by side. */
function insertAllSides(into: JoinSides, from: JoinSides, mode: JoinInsertMode): void {
  const present = from[0] as number;
  for (let side = 0; side < from.length - 1; side++) {
    if ((present & (1 << side)) === 0) continue;
    const slot = from[side + 1];
    if (mode !== "product") insertSide(into, side, slot, mode);
    else for (const value of slot as unknown[]) insertSide(into, side, value, mode);
  }
}

/** A copy of `sides` that later inserts do not change. */
function copySides(sides: JoinSides, mode: JoinInsertMode): JoinSides {
  return mode === "product"
    ? sides.map((slot, i) => i > 0 && Array.isArray(slot) ? [...slot] : slot)
    : [...sides];
}

/** Throws `RangeError` unless a join of `sideCount` sides fits a row's presence mask. */
function checkSideCount(id: string, sideCount: number): void {
  if (sideCount > MAX_JOIN_SIDES) {
    throw new RangeError(
      `Cannot add step "${id}": a window join takes at most ${MAX_JOIN_SIDES} sides, got ${sideCount}`,
    );
  }
}

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
function mergeSides(sides: readonly object[]): object {
  const tagged = sides.map((side, i) =>
    batchStep<object>(side, `side_${i}`, (path) => () => tagSide(path, i))
  );
  return tagged.length === 1 ? tagged[0]! : merge<object>(tagged[0]!, "merge", tagged.slice(1));
}

/** `stream.joinWindow(id, sides, options)`; `late` carries `[side, value]` pairs. */
export function joinWindow<R>(
  up: object,
  id: string,
  others: readonly object[],
  options: JoinWindowOptions,
): R {
  const { insertMode, emitMode } = checkJoinModes(stepPath(up, id), {
    insertMode: options?.insertMode,
    emitMode: options?.emitMode ?? "final",
  });
  const sideCount = others.length + 1;
  checkSideCount(stepPath(up, id), sideCount);
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
  // Rows as plain arrays, the same calls as `build`'s logic makes.
  const emitRows = (sides: JoinSides, emits: unknown[]): JoinSides => {
    if (emitMode === "running") {
      for (const row of joinRows(sides, insertMode)) emits.push(row);
    } else if (emitMode === "complete" && sidesComplete(sides)) {
      for (const row of joinRows(sides, insertMode)) emits.push(row);
      return emptySides(sideCount);
    }
    return sides;
  };
  const agg: WindowAgg = {
    open(value, emits) {
      const sides = emptySides(sideCount);
      const [side, v] = value as [number, unknown];
      insertSide(sides, side, v, insertMode);
      return emitRows(sides, emits);
    },
    add(acc, value, emits) {
      const [side, v] = value as [number, unknown];
      insertSide(acc as JoinSides, side, v, insertMode);
      return emitRows(acc as JoinSides, emits);
    },
    merge(into, from, emits) {
      insertAllSides(into as JoinSides, from as JoinSides, insertMode);
      return emitRows(into as JoinSides, emits);
    },
    close(acc, emits) {
      const sides = acc as JoinSides;
      if (emitMode === "final" && !sidesEmpty(sides)) {
        for (const row of joinRows(sides, insertMode)) emits.push(row);
      }
    },
  };
  const joining = { ...options, clock: sideClock };
  checkWindowOptions(stepPath(up, id), build, joining);
  // The window steps sit beside the merged sides, not in a composite of their own.
  return compose(
    up,
    (first: object, ...rest: object[]) =>
      windowSteps(mergeSides([first, ...rest]), build, joining, {
        agg,
        clock: clock as Clock<unknown>,
        read: (tagged) => (tagged as [number, unknown])[1],
      }),
    id,
    others,
  );
}

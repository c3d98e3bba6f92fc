/**
 * `join`: multi-way joins of keyed streams by key.
 *
 * @module
 */

import type { KeyedFold } from "../graph.ts";
import type { KeyedStream } from "../stream.ts";
import { keyedFold } from "./_fold.ts";

/**
 * How a join stores values: keep the first per side, the last per side, or every value.
 *
 * @example Every size in every colour
 * ```ts
 * import { Dataflow, type JoinInsertMode } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const insertMode: JoinInsertMode = "product";
 * const flow = new Dataflow("f");
 * const sizes = flow.input("sizes", [["tee", "S"], ["tee", "M"]] as [string, string][]);
 * const colours = flow.input("colours", [["tee", "red"], ["tee", "blue"]] as [string, string][]);
 * const variants = sizes.join("variants", colours, { insertMode, emitMode: "final" });
 * assert.deepEqual(await Array.fromAsync(variants), [
 *   ["tee", ["S", "red"]],
 *   ["tee", ["S", "blue"]],
 *   ["tee", ["M", "red"]],
 *   ["tee", ["M", "blue"]],
 * ]);
 * ```
 */
export type JoinInsertMode = "first" | "last" | "product";

/**
 * When a join emits: once every side has a value, then clear the row
 * (`complete`, like an inner join); at end of input with missing sides
 * `undefined` (`final`); or on every update, keeping the row (`running`,
 * like a full outer join; its state is never dropped).
 *
 * @example Inner rows as they complete, or every row at the end
 * ```ts
 * import { Dataflow, type JoinEmitMode } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * async function joined(emitMode: JoinEmitMode): Promise<unknown[]> {
 *   const flow = new Dataflow("f");
 *   const names = flow.input("names", [["1", "Ann"], ["2", "Bob"]] as [string, string][]);
 *   const emails = flow.input("emails", [["1", "ann@example.com"]] as [string, string][]);
 *   return await Array.fromAsync(names.join("join", emails, { emitMode }));
 * }
 * assert.deepEqual(await joined("complete"), [["1", ["Ann", "ann@example.com"]]]);
 * assert.deepEqual(await joined("final"), [
 *   ["1", ["Ann", "ann@example.com"]],
 *   ["2", ["Bob", undefined]],
 * ]);
 * ```
 */
export type JoinEmitMode = "complete" | "final" | "running";

/**
 * Options for {@linkcode Stream.join}.
 *
 * @example Each side's first value, at end of input
 * ```ts
 * import { Dataflow, type JoinOptions } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const options: JoinOptions<"final"> = { insertMode: "first", emitMode: "final" };
 * const flow = new Dataflow("f");
 * const letters = flow.input("letters", [["k", "a"], ["k", "b"]] as [string, string][]);
 * const numbers = flow.input("numbers", [["k", 1], ["k", 2]] as [string, number][]);
 * const firsts = letters.join("firsts", numbers, options);
 * assert.deepEqual(await Array.fromAsync(firsts), [["k", ["a", 1]]]);
 * ```
 */
export interface JoinOptions<M extends JoinEmitMode = JoinEmitMode> {
  /** Defaults to `"last"`. */
  insertMode?: JoinInsertMode;
  /** Defaults to `"complete"`. */
  emitMode?: M;
}

/**
 * A joined row: every side present for `complete`, else sides may be `undefined`.
 *
 * @example Handling a missing side
 * ```ts
 * import { Dataflow, type JoinRow } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * function contact([name, email]: JoinRow<[string, string], "final">): string {
 *   return email === undefined ? `${name} (no email)` : `${name} <${email}>`;
 * }
 * const flow = new Dataflow("f");
 * const names = flow.input("names", [["1", "Ann"], ["2", "Bob"]] as [string, string][]);
 * const emails = flow.input("emails", [["1", "ann@example.com"]] as [string, string][]);
 * const contacts = names.join("join", emails, { emitMode: "final" }).mapValue("contact", contact);
 * assert.deepEqual(await Array.fromAsync(contacts), [
 *   ["1", "Ann <ann@example.com>"],
 *   ["2", "Bob (no email)"],
 * ]);
 * ```
 */
export type JoinRow<T extends unknown[], M extends JoinEmitMode> = M extends "complete" ? T
  : { [K in keyof T]: T[K] | undefined };

const INSERT_MODES: readonly string[] = ["first", "last", "product"];
const EMIT_MODES: readonly string[] = ["complete", "final", "running"];

/** The most sides a join can have: one bit each in a row's presence mask. */
export const MAX_JOIN_SIDES = 31;

/**
 * One key's join row as plain data, flat to keep a key's state in one
 * object: `[present, ...slots]`, where bit `i` of `present` says side `i`
 * has a value, and slot `i` holds that value (`first`/`last`) or the list of
 * its values (`product`).
 */
export type JoinSides = unknown[];

/** A fresh row with no value on any side. */
export function emptySides(sideCount: number): JoinSides {
  const sides = new Array(sideCount + 1).fill(undefined);
  sides[0] = 0;
  return sides;
}

/** Stores `value` for `side` under `mode`. */
export function insertSide(
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
export function sidesComplete(sides: JoinSides): boolean {
  return sides[0] === 2 ** (sides.length - 1) - 1;
}

/** Whether no side has a value. */
export function sidesEmpty(sides: JoinSides): boolean {
  return sides[0] === 0;
}

/**
 * Every row of `sides`: the cross product of the sides' values (one row
 * unless `product`), a missing side as `undefined`.
 */
export function joinRows(sides: JoinSides, mode: JoinInsertMode): unknown[][] {
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

/** Pushes every row of `sides` onto `out` as `[key, row]`. */
function pushRows(key: string, sides: JoinSides, mode: JoinInsertMode, out: unknown[]): void {
  if (mode !== "product") out.push([key, firstRow(sides)]);
  else for (const row of joinRows(sides, mode)) out.push([key, row]);
}

/** Inserts every value of `from` into `into`, side by side. */
export function insertAllSides(into: JoinSides, from: JoinSides, mode: JoinInsertMode): void {
  const present = from[0] as number;
  for (let side = 0; side < from.length - 1; side++) {
    if ((present & (1 << side)) === 0) continue;
    const slot = from[side + 1];
    if (mode !== "product") insertSide(into, side, slot, mode);
    else for (const value of slot as unknown[]) insertSide(into, side, value, mode);
  }
}

/** A copy of `sides` that later inserts do not change. */
export function copySides(sides: JoinSides, mode: JoinInsertMode): JoinSides {
  return mode === "product"
    ? sides.map((slot, i) => i > 0 && Array.isArray(slot) ? [...slot] : slot)
    : [...sides];
}

/** Throws `RangeError` unless a join of `sideCount` sides fits a row's presence mask. */
export function checkSideCount(id: string, sideCount: number): void {
  if (sideCount > MAX_JOIN_SIDES) {
    throw new RangeError(
      `Cannot add step "${id}": a join takes at most ${MAX_JOIN_SIDES} sides, got ${sideCount}`,
    );
  }
}

/** Checks join modes, throwing `RangeError` for an unknown one. */
export function checkJoinModes(
  id: string,
  options: JoinOptions,
): { insertMode: JoinInsertMode; emitMode: JoinEmitMode } {
  const insertMode = options.insertMode ?? "last";
  const emitMode = options.emitMode ?? "complete";
  if (!INSERT_MODES.includes(insertMode)) {
    throw new RangeError(
      `Cannot add step "${id}": insertMode must be one of ${INSERT_MODES.join(", ")}, got ${
        JSON.stringify(insertMode)
      }`,
    );
  }
  if (!EMIT_MODES.includes(emitMode)) {
    throw new RangeError(
      `Cannot add step "${id}": emitMode must be one of ${EMIT_MODES.join(", ")}, got ${
        JSON.stringify(emitMode)
      }`,
    );
  }
  return { insertMode, emitMode };
}

/**
 * The join as a keyed fold over its sides: a key's state is its
 * {@linkcode JoinSides}.
 */
function joinFold(
  path: string,
  sideCount: number,
  insertMode: JoinInsertMode,
  emitMode: JoinEmitMode,
): KeyedFold {
  const complete = emitMode === "complete";
  const running = emitMode === "running";
  return keyedFold<JoinSides, unknown>(
    path,
    "join",
    (state, value, key, out, side) => {
      const sides = state ?? emptySides(sideCount);
      insertSide(sides, side, value, insertMode);
      if (running) {
        pushRows(key, sides, insertMode, out);
      } else if (complete && sidesComplete(sides)) {
        pushRows(key, sides, insertMode, out);
        return undefined;
      }
      return sides;
    },
    emitMode === "final" ? (sides, key, out) => pushRows(key, sides, insertMode, out) : undefined,
  );
}

/** `stream.join(id, ...sides, options)`. */
export function join(
  up: KeyedStream<unknown>,
  id: string,
  others: readonly KeyedStream<unknown>[],
  options: JoinOptions,
): KeyedStream<unknown[]> {
  const { insertMode, emitMode } = checkJoinModes(id, options);
  const sideCount = others.length + 1;
  checkSideCount(id, sideCount);
  return up.keyedFold(id, (path) => joinFold(path, sideCount, insertMode, emitMode), others);
}

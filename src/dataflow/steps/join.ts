/**
 * `join`: multi-way joins of keyed streams by key.
 *
 * @module
 */

import { shapeError } from "../_errors.ts";
import { keyedFold, stepPath, streamCore } from "../_stream_core.ts";
import type { KeyedFold } from "../graph.ts";

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

/** Checks join modes, throwing `RangeError` naming step `path` for an unknown one. */
export function checkJoinModes(
  path: string,
  options: JoinOptions,
): { insertMode: JoinInsertMode; emitMode: JoinEmitMode } {
  const insertMode = options.insertMode ?? "last";
  const emitMode = options.emitMode ?? "complete";
  if (!INSERT_MODES.includes(insertMode)) {
    throw new RangeError(
      `Cannot add step "${path}": insertMode must be one of ${INSERT_MODES.join(", ")}, got ${
        JSON.stringify(insertMode)
      }`,
    );
  }
  if (!EMIT_MODES.includes(emitMode)) {
    throw new RangeError(
      `Cannot add step "${path}": emitMode must be one of ${EMIT_MODES.join(", ")}, got ${
        JSON.stringify(emitMode)
      }`,
    );
  }
  return { insertMode, emitMode };
}

/**
 * A join's state on one worker: per side, each key's value (or, for
 * `product`, its values); with recovery on, the keys changed since the last
 * snapshot.
 */
type SideMaps = Map<string, unknown>[] & { changes?: Set<string> };

/**
 * The join as a keyed fold over its sides. Each side keeps its own map from
 * key to value, as a hand-written join would, so an item costs one write to
 * its side and one read per other side.
 */
function joinFold(
  path: string,
  sideCount: number,
  insertMode: JoinInsertMode,
  emitMode: JoinEmitMode,
): KeyedFold<SideMaps> {
  const product = insertMode === "product";
  const keepFirst = insertMode === "first";
  const running = emitMode === "running";
  const complete = emitMode === "complete";
  // Pushes `key`'s rows: one of every side's value, or the cross product of their values.
  const emit = (sides: SideMaps, key: string, out: unknown[]): void => {
    if (!product) {
      const row = new Array(sideCount);
      for (let s = 0; s < sideCount; s++) row[s] = sides[s]!.get(key);
      out.push([key, row]);
      return;
    }
    let rows: unknown[][] = [[]];
    for (let s = 0; s < sideCount; s++) {
      const values = (sides[s]!.get(key) as unknown[] | undefined) ?? [undefined];
      const next: unknown[][] = [];
      for (const row of rows) for (const value of values) next.push([...row, value]);
      rows = next;
    }
    for (const row of rows) out.push([key, row]);
  };
  return {
    init: (_ctx, _timers, changes) => {
      const sides: SideMaps = Array.from({ length: sideCount }, () => new Map<string, unknown>());
      if (changes !== undefined) sides.changes = changes;
      return sides;
    },
    onBatch(sides, batch, out, side) {
      const mine = sides[side]!;
      const changes = sides.changes;
      for (let i = 0; i < batch.length; i++) {
        const item = batch[i];
        if (!Array.isArray(item) || item.length !== 2 || typeof item[0] !== "string") {
          throw shapeError(path, `a [key, value] pair with a string key on side ${side}`, item);
        }
        const key: string = item[0];
        changes?.add(key);
        if (product) {
          const values = mine.get(key) as unknown[] | undefined;
          if (values === undefined) mine.set(key, [item[1]]);
          else values.push(item[1]);
        } else if (!keepFirst || !mine.has(key)) {
          mine.set(key, item[1]);
        }
        if (running) {
          emit(sides, key, out);
        } else if (complete) {
          let every = true;
          for (let s = 0; s < sideCount && every; s++) every = sides[s]!.has(key);
          if (every) {
            emit(sides, key, out);
            for (let s = 0; s < sideCount; s++) sides[s]!.delete(key);
          }
        }
      }
    },
    // A key's snapshot: per side, `[value]`, or `[]` when the side has none.
    snapshotKey(sides, key) {
      let any = false;
      const snapshot = sides.map((values) => {
        if (!values.has(key)) return [];
        any = true;
        return [values.get(key)];
      });
      return any ? snapshot : undefined;
    },
    restoreKey(sides, key, snapshot) {
      (snapshot as unknown[][]).forEach((entry, s) => {
        if (entry.length === 1) sides[s]!.set(key, entry[0]);
      });
    },
    onEof: emitMode !== "final" ? undefined : (sides, out) => {
      const keys = new Set<string>();
      for (const values of sides) for (const key of values.keys()) keys.add(key);
      for (const key of [...keys].sort()) emit(sides, key, out);
    },
  };
}

/**
 * `stream.join(id, ...sides, options)`: `args` are the other sides, then
 * the options when the last is not a stream. The keyed-fold step checks
 * that every side is a stream of the flow.
 */
export function join<R>(up: object, id: string, args: readonly unknown[]): R {
  const last = args.at(-1);
  const hasOptions = last !== undefined && streamCore(last) === undefined;
  const options = (hasOptions ? last : {}) as JoinOptions;
  const others = hasOptions ? args.slice(0, -1) : args;
  const { insertMode, emitMode } = checkJoinModes(stepPath(up, id), options);
  const sideCount = others.length + 1;
  return keyedFold(up, id, (path) => joinFold(path, sideCount, insertMode, emitMode), others);
}

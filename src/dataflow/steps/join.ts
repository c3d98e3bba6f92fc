/**
 * `join`: multi-way joins of keyed streams by key.
 *
 * @module
 */

import { checkKeyed } from "../_batch.ts";
import type { BatchFn, LogicResult, StatefulBatchBuilder } from "../graph.ts";
import type { KeyedStream } from "../stream.ts";

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

/**
 * One key's join row: the values seen per side under an insert mode.
 * Shared by `join` and the windowed join.
 */
export class JoinState {
  readonly #mode: JoinInsertMode;
  readonly #sides: unknown[][];

  /**
   * @param sideCount How many sides the join has.
   * @param mode How values are stored.
   * @param snapshot A previous {@linkcode JoinState.snapshot}.
   */
  constructor(sideCount: number, mode: JoinInsertMode, snapshot?: readonly (readonly unknown[])[]) {
    this.#mode = mode;
    this.#sides = snapshot
      ? snapshot.map((values) => [...values])
      : Array.from({ length: sideCount }, () => []);
  }

  /** Stores `value` for `side`. */
  insert(side: number, value: unknown): void {
    const values = this.#sides[side]!;
    if (this.#mode === "product") values.push(value);
    else if (this.#mode === "last") values[0] = value;
    else if (values.length === 0) values.push(value);
  }

  /** Whether every side has a value. */
  isComplete(): boolean {
    return this.#sides.every((values) => values.length > 0);
  }

  /** Whether no side has a value. */
  isEmpty(): boolean {
    return this.#sides.every((values) => values.length === 0);
  }

  /** Forgets every value. */
  clear(): void {
    for (const values of this.#sides) values.length = 0;
  }

  /** Every row: the cross product of the sides' values, a missing side as `undefined`. */
  rows(): unknown[][] {
    if (this.#mode !== "product") return [this.#sides.map((values) => values[0])];
    let rows: unknown[][] = [[]];
    for (const values of this.#sides) {
      const options = values.length === 0 ? [undefined] : values;
      const next: unknown[][] = [];
      for (const row of rows) for (const value of options) next.push([...row, value]);
      rows = next;
    }
    return rows;
  }

  /** A copy of the values per side. */
  snapshot(): unknown[][] {
    return this.#sides.map((values) => [...values]);
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

function joinBuilder(
  sideCount: number,
  insertMode: JoinInsertMode,
  emitMode: JoinEmitMode,
): StatefulBatchBuilder<readonly [number, unknown], unknown[], unknown[][]> {
  return (resume) => {
    const state = new JoinState(sideCount, insertMode, resume);
    const nothing: LogicResult<unknown[]> = [[], false];
    return {
      onBatch(values) {
        const emits: unknown[][] = [];
        for (const [side, value] of values) {
          state.insert(side, value);
          if (emitMode === "running") {
            for (const row of state.rows()) emits.push(row);
          } else if (emitMode === "complete" && state.isComplete()) {
            for (const row of state.rows()) emits.push(row);
            state.clear();
          }
        }
        return [emits, emitMode === "complete" && state.isEmpty()];
      },
      onNotify: () => nothing,
      onEof: () => emitMode === "final" ? [state.rows(), true] : nothing,
      notifyAt: () => undefined,
      snapshot: () => state.snapshot(),
    };
  };
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
  return up.then(
    (first, ...rest: KeyedStream<unknown>[]) => {
      const tagged = [first, ...rest].map((side, i) =>
        side.batchStep<[string, [number, unknown]]>(`side_${i}`, (path) => () => tagSide(path, i))
      );
      const merged = tagged.length === 1
        ? tagged[0]!
        : tagged[0]!.merge("merge", ...tagged.slice(1));
      return merged.statefulBatch("join", joinBuilder(sideCount, insertMode, emitMode));
    },
    id,
    ...others,
  );
}

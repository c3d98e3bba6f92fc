/**
 * `collect`: per-key lists flushed by size, by timeout, or at end of input.
 *
 * @module
 */

import { stepPath } from "../_stream_core.ts";
import { stateful, type StatefulLogic } from "./stateful.ts";

/**
 * Options for {@linkcode Stream.collect}.
 *
 * @example Lists of at most three
 * ```ts
 * import { type CollectOptions, Dataflow } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const options: CollectOptions = { maxSize: 3, timeout: 60_000 };
 * const flow = new Dataflow("f");
 * const keyed = flow.input("inp", [1, 2, 3, 4, 5].map((n) => ["a", n] as [string, number]));
 * assert.deepEqual(await Array.fromAsync(keyed.collect("lists", options)), [
 *   ["a", [1, 2, 3]],
 *   ["a", [4, 5]],
 * ]);
 * assert.throws(() => keyed.collect("empty", { maxSize: 0, timeout: 0 }), RangeError);
 * ```
 */
export interface CollectOptions {
  /** Emit a key's list once it holds this many values. */
  maxSize: number;
  /** Emit a key's list once this many milliseconds of system time pass with no new value for it. */
  timeout: number;
}

interface CollectState<V> {
  readonly values: V[];
  timeoutAt: number | undefined;
}

/** `stream.collect(id, options)`. */
export function collect<R, V>(
  up: object,
  id: string,
  options: CollectOptions,
): R {
  const { maxSize, timeout } = options ?? {};
  const path = stepPath(up, id);
  if (!Number.isInteger(maxSize) || maxSize < 1) {
    throw new RangeError(
      `Cannot add step "${path}": maxSize must be a positive integer, got ${maxSize}`,
    );
  }
  if (typeof timeout !== "number" || !(timeout >= 0)) {
    throw new RangeError(
      `Cannot add step "${path}": timeout must be a non-negative number of milliseconds, got ${timeout}`,
    );
  }
  return stateful(
    up,
    id,
    (resume, ctx): StatefulLogic<V, V[], CollectState<V>> => {
      const state: CollectState<V> = resume
        ? { values: [...resume.values], timeoutAt: resume.timeoutAt }
        : { values: [], timeoutAt: undefined };
      return {
        onItem(value) {
          state.timeoutAt = ctx.now() + timeout;
          state.values.push(value);
          return state.values.length >= maxSize ? [[state.values], true] : [[], false];
        },
        onNotify: () => [[state.values], true],
        onEof: () => [[state.values], true],
        notifyAt: () => state.timeoutAt,
        snapshot: () => ({ values: [...state.values], timeoutAt: state.timeoutAt }),
      };
    },
  );
}

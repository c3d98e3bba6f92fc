/**
 * `collect`: per-key lists flushed by size, by timeout, or at end of input.
 *
 * @module
 */

import type { KeyedStream } from "../stream.ts";
import type { StatefulLogic } from "./stateful.ts";

/** Options for {@linkcode Stream.collect}. */
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
export function collect<V>(
  up: KeyedStream<V>,
  id: string,
  options: CollectOptions,
): KeyedStream<V[]> {
  const { maxSize, timeout } = options ?? {};
  if (!Number.isInteger(maxSize) || maxSize < 1) {
    throw new RangeError(
      `Cannot add step "${id}": maxSize must be a positive integer, got ${maxSize}`,
    );
  }
  if (typeof timeout !== "number" || !(timeout >= 0)) {
    throw new RangeError(
      `Cannot add step "${id}": timeout must be a non-negative number of milliseconds, got ${timeout}`,
    );
  }
  return up.stateful<V[], CollectState<V>>(
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

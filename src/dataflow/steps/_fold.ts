/**
 * Item-level folds compiled into a {@linkcode KeyedFold}: the one loop the
 * timer-free stateful steps (joins, final aggregates, stateful maps) share.
 *
 * @module
 */

import { callbackError, checkKeyed, isReported } from "../_batch.ts";
import { specialize } from "../_specialize.ts";
import type { KeyedFold } from "../graph.ts";

/**
 * Folds one value from input `side` into its key's state: returns the new state (`undefined`
 * discards the key) and pushes what it emits onto `out` as `[key, value]`.
 * May mutate `state` in place and return it.
 */
export type ItemFold<S, V> = (
  state: S | undefined,
  value: V,
  key: string,
  out: unknown[],
  side: number,
) => S | undefined;

/** Emits a live key's last words at end of input, pushing `[key, value]` items onto `out`. */
export type EofFold<S> = (state: S, key: string, out: unknown[]) => void;

type Check = (item: unknown) => void;
type Fail = (item: unknown, error: unknown) => Error;

// Re-instantiated per step by `specialize`: it uses only its parameters.
function foldLoop(fold: ItemFold<unknown, unknown>, check: Check, fail: Fail) {
  return (
    states: Map<string, unknown>,
    batch: readonly unknown[],
    out: unknown[],
    side: number,
  ): void => {
    let i = 0;
    try {
      for (; i < batch.length; i++) {
        const item = batch[i] as [string, unknown];
        check(item);
        const key = item[0];
        const state = states.get(key);
        const next = fold(state, item[1], key, out, side);
        if (next !== state) {
          if (next === undefined) states.delete(key);
          else states.set(key, next);
        }
      }
    } catch (error) {
      throw fail(batch[i], error);
    }
  };
}

/**
 * Thrown inside a fold to blame a callback other than the fold's own `what`
 * (a `foldFinal` builder, say); the step still names the key and value.
 */
export class CallbackFailure {
  /**
   * @param what The callback that threw, such as `"builder"`.
   * @param cause What it threw.
   */
  constructor(readonly what: string, readonly cause: unknown) {}
}

function failure(path: string, what: string): Fail {
  return (item, error) => {
    if (isReported(error)) return error as Error;
    const keyed = Array.isArray(item) && typeof item[0] === "string";
    const named = error instanceof CallbackFailure;
    return callbackError(
      path,
      named ? error.what : what,
      keyed ? item[1] : item,
      named ? error.cause : error,
      keyed ? item[0] : undefined,
    );
  };
}

/**
 * Builds a {@linkcode KeyedFold} from an item-level fold, with a private
 * compiled copy of the loop for the step at `path` so the fold is inlined.
 * A non-keyed item is a `TypeError` naming the step; a throw from `fold` or
 * `eof` becomes a `StepError` naming `what`, the key and the value.
 *
 * @param path The step path.
 * @param what The user callback `fold` runs, for errors, such as `"mapper"`.
 * @param fold Folds one value.
 * @param eof Emits each live key's result at end of input, in sorted key order.
 */
export function keyedFold<S, V>(
  path: string,
  what: string,
  fold: ItemFold<S, V>,
  eof?: EofFold<S>,
): KeyedFold<Map<string, unknown>> {
  const fail = failure(path, what);
  const check: Check = (item) => checkKeyed(path, item);
  const onBatch = specialize(foldLoop, path)(fold as ItemFold<unknown, unknown>, check, fail);
  const init = () => new Map<string, unknown>();
  if (eof === undefined) return { init, onBatch };
  return {
    init,
    onBatch,
    onEof(states, out) {
      for (const key of [...states.keys()].sort()) {
        try {
          eof(states.get(key) as S, key, out);
        } catch (error) {
          throw fail([key, undefined], error);
        }
      }
    },
  };
}

/**
 * Item-level folds for the timer-free stateful steps (joins aside: final
 * aggregates, stateful maps): the one shape they share, which the runtime
 * compiles into one loop per step.
 *
 * @module
 */

import type { EofFold, ItemFold, ItemKeyedFold } from "../graph.ts";

export type { EofFold, ItemFold };

/**
 * Describes a keyed fold from an item-level fold. A non-keyed item is a
 * `TypeError` naming the step; a throw from `fold` or `eof` becomes a
 * `StepError` naming `what` (or the callback a carried `Failure` names),
 * the key and the value.
 *
 * @param what The user callback `fold` runs, for errors, such as `"mapper"`.
 * @param fold Folds one value.
 * @param eof Emits each live key's result at end of input, in sorted key order.
 */
export function itemFold<S, V>(
  what: string,
  fold: ItemFold<S, V>,
  eof?: EofFold<S>,
): ItemKeyedFold {
  return eof === undefined ? { what, step: fold } : { what, step: fold, eof };
}

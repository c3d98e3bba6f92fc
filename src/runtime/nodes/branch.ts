/**
 * The branch step: one stream split in two by a predicate.
 *
 * @module
 */

import type { BranchNode } from "../../dataflow/graph.ts";
import { compileSplit } from "../_compile.ts";
import type { Route } from "../fork.ts";
import { isBatch } from "../message.ts";

/**
 * The route for a branch fork: port 0 gets the items the predicate accepts,
 * port 1 the rest; control messages go to both. The verdict follows the
 * filter's rule: `true` or `false`, anything else is a `TypeError`.
 *
 * @param node The branch node.
 * @returns The route.
 */
export function branchRoute(node: BranchNode): Route<unknown> {
  const split = compileSplit(node.path, node.predicate);
  return (message, emit) => {
    if (!isBatch(message)) {
      emit(0, message);
      emit(1, message);
      return;
    }
    const [trues, falses] = split(message);
    if (trues.length > 0) emit(0, trues);
    if (falses.length > 0) emit(1, falses);
  };
}

/**
 * The branch step: one stream split in two by a predicate.
 *
 * @module
 */

import { callbackError, shapeError } from "../../dataflow/_batch.ts";
import type { BranchNode } from "../../dataflow/graph.ts";
import type { Route } from "../fork.ts";
import { isBatch } from "../message.ts";

/**
 * The route for a branch fork: port 0 gets the items the predicate accepts,
 * port 1 the rest; control messages go to both.
 *
 * @param node The branch node.
 * @returns The route.
 */
export function branchRoute(node: BranchNode): Route<unknown> {
  const { path, predicate } = node;
  return (message, emit) => {
    if (!isBatch(message)) {
      emit(0, message);
      emit(1, message);
      return;
    }
    const trues: unknown[] = [];
    const falses: unknown[] = [];
    let i = 0;
    let verdict: unknown;
    try {
      for (; i < message.length; i++) {
        verdict = predicate(message[i]);
        if (verdict === true) trues.push(message[i]);
        else if (verdict === false) falses.push(message[i]);
        else break;
      }
    } catch (error) {
      throw callbackError(path, "predicate", message[i], error);
    }
    if (i < message.length) throw shapeError(path, "the predicate to return a boolean", verdict);
    if (trues.length > 0) emit(0, trues);
    if (falses.length > 0) emit(1, falses);
  };
}

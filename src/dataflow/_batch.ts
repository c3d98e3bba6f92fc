/**
 * The user batch function of `flatMapBatch`, checked.
 *
 * @module
 */

import { callbackError, isIterable, shapeError } from "./_errors.ts";
import type { BatchFn } from "./graph.ts";

/** Calls a user batch function and checks it returned an iterable. */
export function userBatch(
  path: string,
  mapper: (batch: readonly unknown[]) => unknown,
): BatchFn {
  return (batch) => {
    let result: unknown;
    try {
      result = mapper(batch);
    } catch (error) {
      throw callbackError(path, "batch mapper", batch, error);
    }
    if (Array.isArray(result)) return result;
    if (isIterable(result)) return Array.from(result);
    throw shapeError(path, "the batch mapper to return an iterable", result);
  };
}

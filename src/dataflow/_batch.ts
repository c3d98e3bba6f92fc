/**
 * How steps report failures: shape errors, wrapped callback failures, and
 * the user batch function's check. The per-item stateless steps are data
 * (`ItemStage` in `graph.ts`); the runtime compiles them.
 *
 * @module
 */

import { describeValue, StepError, type StepErrorOptions } from "./errors.ts";

import type { BatchFn } from "./graph.ts";

/**
 * Marks errors runnel raised itself (shape errors), so that nothing wraps
 * them again on the way out.
 */
const ownErrors = new WeakSet<object>();

/** Whether `error` is a `StepError` or a shape error runnel already reported. */
export function isReported(error: unknown): boolean {
  return error instanceof StepError || (typeof error === "object" && error !== null &&
    ownErrors.has(error));
}

/**
 * A `TypeError` for an item of the wrong shape, naming the step and the value.
 *
 * @param path The step path.
 * @param expected What the step needs, such as `"a [key, value] pair"`.
 * @param value What it got.
 */
export function shapeError(path: string, expected: string, value: unknown): TypeError {
  const error = new TypeError(
    `Cannot run step "${path}": expected ${expected}, got ${describeValue(value)}`,
  );
  ownErrors.add(error);
  return error;
}

/**
 * Carries the value a per-item callback failed on out of a batch-level
 * call, so the step's error names that value rather than the whole batch.
 */
export class ValueFailure {
  /**
   * @param value The value being processed.
   * @param cause What the callback threw.
   */
  constructor(readonly value: unknown, readonly cause: unknown) {}
}

/** Wraps a failure of a user callback once, keeping runnel's own errors as they are. */
export function callbackError(
  path: string,
  what: string,
  item: unknown,
  cause: unknown,
  key?: string,
): Error {
  if (isReported(cause)) return cause as Error;
  const options: StepErrorOptions = { cause };
  if (item !== undefined) options.item = item;
  if (key !== undefined) options.key = key;
  return new StepError(path, `${what} threw`, options);
}

/** Throws unless `item` is a `[string, value]` pair. */
export function checkKeyed(path: string, item: unknown): asserts item is [string, unknown] {
  if (!Array.isArray(item) || item.length !== 2 || typeof item[0] !== "string") {
    throw shapeError(path, "a [key, value] pair with a string key", item);
  }
}

/**
 * Thrown inside a keyed fold to blame a callback other than the fold's own
 * `what` (a `foldFinal` builder, say); the step still names the key and value.
 */
export class CallbackFailure {
  /**
   * @param what The callback that threw, such as `"builder"`.
   * @param cause What it threw.
   */
  constructor(readonly what: string, readonly cause: unknown) {}
}

/**
 * Wraps a failure of keyed fold `what` on `item` once, naming the key and
 * value of a keyed item, and the callback a {@linkcode CallbackFailure} names.
 */
export function foldError(path: string, what: string, item: unknown, error: unknown): Error {
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
}

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

/** Whether `value` can be iterated with `for...of` (strings excluded: they are rarely meant). */
export function isIterable(value: unknown): value is Iterable<unknown> {
  return value !== null && typeof value === "object" &&
    typeof (value as Iterable<unknown>)[Symbol.iterator] === "function";
}

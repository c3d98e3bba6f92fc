/**
 * Batch functions for the stateless steps.
 *
 * Users write per-item callbacks; the runtime moves arrays. Each builder here
 * turns a callback into a function over a whole batch that runs in one
 * synchronous loop, with the `try` outside the loop so the fast path stays
 * fast, and reports a failure with the step path and the offending item.
 *
 * @module
 */

import { describeValue, StepError, type StepErrorOptions } from "./errors.ts";

import type { BatchFn } from "./graph.ts";
import { specialize } from "./_specialize.ts";

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
 * Marks an error runnel raised itself (a `RangeError` naming the step, say),
 * so that nothing wraps it again on the way out.
 *
 * @param error The error, returned as it is.
 */
export function reportedError<E extends Error>(error: E): E {
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

// The loop factories below are re-instantiated per step by `specialize`, so
// they use nothing but their parameters and globals.

type Fail = (item: unknown, error: unknown) => Error;
type Bad = (value: unknown) => Error;

function mapLoop(mapper: (item: unknown) => unknown, fail: Fail): BatchFn {
  return (batch) => {
    const out = new Array(batch.length);
    let i = 0;
    try {
      for (; i < batch.length; i++) out[i] = mapper(batch[i]);
    } catch (error) {
      throw fail(batch[i], error);
    }
    return out;
  };
}

function filterLoop(predicate: (item: unknown) => unknown, fail: Fail, bad: Bad): BatchFn {
  return (batch) => {
    const out: unknown[] = [];
    let i = 0;
    let keep: unknown;
    try {
      for (; i < batch.length; i++) {
        keep = predicate(batch[i]);
        if (keep === true) out.push(batch[i]);
        else if (keep !== false) break;
      }
    } catch (error) {
      throw fail(batch[i], error);
    }
    if (i < batch.length) throw bad(keep);
    return out;
  };
}

function filterMapLoop(mapper: (item: unknown) => unknown, fail: Fail): BatchFn {
  return (batch) => {
    const out: unknown[] = [];
    let i = 0;
    try {
      for (; i < batch.length; i++) {
        const value = mapper(batch[i]);
        if (value !== undefined && value !== null) out.push(value);
      }
    } catch (error) {
      throw fail(batch[i], error);
    }
    return out;
  };
}

function flatMapLoop(mapper: (item: unknown) => unknown, fail: Fail, bad: Bad): BatchFn {
  return (batch) => {
    const out: unknown[] = [];
    let i = 0;
    let result: unknown;
    try {
      for (; i < batch.length; i++) {
        result = mapper(batch[i]);
        if (Array.isArray(result)) {
          for (let j = 0; j < result.length; j++) out.push(result[j]);
        } else if (
          result !== null && typeof result === "object" &&
          typeof (result as Iterable<unknown>)[Symbol.iterator] === "function"
        ) {
          for (const value of result as Iterable<unknown>) out.push(value);
        } else break;
      }
    } catch (error) {
      throw fail(batch[i], error);
    }
    if (i < batch.length) throw bad(result);
    return out;
  };
}

function tapLoop(inspector: (item: unknown) => void, fail: Fail): BatchFn {
  return (batch) => {
    let i = 0;
    try {
      for (; i < batch.length; i++) inspector(batch[i]);
    } catch (error) {
      throw fail(batch[i], error);
    }
    return batch;
  };
}

function mapValueLoop(mapper: (value: unknown) => unknown, fail: Fail, bad: Bad): BatchFn {
  return (batch) => {
    const out = new Array(batch.length);
    let i = 0;
    try {
      for (; i < batch.length; i++) {
        const item = batch[i];
        if (!Array.isArray(item) || item.length !== 2 || typeof item[0] !== "string") {
          throw bad(item);
        }
        out[i] = [item[0], mapper(item[1])];
      }
    } catch (error) {
      throw fail(batch[i], error);
    }
    return out;
  };
}

function failWith(path: string, what: string): Fail {
  return (item, error) => callbackError(path, what, item, error);
}

/** 1 → 1. `what` names the callback in errors. */
export function mapBatch(
  path: string,
  mapper: (item: unknown) => unknown,
  what = "mapper",
): BatchFn {
  return specialize(mapLoop, path)(mapper, failWith(path, what));
}

/** 1 → 0..1 by a boolean predicate. */
export function filterBatch(path: string, predicate: (item: unknown) => unknown): BatchFn {
  return specialize(filterLoop, path)(
    predicate,
    failWith(path, "predicate"),
    (value) => shapeError(path, "the predicate to return a boolean", value),
  );
}

/** 1 → 0..1, dropping `undefined` and `null`. */
export function filterMapBatch(path: string, mapper: (item: unknown) => unknown): BatchFn {
  return specialize(filterMapLoop, path)(mapper, failWith(path, "mapper"));
}

/**
 * 1 → many; a mapper result that is not iterable (a string included) is a
 * `TypeError` saying `expected` was wanted.
 */
export function flatMapBatch(
  path: string,
  mapper: (item: unknown) => unknown,
  expected = "the mapper to return an iterable",
): BatchFn {
  return specialize(flatMapLoop, path)(
    mapper,
    failWith(path, "mapper"),
    (value) => shapeError(path, expected, value),
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

/** Calls `inspector` with every item and passes the batch on unchanged. */
export function tapBatch(path: string, inspector: (item: unknown) => void): BatchFn {
  return specialize(tapLoop, path)(inspector, failWith(path, "inspector"));
}

/** Applies `mapper` to the value of each `[key, value]` pair. */
export function mapValueBatch(path: string, mapper: (value: unknown) => unknown): BatchFn {
  return specialize(mapValueLoop, path)(
    mapper,
    failWith(path, "mapper"),
    (item) => shapeError(path, "a [key, value] pair with a string key", item),
  );
}

/** Whether `value` can be iterated with `for...of` (strings excluded: they are rarely meant). */
export function isIterable(value: unknown): value is Iterable<unknown> {
  return value !== null && typeof value === "object" &&
    typeof (value as Iterable<unknown>)[Symbol.iterator] === "function";
}

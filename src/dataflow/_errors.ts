/**
 * How runnel checks what it is given and reports what failed: the one place
 * for shape errors, the wrapping of user callback failures into
 * {@linkcode StepError}s, the carrier that brings a failure out of inner code
 * to the step that reports it, and the checks a step runs when it is added.
 *
 * @module
 */

import { describeValue, StepError, type StepErrorOptions } from "./errors.ts";

/** A `TypeError` runnel raised itself; private, so users see a plain `TypeError`. */
class ShapeError extends TypeError {}
// Named as users see it, so consoles print it as the TypeError it is.
Object.defineProperty(ShapeError, "name", { value: "TypeError" });

/** A `RangeError` runnel raised itself; private, as {@linkcode ShapeError} is. */
class OwnRangeError extends RangeError {}
Object.defineProperty(OwnRangeError, "name", { value: "RangeError" });

/** Whether `error` is a `StepError` or a shape or range error runnel already reported. */
export function isReported(error: unknown): boolean {
  return error instanceof StepError || error instanceof ShapeError ||
    error instanceof OwnRangeError;
}

/**
 * A `TypeError` or `RangeError` with a message runnel wrote itself, for a
 * check whose value needs its own words (`"an invalid Date"`, a range);
 * like {@linkcode shapeError}'s, it is reported as it is, never wrapped.
 *
 * @param kind `TypeError` or `RangeError`.
 * @param message The whole message, naming the step.
 */
export function ownError(kind: typeof TypeError | typeof RangeError, message: string): Error {
  return kind === RangeError ? new OwnRangeError(message) : new ShapeError(message);
}

/**
 * A `TypeError` for a value of the wrong shape, naming the step and the value.
 *
 * @param path The step path.
 * @param expected What the step needs, such as `"a [key, value] pair"`.
 * @param value What it got.
 */
export function shapeError(path: string, expected: string, value: unknown): TypeError {
  return new ShapeError(
    `Cannot run step "${path}": expected ${expected}, got ${describeValue(value)}`,
  );
}

/** What is known about a failure where it was caught. */
export interface FailureDetail {
  /** The callback that threw, such as `"builder"` or `"onBatch()"`. */
  what?: string;
  /** The value being processed. */
  item?: unknown;
  /** The state key. */
  key?: string;
}

/**
 * Carries a failure out of inner code (a key's logic, a fold's builder) to
 * the step that reports it, with what the inner code knew: the callback,
 * the value and the key. The step wraps it once with {@linkcode callbackError}.
 */
export class Failure {
  /**
   * @param cause What was thrown.
   * @param detail What is known where it was caught.
   */
  constructor(readonly cause: unknown, readonly detail: FailureDetail) {}
}

/**
 * `error` carried on with `detail`; when `error` is already a
 * {@linkcode Failure}, what it knows wins, being closer to the failure.
 */
export function carry(error: unknown, detail: FailureDetail): Failure {
  if (!(error instanceof Failure)) return new Failure(error, detail);
  return new Failure(error.cause, { ...detail, ...error.detail });
}

/**
 * Wraps a failure of a user callback once, keeping runnel's own errors as
 * they are; a {@linkcode Failure} supplies its callback, value and key.
 *
 * @param path The step path.
 * @param what The callback that threw, such as `"mapper"`.
 * @param item The value it was given, if any.
 * @param cause What it threw.
 * @param key The state key, for keyed steps.
 */
export function callbackError(
  path: string,
  what: string,
  item: unknown,
  cause: unknown,
  key?: string,
): Error {
  if (cause instanceof Failure) {
    const { detail } = cause;
    if (detail.what !== undefined) what = detail.what;
    if ("item" in detail) item = detail.item;
    if (detail.key !== undefined) key = detail.key;
    cause = cause.cause;
  }
  if (isReported(cause)) return cause as Error;
  const options: StepErrorOptions = { cause };
  if (item !== undefined) options.item = item;
  if (key !== undefined) options.key = key;
  return new StepError(path, `${what} threw`, options);
}

/**
 * Wraps a failure of keyed fold `what` on `item`, naming the key and value
 * of a keyed item.
 */
export function foldError(path: string, what: string, item: unknown, error: unknown): Error {
  const keyed = Array.isArray(item) && typeof item[0] === "string";
  return callbackError(path, what, keyed ? item[1] : item, error, keyed ? item[0] : undefined);
}

/** Throws unless `item` is a `[string, value]` pair. */
export function checkKeyed(path: string, item: unknown): asserts item is [string, unknown] {
  if (!Array.isArray(item) || item.length !== 2 || typeof item[0] !== "string") {
    throw shapeError(path, "a [key, value] pair with a string key", item);
  }
}

/** Whether `value` can be iterated with `for...of` (strings excluded: they are rarely meant). */
export function isIterable(value: unknown): value is Iterable<unknown> {
  return value !== null && typeof value === "object" &&
    typeof (value as Iterable<unknown>)[Symbol.iterator] === "function";
}

/**
 * Throws a `TypeError` naming step `path` unless `fn` is a function. Steps
 * call it before they reserve their id, so a rejected step leaves it free.
 *
 * @param path The full step path, such as `"f.count"`.
 * @param name What the callback is called, such as `"mapper"`.
 * @param fn What was given.
 */
export function checkCallback(path: string, name: string, fn: unknown): void {
  if (typeof fn !== "function") {
    throw new TypeError(`Cannot add step "${path}": ${name} must be a function, got ${typeof fn}`);
  }
}

/**
 * Throws a `TypeError` naming step `path` unless every one of `others`
 * passes `sameFlow` (is a stream of the step's flow). Called before the id
 * is reserved.
 *
 * @param path The full step path.
 * @param what What every input must be, such as `"keyed stream"`.
 * @param others The other inputs.
 * @param sameFlow Whether an input is a stream of the step's flow.
 */
export function checkSameFlow(
  path: string,
  what: string,
  others: readonly unknown[],
  sameFlow: (other: unknown) => boolean,
): void {
  for (const other of others) {
    if (!sameFlow(other)) {
      throw new TypeError(
        `Cannot add step "${path}": every input must be a ${what} of the same flow`,
      );
    }
  }
}

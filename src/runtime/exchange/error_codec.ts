/**
 * Errors across threads and hosts. `postMessage` keeps little of an error:
 * a `StepError` arrives as a plain `Error` without its step path, item or
 * key, and a class of runnel's own loses its name. So a failure that crosses
 * is written down field by field and rebuilt on the other side with the
 * same class, message, stack, step path, key, item and cause.
 *
 * @module
 */

import { describeValue, StepError } from "../../dataflow/errors.ts";
import { findUnencodable, UnencodableItemError } from "./codec.ts";

/** An error written down as plain data: what {@linkcode encodeError} gives. */
export interface EncodedError {
  /** Which class to rebuild: a built-in error's name, `"StepError"`, or `"Error"` for others. */
  readonly kind: string;
  /** The error's `name` as it was (a user's class keeps its name this way). */
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly stepId?: string;
  readonly key?: string;
  readonly item?: unknown;
  /** `UnencodableItemError`'s path inside the item. */
  readonly path?: string;
  readonly cause?: EncodedError | { readonly value: unknown };
  /** Set when the thrown value was not an error at all. */
  readonly value?: unknown;
  readonly thrown?: boolean;
}

const BUILT_IN: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

// A value that structured cloning carries unaltered, else its description.
function cloneable(value: unknown): unknown {
  return findUnencodable(value) === undefined ? value : describeValue(value);
}

/**
 * Writes down what was thrown, as data `postMessage` (or the codec) carries.
 *
 * @param error What was thrown.
 * @returns The record, for {@linkcode decodeError}.
 */
export function encodeError(error: unknown, depth = 0): EncodedError {
  if (!(error instanceof Error)) {
    return { kind: "value", name: "", message: "", thrown: true, value: cloneable(error) };
  }
  const encoded: {
    -readonly [K in keyof EncodedError]: EncodedError[K];
  } = {
    kind: error instanceof StepError
      ? "StepError"
      : error instanceof UnencodableItemError
      ? "UnencodableItemError"
      : Object.values(BUILT_IN).findLast((kind) => error instanceof kind)?.name ?? "Error",
    name: error.name,
    message: error.message,
    stack: error.stack,
  };
  if (error instanceof StepError) {
    encoded.stepId = error.stepId;
    if (error.key !== undefined) encoded.key = error.key;
    if (error.item !== undefined) encoded.item = cloneable(error.item);
  }
  if (error instanceof UnencodableItemError) {
    encoded.stepId = error.stepId;
    if (error.key !== undefined) encoded.key = error.key;
    encoded.path = error.path;
  }
  if (error.cause !== undefined && depth < 8) {
    encoded.cause = error.cause instanceof Error
      ? encodeError(error.cause, depth + 1)
      : { value: cloneable(error.cause) };
  }
  return encoded;
}

function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, configurable: true });
}

/**
 * Rebuilds an error written down by {@linkcode encodeError}: the same class
 * where runnel knows it (a `StepError` with its step path, key, item and
 * cause; an `UnencodableItemError`; the built-in errors), else an `Error`
 * with the original name, and in every case the original message and stack.
 *
 * @param encoded The record.
 * @returns The error (or the value, when a non-error was thrown).
 */
export function decodeError(encoded: EncodedError): unknown {
  if (encoded.thrown) return encoded.value;
  const cause = encoded.cause === undefined
    ? undefined
    : "kind" in encoded.cause
    ? decodeError(encoded.cause)
    : encoded.cause.value;
  let error: Error;
  if (encoded.kind === "StepError") {
    error = new StepError(encoded.stepId!, "", {
      cause,
      key: encoded.key,
      ...("item" in encoded ? { item: encoded.item } : {}),
    });
  } else if (encoded.kind === "UnencodableItemError") {
    error = new UnencodableItemError(encoded.stepId!, encoded.key, encoded.path!, "");
  } else {
    const kind = BUILT_IN[encoded.kind] ?? Error;
    error = cause === undefined ? new kind(encoded.message) : new kind(encoded.message, { cause });
  }
  define(error, "message", encoded.message);
  if (error.name !== encoded.name) define(error, "name", encoded.name);
  if (encoded.stack !== undefined) define(error, "stack", encoded.stack);
  return error;
}

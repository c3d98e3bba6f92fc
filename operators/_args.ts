/**
 * Argument checks shared by the operator factories. They run when an operator
 * is created, not when it is iterated, so a wrong argument fails where it was
 * written. Messages read `Cannot create take(): count must be a non-negative
 * integer, got -1`: what failed, a colon, the value.
 *
 * @module
 */

/** Names a value's type for a `TypeError` message. */
function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/** Throws a `TypeError` unless `value` is a function. */
export function requireFunction(where: string, name: string, value: unknown): void {
  if (typeof value !== "function") {
    throw new TypeError(
      `Cannot create ${where}: ${name} must be a function, got ${typeName(value)}`,
    );
  }
}

/** Throws a `TypeError` unless `value` is an `AbortSignal` (or `undefined`, when `optional`). */
export function requireSignal(where: string, value: unknown, optional = true): void {
  if (!(value instanceof AbortSignal) && !(optional && value === undefined)) {
    throw new TypeError(
      `Cannot create ${where}: signal must be an AbortSignal, got ${typeName(value)}`,
    );
  }
}

/** Throws a `TypeError` unless `value` is an iterable or an async iterable. */
export function requireIterable(where: string, name: string, value: unknown): void {
  const iterable = value as Partial<Iterable<unknown> & AsyncIterable<unknown>> | null | undefined;
  if (
    typeof iterable?.[Symbol.iterator] !== "function" &&
    typeof iterable?.[Symbol.asyncIterator] !== "function"
  ) {
    throw new TypeError(
      `Cannot create ${where}: ${name} must be an iterable or async iterable, got ${
        typeName(value)
      }`,
    );
  }
}

/** Throws a `TypeError` unless `value` is an array of async iterables. */
export function requireSources(where: string, value: unknown): void {
  if (!Array.isArray(value)) {
    throw new TypeError(
      `Cannot create ${where}: sources must be an array of async iterables, got ${typeName(value)}`,
    );
  }
  value.forEach((source, i) => {
    if (typeof source?.[Symbol.asyncIterator] !== "function") {
      throw new TypeError(
        `Cannot create ${where}: sources[${i}] must be an async iterable, got ${typeName(source)}`,
      );
    }
  });
}

/**
 * Throws unless `value` is an integer of at least `min`: a `TypeError` when it
 * is not a number, a `RangeError` when it is out of range.
 */
export function requireInteger(where: string, name: string, value: unknown, min: 0 | 1): void {
  const wanted = min === 0 ? "a non-negative integer" : "a positive integer";
  if (typeof value !== "number") {
    throw new TypeError(
      `Cannot create ${where}: ${name} must be ${wanted}, got ${typeName(value)}`,
    );
  }
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`Cannot create ${where}: ${name} must be ${wanted}, got ${value}`);
  }
}

/**
 * Throws unless `value` is a finite number of milliseconds, zero or more: a
 * `TypeError` when it is not a number, a `RangeError` when it is out of range.
 */
export function requireDuration(where: string, name: string, value: unknown): void {
  const wanted = "a non-negative finite number of milliseconds";
  if (typeof value !== "number") {
    throw new TypeError(
      `Cannot create ${where}: ${name} must be ${wanted}, got ${typeName(value)}`,
    );
  }
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`Cannot create ${where}: ${name} must be ${wanted}, got ${value}`);
  }
}

/**
 * The one error class callers are expected to catch: a step failed while the
 * flow ran.
 *
 * @module
 */

import { formatValue } from "./_format.ts";

const MAX_ITEM_CHARS = 200;

/**
 * Renders a value for an error message: short, single-line, never throwing.
 *
 * @param value Anything.
 * @returns At most about 200 characters describing `value`.
 *
 * @example Describing values for an error message
 * ```ts
 * import { describeValue } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * assert.equal(describeValue("hi"), '"hi"');
 * assert.equal(describeValue({ id: 7, tags: ["a"] }), '{"id":7,"tags":["a"]}');
 * assert.equal(describeValue(undefined), "undefined");
 * assert.equal(describeValue(12n), "12n");
 * assert.equal(describeValue(new Date(0)), "Date(1970-01-01T00:00:00.000Z)");
 * // Long values are cut at 200 characters and end with an ellipsis.
 * assert.equal(describeValue("x".repeat(500)).length, 201);
 * ```
 */
export function describeValue(value: unknown): string {
  return formatValue(value, { maxChars: MAX_ITEM_CHARS });
}

/**
 * Options for {@linkcode StepError}.
 *
 * @example A sink reporting what it failed on
 * ```ts
 * import { StepError, type StepErrorOptions } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const options: StepErrorOptions = {
 *   key: "eu",
 *   item: { id: 7 },
 *   cause: new TypeError("price must be a number"),
 * };
 * const error = new StepError("shop.out", "writing a row failed", options);
 * assert.equal(
 *   error.message,
 *   'Cannot run step "shop.out": writing a row failed; key "eu"; item {"id":7}; ' +
 *     "TypeError: price must be a number",
 * );
 * assert.equal(error.cause, options.cause);
 * ```
 */
export interface StepErrorOptions {
  /** The error thrown by the user's callback, source or sink. */
  cause?: unknown;
  /** The item being processed, when there was one. */
  item?: unknown;
  /** The state key, for keyed steps. */
  key?: string;
}

/**
 * A step failed while the flow ran. Carries the step's full id path, the
 * item that was being processed (when there was one) and the original error
 * as `cause`. Errors are wrapped once: a `StepError` passing through other
 * steps is never wrapped again.
 *
 * @example Catching a failed step
 * ```ts
 * import { Dataflow, run, StepError } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const flow = new Dataflow("demo");
 * flow.input("inp", [1, 2, 0])
 *   .map("invert", (x) => {
 *     if (x === 0) throw new RangeError("zero");
 *     return 1 / x;
 *   })
 *   .output("out", { build: () => ({ writeBatch() {} }) });
 *
 * await assert.rejects(run(flow), (error: unknown) => {
 *   assert.ok(error instanceof StepError);
 *   assert.equal(error.stepId, "demo.invert");
 *   assert.equal(error.item, 0);
 *   return true;
 * });
 * ```
 */
export class StepError extends Error {
  /** The full path of the step that failed, such as `"wordcount.count"`. */
  readonly stepId: string;
  /** The item being processed, when there was one. */
  readonly item: unknown;
  /** The state key, for keyed steps. */
  readonly key: string | undefined;

  /**
   * Makes the error for a failure in the step at `stepId`.
   *
   * @param stepId The full path of the step that failed.
   * @param what What failed, such as `"mapper threw"`.
   * @param options The cause, item and key.
   */
  constructor(stepId: string, what: string, options: StepErrorOptions = {}) {
    const parts = [`Cannot run step "${stepId}": ${what}`];
    if (options.key !== undefined) parts.push(`key ${describeValue(options.key)}`);
    if ("item" in options) parts.push(`item ${describeValue(options.item)}`);
    if (options.cause !== undefined) {
      const cause = options.cause instanceof Error
        ? `${options.cause.name}: ${options.cause.message}`
        : describeValue(options.cause);
      parts.push(cause);
    }
    super(parts.join("; "), { cause: options.cause });
    this.name = "StepError";
    this.stepId = stepId;
    this.item = options.item;
    this.key = options.key;
  }
}

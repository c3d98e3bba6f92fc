/**
 * Step ids and their paths.
 *
 * A step id names one step within its parent; the dot is the path separator,
 * so `flow.step.sub` is the step `sub` inside the composite `step` of the
 * flow `flow`. Errors, logs, graph pictures and snapshot keys use the path.
 *
 * @module
 */

const ID_PATTERN = /^[^.\s]+$/u;

/**
 * Checks one id segment (a flow id or a step id).
 *
 * @param what `"flow id"` or `"step id"`, for the message.
 * @param id The id to check.
 * @returns The id.
 * @throws {TypeError} When `id` is not a non-empty string without dots or white space.
 */
export function checkId(what: string, id: unknown): string {
  if (typeof id !== "string") {
    throw new TypeError(`Cannot use ${what}: expected a string, got ${typeof id}`);
  }
  if (!ID_PATTERN.test(id)) {
    throw new TypeError(
      `Cannot use ${what} ${
        JSON.stringify(id)
      }: ids must be non-empty and contain no "." or white space`,
    );
  }
  return id;
}

/** Joins a parent path and a step id: `joinPath("flow", "step")` is `"flow.step"`. */
export function joinPath(parent: string, id: string): string {
  return `${parent}.${id}`;
}

/**
 * Steps that route items between streams: `branch` splits one in two,
 * `merge` interleaves several, `redistribute` spreads items over workers.
 *
 * @module
 */

import { checkCallback } from "../_errors.ts";
import { addStep, checkInputs, outputOf, portOf, stepPath } from "../_stream_core.ts";

/** `stream.branch(id, predicate)`: the streams of the items it accepts and of the rest. */
export function branch<S>(
  up: object,
  id: string,
  predicate: unknown,
): { trues: S; falses: S } {
  checkCallback(stepPath(up, id), "predicate", predicate);
  const trues = addStep<S>(up, id, (path, port) => ({
    kind: "branch",
    path,
    up: port,
    predicate: predicate as (item: unknown) => boolean,
  }), "trues");
  return { trues, falses: outputOf<S>(up, portOf(trues as object).node, "falses") };
}

/** `stream.merge(id, ...others)`. */
export function merge<R>(up: object, id: string, others: readonly unknown[]): R {
  checkInputs(up, id, others, "stream");
  return addStep(up, id, (path, port) => ({
    kind: "merge",
    path,
    ups: [port, ...others.map((other) => portOf(other as object))],
  }));
}

/** `stream.redistribute(id)`. */
export function redistribute<R>(up: object, id: string): R {
  return addStep(up, id, (path, port) => ({ kind: "redistribute", path, up: port }));
}

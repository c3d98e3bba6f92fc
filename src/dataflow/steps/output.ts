/**
 * The steps that end a stream: `output` writes it to a sink, `raises`
 * fails the run if anything reaches it.
 *
 * @module
 */

import { addStep, stepPath } from "../_stream_core.ts";
import { StepError } from "../errors.ts";
import { isDynamicSink, isFixedPartitionedSink, type Sink } from "../outputs.ts";
import { checkId } from "../step_id.ts";

/** `stream.output(id, sink)`. */
export function output(up: object, id: string, sink: unknown): void {
  if (!isDynamicSink(sink as Sink<unknown>) && !isFixedPartitionedSink(sink as Sink<unknown>)) {
    throw new TypeError(
      `Cannot add output step "${
        stepPath(up, checkId("step id", id))
      }": expected a DynamicSink or a FixedPartitionedSink, got ${
        sink === null ? "null" : typeof sink
      }`,
    );
  }
  addStep(
    up,
    id,
    (path, port) => ({ kind: "output", path, up: port, sink: sink as Sink<unknown> }),
  );
}

/** `stream.raises(id)`. */
export function raises(up: object, id: string): void {
  addStep(up, id, (path, port) => ({ kind: "output", path, up: port, sink: raisingSink(path) }));
}

/** A sink that fails with the first item it is given. */
function raisingSink(path: string): Sink<unknown> {
  return {
    build: () => ({
      writeBatch(batch: readonly unknown[]): void {
        if (batch.length > 0) {
          throw new StepError(path, "an item reached a raises step", { item: batch[0] });
        }
      },
    }),
  };
}

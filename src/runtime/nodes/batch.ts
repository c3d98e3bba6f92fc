/**
 * Stateless batch steps, fused: a chain of `flatMapBatch` nodes with no
 * fan-out between them runs as one step, each batch passing through every
 * function in one synchronous call (operator chaining, as Flink calls it).
 *
 * @module
 */

import type { BatchFn } from "../../dataflow/graph.ts";
import { isBatch, type Message, type MessageStream } from "../message.ts";

/**
 * Applies `fns` in order to every batch; control messages pass unchanged.
 *
 * @param fns The chain's batch functions, upstream first.
 * @param input The stream to transform.
 * @returns The transformed stream; empty batches are dropped.
 */
export async function* batchStep(
  fns: readonly BatchFn[],
  input: MessageStream,
): AsyncGenerator<Message, void, undefined> {
  for await (const message of input) {
    if (!isBatch(message)) {
      yield message;
      continue;
    }
    let batch = message;
    for (let i = 0; i < fns.length && batch.length > 0; i++) batch = fns[i]!(batch);
    if (batch.length > 0) yield batch;
  }
}

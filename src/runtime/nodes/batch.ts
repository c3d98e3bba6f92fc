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
 * A fused chain's stream: its input and its functions, so that an output
 * reading it can apply them in its own loop instead of through one more
 * async step per batch. Iterated, it is the transformed stream.
 */
export class BatchStream implements AsyncIterable<Message> {
  /**
   * @param fns The chain's batch functions, upstream first.
   * @param input The stream they transform.
   */
  constructor(readonly fns: readonly BatchFn[], readonly input: MessageStream) {}

  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return batchStep(this.fns, this.input);
  }
}

/**
 * Applies `fns` in order to `batch`, stopping once it is empty.
 *
 * @param fns Batch functions, upstream first.
 * @param batch A batch.
 * @returns The transformed batch, maybe empty.
 */
export function applyBatchFns(
  fns: readonly BatchFn[],
  batch: readonly unknown[],
): readonly unknown[] {
  for (let i = 0; i < fns.length && batch.length > 0; i++) batch = fns[i]!(batch);
  return batch;
}

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
    const batch = applyBatchFns(fns, message);
    if (batch.length > 0) yield batch;
  }
}

/**
 * The keyed-fold step: per-key plain-value state in one map, updated a
 * batch at a time by the node's {@linkcode KeyedFold}.
 *
 * @module
 */

import type { KeyedFold } from "../../dataflow/graph.ts";
import { mergeSideBatches, SideBatch } from "../merge_messages.ts";
import { isBatch, type Message, type MessageStream } from "../message.ts";

/**
 * Runs a keyed-fold node on one worker: each batch is folded into the
 * step's state and what it emits goes out as one batch; control
 * messages pass on in order. Several inputs are merged as by a merge step
 * (barriers aligned, the least watermark of the inputs not idle), each
 * batch keeping its input's index. At end of input the fold's `onEof` runs
 * once and the map is dropped.
 *
 * @param fold The node's fold, compiled.
 * @param inputs The keyed streams, in the node's order.
 * @returns The stream of emitted items.
 */
export async function* keyedFoldStep(
  fold: KeyedFold<unknown>,
  inputs: readonly MessageStream[],
): AsyncGenerator<Message, void, undefined> {
  const state = fold.init();
  if (inputs.length === 1) {
    for await (const message of inputs[0]!) {
      if (!isBatch(message)) {
        yield message;
        continue;
      }
      const out: unknown[] = [];
      fold.onBatch(state, message, out, 0);
      if (out.length > 0) yield out;
    }
  } else {
    for await (const message of mergeSideBatches(inputs)) {
      if (!(message instanceof SideBatch)) {
        yield message;
        continue;
      }
      const out: unknown[] = [];
      fold.onBatch(state, message.batch, out, message.side);
      if (out.length > 0) yield out;
    }
  }
  if (fold.onEof) {
    const out: unknown[] = [];
    fold.onEof(state, out);
    if (out.length > 0) yield out;
  }
}

/**
 * The inspect-debug step: shows each item with its epoch and worker.
 *
 * @module
 */

import { callbackError } from "../../dataflow/_errors.ts";
import type { InspectDebugNode } from "../../dataflow/graph.ts";
import type { WorkerContext } from "../context.ts";
import { Barrier, isBatch, type Message, type MessageStream } from "../message.ts";

/**
 * Calls the node's inspector for every item, tracking the epoch from the
 * barriers that pass: items before barrier `e` belong to epoch `e`.
 *
 * @param node The node.
 * @param input Its input.
 * @param ctx The worker.
 * @returns The input, unchanged.
 */
export async function* inspectDebugStep(
  node: InspectDebugNode,
  input: MessageStream,
  ctx: WorkerContext,
): AsyncGenerator<Message, void, undefined> {
  const { path, inspector } = node;
  let epoch = 1;
  for await (const message of input) {
    if (isBatch(message)) {
      let i = 0;
      try {
        for (; i < message.length; i++) inspector(path, message[i], epoch, ctx.workerIndex);
      } catch (error) {
        throw callbackError(path, "inspector", message[i], error);
      }
    } else if (message instanceof Barrier) {
      epoch = message.epoch + 1;
    }
    yield message;
  }
}

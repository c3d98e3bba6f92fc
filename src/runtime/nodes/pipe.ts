/**
 * The pipe step: an item-level async transformer inside a batch dataflow.
 *
 * @module
 */

import { callbackError } from "../../dataflow/_errors.ts";
import type { PipeNode } from "../../dataflow/graph.ts";
import { close } from "../../../operators/_close.ts";
import { deferred } from "../_async.ts";
import { type Control, isBatch, type Message, type MessageStream } from "../message.ts";

const CONTROL: unique symbol = Symbol("control");

/**
 * Feeds the transformer items one at a time and yields what it produces,
 * one item per batch (such a step works item by item; built-in steps are
 * faster).
 *
 * A control message is forwarded as soon as the transformer asks for the
 * input after it: everything the transformer yielded before that goes
 * first, everything after goes after. The transformer is closed when the
 * step's consumer stops.
 *
 * @param node The node.
 * @param input Its input.
 * @returns The transformer's items, with the controls in between.
 */
export async function* pipeStep(
  node: PipeNode,
  input: MessageStream,
): AsyncGenerator<Message, void, undefined> {
  const controls: Control[] = [];
  let controlArrived = deferred<typeof CONTROL>();

  // The step holds the input itself, so it can close it even if the
  // transformer never read it.
  const source = input[Symbol.asyncIterator]();
  let reading = false;
  let sourceDone = false;
  async function* items(): AsyncGenerator<unknown, void, undefined> {
    while (true) {
      reading = true;
      const result = await source.next();
      reading = false;
      if (result.done) {
        sourceDone = true;
        return;
      }
      const message = result.value;
      if (isBatch(message)) {
        for (let i = 0; i < message.length; i++) yield message[i];
      } else {
        controls.push(message);
        controlArrived.resolve(CONTROL);
      }
    }
  }

  let output: AsyncIterator<unknown>;
  try {
    output = node.transformer(items())[Symbol.asyncIterator]();
  } catch (error) {
    throw callbackError(node.path, "transformer", undefined, error);
  }
  let finished = false;
  try {
    while (true) {
      const next = output.next();
      let result: IteratorResult<unknown> | typeof CONTROL;
      do {
        try {
          result = await Promise.race([next, controlArrived.promise]);
        } catch (error) {
          throw callbackError(node.path, "transformer", undefined, error);
        }
        if (controls.length > 0) {
          controlArrived = deferred();
          yield* controls.splice(0);
        }
      } while (result === CONTROL);
      if (result.done) {
        finished = true;
        return;
      }
      yield [result.value];
    }
  } finally {
    if (!finished) await output.return?.();
    if (!sourceDone) await close(source, reading);
  }
}

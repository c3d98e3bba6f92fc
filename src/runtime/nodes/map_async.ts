/**
 * The async-map step: awaits an async function per item with bounded
 * concurrency.
 *
 * @module
 */

import { callbackError } from "../../dataflow/_errors.ts";
import type { MapAsyncNode } from "../../dataflow/graph.ts";
import { close } from "../../../operators/_close.ts";
import { deferred } from "../_async.ts";
import type { WorkerContext } from "../context.ts";
import { type Control, isBatch, type Message, type MessageStream } from "../message.ts";

interface Slot {
  readonly item: unknown;
  state: "pending" | "done" | "failed";
  result: unknown;
}

const WOKE: unique symbol = Symbol("woke");

/**
 * Starts the mapper on up to `concurrency` items at once, across batch
 * boundaries, and emits results as they are ready: in input order when
 * `ordered`, else in completion order. A control message waits until every
 * item before it has been emitted, so epochs stay aligned. The first failure
 * stops the step with a `StepError` naming the item.
 *
 * @param node The node.
 * @param input Its input.
 * @param ctx The worker; its signal is passed to the mapper.
 * @returns The results.
 */
export async function* mapAsyncStep(
  node: MapAsyncNode,
  input: MessageStream,
  ctx: WorkerContext,
): AsyncGenerator<Message, void, undefined> {
  const { path, mapper, concurrency, ordered } = node;
  const slots: Slot[] = [];
  let running = 0;
  let wake = deferred();

  const start = (item: unknown): void => {
    const slot: Slot = { item, state: "pending", result: undefined };
    slots.push(slot);
    running++;
    let promise: Promise<unknown>;
    try {
      promise = Promise.resolve(mapper(item, ctx.signal));
    } catch (error) {
      promise = Promise.reject(error);
    }
    promise.then(
      (value) => {
        slot.state = "done";
        slot.result = value;
        running--;
        wake.resolve();
      },
      (error) => {
        slot.state = "failed";
        slot.result = error;
        running--;
        wake.resolve();
      },
    );
  };

  const takeReady = (): unknown[] => {
    const out: unknown[] = [];
    const take = (slot: Slot) => {
      if (slot.state === "failed") throw callbackError(path, "mapper", slot.item, slot.result);
      out.push(slot.result);
    };
    if (ordered) {
      while (slots.length > 0 && slots[0]!.state !== "pending") take(slots.shift()!);
    } else {
      let kept = 0;
      for (const slot of slots) {
        if (slot.state === "pending") slots[kept++] = slot;
        else take(slot);
      }
      slots.length = kept;
    }
    return out;
  };

  const iterator = input[Symbol.asyncIterator]();
  let next: Promise<IteratorResult<Message>> | undefined;
  let buffer: readonly unknown[] = [];
  let position = 0;
  let control: Control | undefined;
  let inputDone = false;
  try {
    while (true) {
      while (position < buffer.length && running < concurrency) start(buffer[position++]);
      const out = takeReady();
      if (out.length > 0) yield out;
      const idle = slots.length === 0 && position >= buffer.length;
      if (control !== undefined && idle) {
        yield control;
        control = undefined;
        continue;
      }
      if (control !== undefined || position < buffer.length || (inputDone && !idle)) {
        await wake.promise;
        wake = deferred();
        continue;
      }
      if (inputDone) return;
      next ??= iterator.next();
      const arrived = running > 0
        ? await Promise.race([next, wake.promise.then((): typeof WOKE => WOKE)])
        : await next;
      if (arrived === WOKE) {
        wake = deferred();
        continue;
      }
      next = undefined;
      if (arrived.done) inputDone = true;
      else if (isBatch(arrived.value)) {
        buffer = arrived.value;
        position = 0;
      } else control = arrived.value;
    }
  } finally {
    if (!inputDone) await close(iterator, next !== undefined);
  }
}

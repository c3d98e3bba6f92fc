/**
 * Fan-in: several runtime streams into one.
 *
 * @module
 */

import { close } from "../../operators/_close.ts";
import { deferred } from "./_async.ts";
import {
  Barrier,
  type Control,
  isBatch,
  type Message,
  type MessageStream,
  Watermark,
} from "./message.ts";
import { Alignment } from "./progress/mod.ts";

type Arrival<T> =
  | { index: number; result: IteratorResult<Message<T>> }
  | { index: number; error: unknown };

/**
 * Merges runtime streams, pulling all of them at once.
 *
 * - Batches pass in arrival order; order within each input is kept.
 * - Bounded: at most one pending `next()` per input.
 * - Control messages follow the {@linkcode Alignment} rules: barriers are
 *   aligned (once an input delivers barrier `e` it is not read again until
 *   every other running input has delivered `e` too; then `e` passes on
 *   once); the output watermark is the minimum over the inputs that are
 *   neither idle nor ended; the output is idle while every input is.
 * - The first error from any input ends the merge; the others are closed.
 *
 * @param inputs The streams to merge.
 * @returns One stream.
 */
export function mergeMessages<T>(
  inputs: readonly MessageStream<T>[],
): AsyncGenerator<Message<T>, void, undefined> {
  if (inputs.length === 1) return passThrough(inputs[0]!);
  return merge(inputs, (_, batch) => batch);
}

/** A batch with the index of the input it came from. */
export class SideBatch<T = unknown> {
  /**
   * @param side The input's index.
   * @param batch The batch.
   */
  constructor(readonly side: number, readonly batch: readonly T[]) {}
}

/**
 * {@linkcode mergeMessages}, with each batch wrapped in a
 * {@linkcode SideBatch} naming its input, for steps that treat their inputs
 * apart (a join's sides).
 *
 * @param inputs The streams to merge.
 * @returns One stream of side-tagged batches and control messages.
 */
export function mergeSideBatches<T>(
  inputs: readonly MessageStream<T>[],
): AsyncGenerator<SideBatch<T> | Control, void, undefined> {
  return merge(inputs, (side, batch) => new SideBatch(side, batch));
}

async function* passThrough<T>(
  input: MessageStream<T>,
): AsyncGenerator<Message<T>, void, undefined> {
  yield* input;
}

async function* merge<T, B>(
  inputs: readonly MessageStream<T>[],
  wrap: (index: number, batch: readonly T[]) => B,
): AsyncGenerator<B | Control, void, undefined> {
  const iterators = inputs.map((input) => input[Symbol.asyncIterator]());
  const count = iterators.length;
  const arrivals: Arrival<T>[] = [];
  const pending: boolean[] = new Array(count).fill(false);
  const ended: boolean[] = new Array(count).fill(false);
  const alignment = new Alignment(count);
  const out: Control[] = [];
  let wake = deferred();

  const pull = (index: number): void => {
    pending[index] = true;
    iterators[index]!.next().then(
      (result) => {
        pending[index] = false;
        arrivals.push({ index, result });
        wake.resolve();
      },
      (error) => {
        pending[index] = false;
        arrivals.push({ index, error });
        wake.resolve();
      },
    );
  };

  for (let i = 0; i < count; i++) pull(i);
  try {
    while (alignment.live > 0) {
      if (arrivals.length === 0) {
        await wake.promise;
        wake = deferred();
        continue;
      }
      const arrival = arrivals.shift()!;
      if ("error" in arrival) throw arrival.error;
      const { index, result } = arrival;
      if (result.done) {
        ended[index] = true;
        for (const released of alignment.end(index, out)) pull(released);
      } else {
        const message = result.value;
        if (isBatch(message)) {
          pull(index);
          yield wrap(index, message);
          continue;
        }
        if (message instanceof Barrier) {
          // The input is read again only once the barrier is aligned.
          for (const released of alignment.barrier(index, message.epoch, out)) pull(released);
        } else {
          if (message instanceof Watermark) alignment.watermark(index, message.time, out);
          else alignment.status(index, message.idle, out);
          pull(index);
        }
      }
      if (out.length > 0) yield* out.splice(0);
    }
  } finally {
    for (let i = 0; i < count; i++) {
      if (ended[i]) continue;
      await close(iterators[i]!, pending[i]!);
    }
  }
}

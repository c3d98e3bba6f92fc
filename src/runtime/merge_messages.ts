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

type Arrival<T> =
  | { index: number; result: IteratorResult<Message<T>> }
  | { index: number; error: unknown };

/**
 * Merges runtime streams, pulling all of them at once.
 *
 * - Batches pass in arrival order; order within each input is kept.
 * - Bounded: at most one pending `next()` per input.
 * - Barriers are aligned: once an input delivers barrier `e` it is not read
 *   again until every other live input has delivered `e` too; then `e` passes
 *   on once.
 * - Watermarks: the output watermark is the minimum over the inputs (an
 *   ended input no longer holds it back); it passes on when it advances.
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
  const blockedAt: (number | undefined)[] = new Array(count).fill(undefined);
  const watermarks: number[] = new Array(count).fill(-Infinity);
  let outWatermark = -Infinity;
  let wake = deferred();
  let live = count;

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

  // Releases the lowest epoch once every live input has reached a barrier.
  const releaseBarrier = (): Barrier | undefined => {
    let lowest = Infinity;
    for (let i = 0; i < count; i++) {
      if (ended[i]) continue;
      const epoch = blockedAt[i];
      if (epoch === undefined) return undefined;
      if (epoch < lowest) lowest = epoch;
    }
    if (lowest === Infinity) return undefined;
    for (let i = 0; i < count; i++) {
      if (!ended[i] && blockedAt[i] === lowest) {
        blockedAt[i] = undefined;
        pull(i);
      }
    }
    return new Barrier(lowest);
  };

  const advanceWatermark = (): Watermark | undefined => {
    let lowest = Infinity;
    for (let i = 0; i < count; i++) if (watermarks[i]! < lowest) lowest = watermarks[i]!;
    if (lowest > outWatermark && lowest !== Infinity) {
      outWatermark = lowest;
      return new Watermark(lowest);
    }
    return undefined;
  };

  for (let i = 0; i < count; i++) pull(i);
  try {
    while (live > 0) {
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
        live--;
        watermarks[index] = Infinity;
        const barrier = releaseBarrier();
        if (barrier) yield barrier;
        const watermark = advanceWatermark();
        if (watermark) yield watermark;
        continue;
      }
      const message = result.value;
      if (isBatch(message)) {
        pull(index);
        yield wrap(index, message);
      } else if (message instanceof Barrier) {
        blockedAt[index] = message.epoch;
        const barrier = releaseBarrier();
        if (barrier) yield barrier;
      } else {
        if (message.time > watermarks[index]!) watermarks[index] = message.time;
        pull(index);
        const watermark = advanceWatermark();
        if (watermark) yield watermark;
      }
    }
  } finally {
    for (let i = 0; i < count; i++) {
      if (ended[i]) continue;
      await close(iterators[i]!, pending[i]!);
    }
  }
}

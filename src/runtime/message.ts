/**
 * What flows between steps at run time: batches of items, and control
 * messages in order with them.
 *
 * A batch is a read-only array; steps never mutate a batch they receive, so
 * a fan-out can hand the same array to every consumer. End of stream is the
 * end of iteration.
 *
 * @module
 */

/** An epoch boundary: every item before it belongs to `epoch` or earlier. */
export class Barrier {
  /** The epoch that ends here. */
  readonly epoch: number;
  /** @param epoch The epoch that ends here. */
  constructor(epoch: number) {
    this.epoch = epoch;
  }
}

/** A promise that no later item on this stream will have a timestamp before `time`. */
export class Watermark {
  /** Epoch milliseconds. */
  readonly time: number;
  /** @param time Epoch milliseconds. */
  constructor(time: number) {
    this.time = time;
  }
}

/** A control message. */
export type Control = Barrier | Watermark;

/** One message on a runtime stream. */
export type Message<T = unknown> = readonly T[] | Control;

/** A runtime stream: what every step consumes and produces. */
export type MessageStream<T = unknown> = AsyncIterable<Message<T>>;

/** Whether `message` is a batch of items rather than a control message. */
export function isBatch<T>(message: Message<T>): message is readonly T[] {
  return Array.isArray(message);
}

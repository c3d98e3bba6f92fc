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

/**
 * Whether a stream is idle: its producer had nothing for a whole epoch.
 * Until it is `ACTIVE` again (sent just before its next batch), its watermark
 * does not hold back a step that merges it with other streams, as Flink's
 * idleness; barriers still come from it at every epoch tick.
 */
export class StreamStatus {
  /** The stream sends nothing for now. */
  static readonly IDLE: StreamStatus = new StreamStatus(true);
  /** The stream sends items again. */
  static readonly ACTIVE: StreamStatus = new StreamStatus(false);
  /** Whether the stream is idle. */
  readonly idle: boolean;
  private constructor(idle: boolean) {
    this.idle = idle;
  }
}

/** A control message. */
export type Control = Barrier | Watermark | StreamStatus;

/** One message on a runtime stream. */
export type Message<T = unknown> = readonly T[] | Control;

/** A runtime stream: what every step consumes and produces. */
export type MessageStream<T = unknown> = AsyncIterable<Message<T>>;

/** Whether `message` is a batch of items rather than a control message. */
export function isBatch<T>(message: Message<T>): message is readonly T[] {
  return Array.isArray(message);
}

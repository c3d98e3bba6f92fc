/**
 * One direction of traffic between two workers at one exchange.
 *
 * @module
 */

import { deferred } from "../_async.ts";
import { type Control, isBatch, type Message, type MessageStream } from "../message.ts";

/**
 * The sender's and the receiver's end of one channel from one worker to
 * another at one exchange. Batches cost credit; control messages do not.
 */
export interface Channel<T = unknown> {
  /**
   * Sends a batch the channel may keep and append to (the sender built it for
   * this channel). Resolves once the channel has credit again: a slow
   * receiver slows its sender.
   */
  sendBatch(items: T[]): void | Promise<void>;
  /** Sends a control message, in order with the batches; never waits for credit. */
  sendControl(message: Control): void;
  /** The sender is done: the receiver's stream ends after what it holds. */
  end(): void;
  /** The sender failed: the receiver's stream throws `error` after what it holds. */
  fail(error: unknown): void;
  /** Whether the receiver stopped reading; its sender may then stop sending to it. */
  readonly closed: boolean;
  /** The receiving end; read it once. */
  receive(): MessageStream<T>;
}

/** How many batches a channel holds before its sender waits. */
export const CHANNEL_CREDIT = 4;

/**
 * The most items a channel coalesces into one batch it holds: small batches
 * bound for one worker join the last batch waiting there up to this size,
 * so splitting a batch many ways does not send many small messages, and a
 * trickle is never held back waiting for more.
 */
export const COALESCE_LIMIT = 1_024;

/**
 * A channel between two logical workers on one thread: a queue of
 * messages, handed over by reference.
 */
export class InProcessChannel<T = unknown> implements Channel<T> {
  readonly #queue: Message<T>[] = [];
  #batches = 0;
  // The batch last queued, while it is still queued: later batches may join it.
  #open: T[] | undefined;
  #ended = false;
  #failure: { error: unknown } | undefined;
  #closed = false;
  #stopped: { reason: unknown } | undefined;
  #arrived = deferred();
  #taken = deferred();

  /**
   * Ends a wait on either side: the run stopped. One listener on the run's
   * signal stops every channel (a listener per channel would be many).
   *
   * @param reason What either side then throws.
   */
  stop(reason: unknown): void {
    this.#stopped ??= { reason };
    this.#wake();
    this.#credit();
  }

  get closed(): boolean {
    return this.#closed;
  }

  sendBatch(items: T[]): void | Promise<void> {
    if (this.#closed || items.length === 0) return;
    const open = this.#open;
    if (open !== undefined && open.length + items.length <= COALESCE_LIMIT) {
      for (let i = 0; i < items.length; i++) open.push(items[i]!);
      return;
    }
    this.#queue.push(items);
    this.#open = items;
    this.#batches++;
    this.#wake();
    if (this.#batches >= CHANNEL_CREDIT) return this.#waitForCredit();
  }

  async #waitForCredit(): Promise<void> {
    while (this.#batches >= CHANNEL_CREDIT && !this.#closed) {
      if (this.#stopped) throw this.#stopped.reason;
      await this.#taken.promise;
    }
  }

  sendControl(message: Control): void {
    if (this.#closed) return;
    this.#queue.push(message);
    this.#open = undefined;
    this.#wake();
  }

  end(): void {
    this.#ended = true;
    this.#wake();
  }

  fail(error: unknown): void {
    this.#failure ??= { error };
    this.#wake();
  }

  #wake(): void {
    const arrived = this.#arrived;
    this.#arrived = deferred();
    arrived.resolve();
  }

  #credit(): void {
    const taken = this.#taken;
    this.#taken = deferred();
    taken.resolve();
  }

  receive(): MessageStream<T> {
    return this.#read();
  }

  async *#read(): AsyncGenerator<Message<T>, void, undefined> {
    try {
      while (true) {
        if (this.#queue.length > 0) {
          const message = this.#queue.shift()!;
          if (message === this.#open) this.#open = undefined;
          if (isBatch(message)) {
            this.#batches--;
            this.#credit();
          }
          yield message;
          continue;
        }
        if (this.#failure) throw this.#failure.error;
        if (this.#ended) return;
        if (this.#stopped) throw this.#stopped.reason;
        await this.#arrived.promise;
      }
    } finally {
      this.#closed = true;
      this.#queue.length = 0;
      this.#open = undefined;
      this.#credit();
    }
  }
}

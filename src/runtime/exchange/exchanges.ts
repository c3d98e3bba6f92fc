/**
 * The exchanges of one run of logical workers on this thread.
 *
 * @module
 */

import { isThenable } from "../../../operators/_thenable.ts";
import { mergeMessages } from "../merge_messages.ts";
import { isBatch, type MessageStream } from "../message.ts";
import { type Channel, InProcessChannel } from "./channel.ts";
import type { Router } from "./routes.ts";

/** What a worker's planner needs of the transport: one exchange per id. */
export interface Exchanges {
  /**
   * Joins worker `workerIndex` to exchange `id`: `input` is what this worker
   * sends; the result is what it receives from every worker.
   *
   * @param id The exchange, the same on every worker.
   * @param workerIndex This worker.
   * @param input This worker's stream into the exchange.
   * @param router Builds this worker's router.
   * @param target The step the exchange feeds, which a transport that
   *   encodes items names in its errors.
   * @returns The merged stream of this worker's share.
   */
  connect(
    id: string,
    workerIndex: number,
    input: MessageStream,
    router: () => Router | Promise<Router>,
    target?: { readonly path: string; readonly keyed: boolean },
  ): MessageStream;
}

/**
 * Routes one sender's stream into its channels (one per destination), until
 * the stream ends, fails, or every receiver stopped. Never rejects.
 *
 * @param input The sender's stream.
 * @param router Builds its router.
 * @param channels One per destination worker.
 */
export async function pump(
  input: MessageStream,
  router: () => Router | Promise<Router>,
  channels: readonly Channel[],
): Promise<void> {
  const iterator = input[Symbol.asyncIterator]();
  let reading = false;
  try {
    const built = router();
    const route = isThenable(built) ? await built : built;
    while (true) {
      reading = true;
      const result = await iterator.next();
      reading = false;
      if (result.done) break;
      const message = result.value;
      if (isBatch(message)) {
        const parts = route(message);
        for (let d = 0; d < channels.length; d++) {
          const part = parts[d];
          if (part === undefined) continue;
          const waiting = channels[d]!.sendBatch(part);
          if (waiting !== undefined) await waiting;
        }
      } else {
        for (const channel of channels) channel.sendControl(message);
      }
      if (channels.every((channel) => channel.closed)) {
        await iterator.return?.();
        return;
      }
    }
    for (const channel of channels) channel.end();
  } catch (error) {
    for (const channel of channels) channel.fail(error);
    // A failed read ended the input already; otherwise let it go.
    if (!reading) await iterator.return?.().catch(() => {});
  }
}

/**
 * A worker's senders into its exchanges, one {@linkcode pump} per exchange,
 * each started when the worker starts reading what the exchange delivers to it.
 */
export class Pumps {
  readonly #started: Promise<void>[] = [];

  /**
   * What a worker receives from `receiving` (merged), sending `input` into
   * `sending` from the moment it starts reading: the exchange is on its path.
   */
  join(
    input: MessageStream,
    router: () => Router | Promise<Router>,
    sending: readonly Channel[],
    receiving: readonly MessageStream[],
  ): MessageStream {
    const started = this.#started;
    return {
      [Symbol.asyncIterator]() {
        started.push(pump(input, router, sending));
        return mergeMessages(receiving);
      },
    };
  }

  /** Resolves once every sender that started has stopped; a pump never rejects. */
  async settled(): Promise<void> {
    await Promise.all(this.#started);
  }
}

/**
 * The in-process transport: `workerCount` logical workers on this thread,
 * with an {@linkcode InProcessChannel} from every worker to every worker per
 * exchange. Items are handed over by reference, not encoded.
 */
export class InProcessExchanges implements Exchanges {
  readonly #workerCount: number;
  readonly #signal: AbortSignal;
  readonly #exchanges = new Map<string, InProcessChannel[][]>();
  readonly #pumps = new Pumps();

  /**
   * @param workerCount How many workers run.
   * @param signal Ends waits when the run stops.
   */
  constructor(workerCount: number, signal: AbortSignal) {
    this.#workerCount = workerCount;
    this.#signal = signal;
    const stop = () => {
      for (const channels of this.#exchanges.values()) {
        for (const row of channels) for (const channel of row) channel.stop(signal.reason);
      }
    };
    if (signal.aborted) queueMicrotask(stop);
    else signal.addEventListener("abort", stop, { once: true });
  }

  #channels(id: string): InProcessChannel[][] {
    let channels = this.#exchanges.get(id);
    if (!channels) {
      channels = Array.from(
        { length: this.#workerCount },
        () => Array.from({ length: this.#workerCount }, () => new InProcessChannel()),
      );
      this.#exchanges.set(id, channels);
      if (this.#signal.aborted) {
        for (const row of channels) for (const channel of row) channel.stop(this.#signal.reason);
      }
    }
    return channels;
  }

  connect(
    id: string,
    workerIndex: number,
    input: MessageStream,
    router: () => Router | Promise<Router>,
  ): MessageStream {
    const channels = this.#channels(id);
    const receiving = channels.map((row) => row[workerIndex]!.receive());
    return this.#pumps.join(input, router, channels[workerIndex]!, receiving);
  }

  /** Resolves once every sender that started has stopped; a pump never rejects. */
  settled(): Promise<void> {
    return this.#pumps.settled();
  }
}

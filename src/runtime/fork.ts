/**
 * Fan-out: one runtime stream read by several consumers.
 *
 * @module
 */

import { raceAbort } from "../../operators/_abort.ts";
import { deferred } from "./_async.ts";
import type { Message, MessageStream } from "./message.ts";

/** Sends a message to some of the ports; called once per input message. */
export type Route<T> = (
  message: Message<T>,
  emit: (port: number, message: Message) => void,
) => void;

/** How many messages a port may hold before the fork stops reading its input. */
export const FORK_CAPACITY = 4;

/**
 * Splits one runtime stream into several ports, each an independent
 * `MessageStream`. Whichever port's consumer asks first pulls the input; a
 * `route` function decides which ports get each message (all of them for a
 * fan-out, one or the other for a branch).
 *
 * Bounded: the input is not read while any open port holds
 * {@linkcode FORK_CAPACITY} messages, so the slowest consumer sets the pace.
 * A port whose consumer stops (`return()`) is dropped; once every port is
 * closed the input is closed. An input error reaches every port.
 */
export class Fork<T> {
  readonly #input: AsyncIterator<Message<T>>;
  readonly #route: Route<T>;
  readonly #queues: Message[][];
  readonly #open: boolean[];
  #pulling = false;
  #done = false;
  #failed = false;
  #error: unknown;
  #changed = deferred();
  readonly #signal: AbortSignal | undefined;

  /**
   * @param input The stream to split.
   * @param open One entry per port: whether a consumer will read it.
   * @param route Which ports get each message.
   * @param signal Ends waits for a slow port when the run stops.
   */
  constructor(
    input: MessageStream<T>,
    open: readonly boolean[],
    route: Route<T>,
    signal?: AbortSignal,
  ) {
    this.#signal = signal;
    this.#input = input[Symbol.asyncIterator]();
    this.#route = route;
    this.#queues = open.map(() => []);
    this.#open = [...open];
  }

  /**
   * The stream of port `index`; read it once. Its iterator's `return()`
   * closes the port even if it was never read.
   */
  port(index: number): MessageStream {
    const reader = this.#read(index);
    return {
      [Symbol.asyncIterator]: () => ({
        next: () => reader.next(),
        return: async () => {
          await this.#close(index);
          return await reader.return(undefined);
        },
      }),
    };
  }

  async #close(index: number): Promise<void> {
    if (!this.#open[index]) return;
    this.#open[index] = false;
    this.#queues[index]!.length = 0;
    this.#notify();
    if (!this.#done && !this.#failed && !this.#open.includes(true)) {
      this.#done = true;
      await this.#input.return?.();
    }
  }

  #wait(): Promise<void> {
    return this.#signal ? raceAbort(this.#changed.promise, this.#signal) : this.#changed.promise;
  }

  #notify(): void {
    const changed = this.#changed;
    this.#changed = deferred();
    changed.resolve();
  }

  #othersFull(index: number): boolean {
    for (let i = 0; i < this.#queues.length; i++) {
      if (i !== index && this.#open[i] && this.#queues[i]!.length >= FORK_CAPACITY) return true;
    }
    return false;
  }

  async *#read(index: number): AsyncGenerator<Message, void, undefined> {
    const queue = this.#queues[index]!;
    const emit = (port: number, message: Message) => {
      if (this.#open[port]) this.#queues[port]!.push(message);
    };
    try {
      while (true) {
        if (queue.length > 0) {
          const message = queue.shift()!;
          this.#notify();
          yield message;
          continue;
        }
        if (this.#failed) throw this.#error;
        if (this.#done) return;
        if (this.#pulling || this.#othersFull(index)) {
          await this.#wait();
          continue;
        }
        this.#pulling = true;
        let result: IteratorResult<Message<T>>;
        try {
          result = await this.#input.next();
        } catch (error) {
          this.#failed = true;
          this.#error = error;
          throw error;
        } finally {
          this.#pulling = false;
          this.#notify();
        }
        if (result.done) {
          this.#done = true;
          continue;
        }
        try {
          this.#route(result.value, emit);
        } catch (error) {
          this.#failed = true;
          this.#error = error;
          this.#notify();
          await this.#input.return?.();
          throw error;
        }
      }
    } finally {
      await this.#close(index);
    }
  }
}

/** A route that sends every message to every port. */
export function broadcast(count: number): Route<unknown> {
  return (message, emit) => {
    for (let port = 0; port < count; port++) emit(port, message);
  };
}

/**
 * The machinery live feeds share: a bounded buffer between the connection
 * and the flow, reconnecting with backoff, error reporting and counters.
 * Each feed supplies one connection attempt; this file does the rest.
 *
 * @module
 */

import type { NextBatch, StatelessSourcePartition } from "../src/dataflow/inputs.ts";
import { FeedError, type FeedOptions, type FeedStats } from "./feed_error.ts";

/** How one connection ended. */
export type ConnectionEnd = "clean" | "dropped";

/** What a feed gives the shared reader: a way to run one connection. */
export interface Connection {
  /**
   * Opens a connection and delivers its messages until it ends. Rejects if
   * it cannot open (refused, timed out); resolves with how it ended.
   * `signal` aborts it (the run stopped).
   */
  run(deliver: Delivery, signal: AbortSignal): Promise<ConnectionEnd>;
}

/** What a connection calls for each message. */
export interface Delivery {
  /** Called once the connection is open. */
  opened(): void;
  /** Hands over one raw message; parses it. */
  message(raw: unknown): void;
  /** Resolves once the buffer has room (feeds that can pause their reads wait on it). */
  room(): Promise<void>;
}

const WAIT_FOR_DATA_MS = 200;

/** Counters for a new source. */
export function newStats(): FeedStats {
  return { connects: 0, connectErrors: 0, disconnects: 0, received: 0, parseErrors: 0, dropped: 0 };
}

/** Checks the options every feed takes. */
export function checkFeedOptions(what: string, options: FeedOptions): void {
  for (const name of ["bufferSize", "batchSize", "connectTimeout"] as const) {
    const value = options[name];
    if (value !== undefined && (!Number.isInteger(value) || value <= 0)) {
      throw new RangeError(
        `Cannot create ${what}: ${name} must be a positive integer, got ${value}`,
      );
    }
  }
  const { initialDelay, maxDelay, maxAttempts } = options.reconnect ?? {};
  for (const [name, value] of [["initialDelay", initialDelay], ["maxDelay", maxDelay]] as const) {
    if (value !== undefined && !(value >= 0 && Number.isFinite(value))) {
      throw new RangeError(
        `Cannot create ${what}: reconnect.${name} must be a non-negative number, got ${value}`,
      );
    }
  }
  if (maxAttempts !== undefined && !(maxAttempts >= 1)) {
    throw new RangeError(
      `Cannot create ${what}: reconnect.maxAttempts must be at least 1, got ${maxAttempts}`,
    );
  }
}

/**
 * One worker's reader of a feed: keeps the connection going in the
 * background and hands the buffered items to the flow.
 */
export class FeedReader<T> implements StatelessSourcePartition<T | FeedError> {
  readonly #url: string;
  readonly #connection: Connection;
  readonly #parse: (raw: unknown) => T;
  readonly #options: FeedOptions;
  readonly #emitErrors: boolean;
  readonly #stats: FeedStats;
  /** Drop the oldest item when full; otherwise the connection waits for room. */
  readonly #dropOldest: boolean;
  readonly #capacity: number;
  readonly #abort = new AbortController();
  #items: (T | FeedError)[] = [];
  #droppedSinceReport = 0;
  #wakeReader: (() => void) | undefined;
  #wakeWriter: (() => void) | undefined;
  #ended = false;
  #failure: unknown;
  #loop: Promise<void>;

  constructor(
    url: string,
    connection: Connection,
    parse: (raw: unknown) => T,
    options: FeedOptions,
    stats: FeedStats,
    emitErrors: boolean,
    dropOldest: boolean,
  ) {
    this.#url = url;
    this.#connection = connection;
    this.#parse = parse;
    this.#options = options;
    this.#stats = stats;
    this.#emitErrors = emitErrors;
    this.#dropOldest = dropOldest;
    this.#capacity = options.bufferSize ?? 10_000;
    this.#loop = this.#connectLoop();
  }

  async #connectLoop(): Promise<void> {
    const { initialDelay = 100, maxDelay = 5_000, maxAttempts = Infinity } =
      this.#options.reconnect ?? {};
    const signal = this.#abort.signal;
    let failures = 0;
    let lastError: unknown;
    try {
      while (!signal.aborted) {
        let opened = false;
        try {
          const end = await this.#connection.run({
            opened: () => {
              opened = true;
              failures = 0;
              this.#stats.connects++;
            },
            message: (raw) => this.#deliver(raw),
            room: () => this.#room(),
          }, signal);
          if (signal.aborted) return;
          this.#stats.disconnects++;
          if (end === "clean" && this.#options.endOnClose) return;
          this.#report(new FeedError("disconnect", this.#url, `connection ${end}; reconnecting`));
        } catch (error) {
          if (signal.aborted) return;
          lastError = error;
          if (opened) {
            this.#stats.disconnects++;
            this.#report(
              new FeedError("disconnect", this.#url, `connection dropped: ${message(error)}`, {
                cause: error,
              }),
            );
          } else {
            this.#stats.connectErrors++;
            failures++;
            this.#report(
              new FeedError("connect", this.#url, `cannot connect: ${message(error)}`, {
                cause: error,
              }),
            );
            if (failures >= maxAttempts) {
              throw new Error(
                `Cannot read feed ${this.#url}: ${failures} connection attempts in a row failed; the last: ${
                  message(lastError)
                }`,
                { cause: lastError },
              );
            }
          }
        }
        const pause = Math.min(maxDelay, initialDelay * 2 ** Math.max(0, failures - 1));
        await sleep(pause, signal);
      }
    } catch (error) {
      this.#failure = error;
    } finally {
      this.#ended = true;
      this.#wakeReader?.();
    }
  }

  #deliver(raw: unknown): void {
    this.#stats.received++;
    let item: T;
    try {
      item = this.#parse(raw);
    } catch (error) {
      this.#stats.parseErrors++;
      this.#report(
        new FeedError("parse", this.#url, `cannot parse a message: ${message(error)}`, {
          raw,
          cause: error,
        }),
      );
      return;
    }
    this.#push(item);
  }

  #push(item: T | FeedError): void {
    if (this.#items.length >= this.#capacity && this.#dropOldest) {
      this.#items.shift();
      this.#stats.dropped++;
      this.#droppedSinceReport++;
    }
    this.#items.push(item);
    this.#wakeReader?.();
  }

  #report(error: FeedError): void {
    if (this.#emitErrors) this.#push(error);
    else (this.#options.onError ?? console.warn)(error);
  }

  #room(): Promise<void> {
    if (this.#items.length < this.#capacity || this.#abort.signal.aborted) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#wakeWriter = resolve;
    });
  }

  async nextBatch(): Promise<NextBatch<T | FeedError>> {
    if (this.#items.length === 0) {
      if (this.#ended) {
        if (this.#failure !== undefined) throw this.#failure;
        return null;
      }
      // Wait a little for data, so an idle feed is not polled in a busy loop.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, WAIT_FOR_DATA_MS);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.#wakeReader = done;
      });
      this.#wakeReader = undefined;
    }
    const batch = this.#items.splice(0, this.#options.batchSize ?? 1000);
    if (this.#droppedSinceReport > 0) {
      const dropped = this.#droppedSinceReport;
      this.#droppedSinceReport = 0;
      const error = new FeedError(
        "overflow",
        this.#url,
        `dropped ${dropped} items: the buffer of ${this.#capacity} was full (the flow read slower than the feed sent)`,
        { dropped },
      );
      // Ahead of the batch: the drop happened before these items arrived.
      if (this.#emitErrors) batch.unshift(error);
      else (this.#options.onError ?? console.warn)(error);
    }
    this.#wakeWriter?.();
    this.#wakeWriter = undefined;
    return batch;
  }

  async close(): Promise<void> {
    this.#abort.abort();
    this.#wakeReader?.();
    this.#wakeWriter?.();
    await this.#loop;
  }
}

/** A reader for workers other than the first: a feed is one connection. */
export const noReader: StatelessSourcePartition<never> = { nextBatch: () => null };

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Sleeps `ms`, or less when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(finish, ms);
    function finish() {
      clearTimeout(timer);
      signal.removeEventListener("abort", finish);
      resolve();
    }
    signal.addEventListener("abort", finish);
  });
}

/** Turns the `parse` option into a parser of text or bytes. */
export function textParser<T>(
  what: string,
  parse: "text" | "json" | "bytes" | ((data: string | Uint8Array) => T) | undefined,
): (raw: unknown) => T {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const encoder = new TextEncoder();
  const text = (raw: unknown) => typeof raw === "string" ? raw : decoder.decode(raw as Uint8Array);
  switch (parse ?? "text") {
    case "text":
      return text as (raw: unknown) => T;
    case "json":
      return (raw) => JSON.parse(text(raw));
    case "bytes":
      return ((raw: unknown) => typeof raw === "string" ? encoder.encode(raw) : raw) as (
        raw: unknown,
      ) => T;
    default:
      if (typeof parse !== "function") {
        throw new TypeError(
          `Cannot create ${what}: parse must be "text", "json", "bytes" or a function, got ${
            JSON.stringify(parse)
          }`,
        );
      }
      return parse as (raw: unknown) => T;
  }
}

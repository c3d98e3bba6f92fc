/**
 * What live feeds ({@linkcode WebSocketSource}, {@linkcode SSESource}) share
 * in their public surface: {@linkcode FeedError}, the counters in
 * {@linkcode FeedStats}, the reconnect options, and {@linkcode feedInput},
 * which puts a feed's errors on their own stream.
 *
 * @module
 */

import type { Dataflow } from "../src/dataflow/dataflow.ts";
import type { DynamicSource } from "../src/dataflow/inputs.ts";
import type { Stream } from "../src/dataflow/stream.ts";

/**
 * Something that went wrong in a live feed, as an item of
 * {@linkcode feedInput}'s `errs` stream:
 *
 * - `"connect"`: a connection attempt failed or timed out (retried with backoff);
 * - `"disconnect"`: an open connection dropped (reconnected with backoff;
 *   what the server sent meanwhile is lost);
 * - `"parse"`: a message could not be parsed (`raw` holds it; the feed goes on);
 * - `"overflow"`: the buffer was full, so `dropped` oldest items were dropped.
 *
 * @example What an overflow says
 * ```ts
 * import { FeedError } from "@runnel/runnel/connectors";
 * import assert from "node:assert/strict";
 *
 * const error = new FeedError("overflow", "ws://127.0.0.1:8080/", "dropped 3 items", { dropped: 3 });
 * assert.equal(error.message, "ws://127.0.0.1:8080/: dropped 3 items");
 * assert.equal(error.dropped, 3);
 * ```
 */
export class FeedError extends Error {
  /** What went wrong. */
  readonly kind: "connect" | "disconnect" | "parse" | "overflow";
  /** The feed's URL. */
  readonly url: string;
  /** For `"overflow"`: how many items were dropped. */
  readonly dropped: number;
  /** For `"parse"`: the message as received. */
  readonly raw: unknown;

  /**
   * Creates a feed error.
   *
   * @param kind What went wrong.
   * @param url The feed's URL.
   * @param detail What happened, for the message.
   * @param more The dropped count, the raw message, the cause.
   */
  constructor(
    kind: FeedError["kind"],
    url: string,
    detail: string,
    more: { dropped?: number; raw?: unknown; cause?: unknown } = {},
  ) {
    super(`${url}: ${detail}`, more.cause === undefined ? {} : { cause: more.cause });
    this.name = "FeedError";
    this.kind = kind;
    this.url = url;
    this.dropped = more.dropped ?? 0;
    this.raw = more.raw;
  }
}

/**
 * Live counters of a feed source, summed over its connections.
 *
 * @example Reading the counters
 * ```ts
 * import { WebSocketSource } from "@runnel/runnel/connectors";
 * import assert from "node:assert/strict";
 *
 * const source = new WebSocketSource("ws://127.0.0.1:9/");
 * assert.deepEqual(source.stats, {
 *   connects: 0, connectErrors: 0, disconnects: 0, received: 0, parseErrors: 0, dropped: 0,
 * });
 * ```
 */
export interface FeedStats {
  /** Connections opened. */
  connects: number;
  /** Connection attempts that failed or timed out. */
  connectErrors: number;
  /** Open connections that dropped. */
  disconnects: number;
  /** Messages received. */
  received: number;
  /** Messages that could not be parsed. */
  parseErrors: number;
  /** Items dropped because the buffer was full. */
  dropped: number;
}

/**
 * How a feed reconnects: after `initialDelay` ms, doubling up to `maxDelay`
 * per failed attempt, back to `initialDelay` once a connection opens.
 *
 * @example Patient reconnects, giving up after 20 failures in a row
 * ```ts
 * import type { FeedReconnectOptions } from "@runnel/runnel/connectors";
 *
 * const reconnect: FeedReconnectOptions = { initialDelay: 500, maxDelay: 30_000, maxAttempts: 20 };
 * ```
 */
export interface FeedReconnectOptions {
  /** The first pause, in ms. Defaults to `100`. */
  initialDelay?: number;
  /** The longest pause, in ms. Defaults to `5000`. */
  maxDelay?: number;
  /**
   * Failed attempts in a row after which the run stops with an error naming
   * the URL. Defaults to `Infinity`: a feed keeps trying.
   */
  maxAttempts?: number;
}

/**
 * Options every live feed takes ({@linkcode WebSocketSource}, {@linkcode SSESource}).
 *
 * @example A small buffer, a short connect timeout, ending when the server closes
 * ```ts
 * import type { FeedOptions } from "@runnel/runnel/connectors";
 *
 * const options: FeedOptions = { bufferSize: 100, connectTimeout: 2_000, endOnClose: true };
 * ```
 */
export interface FeedOptions {
  /**
   * The most items held between the connection and the flow. Defaults to
   * `10000`. What happens when it is full depends on the feed (see each).
   */
  bufferSize?: number;
  /** The most items per batch handed to the flow. Defaults to `1000`. */
  batchSize?: number;
  /** How to reconnect after a failure. */
  reconnect?: FeedReconnectOptions;
  /**
   * How long a connection attempt may take before it counts as failed, in
   * ms (a server that accepts and never answers). Defaults to `10000`.
   */
  connectTimeout?: number;
  /**
   * End the input when the server closes the connection cleanly, instead
   * of reconnecting. Defaults to `false` (a feed is endless).
   */
  endOnClose?: boolean;
  /**
   * Called with each error of a feed read through `flow.input()`. Defaults
   * to `console.warn`. With `feedInput()` errors go to its `errs` stream.
   */
  onError?: (error: FeedError) => void;
}

/**
 * A feed source whose readers can hand over their errors as items; what
 * {@linkcode feedInput} takes.
 *
 * @example Both feeds are feed sources
 * ```ts
 * import { type FeedSource, SSESource, WebSocketSource } from "@runnel/runnel/connectors";
 * import assert from "node:assert/strict";
 *
 * const feeds: FeedSource<string>[] = [
 *   new WebSocketSource("ws://127.0.0.1:9/"),
 *   new SSESource("http://127.0.0.1:9/"),
 * ];
 * assert.equal(feeds.length, 2);
 * ```
 */
export interface FeedSource<T> extends DynamicSource<T> {
  /** A source reading the same feed whose items include its errors. */
  withErrors(): DynamicSource<T | FeedError>;
}

/**
 * The two streams of {@linkcode feedInput}.
 *
 * @example Typing a function that takes them
 * ```ts
 * import type { FeedInput } from "@runnel/runnel/connectors";
 *
 * function ids(input: FeedInput<string>): string[] {
 *   return [input.oks.stepId, input.errs.stepId];
 * }
 * ```
 */
export interface FeedInput<T> {
  /** The parsed messages. */
  oks: Stream<T>;
  /** Connection errors, parse errors and overflows, as {@linkcode FeedError}s. */
  errs: Stream<FeedError>;
}

/**
 * Reads a live feed with its errors on their own stream, so they can be
 * counted, logged or alerted on in the flow. Adds the input step `id` and a
 * branch `id + "_split"`.
 *
 * @param flow The dataflow to add the input to.
 * @param id The input step's id.
 * @param source A {@linkcode WebSocketSource} or {@linkcode SSESource}.
 * @returns `oks`, the parsed messages, and `errs`, what went wrong.
 *
 * @example The steps it adds
 * ```ts
 * import { Dataflow } from "@runnel/runnel";
 * import { feedInput, WebSocketSource } from "@runnel/runnel/connectors";
 * import assert from "node:assert/strict";
 *
 * const flow = new Dataflow("f");
 * const { oks, errs } = feedInput(flow, "inp", new WebSocketSource("ws://127.0.0.1:9/"));
 * assert.equal(oks.stepId, "f.inp_split");
 * assert.equal(errs.stepId, "f.inp_split");
 * ```
 */
export function feedInput<T>(flow: Dataflow, id: string, source: FeedSource<T>): FeedInput<T> {
  const { trues, falses } = flow.input(id, source.withErrors()).branch(
    `${id}_split`,
    (item): item is FeedError => item instanceof FeedError,
  );
  return { oks: falses as Stream<T>, errs: trues };
}

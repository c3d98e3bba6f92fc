/**
 * {@linkcode WebSocketSource}: the messages of a WebSocket feed.
 *
 * @module
 */

import type { DynamicSource, StatelessSourcePartition } from "../src/dataflow/inputs.ts";
import {
  checkFeedOptions,
  type Connection,
  type ConnectionEnd,
  type Delivery,
  FeedReader,
  newStats,
  noReader,
  textParser,
} from "./_feed.ts";
import type { FeedError, FeedOptions, FeedSource, FeedStats } from "./feed_error.ts";

/**
 * Options for {@linkcode WebSocketSource}.
 *
 * @typeParam T The type of the parsed messages.
 *
 * @example JSON messages, a small buffer, patient reconnects
 * ```ts
 * import { WebSocketSource, type WebSocketSourceOptions } from "@runnel/runnel/connectors";
 * import assert from "node:assert/strict";
 *
 * const options: WebSocketSourceOptions<unknown> = {
 *   parse: "json",
 *   bufferSize: 1000,
 *   reconnect: { initialDelay: 250, maxDelay: 10_000 },
 * };
 * const source = new WebSocketSource("wss://example.com/ticker", options);
 * assert.equal(source.url, "wss://example.com/ticker");
 * ```
 */
export interface WebSocketSourceOptions<T> extends FeedOptions {
  /**
   * How to turn a message into an item: `"text"` (the default; binary
   * messages are decoded as UTF-8), `"json"`, `"bytes"` (`Uint8Array`; text
   * is encoded as UTF-8), or a function of the text or bytes. A message that
   * fails to parse is a `"parse"` {@linkcode FeedError}, not an item.
   */
  parse?: "text" | "json" | "bytes" | ((data: string | Uint8Array) => T);
  /** Subprotocols to offer. */
  protocols?: string | string[];
}

interface WebSocketLike {
  binaryType: string;
  readyState: number;
  addEventListener(type: string, listener: (event: Event) => void): void;
  close(code?: number, reason?: string): void;
}

type WebSocketClass = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** The runtime's WebSocket, or the `ws` package's on runtimes without one (Node 20). */
async function webSocketClass(): Promise<WebSocketClass> {
  const own = (globalThis as { WebSocket?: WebSocketClass }).WebSocket;
  if (own) return own;
  try {
    // A name, not a literal: Deno would otherwise fetch `ws` for every program
    // that imports the connectors, though only Node 20 ever loads it.
    const name = "ws";
    const ws = await import(name);
    return (ws.WebSocket ?? ws.default) as unknown as WebSocketClass;
  } catch (error) {
    throw new Error(
      "Cannot open a WebSocket: this runtime has no WebSocket and the `ws` package cannot be loaded (npm install ws)",
      { cause: error },
    );
  }
}

/**
 * Reads a WebSocket feed: each message becomes an item, parsed as text,
 * JSON, bytes or by a function. Uses the runtime's own `WebSocket` (Deno,
 * Bun, Node 22+), and the `ws` package on Node 20.
 *
 * A dynamic source that only the first worker reads: a feed is one
 * connection, and a second would deliver every message twice.
 *
 * **Not resumable: at-most-once.** A feed cannot be replayed: after a
 * restart, reading goes on from what the server sends then; what it sent
 * while the connection was down is lost.
 *
 * **Reconnects.** When the server closes the connection, it drops, or an
 * attempt fails or takes longer than `connectTimeout` (a server that never
 * answers), the source reconnects after `reconnect.initialDelay` ms,
 * doubling to `reconnect.maxDelay`, forever unless `reconnect.maxAttempts`
 * failures in a row stop the run with an error naming the URL. With
 * `endOnClose`, a clean close by the server ends the input instead.
 *
 * **Backpressure: drop-oldest.** The WebSocket API cannot pause reading, so
 * messages wait in a buffer of `bufferSize` items; when the flow reads slower
 * than the feed sends and the buffer is full, the oldest item is dropped and
 * counted, and an `"overflow"` {@linkcode FeedError} says how many.
 *
 * **Errors are counted and never silent**: each connection failure, drop,
 * unparsable message and overflow is counted in
 * {@linkcode WebSocketSource.stats} and reported as a {@linkcode FeedError}:
 * to `options.onError` (default `console.warn`), or as items of the `errs`
 * stream when read through {@linkcode feedInput}. Stopping the run (its
 * abort signal) closes the connection at once, whatever state it is in.
 *
 * @typeParam T The type of the parsed messages.
 *
 * @example Ticks from a feed, until the server closes (not run: needs a server)
 * ```ts ignore
 * import { Dataflow, run } from "@runnel/runnel";
 * import { StdOutSink, WebSocketSource } from "@runnel/runnel/connectors";
 *
 * const flow = new Dataflow("ticks");
 * flow.input("ticks", new WebSocketSource<{ price: number }>("ws://127.0.0.1:8080/", {
 *   parse: "json",
 *   endOnClose: true,
 * }))
 *   .map("price", (tick) => tick.price)
 *   .output("out", new StdOutSink());
 * await run(flow);
 * ```
 *
 * @example A server that is not there, tried three times
 * ```ts
 * import { Dataflow, run } from "@runnel/runnel";
 * import { type FeedError, WebSocketSource } from "@runnel/runnel/connectors";
 * import assert from "node:assert/strict";
 *
 * const errors: FeedError[] = [];
 * // Port 9 on the loopback: nothing listens, so every attempt is refused.
 * const source = new WebSocketSource("ws://127.0.0.1:9/", {
 *   reconnect: { initialDelay: 1, maxAttempts: 3 },
 *   onError: (error) => errors.push(error),
 * });
 * const flow = new Dataflow("f");
 * flow.input("inp", source).output("out", { build: () => ({ writeBatch() {} }) });
 * await assert.rejects(run(flow), /3 connection attempts in a row failed/);
 * assert.equal(source.stats.connectErrors, 3);
 * assert.deepEqual(errors.map((e) => e.kind), ["connect", "connect", "connect"]);
 * ```
 */
export class WebSocketSource<T = string> implements FeedSource<T> {
  readonly #url: string;
  readonly #options: WebSocketSourceOptions<T>;
  readonly #parse: (raw: unknown) => T;
  readonly #stats: FeedStats = newStats();

  /**
   * Creates a source; nothing connects until the flow runs.
   *
   * @param url A `ws:` or `wss:` URL.
   * @param options Parsing, buffering and reconnecting.
   * @throws {TypeError} When the URL is not a WebSocket URL, or `parse` is unknown.
   * @throws {RangeError} When a size, timeout or delay is out of range.
   */
  constructor(url: string | URL, options: WebSocketSourceOptions<T> = {}) {
    const parsed = URL.canParse(String(url)) ? new URL(String(url)) : undefined;
    if (!parsed || (parsed.protocol !== "ws:" && parsed.protocol !== "wss:")) {
      throw new TypeError(
        `Cannot create a WebSocket source: the URL must be ws: or wss:, got ${
          JSON.stringify(String(url))
        }`,
      );
    }
    checkFeedOptions("a WebSocket source", options);
    this.#url = parsed.href;
    this.#options = { ...options };
    this.#parse = textParser("a WebSocket source", options.parse);
  }

  /** The feed's URL. */
  get url(): string {
    return this.#url;
  }

  /** Live counters: connections, failures, messages, parse errors, drops. */
  get stats(): FeedStats {
    return this.#stats;
  }

  /**
   * Builds the reader: connected on worker 0, empty elsewhere.
   *
   * @param _stepId The input step's id (unused).
   * @param workerIndex This worker.
   * @returns The reader.
   */
  build(_stepId: string, workerIndex: number): StatelessSourcePartition<T> {
    return this.#build(workerIndex, false) as StatelessSourcePartition<T>;
  }

  /**
   * The same feed, with its errors as items (what {@linkcode feedInput} reads).
   *
   * @returns A source whose items are messages and {@linkcode FeedError}s.
   */
  withErrors(): DynamicSource<T | FeedError> {
    return { build: (_stepId, workerIndex) => this.#build(workerIndex, true) };
  }

  #build(workerIndex: number, emitErrors: boolean): StatelessSourcePartition<T | FeedError> {
    if (workerIndex !== 0) return noReader;
    const connection = new WebSocketConnection(this.#url, this.#options);
    return new FeedReader(
      this.#url,
      connection,
      this.#parse,
      this.#options,
      this.#stats,
      emitErrors,
      true,
    );
  }
}

class WebSocketConnection implements Connection {
  readonly #url: string;
  readonly #options: WebSocketSourceOptions<unknown>;

  constructor(url: string, options: WebSocketSourceOptions<unknown>) {
    this.#url = url;
    this.#options = options;
  }

  async run(deliver: Delivery, signal: AbortSignal): Promise<ConnectionEnd> {
    const WebSocket = await webSocketClass();
    const socket = new WebSocket(this.#url, this.#options.protocols);
    socket.binaryType = "arraybuffer";
    return await new Promise<ConnectionEnd>((resolve, reject) => {
      let open = false;
      let settled = false;
      const finish = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        outcome();
      };
      const timeout = this.#options.connectTimeout ?? 10_000;
      const timer = setTimeout(() => {
        if (open) return;
        finish(() => reject(new Error(`no answer within ${timeout} ms`)));
        socket.close();
      }, timeout);
      const onAbort = () => {
        finish(() => resolve("clean"));
        socket.close(1000);
      };
      signal.addEventListener("abort", onAbort);
      socket.addEventListener("open", () => {
        open = true;
        clearTimeout(timer);
        deliver.opened();
      });
      socket.addEventListener("message", (event) => {
        const { data } = event as MessageEvent;
        deliver.message(data instanceof ArrayBuffer ? new Uint8Array(data) : data);
      });
      socket.addEventListener("error", (event) => {
        const error = (event as ErrorEvent).error ?? (event as ErrorEvent).message ??
          "WebSocket error";
        finish(() => reject(error instanceof Error ? error : new Error(String(error))));
      });
      socket.addEventListener("close", (event) => {
        const { code } = event as CloseEvent;
        if (!open) {
          finish(() => reject(new Error(`closed before it opened (code ${code})`)));
        } else {
          finish(() => resolve(code === 1000 ? "clean" : "dropped"));
        }
      });
    });
  }
}

/**
 * {@linkcode SSESource}: the events of a Server-Sent Events stream.
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
} from "./_feed.ts";
import type { FeedError, FeedOptions, FeedSource, FeedStats } from "./feed_error.ts";

/**
 * One Server-Sent Event, as a `parse` function gets it.
 *
 * @example The fields of an event
 * ```ts
 * import type { SSEEvent } from "@runnel/runnel/connectors";
 *
 * const event: SSEEvent = { data: '{"n":1}', event: "tick", id: "41" };
 * ```
 */
export interface SSEEvent {
  /** The data lines, joined with `\n`. */
  data: string;
  /** The event type; `"message"` when the server named none. */
  event: string;
  /** The last event id the server sent (`""` if none). */
  id: string;
}

/**
 * Options for {@linkcode SSESource}.
 *
 * @typeParam T The type of the parsed events.
 *
 * @example JSON data of "tick" events only, with a header
 * ```ts
 * import { SSESource, type SSESourceOptions } from "@runnel/runnel/connectors";
 * import assert from "node:assert/strict";
 *
 * const options: SSESourceOptions<unknown> = {
 *   parse: "json",
 *   events: ["tick"],
 *   headers: { authorization: "Bearer token" },
 * };
 * assert.equal(new SSESource("https://example.com/events", options).url, "https://example.com/events");
 * ```
 */
export interface SSESourceOptions<T> extends FeedOptions {
  /**
   * How to turn an event into an item: `"text"` (the default: its data),
   * `"json"` (its data parsed), or a function of the {@linkcode SSEEvent}.
   * An event that fails to parse is a `"parse"` {@linkcode FeedError}.
   */
  parse?: "text" | "json" | ((event: SSEEvent) => T);
  /** Only events of these types; all by default. */
  events?: readonly string[];
  /** Extra request headers (authorization, …). */
  headers?: Record<string, string>;
}

/**
 * Reads a [Server-Sent Events](https://html.spec.whatwg.org/multipage/server-sent-events.html)
 * stream with the runtime's `fetch`: each event becomes an item (its data as
 * text, parsed as JSON, or made by a function of the whole event).
 *
 * A dynamic source that only the first worker reads: a stream is one
 * connection, and a second would deliver every event twice.
 *
 * **Resume: at-most-once, unless the server replays.** runnel keeps no
 * position for a feed. Within a run, a reconnect sends the last event id in
 * `Last-Event-ID`, so a server that keeps history resends what was missed;
 * one that does not loses what it sent while the connection was down.
 *
 * **Reconnects** as {@linkcode WebSocketSource} does (backoff from
 * `reconnect.initialDelay` to `reconnect.maxDelay`, `connectTimeout` for a
 * server that never answers, `endOnClose`); a `retry:` field from the server
 * sets the first pause. A response that is not `200` with
 * `text/event-stream` is a failed attempt.
 *
 * **Backpressure: pause.** Unlike a WebSocket, a response body is read on
 * demand: when `bufferSize` items wait for the flow, the source stops
 * reading and TCP slows the server down. Nothing is dropped.
 *
 * Errors are counted in {@linkcode SSESource.stats} and reported as
 * {@linkcode FeedError}s, to `options.onError` or, through
 * {@linkcode feedInput}, on the `errs` stream. Stopping the run closes the
 * connection at once.
 *
 * @typeParam T The type of the parsed events.
 *
 * @example Prices from an event stream, until it ends (not run: needs a server)
 * ```ts ignore
 * import { Dataflow, run } from "@runnel/runnel";
 * import { SSESource, StdOutSink } from "@runnel/runnel/connectors";
 *
 * const flow = new Dataflow("prices");
 * flow.input("inp", new SSESource<{ price: number }>("http://127.0.0.1:8080/prices", {
 *   parse: "json",
 *   endOnClose: true,
 * }))
 *   .map("price", (tick) => tick.price)
 *   .output("out", new StdOutSink());
 * await run(flow);
 * ```
 *
 * @example Only http: and https: URLs
 * ```ts
 * import { SSESource } from "@runnel/runnel/connectors";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => new SSESource("ws://127.0.0.1:8080/"), /must be http: or https:/);
 * ```
 */
export class SSESource<T = string> implements FeedSource<T> {
  readonly #url: string;
  readonly #options: SSESourceOptions<T>;
  readonly #parse: (raw: unknown) => T;
  readonly #stats: FeedStats = newStats();

  /**
   * Creates a source; nothing connects until the flow runs.
   *
   * @param url An `http:` or `https:` URL.
   * @param options Parsing, filtering, buffering and reconnecting.
   * @throws {TypeError} When the URL is not http(s), or `parse` is unknown.
   * @throws {RangeError} When a size, timeout or delay is out of range.
   */
  constructor(url: string | URL, options: SSESourceOptions<T> = {}) {
    const parsed = URL.canParse(String(url)) ? new URL(String(url)) : undefined;
    if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
      throw new TypeError(
        `Cannot create an SSE source: the URL must be http: or https:, got ${
          JSON.stringify(String(url))
        }`,
      );
    }
    checkFeedOptions("an SSE source", options);
    const { parse = "text" } = options;
    if (parse !== "text" && parse !== "json" && typeof parse !== "function") {
      throw new TypeError(
        `Cannot create an SSE source: parse must be "text", "json" or a function, got ${
          JSON.stringify(parse)
        }`,
      );
    }
    this.#url = parsed.href;
    this.#options = { ...options };
    this.#parse = (raw) => {
      const event = raw as SSEEvent;
      if (parse === "text") return event.data as T;
      if (parse === "json") return JSON.parse(event.data) as T;
      return parse(event);
    };
  }

  /** The stream's URL. */
  get url(): string {
    return this.#url;
  }

  /** Live counters: connections, failures, events, parse errors. */
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
   * The same stream, with its errors as items (what {@linkcode feedInput} reads).
   *
   * @returns A source whose items are events and {@linkcode FeedError}s.
   */
  withErrors(): DynamicSource<T | FeedError> {
    return { build: (_stepId, workerIndex) => this.#build(workerIndex, true) };
  }

  #build(workerIndex: number, emitErrors: boolean): StatelessSourcePartition<T | FeedError> {
    if (workerIndex !== 0) return noReader;
    return new FeedReader(
      this.#url,
      new SSEConnection(this.#url, this.#options),
      this.#parse,
      this.#options,
      this.#stats,
      emitErrors,
      false,
    );
  }
}

class SSEConnection implements Connection {
  readonly #url: string;
  readonly #options: SSESourceOptions<unknown>;
  #lastEventId = "";

  constructor(url: string, options: SSESourceOptions<unknown>) {
    this.#url = url;
    this.#options = options;
  }

  async run(deliver: Delivery, signal: AbortSignal): Promise<ConnectionEnd> {
    const timeout = this.#options.connectTimeout ?? 10_000;
    const attempt = new AbortController();
    const onAbort = () => attempt.abort(signal.reason);
    signal.addEventListener("abort", onAbort);
    const timer = setTimeout(
      () => attempt.abort(new Error(`no answer within ${timeout} ms`)),
      timeout,
    );
    try {
      let response: Response;
      try {
        response = await fetch(this.#url, {
          headers: {
            accept: "text/event-stream",
            "cache-control": "no-cache",
            ...(this.#lastEventId ? { "last-event-id": this.#lastEventId } : {}),
            ...this.#options.headers,
          },
          signal: attempt.signal,
        });
      } catch (error) {
        throw attempt.signal.aborted && !signal.aborted ? attempt.signal.reason : error;
      } finally {
        clearTimeout(timer);
      }
      const type = response.headers.get("content-type") ?? "";
      if (response.status !== 200 || !type.startsWith("text/event-stream")) {
        await response.body?.cancel().catch(() => {});
        throw new Error(
          `expected 200 with text/event-stream, got ${response.status} with ${
            JSON.stringify(type)
          }`,
        );
      }
      deliver.opened();
      return await this.#read(response.body!, deliver, signal);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  async #read(
    body: ReadableStream<Uint8Array>,
    deliver: Delivery,
    signal: AbortSignal,
  ): Promise<ConnectionEnd> {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    const onAbort = () => void reader.cancel().catch(() => {});
    signal.addEventListener("abort", onAbort);
    const wanted = this.#options.events ? new Set(this.#options.events) : undefined;
    let pending = "";
    let data: string[] = [];
    let event = "";
    try {
      while (true) {
        // Read only when the flow has room: the server waits behind TCP meanwhile.
        await deliver.room();
        const { value, done } = await reader.read();
        if (done) return "clean";
        pending += value;
        const lines = pending.split(/\r\n|\r|\n/);
        pending = lines.pop()!;
        for (const line of lines) {
          if (line === "") {
            // A blank line dispatches the event gathered so far.
            if (data.length > 0 && (!wanted || wanted.has(event || "message"))) {
              deliver.message({
                data: data.join("\n"),
                event: event || "message",
                id: this.#lastEventId,
              });
            }
            data = [];
            event = "";
            continue;
          }
          if (line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const field = colon === -1 ? line : line.slice(0, colon);
          let text = colon === -1 ? "" : line.slice(colon + 1);
          if (text.startsWith(" ")) text = text.slice(1);
          if (field === "data") data.push(text);
          else if (field === "event") event = text;
          else if (field === "id" && !text.includes("\0")) this.#lastEventId = text;
        }
      }
    } catch (error) {
      if (signal.aborted) return "clean";
      throw error;
    } finally {
      signal.removeEventListener("abort", onAbort);
      await reader.cancel().catch(() => {});
    }
  }
}

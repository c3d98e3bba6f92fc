/**
 * {@linkcode KafkaSink}: every worker produces to a topic.
 *
 * @module
 */

import { Producer } from "@platformatic/kafka";
import type { DynamicSink, StatelessSinkPartition } from "../../src/dataflow/outputs.ts";
import {
  checkConnection,
  clientOptions,
  DEFAULT_RECONNECT_TIMEOUT_MS,
  describe,
  type KafkaConnection,
  toBuffer,
  topicMetadata,
  withReconnect,
} from "./_client.ts";

/**
 * One message to produce. Strings are written as UTF-8.
 *
 * @example A keyed message with a header
 * ```ts
 * import type { KafkaSinkMessage } from "@runnel/runnel/kafka";
 * import assert from "node:assert/strict";
 *
 * const message: KafkaSinkMessage = { key: "user-1", value: '{"n":1}', headers: { v: "2" } };
 * assert.equal(message.key, "user-1");
 * ```
 */
export interface KafkaSinkMessage {
  /** The key; the broker's default partitioner hashes it. `null` or absent: no key. */
  key?: string | Uint8Array | null;
  /** The value; `null` writes a tombstone. */
  value: string | Uint8Array | null;
  /** Headers, by name. */
  headers?: Record<string, string | Uint8Array>;
  /** A partition to write to, instead of the one the key picks. */
  partition?: number;
}

/**
 * What {@linkcode KafkaSink} accepts: a message object, or a `[key, value]`
 * pair as keyed streams carry.
 *
 * @example Both shapes
 * ```ts
 * import type { KafkaSinkItem } from "@runnel/runnel/kafka";
 *
 * const items: KafkaSinkItem[] = [["word", "3"], { key: null, value: "no key" }];
 * ```
 */
export type KafkaSinkItem =
  | KafkaSinkMessage
  | readonly [string | Uint8Array | null, string | Uint8Array | null];

/**
 * Options for {@linkcode KafkaSink}.
 *
 * @example gzip, in produce requests of at most 500 messages
 * ```ts
 * import { KafkaSink, type KafkaSinkOptions } from "@runnel/runnel/kafka";
 * import assert from "node:assert/strict";
 *
 * const options: KafkaSinkOptions = {
 *   brokers: ["127.0.0.1:9092"],
 *   topic: "counts",
 *   compression: "gzip",
 *   batchSize: 500,
 * };
 * assert.equal(new KafkaSink(options).topic, "counts");
 * ```
 */
export interface KafkaSinkOptions extends KafkaConnection {
  /** The topic to write to. It must exist: runnel does not create topics. */
  topic: string;
  /** Compression of produce requests. Defaults to `"none"`. */
  compression?: "none" | "gzip" | "snappy" | "lz4" | "zstd";
  /** The most messages per produce request; a larger batch is split. Defaults to `10000`. */
  batchSize?: number;
  /**
   * Acknowledgements to wait for: `-1` (all in-sync replicas, the default),
   * `1` (the leader), or `0` (none: fire and forget, no delivery guarantee).
   */
  acks?: -1 | 0 | 1;
  /**
   * Whether the producer is idempotent: the broker drops a batch it already
   * wrote when the client sends it again after a lost answer or a partial
   * failure, so retries within a run add no duplicates. Defaults to `true`
   * with `acks: -1`, which it needs; `false` otherwise.
   */
  idempotent?: boolean;
}

/**
 * Writes to a Kafka topic. A dynamic sink: every worker builds its own
 * producer and writes the items it has, so writing scales with workers.
 *
 * Items are {@linkcode KafkaSinkMessage}s or `[key, value]` pairs; strings
 * are written as UTF-8, and the key picks the partition (the broker's
 * default murmur2 partitioner) unless a message names one.
 *
 * **Delivery: at-least-once.** A batch is written before the output step
 * takes the next one: `writeBatch()` resolves only once the broker has
 * acknowledged every message in it (`acks: -1` by default), so an epoch's
 * barrier never passes the sink with messages unacknowledged. After a crash,
 * the messages of epochs after the last snapshot are written again: consumers
 * see duplicates, never gaps. A broker lost mid-run is retried with backoff
 * for `client.reconnectTimeout`. The producer is idempotent by default, so
 * the broker drops a batch the client sends twice within a run (a retry after
 * a lost acknowledgement or a partial failure); only a resumed run repeats
 * output.
 *
 * A topic that does not exist, or brokers that do not answer, fail when the
 * sink is built, with an error naming them.
 *
 * @example Word counts written as `[word, count]` (needs a broker, so not run here)
 * ```ts ignore
 * import { Dataflow, run } from "@runnel/runnel";
 * import { KafkaSink } from "@runnel/runnel/kafka";
 *
 * const flow = new Dataflow("counts");
 * flow.input("inp", ["a", "b", "a"])
 *   .countFinal("count", (word) => word)
 *   .map("pair", ([word, n]) => [word, String(n)] as [string, string])
 *   .output("out", new KafkaSink({ brokers: ["127.0.0.1:9092"], topic: "counts" }));
 * await run(flow);
 * ```
 *
 * @example Options are checked when it is made
 * ```ts
 * import { KafkaSink } from "@runnel/runnel/kafka";
 * import assert from "node:assert/strict";
 *
 * assert.throws(
 *   () => new KafkaSink({ brokers: ["localhost"], topic: "t" }),
 *   /a broker must be "host:port", got "localhost"/,
 * );
 * ```
 */
export class KafkaSink implements DynamicSink<KafkaSinkItem> {
  readonly #options: KafkaSinkOptions;

  /**
   * Creates a sink; nothing connects until the flow runs.
   *
   * @param options Brokers, topic and how to write.
   * @throws {TypeError} When brokers or the topic are missing or malformed.
   * @throws {RangeError} When `batchSize`, `acks` or `compression` is out of range.
   */
  constructor(options: KafkaSinkOptions) {
    checkConnection("a Kafka sink", options);
    if (typeof options.topic !== "string" || options.topic === "") {
      throw new TypeError(
        `Cannot create a Kafka sink: topic must be a topic name, got ${
          JSON.stringify(options.topic)
        }`,
      );
    }
    const { batchSize, acks, compression } = options;
    if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize <= 0)) {
      throw new RangeError(
        `Cannot create a Kafka sink: batchSize must be a positive integer, got ${batchSize}`,
      );
    }
    if (acks !== undefined && acks !== -1 && acks !== 0 && acks !== 1) {
      throw new RangeError(`Cannot create a Kafka sink: acks must be -1, 0 or 1, got ${acks}`);
    }
    if (options.idempotent === true && (acks ?? -1) !== -1) {
      throw new RangeError(
        `Cannot create a Kafka sink: an idempotent producer needs acks: -1, got ${acks}`,
      );
    }
    if (
      compression !== undefined &&
      !["none", "gzip", "snappy", "lz4", "zstd"].includes(compression)
    ) {
      throw new RangeError(
        `Cannot create a Kafka sink: compression must be none, gzip, snappy, lz4 or zstd, got ${
          JSON.stringify(compression)
        }`,
      );
    }
    this.#options = { ...options };
  }

  /** The topic this sink writes to. */
  get topic(): string {
    return this.#options.topic;
  }

  /**
   * Connects this worker's producer and checks that the topic exists.
   *
   * @param stepId The output step's id, for the client id.
   * @param workerIndex This worker.
   * @returns The writer.
   * @throws {Error} Naming the brokers when none answers, or the topic when it does not exist.
   */
  async build(stepId: string, workerIndex: number): Promise<StatelessSinkPartition<KafkaSinkItem>> {
    const { brokers, topic } = this.#options;
    const { acks = -1, idempotent = acks === -1 } = this.#options;
    const producer = new Producer({
      ...clientOptions(this.#options, `sink-${stepId}-${workerIndex}`),
      idempotent,
    });
    try {
      await topicMetadata(producer, [topic], brokers, "write to");
    } catch (error) {
      await producer.close().catch(() => {});
      throw error;
    }
    return new KafkaWriter(producer, this.#options);
  }
}

class KafkaWriter implements StatelessSinkPartition<KafkaSinkItem> {
  readonly #producer: Producer;
  readonly #options: KafkaSinkOptions;

  constructor(producer: Producer, options: KafkaSinkOptions) {
    this.#producer = producer;
    this.#options = options;
  }

  async writeBatch(items: readonly KafkaSinkItem[]): Promise<void> {
    const { topic, batchSize = 10_000, acks = -1, compression = "none", client = {} } =
      this.#options;
    for (let start = 0; start < items.length; start += batchSize) {
      const messages = items.slice(start, start + batchSize).map((item) => toMessage(topic, item));
      try {
        await withReconnect(
          () => this.#producer.send({ messages, acks, compression }),
          client.reconnectTimeout ?? DEFAULT_RECONNECT_TIMEOUT_MS,
        );
      } catch (error) {
        throw new Error(
          `Cannot write ${messages.length} messages to Kafka topic ${JSON.stringify(topic)} on ${
            this.#options.brokers.join(", ")
          }: ${describe(error)}`,
          { cause: error },
        );
      }
    }
  }

  async close(): Promise<void> {
    await this.#producer.close();
  }
}

function toMessage(topic: string, item: KafkaSinkItem) {
  let key: string | Uint8Array | null | undefined;
  let value: string | Uint8Array | null;
  let headers: Record<string, string | Uint8Array> | undefined;
  let partition: number | undefined;
  if (Array.isArray(item)) {
    [key, value] = item;
  } else if (item !== null && typeof item === "object" && "value" in item) {
    ({ key, value, headers, partition } = item as KafkaSinkMessage);
  } else {
    throw new TypeError(
      `Cannot write to Kafka topic ${
        JSON.stringify(topic)
      }: an item must be { key?, value, headers? } or a [key, value] pair, got ${
        typeof item === "object" ? JSON.stringify(item) : String(item)
      }`,
    );
  }
  return {
    topic,
    ...(key === null || key === undefined ? {} : { key: toBuffer(key) }),
    // The client writes an absent value as a null one (a tombstone).
    ...(value === null ? {} : { value: toBuffer(value) }),
    ...(headers
      ? {
        // The client takes header names as bytes, too.
        headers: new Map(
          Object.entries(headers).map(([name, v]) => [toBuffer(name), toBuffer(v)]),
        ),
      }
      : {}),
    ...(partition === undefined ? {} : { partition }),
  };
}

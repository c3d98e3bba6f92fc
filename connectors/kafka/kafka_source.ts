/**
 * {@linkcode KafkaSource}: topic partitions as a fixed-partitioned source,
 * and {@linkcode kafkaInput}, which splits broken messages onto their own
 * stream.
 *
 * @module
 */

import { Consumer } from "@platformatic/kafka";
import type { Dataflow } from "../../src/dataflow/dataflow.ts";
import type { Stream } from "../../src/dataflow/stream.ts";
import type {
  FixedPartitionedSource,
  NextBatch,
  StatefulSourcePartition,
} from "../../src/dataflow/inputs.ts";
import {
  checkConnection,
  clientOptions,
  DEFAULT_RECONNECT_TIMEOUT_MS,
  describe,
  type KafkaConnection,
  protocolErrorId,
  toBytes,
  topicMetadata,
  withReconnect,
} from "./_client.ts";
import { type Deserializer, type KafkaMessage, KafkaSourceError } from "./kafka_message.ts";

/**
 * Options for {@linkcode KafkaSource}.
 *
 * @typeParam K The key's type after deserialization.
 * @typeParam V The value's type after deserialization.
 *
 * @example Reading JSON values from the start of two topics, to their end
 * ```ts
 * import { jsonDeserializer, KafkaSource, type KafkaSourceOptions } from "@runnel/runnel/kafka";
 * import assert from "node:assert/strict";
 *
 * const options: KafkaSourceOptions<Uint8Array, unknown> = {
 *   brokers: ["127.0.0.1:9092"],
 *   topics: ["clicks", "views"],
 *   startingOffset: "earliest",
 *   tail: false,
 *   value: jsonDeserializer,
 * };
 * assert.deepEqual(new KafkaSource(options).topics, ["clicks", "views"]);
 * ```
 */
export interface KafkaSourceOptions<K = Uint8Array, V = Uint8Array> extends KafkaConnection {
  /** The topics to read; every partition of each becomes a source partition. */
  topics: readonly string[];
  /**
   * Where a partition starts when there is no snapshot to resume from:
   * `"earliest"` (the default), `"latest"` (only new messages), or a time
   * (epoch ms or `Date`): the first message at or after it.
   */
  startingOffset?: "earliest" | "latest" | number | Date;
  /**
   * `true` (the default) keeps polling at the end of a partition for new
   * messages, forever. `false` ends each partition at the high-water mark
   * seen when it was built, so a batch job or a test finishes.
   */
  tail?: boolean;
  /** The most messages per batch handed to the flow. Defaults to `1000`. */
  batchSize?: number;
  /** The most bytes one fetch asks a partition for. Defaults to 1 MiB. */
  fetchMaxBytes?: number;
  /** How long the broker may hold a fetch when there is nothing new, in ms. Defaults to `500`. */
  fetchMaxWait?: number;
  /** Turns the key's bytes into a value; without it keys stay `Uint8Array`. */
  key?: Deserializer<K>;
  /** Turns the value's bytes into a value; without it values stay `Uint8Array`. */
  value?: Deserializer<V>;
}

/** Where a topic partition is, as the broker's metadata says. */
interface PartitionInfo {
  topic: string;
  topicId: string;
  partition: number;
}

/**
 * The sources made by `kafkaInput()`, whose partitions hand over a message
 * they could not deserialize as an item; the others throw.
 */
// deno-lint-ignore no-explicit-any
const emitsErrors = new WeakSet<KafkaSource<any, any>>();

/** A partition is named `"<topic>/<partition>"`; topics cannot contain `/`. */
function partName(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}

function parsePart(name: string): [string, number] {
  const slash = name.lastIndexOf("/");
  const partition = Number(name.slice(slash + 1));
  if (slash <= 0 || !Number.isInteger(partition) || partition < 0) {
    throw new RangeError(
      `Cannot build a Kafka source partition: expected "<topic>/<partition>", got ${
        JSON.stringify(name)
      }`,
    );
  }
  return [name.slice(0, slash), partition];
}

/**
 * Reads Kafka topics: a fixed-partitioned source with one partition per
 * topic partition (named `"<topic>/<partition>"`), dealt to the workers as
 * every partitioned source is.
 *
 * **Items** are {@linkcode KafkaMessage}s, with `Uint8Array` keys and values
 * unless `key` / `value` deserializers are given. A message a deserializer
 * throws on stops the run with an error naming its topic, partition and
 * offset; read through {@linkcode kafkaInput} instead, it goes to the `errs`
 * stream and the run goes on. Nothing is dropped silently.
 *
 * **Resume: exactly-once input.** A partition's snapshot is the offset of
 * the next message to hand over, so a run resumed from a snapshot continues
 * just after the last message the snapshot covered. Consumer-group offsets
 * are neither read nor committed: runnel's snapshots are the source of
 * truth, and no consumer group is joined.
 *
 * **Batches and backpressure.** Each partition keeps one fetch in flight
 * ahead of the flow and hands over at most `batchSize` messages per poll;
 * it fetches more only as the flow takes them.
 *
 * **Faults.** Brokers that do not answer when the source lists partitions
 * fail after a few attempts with an error naming them; a topic that does not
 * exist is an error naming it (topics are never created). A broker lost
 * mid-run (a restart, a leader moving) is retried with backoff for
 * `client.reconnectTimeout` (2 minutes by default); the partition goes on
 * from the offset it had, so no message is skipped. An offset that is no
 * longer on the broker (deleted by retention) stops the run, naming it.
 * Aborted transactional messages are not filtered out (reads are
 * read-uncommitted); control records are.
 *
 * Runs on Deno, Bun and Node 20.19.4+ (the client's minimum).
 *
 * @typeParam K The key's type after deserialization.
 * @typeParam V The value's type after deserialization.
 *
 * @example A word count over a topic (needs a broker, so not run here)
 * ```ts ignore
 * import { Dataflow, run } from "@runnel/runnel";
 * import { StdOutSink } from "@runnel/runnel/connectors";
 * import { KafkaSource, stringDeserializer } from "@runnel/runnel/kafka";
 *
 * const flow = new Dataflow("wordcount");
 * flow.input("lines", new KafkaSource({
 *   brokers: ["127.0.0.1:9092"],
 *   topics: ["lines"],
 *   tail: false,
 *   value: stringDeserializer,
 * }))
 *   .flatMap("words", (message) => (message.value ?? "").split(/\s+/))
 *   .countFinal("count", (word) => word)
 *   .output("out", new StdOutSink());
 * await run(flow);
 * ```
 *
 * @example Partition names, without a broker
 * ```ts
 * import { KafkaSource } from "@runnel/runnel/kafka";
 * import assert from "node:assert/strict";
 *
 * const source = new KafkaSource({ brokers: ["127.0.0.1:9092"], topics: ["orders"] });
 * await assert.rejects(
 *   async () => await source.buildPart("flow.inp", "orders", undefined),
 *   /expected "<topic>\/<partition>", got "orders"/,
 * );
 * ```
 */
export class KafkaSource<K = Uint8Array, V = Uint8Array>
  implements FixedPartitionedSource<KafkaMessage<K, V>, number> {
  readonly #options: KafkaSourceOptions<K, V>;

  /**
   * Creates a source; nothing connects until the flow runs.
   *
   * @param options Brokers, topics and how to read them.
   * @throws {TypeError} When brokers or topics are missing or malformed.
   * @throws {RangeError} When a count or size is not a positive integer.
   */
  constructor(options: KafkaSourceOptions<K, V>) {
    checkConnection("a Kafka source", options);
    const { topics } = options;
    if (
      !Array.isArray(topics) || topics.length === 0 ||
      topics.some((topic) => typeof topic !== "string" || topic === "" || topic.includes("/"))
    ) {
      throw new TypeError(
        `Cannot create a Kafka source: topics must be a non-empty array of topic names, got ${
          JSON.stringify(topics)
        }`,
      );
    }
    for (const name of ["batchSize", "fetchMaxBytes", "fetchMaxWait"] as const) {
      const value = options[name];
      if (value !== undefined && (!Number.isInteger(value) || value <= 0)) {
        throw new RangeError(
          `Cannot create a Kafka source: ${name} must be a positive integer, got ${value}`,
        );
      }
    }
    const start = options.startingOffset;
    if (
      start !== undefined && start !== "earliest" && start !== "latest" &&
      !(start instanceof Date && !Number.isNaN(+start)) &&
      !(typeof start === "number" && Number.isFinite(start) && start >= 0)
    ) {
      throw new RangeError(
        `Cannot create a Kafka source: startingOffset must be "earliest", "latest" or a time, got ${
          JSON.stringify(start)
        }`,
      );
    }
    this.#options = { ...options, topics: [...topics] };
  }

  /** The topics this source reads. */
  get topics(): readonly string[] {
    return this.#options.topics;
  }

  /**
   * Asks the brokers for the topics' partitions.
   *
   * @returns `"<topic>/<partition>"` for every partition of every topic.
   * @throws {Error} Naming the brokers when none answers, or naming a topic that does not exist.
   */
  async listParts(): Promise<string[]> {
    const infos = await this.#metadata();
    return infos.map((info) => partName(info.topic, info.partition));
  }

  async #metadata(consumer?: Consumer): Promise<PartitionInfo[]> {
    const { brokers, topics } = this.#options;
    const client = consumer ?? this.#consumer("metadata");
    try {
      const metadata = await topicMetadata(client, topics, brokers, "read");
      const infos: PartitionInfo[] = [];
      for (const topic of topics) {
        const found = metadata.get(topic)!;
        for (let partition = 0; partition < found.partitionsCount; partition++) {
          infos.push({ topic, topicId: found.id, partition });
        }
      }
      return infos;
    } finally {
      if (!consumer) await client.close().catch(() => {});
    }
  }

  #consumer(role: string): Consumer {
    return new Consumer({
      ...clientOptions(this.#options, `source-${role}`),
      // Required by the client's constructor; runnel never joins the group.
      groupId: `runnel-${role}`,
    });
  }

  /**
   * Opens one topic partition at the snapshot's offset, or at
   * `startingOffset` on a fresh start.
   *
   * @param stepId The input step's id, for the client id.
   * @param forPart `"<topic>/<partition>"`, as {@linkcode KafkaSource.listParts} names it.
   * @param resumeState The next offset to read, from a snapshot.
   * @returns The partition reader.
   */
  async buildPart(
    stepId: string,
    forPart: string,
    resumeState: number | undefined,
  ): Promise<StatefulSourcePartition<KafkaMessage<K, V>, number>> {
    const [topic, partition] = parsePart(forPart);
    if (
      resumeState !== undefined && (!Number.isSafeInteger(resumeState) || resumeState < 0)
    ) {
      throw new RangeError(
        `Cannot resume Kafka partition "${forPart}": the snapshot must be an offset, got ${
          JSON.stringify(resumeState)
        }`,
      );
    }
    const consumer = this.#consumer(`${stepId}-${forPart}`);
    try {
      const infos = await this.#metadata(consumer);
      const info = infos.find((i) => i.topic === topic && i.partition === partition);
      if (!info) {
        throw new RangeError(
          `Cannot read Kafka topic ${JSON.stringify(topic)}: it has no partition ${partition}`,
        );
      }
      const start = resumeState ?? await this.#offsetAt(consumer, info, this.#startTime());
      const end = this.#options.tail === false
        ? await this.#offsetAt(consumer, info, -1n)
        : undefined;
      // In kafkaInput()'s sources the items include errors; that function types its stream so.
      return new KafkaPartition<K, V>(
        consumer,
        info,
        start,
        end,
        this.#options,
        emitsErrors.has(this),
      ) as StatefulSourcePartition<KafkaMessage<K, V>, number>;
    } catch (error) {
      await consumer.close().catch(() => {});
      throw error;
    }
  }

  #startTime(): bigint {
    const start = this.#options.startingOffset ?? "earliest";
    if (start === "earliest") return -2n;
    if (start === "latest") return -1n;
    return BigInt(Math.floor(+start));
  }

  /** The offset for a time (-1n: the end, -2n: the start); past the end for a later time. */
  async #offsetAt(consumer: Consumer, info: PartitionInfo, time: bigint): Promise<number> {
    const { topic, partition } = info;
    const offsets = await consumer.listOffsets({
      topics: [topic],
      partitions: { [topic]: [partition] },
      timestamp: time,
    });
    const offset = offsets.get(topic)?.[partition];
    if (offset === undefined) {
      throw new Error(`Cannot read Kafka topic "${topic}" partition ${partition}: no offsets`);
    }
    // No message at or after the time: start at the end.
    if (offset < 0n) return this.#offsetAt(consumer, info, -1n);
    return Number(offset);
  }
}

// Most messages have no headers: they share one frozen empty list instead of allocating one each.
const NO_HEADERS: readonly (readonly [string, Uint8Array | null])[] = Object.freeze([]);

/** What one fetch brought, already converted. */
interface Fetched<T> {
  items: T[];
  /** The offset after the last record the fetch covered. */
  next: number;
}

class KafkaPartition<K, V>
  implements StatefulSourcePartition<KafkaMessage<K, V> | KafkaSourceError, number> {
  readonly #consumer: Consumer;
  readonly #info: PartitionInfo;
  readonly #end: number | undefined;
  readonly #options: KafkaSourceOptions<K, V>;
  readonly #emitErrors: boolean;
  readonly #batchSize: number;
  readonly #abort = new AbortController();
  /** The offset of the next message to hand over: the snapshot. */
  #next: number;
  /** The offset the next fetch starts at. */
  #fetchAt: number;
  #inFlight: Promise<Fetched<KafkaMessage<K, V> | KafkaSourceError>> | undefined;
  /** The partition's leader while fetches from it succeed. */
  #leader: number | undefined;
  #buffer: (KafkaMessage<K, V> | KafkaSourceError)[] = [];
  /** How much of #buffer was handed over. */
  #taken = 0;
  /** Where #next goes once the buffer is empty. */
  #bufferEnd: number;

  constructor(
    consumer: Consumer,
    info: PartitionInfo,
    start: number,
    end: number | undefined,
    options: KafkaSourceOptions<K, V>,
    emitErrors: boolean,
  ) {
    this.#consumer = consumer;
    this.#info = info;
    this.#next = this.#fetchAt = this.#bufferEnd = start;
    this.#end = end;
    this.#options = options;
    this.#emitErrors = emitErrors;
    this.#batchSize = options.batchSize ?? 1000;
  }

  #done(): boolean {
    return this.#end !== undefined && this.#fetchAt >= this.#end;
  }

  async nextBatch(): Promise<NextBatch<KafkaMessage<K, V> | KafkaSourceError>> {
    if (this.#taken === this.#buffer.length) {
      if (this.#done()) return null;
      const fetched = await (this.#inFlight ?? this.#fetch());
      this.#inFlight = undefined;
      this.#buffer = fetched.items;
      this.#taken = 0;
      this.#bufferEnd = fetched.next;
      if (this.#buffer.length === 0) this.#next = this.#bufferEnd;
    }
    // Fetch ahead while the flow works on this batch.
    if (this.#inFlight === undefined && !this.#done()) this.#inFlight = this.#fetch();
    const start = this.#taken;
    this.#taken = Math.min(this.#buffer.length, start + this.#batchSize);
    const batch = start === 0 && this.#taken === this.#buffer.length
      ? this.#buffer
      : this.#buffer.slice(start, this.#taken);
    this.#next = this.#taken === this.#buffer.length
      ? this.#bufferEnd
      : offsetOf(this.#buffer[this.#taken]!);
    return batch;
  }

  snapshot(): number {
    return this.#next;
  }

  async close(): Promise<void> {
    this.#abort.abort();
    // A fetch in flight is abandoned; its error (the client closing) is not the run's.
    this.#inFlight?.catch(() => {});
    // Forced: a fetch still waiting on the broker must not hold the close.
    await (this.#consumer.close(true) as unknown as Promise<void>).catch(() => {});
  }

  #fetch(): Promise<Fetched<KafkaMessage<K, V> | KafkaSourceError>> {
    const at = this.#fetchAt;
    const promise = this.#fetchOnce(at).then((fetched) => {
      this.#fetchAt = fetched.next;
      return fetched;
    });
    // Rejections are seen when nextBatch() awaits it; until then do not report them.
    promise.catch(() => {});
    return promise;
  }

  /** The broker leading this partition, from fresh metadata. */
  async #findLeader(): Promise<number> {
    const { topic, partition } = this.#info;
    const metadata = await this.#consumer.metadata({ topics: [topic], forceUpdate: true });
    const leader = metadata.topics.get(topic)?.partitions[partition]?.leader;
    if (leader === undefined || leader < 0) {
      // Retried: a partition without a leader gets one after an election.
      throw Object.assign(new Error(`partition ${partition} has no leader`), { canRetry: true });
    }
    return leader;
  }

  async #fetchOnce(at: number): Promise<Fetched<KafkaMessage<K, V> | KafkaSourceError>> {
    const { topic, topicId, partition } = this.#info;
    const { fetchMaxBytes = 1 << 20, fetchMaxWait = 500, client = {} } = this.#options;
    let response;
    try {
      response = await withReconnect(
        async () => {
          // Kept only while fetches succeed: after a failure the leader may have moved.
          const leader = this.#leader ?? await this.#findLeader();
          this.#leader = undefined;
          const fetched = await this.#consumer.fetch({
            node: leader,
            maxWaitTime: fetchMaxWait,
            minBytes: 1,
            maxBytes: fetchMaxBytes,
            topics: [{
              topicId,
              partitions: [{
                partition,
                fetchOffset: BigInt(at),
                currentLeaderEpoch: -1,
                lastFetchedEpoch: -1,
                partitionMaxBytes: fetchMaxBytes,
              }],
            }],
          });
          this.#leader = leader;
          return fetched;
        },
        client.reconnectTimeout ?? DEFAULT_RECONNECT_TIMEOUT_MS,
        this.#abort.signal,
      );
    } catch (error) {
      const where = `Kafka topic ${JSON.stringify(topic)} partition ${partition} at offset ${at}`;
      if (protocolErrorId(error, "OFFSET_OUT_OF_RANGE")) {
        throw new RangeError(
          `Cannot read ${where}: the offset is not on the broker (deleted by retention, or past the end)`,
          { cause: error },
        );
      }
      throw new Error(
        `Cannot read ${where} from ${this.#options.brokers.join(", ")}: ${describe(error)}`,
        { cause: error },
      );
    }
    const items: (KafkaMessage<K, V> | KafkaSourceError)[] = [];
    let next = at;
    const { key: keyFn, value: valueFn } = this.#options;
    for (const topicResponse of response.responses) {
      for (const part of topicResponse.partitions) {
        if (part.partitionIndex !== partition) continue;
        for (const batch of part.records ?? []) {
          const batchEnd = Number(batch.firstOffset) + batch.lastOffsetDelta + 1;
          // Control batches (transaction markers) hold no messages.
          if ((batch.attributes & 0x20) === 0) {
            const logAppendTime = (batch.attributes & 0x08) !== 0;
            const first = Number(batch.firstOffset);
            // Numbers once per batch: BigInt arithmetic per message would allocate.
            const firstTimestamp = Number(batch.firstTimestamp);
            const appendTime = Number(batch.maxTimestamp);
            for (const record of batch.records) {
              const offset = first + record.offsetDelta;
              // A fetch returns whole batches: skip what came before the offset asked for.
              if (offset < next) continue;
              if (this.#end !== undefined && offset >= this.#end) break;
              const timestamp = logAppendTime
                ? appendTime
                : firstTimestamp + Number(record.timestampDelta);
              const headers = record.headers.length === 0
                ? NO_HEADERS
                : record.headers.map(([name, value]) =>
                  [name === null ? "" : name.toString("utf8"), value && toBytes(value)] as const
                );
              const message = {
                key: null,
                value: null,
                topic,
                partition,
                offset,
                timestamp,
                headers,
              } as KafkaMessage<unknown, unknown>;
              // A deserializer reads the client's bytes in place; only kept bytes get a view.
              let failed: KafkaSourceError | undefined;
              const { key, value } = record;
              if (key !== null) {
                try {
                  message.key = keyFn ? keyFn(key) : toBytes(key);
                } catch (error) {
                  failed = new KafkaSourceError(raw(message, key, value), "key", error);
                }
              }
              if (value !== null && !failed) {
                try {
                  message.value = valueFn ? valueFn(value) : toBytes(value);
                } catch (error) {
                  failed = new KafkaSourceError(raw(message, key, value), "value", error);
                }
              }
              if (failed && !this.#emitErrors) throw failed;
              items.push(failed ?? message as KafkaMessage<K, V>);
            }
          }
          next = Math.max(next, batchEnd);
        }
      }
    }
    if (this.#end !== undefined) next = Math.min(next, this.#end);
    return { items, next };
  }
}

/** The message as read, for an error: key and value as bytes. */
function raw(
  message: KafkaMessage<unknown, unknown>,
  key: Uint8Array | null,
  value: Uint8Array | null,
): KafkaMessage<Uint8Array, Uint8Array> {
  return { ...message, key: key && toBytes(key), value: value && toBytes(value) };
}

function offsetOf(item: KafkaMessage<unknown, unknown> | KafkaSourceError): number {
  return item instanceof KafkaSourceError ? item.raw.offset : item.offset;
}

/**
 * The two streams of {@linkcode kafkaInput}.
 *
 * @example Typing a function that takes them
 * ```ts
 * import type { KafkaInput } from "@runnel/runnel/kafka";
 *
 * function describe(input: KafkaInput<string, string>): string {
 *   return `${input.oks.stepId} and ${input.errs.stepId}`;
 * }
 * ```
 */
export interface KafkaInput<K, V> {
  /** The messages that were read and deserialized. */
  oks: Stream<KafkaMessage<K, V>>;
  /** The messages a deserializer threw on, with topic, partition and offset. */
  errs: Stream<KafkaSourceError>;
}

/**
 * Reads Kafka topics as {@linkcode KafkaSource} does, but a message whose
 * key or value cannot be deserialized goes to the `errs` stream instead of
 * stopping the run. Adds the input step `id` and a branch `id + "_split"`.
 *
 * @param flow The dataflow to add the input to.
 * @param id The input step's id.
 * @param options As for {@linkcode KafkaSource}.
 * @returns `oks`, the good messages, and `errs`, the broken ones.
 *
 * @example Good messages one way, broken ones to a dead-letter sink (needs a broker)
 * ```ts ignore
 * import { Dataflow, run } from "@runnel/runnel";
 * import { StdOutSink } from "@runnel/runnel/connectors";
 * import { jsonDeserializer, kafkaInput } from "@runnel/runnel/kafka";
 *
 * const flow = new Dataflow("orders");
 * const { oks, errs } = kafkaInput(flow, "inp", {
 *   brokers: ["127.0.0.1:9092"],
 *   topics: ["orders"],
 *   value: jsonDeserializer,
 * });
 * oks.map("values", (message) => message.value).output("out", new StdOutSink());
 * errs.map("why", (error) => error.message).output("dead", new StdOutSink());
 * await run(flow);
 * ```
 *
 * @example The steps it adds
 * ```ts
 * import { Dataflow } from "@runnel/runnel";
 * import { kafkaInput } from "@runnel/runnel/kafka";
 * import assert from "node:assert/strict";
 *
 * const flow = new Dataflow("f");
 * const { oks, errs } = kafkaInput(flow, "inp", { brokers: ["127.0.0.1:9092"], topics: ["t"] });
 * assert.equal(oks.stepId, "f.inp_split");
 * assert.equal(errs.stepId, "f.inp_split");
 * ```
 */
export function kafkaInput<K = Uint8Array, V = Uint8Array>(
  flow: Dataflow,
  id: string,
  options: KafkaSourceOptions<K, V>,
): KafkaInput<K, V> {
  const source = new KafkaSource<K, V>(options);
  emitsErrors.add(source);
  const items = flow.input(
    id,
    source as unknown as FixedPartitionedSource<KafkaMessage<K, V> | KafkaSourceError>,
  );
  const { trues, falses } = items.branch(
    `${id}_split`,
    (item): item is KafkaSourceError => item instanceof KafkaSourceError,
  );
  return { oks: falses as Stream<KafkaMessage<K, V>>, errs: trues };
}

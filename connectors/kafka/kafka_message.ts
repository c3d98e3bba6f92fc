/**
 * The items of a {@linkcode KafkaSource}: {@linkcode KafkaMessage}, and
 * {@linkcode KafkaSourceError} for a message that could not be read; with
 * the deserializers that turn a message's bytes into values.
 *
 * @module
 */

/**
 * One message read from a topic partition.
 *
 * `key` and `value` are `null` when the message has none (a tombstone has no
 * value); otherwise they are the raw bytes, or what the source's `key` /
 * `value` deserializer made of them.
 *
 * @typeParam K The key's type after deserialization.
 * @typeParam V The value's type after deserialization.
 *
 * @example A message as a flow sees it
 * ```ts
 * import type { KafkaMessage } from "@runnel/runnel/kafka";
 * import assert from "node:assert/strict";
 *
 * const message: KafkaMessage<string, number> = {
 *   key: "sensor-1",
 *   value: 21.5,
 *   topic: "temperatures",
 *   partition: 0,
 *   offset: 41,
 *   timestamp: Date.UTC(2024, 0, 1),
 *   headers: [["source", new TextEncoder().encode("roof")]],
 * };
 * assert.equal(new TextDecoder().decode(message.headers[0]![1]!), "roof");
 * ```
 */
export interface KafkaMessage<K = Uint8Array, V = Uint8Array> {
  /** The key, or `null` when the message has none. */
  key: K | null;
  /** The value, or `null` for a tombstone. */
  value: V | null;
  /** The topic it was read from. */
  topic: string;
  /** The partition it was read from. */
  partition: number;
  /** Its offset in the partition. */
  offset: number;
  /** Its timestamp (create or log-append time), in epoch milliseconds. */
  timestamp: number;
  /** Its headers in order; a name may repeat. Read-only (messages without headers share one empty list). */
  headers: readonly (readonly [string, Uint8Array | null])[];
}

/**
 * A message the source could not hand over as a {@linkcode KafkaMessage}:
 * its key or value deserializer threw. Goes to the `errs` stream of
 * {@linkcode kafkaInput}, or, read through `flow.input()`, stops the run.
 *
 * @example What an error item says
 * ```ts
 * import { KafkaSourceError } from "@runnel/runnel/kafka";
 * import assert from "node:assert/strict";
 *
 * const raw = {
 *   key: null, value: new TextEncoder().encode("{oops"), topic: "t", partition: 2,
 *   offset: 7, timestamp: 0, headers: [],
 * };
 * const error = new KafkaSourceError(raw, "value", new SyntaxError("Unexpected token o"));
 * assert.equal(
 *   error.message,
 *   'Cannot deserialize the value of Kafka topic "t" partition 2 offset 7: Unexpected token o',
 * );
 * assert.equal(error.raw.offset, 7);
 * ```
 */
export class KafkaSourceError extends Error {
  /** The message as read, with its key and value as bytes. */
  readonly raw: KafkaMessage<Uint8Array, Uint8Array>;
  /** Which part failed to deserialize. */
  readonly part: "key" | "value";

  /**
   * Creates the error for a message a deserializer threw on.
   *
   * @param raw The message as read.
   * @param part Which part failed.
   * @param cause What the deserializer threw.
   */
  constructor(raw: KafkaMessage<Uint8Array, Uint8Array>, part: "key" | "value", cause: unknown) {
    super(
      `Cannot deserialize the ${part} of Kafka topic ${
        JSON.stringify(raw.topic)
      } partition ${raw.partition} offset ${raw.offset}: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
    this.name = "KafkaSourceError";
    this.raw = raw;
    this.part = part;
  }
}

/**
 * Turns a key's or value's bytes into a value; throwing marks the message
 * broken (see {@linkcode KafkaSourceError}). The bytes are the client's, read
 * in place (on every runtime a Node `Buffer`, which is a `Uint8Array`): to
 * keep the bytes themselves, keep a copy (`new Uint8Array(bytes)`).
 *
 * @example A deserializer for decimal numbers
 * ```ts
 * import type { Deserializer } from "@runnel/runnel/kafka";
 * import assert from "node:assert/strict";
 *
 * const decimal: Deserializer<number> = (bytes) => {
 *   const n = Number(new TextDecoder().decode(bytes));
 *   if (Number.isNaN(n)) throw new TypeError("not a number");
 *   return n;
 * };
 * assert.equal(decimal(new TextEncoder().encode("42")), 42);
 * ```
 */
export type Deserializer<T> = (bytes: Uint8Array) => T;

const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes UTF-8 text; bytes that are not UTF-8 throw a `TypeError`.
 *
 * @param bytes A key or value.
 * @returns The text.
 *
 * @example
 * ```ts
 * import { stringDeserializer } from "@runnel/runnel/kafka";
 * import assert from "node:assert/strict";
 *
 * assert.equal(stringDeserializer(new TextEncoder().encode("héllo")), "héllo");
 * assert.throws(() => stringDeserializer(new Uint8Array([0xff])), TypeError);
 * ```
 */
export function stringDeserializer(bytes: Uint8Array): string {
  // Short ASCII (most keys) without a round trip to the decoder: ASCII is always valid UTF-8.
  if (bytes.length <= 32) {
    let ascii = true;
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i]! > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  return strictDecoder.decode(bytes);
}

/**
 * Parses UTF-8 JSON; malformed input throws.
 *
 * @param bytes A key or value.
 * @returns The parsed value.
 *
 * @example
 * ```ts
 * import { jsonDeserializer } from "@runnel/runnel/kafka";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(jsonDeserializer(new TextEncoder().encode('{"n":1}')), { n: 1 });
 * assert.throws(() => jsonDeserializer(new TextEncoder().encode("{oops")), SyntaxError);
 * ```
 */
export function jsonDeserializer(bytes: Uint8Array): unknown {
  return JSON.parse(strictDecoder.decode(bytes));
}

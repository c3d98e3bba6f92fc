/**
 * Kafka (and Kafka-compatible brokers such as Redpanda) in and out of a
 * dataflow. A separate entry point, so flows that do not use Kafka never
 * load its client.
 *
 * | Connector | Kind | Items | Delivery |
 * | --- | --- | --- | --- |
 * | {@linkcode KafkaSource} | partitioned source, one partition per topic partition | {@linkcode KafkaMessage} | exactly-once input (resumes at the snapshot's offset) |
 * | {@linkcode kafkaInput} | the same, broken messages on an `errs` stream | {@linkcode KafkaMessage} / {@linkcode KafkaSourceError} | as above |
 * | {@linkcode KafkaSink} | dynamic sink, every worker produces | {@linkcode KafkaSinkItem} | at-least-once (acknowledged before the epoch ends) |
 *
 * Runs on Deno, Bun and Node 20.19.4+, over the pure-JavaScript
 * `@platformatic/kafka` client.
 *
 * @example Deserializers turn bytes into values
 * ```ts
 * import { jsonDeserializer, stringDeserializer } from "@runnel/runnel/kafka";
 * import assert from "node:assert/strict";
 *
 * const bytes = new TextEncoder().encode('{"user":"ann"}');
 * assert.equal(stringDeserializer(bytes), '{"user":"ann"}');
 * assert.deepEqual(jsonDeserializer(bytes), { user: "ann" });
 * ```
 *
 * @module
 */

export type { KafkaClientOptions, KafkaConnection } from "./_client.ts";
export {
  type Deserializer,
  jsonDeserializer,
  type KafkaMessage,
  KafkaSourceError,
  stringDeserializer,
} from "./kafka_message.ts";
export {
  type KafkaInput,
  kafkaInput,
  KafkaSource,
  type KafkaSourceOptions,
} from "./kafka_source.ts";
export {
  KafkaSink,
  type KafkaSinkItem,
  type KafkaSinkMessage,
  type KafkaSinkOptions,
} from "./kafka_sink.ts";

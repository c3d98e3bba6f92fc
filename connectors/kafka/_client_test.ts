import assert from "node:assert/strict";
import { KafkaSink, KafkaSource } from "./mod.ts";

/** Runs `fn` while `globalThis.process.versions` says `versions`. */
function asIf(versions: Record<string, string>, fn: () => void): void {
  const global = globalThis as { process?: unknown };
  const saved = Object.getOwnPropertyDescriptor(globalThis, "process");
  Object.defineProperty(globalThis, "process", { value: { versions }, configurable: true });
  try {
    fn();
  } finally {
    if (saved) Object.defineProperty(globalThis, "process", saved);
    else delete global.process;
  }
}

Deno.test("Kafka connectors refuse a Node older than the client supports, naming both versions", () => {
  const options = { brokers: ["127.0.0.1:9092"], topics: ["t"], topic: "t" };
  for (const old of ["20.19.3", "20.10.0", "18.20.0"]) {
    asIf({ node: old }, () => {
      assert.throws(
        () => new KafkaSource(options),
        new RegExp(`needs Node 20\\.19\\.4 or later, this is Node ${old.replaceAll(".", "\\.")}`),
      );
      assert.throws(() => new KafkaSink(options), /needs Node 20\.19\.4 or later/);
    });
  }
  for (const fine of ["20.19.4", "20.20.2", "22.0.0", "24.1.0"]) {
    asIf({ node: fine }, () => void new KafkaSource(options));
  }
  // Deno and Bun report a Node version too, but run the client whatever it is.
  asIf({ node: "18.0.0", deno: "2.0.0" }, () => void new KafkaSource(options));
  asIf({ node: "18.0.0", bun: "1.2.0" }, () => void new KafkaSink(options));
});

Deno.test("KafkaSource and KafkaSink check their options when made", () => {
  const brokers = ["127.0.0.1:9092"];
  assert.throws(
    () => new KafkaSource({ brokers: [], topics: ["t"] }),
    /brokers must be a non-empty array/,
  );
  assert.throws(() => new KafkaSource({ brokers, topics: [] }), /topics must be a non-empty array/);
  assert.throws(() => new KafkaSource({ brokers, topics: ["a/b"] }), /topics must be/);
  assert.throws(
    () => new KafkaSource({ brokers, topics: ["t"], batchSize: 0 }),
    /batchSize must be a positive integer, got 0/,
  );
  assert.throws(
    () => new KafkaSource({ brokers, topics: ["t"], startingOffset: "first" as "earliest" }),
    /startingOffset must be "earliest", "latest" or a time, got "first"/,
  );
  assert.throws(() => new KafkaSink({ brokers, topic: "" }), /topic must be a topic name/);
  assert.throws(
    () => new KafkaSink({ brokers, topic: "t", acks: 2 as 1 }),
    /acks must be -1, 0 or 1, got 2/,
  );
  assert.throws(
    () => new KafkaSink({ brokers, topic: "t", acks: 1, idempotent: true }),
    /idempotent producer needs acks: -1/,
  );
  assert.throws(
    () => new KafkaSink({ brokers, topic: "t", compression: "brotli" as "gzip" }),
    /compression must be none, gzip, snappy, lz4 or zstd, got "brotli"/,
  );
});

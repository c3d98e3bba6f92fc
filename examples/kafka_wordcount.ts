/**
 * Wordcount from topic to topic: reads lines from a Kafka topic, counts the
 * words, and writes `word → count` messages to another topic.
 *
 * ```sh
 * deno task kafka:up                                        # a local broker on 127.0.0.1:39092
 * deno run --allow-all examples/kafka_wordcount.ts --setup  # make the topics, fill "lines", count
 * deno run --allow-all examples/kafka_wordcount.ts --brokers host:9092 --in lines --out word-counts
 * ```
 *
 * `--setup` creates the two topics (if missing) and writes the lines of
 * `examples/wordcount.txt` to the input topic first. The flow reads the
 * input topic to its current end (`tail: false`) and ends; without that
 * option it would keep counting new lines, and `countFinal` would emit
 * nothing until the end. After the run the output topic is printed.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { readFile } from "node:fs/promises";
import { Admin, Producer } from "@platformatic/kafka";
import { Dataflow, run } from "../mod.ts";
import { StdOutSink } from "../connectors/mod.ts";
import { KafkaSink, KafkaSource, stringDeserializer } from "../connectors/kafka/mod.ts";
import { platform } from "../src/runtime/platform/platform.ts";
import { tokenize } from "./wordcount.ts";

/** The wordcount flow from topic `input` to topic `output`. */
export function kafkaWordcount(brokers: string[], input: string, output: string): Dataflow {
  const flow = new Dataflow("kafka_wordcount");
  flow.input(
    "lines",
    new KafkaSource({ brokers, topics: [input], tail: false, value: stringDeserializer }),
  )
    .flatMap("words", (message) => tokenize((message.value ?? "").toLowerCase()))
    .countFinal("count", (word) => word)
    // Key: the word, so one word's counts stay in one partition; value: the count.
    .map("message", ([word, count]) => [word, String(count)] as [string, string])
    .output("out", new KafkaSink({ brokers, topic: output }));
  return flow;
}

/** Creates the topics if missing and writes the demo text's lines to `input`. */
async function setup(brokers: string[], input: string, output: string): Promise<void> {
  const admin = new Admin({ clientId: "kafka-wordcount-setup", bootstrapBrokers: brokers });
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [input, output].filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      await admin.createTopics({ topics: missing, partitions: 2, replicas: 1 });
    }
  } finally {
    await admin.close();
  }
  const text = await readFile(new URL("wordcount.txt", import.meta.url), "utf8");
  const producer = new Producer({
    clientId: "kafka-wordcount-setup",
    bootstrapBrokers: brokers,
    idempotent: true,
  });
  try {
    await producer.send({
      messages: text.split("\n").filter((line) => line !== "").map((line) => ({
        topic: input,
        value: Buffer.from(line),
      })),
    });
  } finally {
    await producer.close();
  }
}

function option(args: string[], name: string, fallback: string): string {
  const index = args.indexOf(name);
  return index === -1 ? fallback : args[index + 1] ?? fallback;
}

async function main(args: string[]): Promise<void> {
  const brokers = option(args, "--brokers", "127.0.0.1:39092").split(",");
  const input = option(args, "--in", "lines");
  const output = option(args, "--out", "word-counts");
  if (args.includes("--setup")) await setup(brokers, input, output);
  await run(kafkaWordcount(brokers, input, output));
  // Show what the flow wrote.
  const back = new Dataflow("print");
  back.input(
    "counts",
    new KafkaSource({
      brokers,
      topics: [output],
      tail: false,
      key: stringDeserializer,
      value: stringDeserializer,
    }),
  )
    .map("pair", (message) => [message.key, Number(message.value)])
    .output("out", new StdOutSink());
  await run(back);
}

// Node has import.meta.main only from 24.2 on; before, the platform tells.
if (import.meta.main ?? platform.isMain(import.meta.url)) {
  const process = (await import("node:process")).default;
  await main(process.argv.slice(2));
}

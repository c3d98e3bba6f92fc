/**
 * `deno task bench:kafka [count]`: against the local test broker (started
 * if none answers), writes `count` messages of about 100 bytes (default
 * 2,000,000; 1,000 distinct keys) to a 4-partition topic through
 * `KafkaSink`, then counts them by key through `KafkaSource` → `countFinal`,
 * and does the same count with the client (`@platformatic/kafka`) alone, in
 * the same run: its `fetch()` loop, one per partition as the source reads
 * (interleaved with runnel's reads, best of three each), and its own group
 * consumer stream. The ratio is against the faster of the two. Checks that
 * every count agrees.
 *
 * Also measured, to say where time goes: the source alone (no
 * `countFinal`), and the client's producer sending the sink's batches of
 * 1024 one at a time, as the sink does.
 *
 * Prints one JSON line per measurement, then
 * `{"bench":"kafka","source_msgs_per_s":…,"ratio_vs_client":…,"sink_msgs_per_s":…}`.
 * The broker shares the machine's cores with the bench, so compare ratios
 * within one run.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { Consumer, Producer } from "@platformatic/kafka";
import { Dataflow, run } from "../mod.ts";
import { KafkaSink, KafkaSource, stringDeserializer } from "../connectors/kafka/mod.ts";
import { withTopics } from "../tests/kafka/_topics.ts";
import { bestOf } from "./_data.ts";

const COUNT = Number(Deno.args[0] ?? 2_000_000);
const PARTITIONS = 4;
const KEYS = 1000;
/** How many items the runtime hands the sink at a time (an iterable source's batch). */
const SINK_BATCH = 1024;
if (!Number.isSafeInteger(COUNT) || COUNT <= 0) {
  throw new RangeError(`bench:kafka: count must be a positive integer, got ${Deno.args[0]}`);
}

// Key "k0".."k999" (2–4 bytes) and a 96-byte value: about 100 bytes a message.
const VALUE = "x".repeat(96);
function* messages(): Generator<[string, string]> {
  for (let i = 0; i < COUNT; i++) yield [`k${i % KEYS}`, VALUE];
}

function expectedCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < COUNT; i++) counts.set(`k${i % KEYS}`, (counts.get(`k${i % KEYS}`) ?? 0) + 1);
  return counts;
}

function same(a: Map<string, number>, b: Map<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, count] of a) if (b.get(key) !== count) return false;
  return true;
}

function report(subject: string, seconds: number): number {
  const rate = COUNT / seconds;
  console.log(JSON.stringify({
    bench: "kafka",
    subject,
    messages: COUNT,
    seconds: +seconds.toFixed(3),
    msgs_per_s: Math.round(rate),
  }));
  return rate;
}

async function write(brokers: string[], topic: string): Promise<void> {
  const flow = new Dataflow("bench_sink");
  flow.input("gen", messages()).output("out", new KafkaSink({ brokers, topic }));
  await run(flow);
}

async function runnelCount(brokers: string[], topic: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const flow = new Dataflow("bench_source");
  flow.input(
    "inp",
    new KafkaSource({ brokers, topics: [topic], tail: false, key: stringDeserializer }),
  )
    .countFinal("count", (message) => message.key!)
    .output("out", {
      build: () => ({
        writeBatch(batch: readonly [string, number][]) {
          for (const [key, count] of batch) counts.set(key, count);
        },
      }),
    });
  await run(flow);
  return counts;
}

/** The client's producer alone, sending what the sink sends: one batch of 1024 at a time, acknowledged. */
async function clientSend(brokers: string[], topic: string): Promise<void> {
  const producer = new Producer({ clientId: "bench", bootstrapBrokers: brokers, idempotent: true });
  const value = Buffer.from(VALUE);
  try {
    let batch: { topic: string; key: Buffer; value: Buffer }[] = [];
    for (const [key] of messages()) {
      batch.push({ topic, key: Buffer.from(key), value });
      if (batch.length === SINK_BATCH) {
        await producer.send({ messages: batch, acks: -1 });
        batch = [];
      }
    }
    if (batch.length > 0) await producer.send({ messages: batch, acks: -1 });
  } finally {
    await producer.close();
  }
}

/** runnel's source alone: every message counted by a sink, no dataflow step between. */
async function runnelRead(brokers: string[], topic: string): Promise<number> {
  let count = 0;
  const flow = new Dataflow("bench_read");
  flow.input(
    "inp",
    new KafkaSource({ brokers, topics: [topic], tail: false, key: stringDeserializer }),
  )
    .output("out", { build: () => ({ writeBatch: (batch) => void (count += batch.length) }) });
  await run(flow);
  if (count !== COUNT) throw new Error(`runnel read ${count} messages, not ${COUNT}`);
  return count;
}

/** The client's `fetch()`, one loop per partition from offset 0 to the high-water mark. */
async function clientFetchCount(brokers: string[], topic: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const decoder = new TextDecoder();
  await Promise.all(Array.from({ length: PARTITIONS }, async (_, partition) => {
    const consumer = new Consumer({
      clientId: "bench",
      groupId: "bench",
      bootstrapBrokers: brokers,
    });
    try {
      const metadata = await consumer.metadata({ topics: [topic] });
      const info = metadata.topics.get(topic)!;
      const end = (await consumer.listOffsets({ topics: [topic], timestamp: -1n }))
        .get(topic)![partition]!;
      let offset = 0n;
      while (offset < end) {
        const response = await consumer.fetch({
          node: info.partitions[partition]!.leader,
          maxWaitTime: 500,
          maxBytes: 1 << 20,
          topics: [{
            topicId: info.id,
            partitions: [{
              partition,
              fetchOffset: offset,
              currentLeaderEpoch: -1,
              lastFetchedEpoch: -1,
              partitionMaxBytes: 1 << 20,
            }],
          }],
        });
        for (const batch of response.responses[0]!.partitions[0]!.records ?? []) {
          for (const record of batch.records) {
            const at = batch.firstOffset + BigInt(record.offsetDelta);
            if (at < offset) continue;
            const key = decoder.decode(record.key!);
            counts.set(key, (counts.get(key) ?? 0) + 1);
          }
          const next = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
          if (next > offset) offset = next;
        }
      }
    } finally {
      await consumer.close();
    }
  }));
  return counts;
}

/** The client's own consumer: a group consumer stream from the earliest offset. */
async function clientStreamCount(brokers: string[], topic: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const consumer = new Consumer({
    clientId: "bench",
    groupId: `bench-${Date.now()}`,
    bootstrapBrokers: brokers,
  });
  try {
    const stream = await consumer.consume({ topics: [topic], mode: "earliest", autocommit: false });
    let seen = 0;
    for await (const message of stream) {
      const key = message.key.toString();
      counts.set(key, (counts.get(key) ?? 0) + 1);
      if (++seen === COUNT) break;
    }
    await stream.close();
  } finally {
    await consumer.close(true);
  }
  return counts;
}

// The topic the sources read, and three more for the other writes.
const LABELS = ["bench", "bench-send-a", "bench-send-b", "bench-sink-b"];
await withTopics(LABELS, PARTITIONS, async ([topic, sendA, sendB, sinkB], brokers) => {
  const expected = expectedCounts();
  // Writes interleaved, each into its own topic, best of two each.
  let sendSeconds = (await bestOf(1, () => clientSend(brokers, sendA!))).seconds;
  let sinkSeconds = (await bestOf(1, () => write(brokers, topic!))).seconds;
  sendSeconds = Math.min(sendSeconds, (await bestOf(1, () => clientSend(brokers, sendB!))).seconds);
  sinkSeconds = Math.min(sinkSeconds, (await bestOf(1, () => write(brokers, sinkB!))).seconds);
  report("client send loop", sendSeconds);
  const sinkRate = report("runnel KafkaSink", sinkSeconds);

  const check = (subject: string, counts: Map<string, number>) => {
    if (!same(counts, expected)) throw new Error(`${subject} counted differently`);
  };
  // Interleaved and best of three: the broker, the bench and whatever else
  // runs share the cores, and the first reads also warm the JIT up.
  let fetchSeconds = Infinity;
  let sourceSeconds = Infinity;
  for (let round = 0; round < 3; round++) {
    const fetchLoop = await bestOf(1, () => clientFetchCount(brokers, topic!));
    check("the fetch loop", fetchLoop.result);
    fetchSeconds = Math.min(fetchSeconds, fetchLoop.seconds);
    const source = await bestOf(1, () => runnelCount(brokers, topic!));
    check("runnel", source.result);
    sourceSeconds = Math.min(sourceSeconds, source.seconds);
  }
  const fetchRate = report("client fetch loop", fetchSeconds);
  // Where the difference goes: the source alone, without countFinal.
  report("runnel KafkaSource alone", (await bestOf(2, () => runnelRead(brokers, topic!))).seconds);
  const stream = await bestOf(1, () => clientStreamCount(brokers, topic!));
  check("the consumer stream", stream.result);
  const streamRate = report("client consumer stream", stream.seconds);
  const sourceRate = report("runnel KafkaSource", sourceSeconds);

  console.log(JSON.stringify({
    bench: "kafka",
    source_msgs_per_s: Math.round(sourceRate),
    ratio_vs_client: +(sourceRate / Math.max(fetchRate, streamRate)).toFixed(3),
    sink_msgs_per_s: Math.round(sinkRate),
  }));
});

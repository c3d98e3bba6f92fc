import assert from "node:assert/strict";
import { Dataflow, run } from "../../mod.ts";
import { TestingSink } from "../../connectors/testing.ts";
import {
  type KafkaMessage,
  KafkaSink,
  type KafkaSinkItem,
  KafkaSource,
  stringDeserializer,
} from "../../connectors/kafka/mod.ts";
import { withTopics } from "./_topics.ts";

const text = new TextDecoder();

async function readBack(brokers: string[], topic: string) {
  const out: KafkaMessage<string, string>[] = [];
  const flow = new Dataflow("back");
  flow.input(
    "inp",
    new KafkaSource({
      brokers,
      topics: [topic],
      tail: false,
      key: stringDeserializer,
      value: stringDeserializer,
    }),
  ).output("out", new TestingSink(out));
  await run(flow);
  return out;
}

Deno.test("KafkaSink writes messages and [key, value] pairs, the key picking the partition", async () => {
  await withTopics(["sink"], 4, async ([topic], brokers) => {
    const items: KafkaSinkItem[] = [];
    for (let i = 0; i < 500; i++) items.push([`k${i % 10}`, `v${i}`]);
    items.push({ key: "h", value: new TextEncoder().encode("bytes"), headers: { a: "1" } });
    items.push({ value: "to partition 3", partition: 3 });
    items.push({ key: "tomb", value: null });
    const flow = new Dataflow("write");
    flow.input("inp", items).output(
      "out",
      new KafkaSink({ brokers, topic: topic!, batchSize: 64 }),
    );
    await run(flow);

    const got = await readBack(brokers, topic!);
    assert.equal(got.length, 503);
    const values = got.filter((m) => m.value?.startsWith("v")).map((m) => m.value).sort();
    assert.deepEqual(values, Array.from({ length: 500 }, (_, i) => `v${i}`).sort());
    // One key, one partition; and the ten keys spread over more than one.
    const partitionOf = new Map<string, Set<number>>();
    for (const m of got.filter((m) => m.key?.startsWith("k"))) {
      partitionOf.set(m.key!, (partitionOf.get(m.key!) ?? new Set()).add(m.partition));
    }
    assert.equal(partitionOf.size, 10);
    for (const [key, parts] of partitionOf) assert.equal(parts.size, 1, key);
    assert.ok(new Set([...partitionOf.values()].map((s) => [...s][0])).size > 1);
    const withHeader = got.find((m) => m.key === "h")!;
    assert.equal(withHeader.value, "bytes");
    assert.deepEqual(withHeader.headers.map(([k, v]) => [k, text.decode(v!)]), [["a", "1"]]);
    assert.equal(got.find((m) => m.value === "to partition 3")!.partition, 3);
    assert.equal(got.find((m) => m.key === "tomb")!.value, null);
  });
});

Deno.test("KafkaSink compresses when asked, and the messages read back the same", async () => {
  await withTopics(["gzip"], 1, async ([topic], brokers) => {
    const items = Array.from({ length: 200 }, (_, i) => [null, `value ${i} `.repeat(5)] as const);
    const flow = new Dataflow("write");
    flow.input("inp", items).output(
      "out",
      new KafkaSink({ brokers, topic: topic!, compression: "gzip" }),
    );
    await run(flow);
    const got = await readBack(brokers, topic!);
    assert.deepEqual(got.map((m) => m.value), items.map(([, v]) => v));
  });
});

Deno.test("KafkaSink names a topic that does not exist, and creates none", async () => {
  await withTopics(["present"], 1, async ([topic], brokers) => {
    const missing = `${topic}-missing`;
    const flow = new Dataflow("write");
    flow.input("inp", [["k", "v"] as const]).output(
      "out",
      new KafkaSink({ brokers, topic: missing }),
    );
    await assert.rejects(run(flow), (error: Error) => {
      assert.match(
        String(error.cause ?? error),
        new RegExp(`Cannot write to Kafka topic "${missing}": it does not exist on ${brokers[0]}`),
      );
      return true;
    });
    await assert.rejects(
      new KafkaSource({ brokers, topics: [missing] }).listParts(),
      /does not exist/,
    );
  });
});

Deno.test("KafkaSink rejects an item that is not a message, naming it", async () => {
  await withTopics(["shape"], 1, async ([topic], brokers) => {
    const flow = new Dataflow("write");
    flow.input("inp", [42 as unknown as KafkaSinkItem]).output(
      "out",
      new KafkaSink({ brokers, topic: topic! }),
    );
    await assert.rejects(run(flow), (error: Error) => {
      assert.match(
        String(error.cause ?? error),
        /an item must be \{ key\?, value, headers\? \} or a \[key, value\] pair, got 42/,
      );
      return true;
    });
  });
});

Deno.test("KafkaSink fails in bounded time, naming the brokers, when none answers", async () => {
  const flow = new Dataflow("write");
  flow.input("inp", [["k", "v"] as const]).output(
    "out",
    new KafkaSink({ brokers: ["127.0.0.1:1"], topic: "t" }),
  );
  const start = Date.now();
  await assert.rejects(run(flow), (error: Error) => {
    assert.match(
      String(error.cause ?? error),
      /Cannot write to Kafka: no Kafka broker answered at 127\.0\.0\.1:1 after 4 attempts/,
    );
    return true;
  });
  assert.ok(Date.now() - start < 20_000, `took ${Date.now() - start} ms`);
});

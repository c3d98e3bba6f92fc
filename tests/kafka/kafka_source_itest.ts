import assert from "node:assert/strict";
import { Dataflow, run } from "../../mod.ts";
import { TestingSink } from "../../connectors/testing.ts";
import {
  jsonDeserializer,
  kafkaInput,
  type KafkaMessage,
  KafkaSource,
  KafkaSourceError,
  stringDeserializer,
} from "../../connectors/kafka/mod.ts";
import { produce, withTopics } from "./_topics.ts";

const text = new TextDecoder();

/** Reads `source` to its end through a flow. */
async function readAll<T>(source: KafkaSource<unknown, unknown> | Iterable<T>): Promise<T[]> {
  const out: T[] = [];
  const flow = new Dataflow("read");
  flow.input("inp", source as Iterable<T>).output("out", new TestingSink(out));
  await run(flow);
  return out;
}

Deno.test("KafkaSource reads every partition of a topic to the high-water mark when tail is false", async () => {
  await withTopics(["read"], 3, async ([topic], brokers) => {
    const sent = Array.from({ length: 300 }, (_, i) => ({
      key: `k${i}`,
      value: `v${i}`,
      partition: i % 3,
      headers: { n: String(i) },
    }));
    await produce(brokers, topic!, sent);
    const source = new KafkaSource({
      brokers,
      topics: [topic!],
      tail: false,
      batchSize: 7,
      key: stringDeserializer,
      value: stringDeserializer,
    });
    assert.deepEqual(await source.listParts(), [`${topic}/0`, `${topic}/1`, `${topic}/2`]);
    const got = await readAll<KafkaMessage<string, string>>(source);
    assert.equal(got.length, 300);
    const byValue = new Map(got.map((m) => [m.value, m]));
    for (let i = 0; i < 300; i++) {
      const message = byValue.get(`v${i}`);
      assert.ok(message, `v${i} missing`);
      assert.equal(message.key, `k${i}`);
      assert.equal(message.topic, topic);
      assert.equal(message.partition, i % 3);
      // Partition p got messages p, p + 3, …: message i is the (i / 3)th there.
      assert.equal(message.offset, Math.floor(i / 3));
      assert.deepEqual(message.headers.map(([k, v]) => [k, text.decode(v!)]), [["n", String(i)]]);
      assert.ok(
        Math.abs(message.timestamp - Date.now()) < 120_000,
        `timestamp ${message.timestamp}`,
      );
    }
  });
});

Deno.test("KafkaSource reads several topics, and an empty partition ends at once", async () => {
  await withTopics(["a", "b"], 2, async ([a, b], brokers) => {
    await produce(brokers, a!, [{ value: "a0", partition: 0 }, { value: "a1", partition: 0 }]);
    await produce(brokers, b!, [{ value: "b0", partition: 1 }]);
    const got = await readAll<KafkaMessage<Uint8Array, string>>(
      new KafkaSource({ brokers, topics: [a!, b!], tail: false, value: stringDeserializer }),
    );
    assert.deepEqual(
      got.map((m) => `${m.topic === a ? "a" : "b"}/${m.partition}:${m.value}`).sort(),
      [
        "a/0:a0",
        "a/0:a1",
        "b/1:b0",
      ],
    );
    assert.equal(got[0]!.key, null);
  });
});

Deno.test("KafkaSource startingOffset picks latest or a time when there is no snapshot", async () => {
  await withTopics(["start"], 1, async ([topic], brokers) => {
    await produce(brokers, topic!, [{ value: "old" }]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const between = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await produce(brokers, topic!, [{ value: "new" }]);
    const options = { brokers, topics: [topic!], tail: false, value: stringDeserializer };
    const values = async (startingOffset: "earliest" | "latest" | number) =>
      (await readAll<KafkaMessage<Uint8Array, string>>(
        new KafkaSource({ ...options, startingOffset }),
      )).map((m) => m.value);
    assert.deepEqual(await values("earliest"), ["old", "new"]);
    assert.deepEqual(await values("latest"), []);
    assert.deepEqual(await values(between), ["new"]);
    assert.deepEqual(await values(Date.now() + 60_000), []);
  });
});

Deno.test("KafkaSource resumes a partition just after the snapshot it was built from", async () => {
  await withTopics(["resume"], 1, async ([topic], brokers) => {
    await produce(brokers, topic!, Array.from({ length: 50 }, (_, i) => ({ value: `v${i}` })));
    const source = new KafkaSource({
      brokers,
      topics: [topic!],
      tail: false,
      batchSize: 8,
      value: stringDeserializer,
    });
    const [part] = await source.listParts();
    const first = await source.buildPart("f.inp", part!, undefined);
    assert.equal(first.snapshot(), 0);
    const seen: string[] = [];
    for (let i = 0; i < 2; i++) {
      const batch = await first.nextBatch();
      assert.ok(batch && batch.length > 0);
      seen.push(...batch.map((m) => m.value!));
    }
    const snapshot = first.snapshot();
    assert.equal(snapshot, seen.length, "the snapshot is the offset after the last handed over");
    // Read on past the snapshot, as a run that crashed before its next snapshot would.
    await first.nextBatch();
    await first.close?.();

    const resumed = await source.buildPart("f.inp", part!, snapshot);
    assert.equal(resumed.snapshot(), snapshot);
    const rest: string[] = [];
    for (let batch; (batch = await resumed.nextBatch()) !== null;) {
      rest.push(...batch.map((m) => m.value!));
    }
    await resumed.close?.();
    assert.deepEqual([...seen, ...rest], Array.from({ length: 50 }, (_, i) => `v${i}`));
    assert.equal(resumed.snapshot(), 50);
  });
});

Deno.test("KafkaSource stops the run naming topic, partition and offset of a message it cannot deserialize", async () => {
  await withTopics(["bad"], 1, async ([topic], brokers) => {
    await produce(brokers, topic!, [{ value: '{"n":1}' }, { value: "{oops" }, {
      value: '{"n":3}',
    }]);
    const source = new KafkaSource({
      brokers,
      topics: [topic!],
      tail: false,
      value: jsonDeserializer,
    });
    await assert.rejects(readAll(source), (error: Error) => {
      const cause = error.cause as KafkaSourceError;
      assert.ok(cause instanceof KafkaSourceError, String(error));
      assert.match(
        cause.message,
        new RegExp(
          `^Cannot deserialize the value of Kafka topic "${topic}" partition 0 offset 1: `,
        ),
      );
      assert.equal(text.decode(cause.raw.value!), "{oops");
      return true;
    });
  });
});

Deno.test("kafkaInput() sends messages it cannot deserialize to errs and the rest to oks", async () => {
  await withTopics(["errs"], 2, async ([topic], brokers) => {
    await produce(brokers, topic!, [
      { value: '{"n":1}', partition: 0 },
      { value: "{oops", partition: 1 },
      { value: '{"n":2}', partition: 1 },
      { value: new Uint8Array([0xff, 0xfe]), partition: 0 },
    ]);
    const oks: unknown[] = [];
    const errs: string[] = [];
    const flow = new Dataflow("f");
    const input = kafkaInput(flow, "inp", {
      brokers,
      topics: [topic!],
      tail: false,
      value: jsonDeserializer,
    });
    input.oks.map("v", (m) => m.value).output("oks", new TestingSink(oks));
    input.errs.map("where", (e) => `${e.raw.partition}@${e.raw.offset}:${e.part}`)
      .output("errs", new TestingSink(errs));
    await run(flow);
    assert.deepEqual(oks.sort((a, b) => (a as { n: number }).n - (b as { n: number }).n), [
      { n: 1 },
      { n: 2 },
    ]);
    assert.deepEqual(errs.sort(), ["0@1:value", "1@0:value"]);
  });
});

Deno.test("KafkaSource names a topic that does not exist, and creates none", async () => {
  await withTopics(["exists"], 1, async ([topic], brokers) => {
    const missing = `${topic}-missing`;
    const source = new KafkaSource({ brokers, topics: [topic!, missing], tail: false });
    await assert.rejects(readAll(source), (error: Error) => {
      assert.match(
        String(error.cause ?? error),
        new RegExp(`Cannot read Kafka topic "${missing}": it does not exist on ${brokers[0]}`),
      );
      return true;
    });
    // Asking did not create it.
    await assert.rejects(source.listParts(), /does not exist/);
  });
});

Deno.test("KafkaSource fails in bounded time, naming the brokers, when none answers", async () => {
  // Port 1 on the loopback: nothing listens there, so connections are refused.
  const source = new KafkaSource({ brokers: ["127.0.0.1:1"], topics: ["t"], tail: false });
  const start = Date.now();
  await assert.rejects(readAll(source), (error: Error) => {
    assert.match(
      String(error.cause ?? error),
      /Cannot read Kafka: no Kafka broker answered at 127\.0\.0\.1:1 after 4 attempts/,
    );
    return true;
  });
  assert.ok(Date.now() - start < 20_000, `took ${Date.now() - start} ms`);
});

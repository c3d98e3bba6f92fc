import assert from "node:assert/strict";
import { Dataflow, run } from "../../mod.ts";
import { TestingSink } from "../../connectors/testing.ts";
import {
  type KafkaMessage,
  KafkaSink,
  KafkaSource,
  stringDeserializer,
} from "../../connectors/kafka/mod.ts";
import { down, up } from "./broker.ts";
import { produce, withTopics } from "./_topics.ts";

const N = 3000;

Deno.test("KafkaSource and KafkaSink ride out a broker restart mid-run: no message is missing", async () => {
  await withTopics(["restart-in", "restart-out"], 2, async ([input, output], brokers) => {
    await produce(
      brokers,
      input!,
      Array.from({ length: N }, (_, i) => ({ key: `k${i % 7}`, value: `m${i}` })),
    );

    let seen = 0;
    let restarted: Promise<unknown> | undefined;
    let stopped = false;
    const flow = new Dataflow("restart");
    flow.input(
      "inp",
      new KafkaSource({
        brokers,
        topics: [input!],
        tail: false,
        batchSize: 50,
        value: stringDeserializer,
      }),
    )
      // A third of the way in, stop the broker, and start it again in the background:
      // the source's next fetch and the sink's next write find it gone.
      .pipe("gate", async function* (messages: AsyncIterable<KafkaMessage<Uint8Array, string>>) {
        for await (const message of messages) {
          if (++seen === N / 3) {
            // A broker started elsewhere (no pid file here) cannot be restarted by this test.
            stopped = await down();
            restarted = up();
          }
          yield message;
        }
      })
      .map("pair", (m) => [m.key && new TextDecoder().decode(m.key), m.value] as [string, string])
      .output("out", new KafkaSink({ brokers, topic: output!, batchSize: 100 }));
    try {
      await run(flow);
    } finally {
      // Whatever happened, leave a broker running for the tests after this one.
      await restarted;
    }
    assert.ok(stopped, "the broker was stopped during the run (one this helper started)");
    assert.equal(await restarted, true, "this test started the broker again");

    const out: KafkaMessage<Uint8Array, string>[] = [];
    const back = new Dataflow("back");
    back.input(
      "inp",
      new KafkaSource({ brokers, topics: [output!], tail: false, value: stringDeserializer }),
    ).output("out", new TestingSink(out));
    await run(back);
    const values = new Set(out.map((m) => m.value));
    const missing = Array.from({ length: N }, (_, i) => `m${i}`).filter((v) => !values.has(v));
    assert.deepEqual(missing, [], `${missing.length} messages missing`);
    // At-least-once: nothing else, but a message may have been written twice.
    assert.equal(values.size, N);
    assert.ok(out.length >= N);
  });
});

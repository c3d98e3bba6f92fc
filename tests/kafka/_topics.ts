/**
 * Topics for the Kafka tests: each test makes its own, uniquely named, and
 * deletes it afterwards, so tests never see each other's messages.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { Admin, Producer } from "@platformatic/kafka";
import { ensureBroker } from "./broker.ts";

let counter = 0;

/** A topic name no other test uses. */
export function uniqueTopic(label: string): string {
  return `runnel-${label}-${Date.now().toString(36)}-${counter++}`;
}

/** Runs `fn` with fresh topics of `partitions` partitions each, deleted afterwards. */
export async function withTopics<T>(
  labels: readonly string[],
  partitions: number,
  fn: (topics: string[], brokers: string[]) => Promise<T>,
): Promise<T> {
  const brokers = await ensureBroker();
  const topics = labels.map(uniqueTopic);
  const admin = new Admin({ clientId: "runnel-tests", bootstrapBrokers: brokers });
  try {
    await admin.createTopics({ topics, partitions, replicas: 1 });
    await waitForLeaders(admin, topics, partitions);
    return await fn(topics, brokers);
  } finally {
    await admin.deleteTopics({ topics }).catch(() => {});
    await admin.close();
  }
}

/**
 * Waits until every partition of `topics` has a leader: a topic is created
 * before its partitions can take writes, and a write to a partition without
 * a leader is retried by the client, which may write it twice.
 */
async function waitForLeaders(admin: Admin, topics: string[], partitions: number): Promise<void> {
  const end = Date.now() + 30_000;
  while (true) {
    try {
      const metadata = await admin.metadata({ topics, forceUpdate: true });
      const ready = topics.every((topic) => {
        const parts = metadata.topics.get(topic)?.partitions ?? [];
        return parts.length === partitions && parts.every((p) => p && p.leader >= 0);
      });
      if (ready) return;
    } catch (error) {
      if (Date.now() > end) throw error;
    }
    if (Date.now() > end) throw new Error(`Topics ${topics.join(", ")} got no leaders in 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** One message to produce in a test: a string key and value, and an optional partition. */
export interface TestMessage {
  key?: string;
  value: string | Uint8Array;
  partition?: number;
  headers?: Record<string, string>;
}

/** Produces `messages` to `topic` with the client directly (not through runnel). */
export async function produce(
  brokers: string[],
  topic: string,
  messages: readonly TestMessage[],
): Promise<void> {
  // Idempotent: a retried request must not write messages twice.
  const producer = new Producer({
    clientId: "runnel-tests",
    bootstrapBrokers: brokers,
    idempotent: true,
  });
  try {
    for (let i = 0; i < messages.length; i += 5000) {
      await producer.send({
        acks: -1,
        messages: messages.slice(i, i + 5000).map((m) => ({
          topic,
          ...(m.key === undefined ? {} : { key: Buffer.from(m.key) }),
          value: Buffer.from(m.value),
          ...(m.partition === undefined ? {} : { partition: m.partition }),
          ...(m.headers
            ? {
              headers: new Map(
                Object.entries(m.headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)]),
              ),
            }
            : {}),
        })),
      });
    }
  } finally {
    await producer.close();
  }
}

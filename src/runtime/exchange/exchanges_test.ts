import assert from "node:assert/strict";
import { Barrier, type Message, type MessageStream, StreamStatus, Watermark } from "../message.ts";
import { InProcessExchanges } from "./exchanges.ts";
import { keyRouter } from "./routes.ts";
import { stableHash } from "../../dataflow/stable_hash.ts";

async function* messages(list: readonly Message[]): MessageStream {
  for (const message of list) {
    await Promise.resolve();
    yield message;
  }
}

async function collect(stream: MessageStream): Promise<Message[]> {
  const out: Message[] = [];
  for await (const message of stream) out.push(message);
  return out;
}

// Keys that go to worker 0 and worker 1 of 2.
const to0 = ["a", "b", "c", "d", "e", "f"].find((key) => stableHash(key) % 2 === 0)!;
const to1 = ["a", "b", "c", "d", "e", "f"].find((key) => stableHash(key) % 2 === 1)!;

Deno.test("InProcessExchanges routes by key and carries control to every worker", async () => {
  const exchanges = new InProcessExchanges(2, new AbortController().signal);
  const router = () => keyRouter("f.count", 2);
  const senders: Message[][] = [
    [[[to0, 1], [to1, 2]], new Watermark(10), new Barrier(1), [[to0, 3]]],
    [StreamStatus.IDLE, new Barrier(1), StreamStatus.ACTIVE, new Watermark(20), [[to1, 4]]],
  ];
  const received = await Promise.all(
    senders.map((list, worker) => collect(exchanges.connect("x", worker, messages(list), router))),
  );
  const items = received.map((list) => list.filter(Array.isArray).flat());
  assert.deepEqual(items, [[[to0, 1], [to0, 3]], [[to1, 2], [to1, 4]]]);
  for (const list of received) {
    // Barrier 1 passes once, after both senders delivered it.
    assert.equal(list.filter((m) => m instanceof Barrier).length, 1);
    // The watermark is the minimum over senders neither idle nor ended: 10 first (worker 1 is
    // idle), 20 only once worker 0, which holds 10 back, has ended.
    const marks = list.filter((m) => m instanceof Watermark).map((m) => (m as Watermark).time);
    assert.deepEqual(marks, [10, 20]);
    const end0 = list.findIndex((m) => Array.isArray(m) && m.some((item) => item[1] === 3));
    const mark20 = list.findIndex((m) => m instanceof Watermark && m.time === 20);
    if (end0 >= 0) assert.ok(mark20 > end0, "20 comes after worker 0's last item");
  }
});

Deno.test("InProcessExchanges ends a worker's share only once every sender ended", async () => {
  const exchanges = new InProcessExchanges(2, new AbortController().signal);
  const router = () => keyRouter("f.count", 2);
  let release!: () => void;
  const late = new Promise<void>((resolve) => release = resolve);
  async function* slow(): MessageStream {
    await late;
    yield [[to0, 2]];
  }
  let ended = false;
  const first = collect(exchanges.connect("x", 0, messages([[[to0, 1]]]), router))
    .then((list) => (ended = true, list));
  const second = collect(exchanges.connect("x", 1, slow(), router));
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(ended, false);
  release();
  assert.deepEqual(await first, [[[to0, 1]], [[to0, 2]]]);
  assert.deepEqual(await second, []);
});

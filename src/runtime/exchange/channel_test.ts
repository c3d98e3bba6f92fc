import assert from "node:assert/strict";
import { Barrier, type Message, Watermark } from "../message.ts";
import { CHANNEL_CREDIT, COALESCE_LIMIT, InProcessChannel } from "./channel.ts";

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

async function take<T>(iterator: AsyncIterator<Message<T>>): Promise<Message<T>> {
  const result = await iterator.next();
  assert.equal(result.done, false);
  return result.value as Message<T>;
}

Deno.test("InProcessChannel coalesces the small batches it holds, up to COALESCE_LIMIT", async () => {
  const channel = new InProcessChannel<number>();
  // A 1,024-item batch split 16 ways sends 64 items here per batch; 16 of them make one message.
  for (let i = 0; i < 16; i++) assert.equal(channel.sendBatch(range(i * 64, 64)), undefined);
  channel.sendBatch(range(1024, 1));
  channel.end();
  const messages = [];
  for await (const message of channel.receive()) messages.push(message);
  assert.equal(COALESCE_LIMIT, 1024);
  assert.deepEqual(messages, [range(0, 1024), [1024]]);
});

Deno.test("InProcessChannel hands a lone batch over at once and keeps control messages in order", async () => {
  const channel = new InProcessChannel<number>();
  const reader = channel.receive()[Symbol.asyncIterator]();
  const first = reader.next();
  channel.sendBatch([1]);
  assert.deepEqual((await first).value, [1]);
  channel.sendBatch([2]);
  channel.sendControl(new Barrier(1));
  // A batch after a control message does not join the batch before it.
  channel.sendBatch([3]);
  channel.sendControl(new Watermark(5));
  channel.end();
  assert.deepEqual(await take(reader), [2]);
  assert.deepEqual(await take(reader), new Barrier(1));
  assert.deepEqual(await take(reader), [3]);
  assert.deepEqual(await take(reader), new Watermark(5));
  assert.equal((await reader.next()).done, true);
});

Deno.test("InProcessChannel makes its sender wait once it holds CHANNEL_CREDIT batches", async () => {
  const channel = new InProcessChannel<number>();
  const big = () => range(0, COALESCE_LIMIT);
  for (let i = 0; i < CHANNEL_CREDIT - 1; i++) assert.equal(channel.sendBatch(big()), undefined);
  let released = false;
  const waiting = channel.sendBatch(big());
  assert.ok(waiting instanceof Promise, "the sender waits at the credit limit");
  void waiting.then(() => released = true);
  // Control messages never wait for credit.
  assert.equal(channel.sendControl(new Barrier(1)), undefined);
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(released, false);
  const reader = channel.receive()[Symbol.asyncIterator]();
  await take(reader);
  await waiting;
  assert.equal(released, true);
  // A receiver that stops frees its sender for good.
  await reader.return?.();
  assert.equal(channel.closed, true);
  for (let i = 0; i < 2 * CHANNEL_CREDIT; i++) assert.equal(channel.sendBatch(big()), undefined);
});

Deno.test("InProcessChannel delivers what it holds, then the sender's failure", async () => {
  const channel = new InProcessChannel<number>();
  channel.sendBatch([1]);
  channel.fail(new TypeError("sender broke"));
  const got: unknown[] = [];
  await assert.rejects(async () => {
    for await (const message of channel.receive()) got.push(message);
  }, { name: "TypeError", message: "sender broke" });
  assert.deepEqual(got, [[1]]);
});

Deno.test("InProcessChannel.stop() ends a wait on either side", async () => {
  const channel = new InProcessChannel<number>();
  const reading = channel.receive()[Symbol.asyncIterator]().next();
  const big = () => Array.from({ length: COALESCE_LIMIT }, (_, i) => i);
  const sender = new InProcessChannel<number>();
  for (let i = 0; i < CHANNEL_CREDIT - 1; i++) sender.sendBatch(big());
  const sending = sender.sendBatch(big());
  channel.stop(new Error("stopped"));
  sender.stop(new Error("stopped too"));
  await assert.rejects(reading, { message: "stopped" });
  await assert.rejects(Promise.resolve(sending), { message: "stopped too" });
});

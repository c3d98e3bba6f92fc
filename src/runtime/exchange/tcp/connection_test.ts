import assert from "node:assert/strict";
import { Barrier, isBatch, StreamStatus, Watermark } from "../../message.ts";
import { CHANNEL_CREDIT } from "../channel.ts";
import { decodeBatch, encodeBatch, UnencodableItemError } from "../codec.ts";
import { PeerLostError } from "./connection.ts";
import { collect, eventually, openClusters, sleep, withChildPeer } from "./_test_cluster.ts";

Deno.test("TcpConnection carries batches and control messages of a channel in order", async () => {
  const { clusters: [a, b] } = await openClusters(2);
  try {
    const sender = a!.channel<[string, number]>("x", 0, 1, { keyed: true });
    const receiver = b!.channel<[string, number]>("x", 0, 1);
    const received = collect(receiver.receive());
    await sender.sendBatch([["a", 1], ["b", 2]]);
    sender.sendControl(new Watermark(5));
    sender.sendControl(StreamStatus.IDLE);
    sender.sendControl(StreamStatus.ACTIVE);
    await sender.sendBatch([["c", 3]]);
    sender.sendControl(new Barrier(1));
    await sender.sendBatch([["d", 4]]);
    sender.end();
    const { messages, error } = await received;
    assert.equal(error, undefined);
    assert.deepEqual(messages, [
      [["a", 1], ["b", 2]],
      new Watermark(5),
      StreamStatus.IDLE,
      StreamStatus.ACTIVE,
      [["c", 3]],
      new Barrier(1),
      [["d", 4]],
    ]);
    assert.equal(messages[2], StreamStatus.IDLE, "the status is the shared instance");
  } finally {
    await Promise.all([a!.close(), b!.close()]);
  }
});

Deno.test("TcpConnection keeps channels apart in both directions on one connection", async () => {
  const { clusters: [a, b] } = await openClusters(2, () => ({ workersPerProcess: 2 }));
  try {
    // Workers 0 and 1 run on process 0, workers 2 and 3 on process 1.
    const sent = [
      [a!.channel<number>("e", 0, 2), b!.channel<number>("e", 0, 2), 0],
      [a!.channel<number>("e", 1, 3), b!.channel<number>("e", 1, 3), 100],
      [b!.channel<number>("e", 2, 1), a!.channel<number>("e", 2, 1), 200],
      [b!.channel<number>("f", 2, 1), a!.channel<number>("f", 2, 1), 300],
    ] as const;
    const results = sent.map(([, receiver]) => collect(receiver.receive()));
    for (let round = 0; round < 3; round++) {
      for (const [sender, , base] of sent) await sender.sendBatch([base + round]);
    }
    for (const [sender] of sent) sender.end();
    const got = await Promise.all(results);
    assert.deepEqual(got.map((r) => r.messages.flat()), [
      [0, 1, 2],
      [100, 101, 102],
      [200, 201, 202],
      [300, 301, 302],
    ]);
  } finally {
    await Promise.all([a!.close(), b!.close()]);
  }
});

Deno.test("TcpConnection coalesces batches that wait to be written, and never holds one back", async () => {
  const { clusters: [a, b] } = await openClusters(2);
  try {
    const sender = a!.channel<number>("x", 0, 1);
    const iterator = b!.channel<number>("x", 0, 1).receive()[Symbol.asyncIterator]();
    // A trickle: one item arrives on its own.
    await sender.sendBatch([1]);
    assert.deepEqual((await iterator.next()).value, [1]);
    // Three batches sent in one turn leave as one.
    void sender.sendBatch([2]);
    void sender.sendBatch([3, 4]);
    void sender.sendBatch([5]);
    assert.deepEqual((await iterator.next()).value, [2, 3, 4, 5]);
    // A control message closes the open batch: order is kept.
    void sender.sendBatch([6]);
    sender.sendControl(new Watermark(1));
    void sender.sendBatch([7]);
    assert.deepEqual((await iterator.next()).value, [6]);
    assert.deepEqual((await iterator.next()).value, new Watermark(1));
    assert.deepEqual((await iterator.next()).value, [7]);
    sender.end();
    assert.equal((await iterator.next()).done, true);
  } finally {
    await Promise.all([a!.close(), b!.close()]);
  }
});

Deno.test("TcpConnection's credit makes a slow receiver slow its sender", async () => {
  const { clusters: [a, b] } = await openClusters(2);
  try {
    const sender = a!.channel<number>("x", 0, 1);
    const iterator = b!.channel<number>("x", 0, 1).receive()[Symbol.asyncIterator]();
    // Full batches do not coalesce: each costs one credit.
    const batch = (n: number) => Array.from({ length: 1_024 }, () => n);
    let sent = 0;
    let waiting: Promise<void> | undefined;
    for (let n = 0; n < CHANNEL_CREDIT; n++) {
      const result = sender.sendBatch(batch(n));
      sent++;
      if (result !== undefined) {
        waiting = result;
        break;
      }
    }
    assert.equal(sent, CHANNEL_CREDIT, "the last batch within credit waits");
    let released = false;
    waiting!.then(() => released = true);
    await sleep(200);
    assert.equal(released, false, "no credit comes back while nothing is read");
    assert.deepEqual((await iterator.next()).value, batch(0));
    await eventually(() => released, "credit after one batch was read");
    for (let n = 1; n < CHANNEL_CREDIT; n++) {
      assert.deepEqual((await iterator.next()).value, batch(n));
    }
    sender.end();
    assert.equal((await iterator.next()).done, true);
  } finally {
    await Promise.all([a!.close(), b!.close()]);
  }
});

Deno.test("a channel held back on a connection never blocks another channel on it", async () => {
  const { clusters: [a, b] } = await openClusters(2, () => ({ workersPerProcess: 2 }));
  try {
    // Channel "held" (worker 0 to 2) is not read, as an input held for barrier alignment.
    const held = a!.channel<number>("x", 0, 2);
    const heldIn = b!.channel<number>("x", 0, 2).receive()[Symbol.asyncIterator]();
    const busy = a!.channel<number>("x", 1, 3);
    const busyIn = b!.channel<number>("x", 1, 3).receive();
    const batch = Array.from({ length: 1_024 }, (_, i) => i);
    let heldWaits: Promise<void> | undefined;
    for (let n = 0; n < CHANNEL_CREDIT && heldWaits === undefined; n++) {
      heldWaits = held.sendBatch([...batch]) ?? undefined;
    }
    held.sendControl(new Barrier(1));
    assert.ok(heldWaits, "the held channel used all its credit");
    // The other channel still flows: 200 full batches through while the first waits.
    const busyDone = collect(busyIn);
    for (let n = 0; n < 200; n++) await busy.sendBatch([...batch]);
    busy.end();
    const { messages } = await busyDone;
    assert.equal(messages.filter(isBatch).length, 200);
    let heldReleased = false;
    heldWaits!.then(() => heldReleased = true);
    await sleep(50);
    assert.equal(heldReleased, false);
    // Reading the held channel later gets everything in order.
    const first = await heldIn.next();
    assert.deepEqual(first.value, batch);
    await eventually(() => heldReleased, "credit on the held channel");
    held.end();
    const rest: unknown[] = [];
    for (let r = await heldIn.next(); !r.done; r = await heldIn.next()) rest.push(r.value);
    assert.equal(rest.length, CHANNEL_CREDIT);
    assert.deepEqual(rest.at(-1), new Barrier(1));
  } finally {
    await Promise.all([a!.close(), b!.close()]);
  }
});

Deno.test("TcpConnection passes a sender's failure, and refuses an item that cannot cross", async () => {
  const { clusters: [a, b] } = await openClusters(2);
  try {
    const sender = a!.channel<unknown>("x", 0, 1, { keyed: true, stepId: "f.count" });
    const received = collect(b!.channel<unknown>("x", 0, 1).receive());
    assert.throws(
      () => sender.sendBatch([["k", () => 1]]),
      (error) => error instanceof UnencodableItemError && error.stepId === "f.count",
    );
    await sender.sendBatch([["k", 1]]);
    sender.fail(new Error("boom in step f.map"));
    const { messages, error } = await received;
    assert.deepEqual(messages, [[["k", 1]]]);
    assert.ok(error instanceof Error);
    assert.equal(error.message, "boom in step f.map");
  } finally {
    await Promise.all([a!.close(), b!.close()]);
  }
});

Deno.test("TcpConnection tells the sender when the receiver stopped reading", async () => {
  const { clusters: [a, b] } = await openClusters(2);
  try {
    const sender = a!.channel<number>("x", 0, 1);
    const iterator = b!.channel<number>("x", 0, 1).receive()[Symbol.asyncIterator]();
    await sender.sendBatch([1]);
    assert.deepEqual((await iterator.next()).value, [1]);
    await iterator.return!();
    await eventually(() => sender.closed, "the sender to see the receiver close");
    // Sending on a closed channel is a no-op, never a wait.
    for (let n = 0; n < 10; n++) assert.equal(sender.sendBatch([n]), undefined);
  } finally {
    await Promise.all([a!.close(), b!.close()]);
  }
});

Deno.test("TcpConnection ends cleanly on close, and a receiver left open fails naming the peer", async () => {
  const { clusters: [a, b] } = await openClusters(2);
  const open = collect(b!.channel<number>("never-ended", 0, 1).receive());
  a!.channel<number>("never-ended", 0, 1).sendControl(new Watermark(1));
  await Promise.all([a!.close(), b!.close()]);
  const ends = await Promise.all([a!.connection(1).ended, b!.connection(0).ended]);
  assert.deepEqual(ends.map((end) => end.goodbye), [true, true]);
  const { messages, error } = await open;
  assert.deepEqual(messages, [new Watermark(1)]);
  assert.ok(error instanceof PeerLostError, String(error));
  assert.equal(error.processIndex, 0);
  assert.match(error.message, /process 0 at 127\.0\.0\.1:\d+/);
  // A channel opened after the end fails at once rather than waiting forever.
  const late = await collect(b!.channel<number>("late", 0, 1).receive());
  assert.ok(late.error instanceof PeerLostError, String(late.error));
});

Deno.test("TcpConnection.abort() fails both ends of every channel on this side with its reason", async () => {
  const { clusters: [a, b] } = await openClusters(2);
  const sender = a!.channel<number>("out", 0, 1);
  const received = collect(a!.channel<number>("in", 1, 0).receive());
  const remote = collect(b!.channel<number>("out", 0, 1).receive());
  const reason = new Error("the run failed");
  a!.abort(reason);
  assert.throws(() => sender.sendBatch([1]), (error) => error === reason);
  assert.equal((await received).error, reason);
  assert.equal((await a!.connection(1).ended).error, reason);
  const { error } = await remote;
  assert.ok(error instanceof PeerLostError, String(error));
  assert.equal(
    error.message,
    `Lost cluster process 0 at ${b!.addressOf(0)}: closed the connection without a goodbye`,
  );
});

Deno.test("TcpConnection splits nothing and loses nothing over many batches", async () => {
  const { clusters: [a, b] } = await openClusters(2);
  try {
    const sender = a!.channel<[string, number]>("x", 0, 1, { keyed: true });
    const received = collect(b!.channel<[string, number]>("x", 0, 1).receive());
    let total = 0;
    for (let n = 0; n < 300; n++) {
      const size = 1 + ((n * 37) % 700);
      const batch: [string, number][] = [];
      for (let i = 0; i < size; i++) batch.push([`k${total + i}`, total + i]);
      total += size;
      const waiting = sender.sendBatch(batch);
      if (waiting) await waiting;
    }
    sender.end();
    const items = (await received).messages.flat() as [string, number][];
    assert.equal(items.length, total);
    items.forEach(([key, value], i) => {
      assert.equal(value, i);
      assert.equal(key, `k${i}`);
    });
  } finally {
    await Promise.all([a!.close(), b!.close()]);
  }
});

Deno.test("TcpConnection hands encoded batches through without decoding them", async () => {
  const { clusters: [a, b] } = await openClusters(2);
  try {
    const sender = a!.connection(1).sender<number>("raw");
    const receiver = b!.connection(0).receiver<number>("raw");
    const received = collect(receiver.receiveEncoded());
    // Two batches coalesced into one frame, then one on its own.
    void sender.sendEncoded(encodeBatch("raw", [1, 2], false), 2);
    void sender.sendEncoded(encodeBatch("raw", [3], false), 1);
    await new Promise((resolve) => setTimeout(resolve, 0));
    sender.sendControl(new Barrier(4));
    await sender.sendBatch([5]);
    sender.end();
    const { messages, error } = await received;
    assert.equal(error, undefined);
    assert.equal(messages.length, 3);
    const [first, barrier, last] = messages as [Uint8Array[], Barrier, Uint8Array[]];
    assert.deepEqual(first.map((bytes) => decodeBatch(bytes)), [[1, 2], [3]]);
    assert.deepEqual(barrier, new Barrier(4));
    assert.deepEqual(last.map((bytes) => decodeBatch(bytes)), [[5]]);
  } finally {
    await Promise.all([a!.close(), b!.close()]);
  }
});

Deno.test("TcpConnection.close() ends within its timeout when the peer stopped reading and the goodbye cannot be written", async () => {
  await withChildPeer(async (cluster, child) => {
    // Stopped, the peer reads nothing: what this side writes fills both
    // sockets' buffers, and the write of the goodbye cannot finish.
    child.kill("SIGSTOP");
    const sender = cluster.channel<string>("x", 0, 1);
    const big = "x".repeat(64 * 1024);
    for (let n = 0; n < CHANNEL_CREDIT; n++) {
      if (sender.sendBatch(Array.from({ length: 64 }, () => big)) !== undefined) break;
    }
    const started = Date.now();
    await cluster.connection(1).close(500);
    const took = Date.now() - started;
    assert.ok(took < 5_000, `close() took ${took} ms`);
  });
});

import assert from "node:assert/strict";
import { Barrier, isBatch, type Message, type MessageStream, Watermark } from "../message.ts";
import { settle, waitFor } from "../../../tests/_helpers.ts";
import { COALESCE_LIMIT } from "./channel.ts";
import { UnencodableItemError } from "./codec.ts";
import {
  CREDIT_RETURN,
  type Frame,
  type Link,
  LINK_CREDIT,
  LinkExchanges,
  portLink,
} from "./port_channel.ts";

/** Two workers joined by a MessageChannel; `sent[w]` logs the frames worker `w` sent. */
function twoWorkers(signal = new AbortController().signal) {
  const channel = new MessageChannel();
  const sent: Frame[][] = [[], []];
  const logged = (link: Link, log: Frame[]): Link => ({
    send: (frame, transfer) => {
      log.push(frame);
      link.send(frame, transfer);
    },
    onFrame: (handler) => link.onFrame(handler),
    close: () => link.close(),
  });
  const links = [portLink(channel.port1), portLink(channel.port2)];
  const exchanges = [
    new LinkExchanges(0, [undefined, logged(links[0]!, sent[0]!)], signal),
    new LinkExchanges(1, [logged(links[1]!, sent[1]!), undefined], signal),
  ];
  return { exchanges, sent, close: () => links.forEach((link) => link.close()) };
}

// Everything to worker 1.
const toWorkerOne = () => (batch: readonly unknown[]) => [undefined, [...batch]];
const target = { path: "f.sum", keyed: true };

async function* messages(...list: Message[]): MessageStream {
  yield* list;
}

const nothing = (): MessageStream => messages();

/** Connects worker 0 to exchange `id` with `input` and reads what worker 0 receives (a sender starts with its receiver). */
function send(exchanges: LinkExchanges, id: string, input: MessageStream): Promise<Message[]> {
  const received = collect(exchanges.connect(id, 0, input, toWorkerOne, target));
  received.catch(() => {});
  return received;
}

async function collect(stream: MessageStream): Promise<Message[]> {
  const out: Message[] = [];
  for await (const message of stream) out.push(message);
  return out;
}

const batchFrames = (frames: Frame[], exchange = "x") =>
  frames.filter((frame) => frame.type === "batch" && frame.exchange === exchange).length;

Deno.test("LinkExchanges coalesces small batches for one worker into full ones, in order", async () => {
  const { exchanges, sent, close } = twoWorkers();
  try {
    // 32 batches of 64 items, as a 1,024-item batch split 16 ways would give each worker.
    const input = messages(
      ...Array.from(
        { length: 32 },
        (_, b) => Array.from({ length: 64 }, (_, i) => ["k", b * 64 + i]),
      ),
    );
    send(exchanges[0]!, "x", input);
    const received = await collect(exchanges[1]!.connect("x", 1, nothing(), toWorkerOne, target));
    const items = received.filter(isBatch).flat() as [string, number][];
    assert.deepEqual(items.map(([, n]) => n), Array.from({ length: 2048 }, (_, i) => i));
    assert.equal(batchFrames(sent[0]!), 2048 / COALESCE_LIMIT);
  } finally {
    close();
  }
});

Deno.test("LinkExchanges sends a lone item at once: a trickle is not held back for more", async () => {
  const { exchanges, close } = twoWorkers();
  let release!: () => void;
  const held = new Promise<void>((resolve) => release = resolve);
  async function* trickle(): MessageStream {
    yield [["k", 1]];
    await held;
  }
  try {
    send(exchanges[0]!, "x", trickle());
    const stream = exchanges[1]!.connect("x", 1, nothing(), toWorkerOne, target);
    const iterator = stream[Symbol.asyncIterator]();
    let first = await iterator.next();
    while (!first.done && !isBatch(first.value)) first = await iterator.next();
    assert.deepEqual(first.value, [["k", 1]]);
    release();
    await collect({ [Symbol.asyncIterator]: () => iterator });
  } finally {
    close();
  }
});

Deno.test("LinkExchanges gives a sender credit for LINK_CREDIT batches: an unread receiver stops it", async () => {
  const stop = new AbortController();
  const { exchanges, sent, close } = twoWorkers(stop.signal);
  let produced = 0;
  async function* endless(): MessageStream {
    while (true) {
      produced++;
      yield Array.from({ length: COALESCE_LIMIT }, (_, i) => ["k", i]);
    }
  }
  try {
    send(exchanges[0]!, "x", endless());
    const stream = exchanges[1]!.connect("x", 1, nothing(), toWorkerOne, target);
    const iterator = stream[Symbol.asyncIterator]();
    const credits = () => sent[1]!.reduce((n, f) => f.type === "credit" ? n + f.batches : n, 0);
    await waitFor(() => batchFrames(sent[0]!) >= LINK_CREDIT, 10_000);
    await settle(50);
    // Sent, less what the receiver gave back: exactly the credit is on its way or unread.
    assert.equal(batchFrames(sent[0]!) - credits(), LINK_CREDIT);
    // One more batch waits in the sender; its source is not read beyond it.
    assert.ok(produced <= batchFrames(sent[0]!) + 2, `${produced} batches read`);
    // Each batch read gives one credit back, CREDIT_RETURN at a time, and as
    // many more batches come (the merge of worker 1's inputs may read one
    // ahead of what it yields).
    for (let read = 0; read < CREDIT_RETURN;) {
      const next = await iterator.next();
      if (isBatch(next.value!)) read++;
    }
    await waitFor(() => sent[1]!.some((f) => f.type === "credit"), 10_000);
    await waitFor(() => batchFrames(sent[0]!) >= LINK_CREDIT + CREDIT_RETURN, 10_000);
    await settle(50);
    assert.ok(credits() >= CREDIT_RETURN);
    assert.ok(sent[1]!.every((f) => f.type !== "credit" || f.batches === CREDIT_RETURN));
    assert.equal(batchFrames(sent[0]!), LINK_CREDIT + credits());
    stop.abort(new Error("stop"));
    await iterator.return?.();
    await exchanges[0]!.settled();
  } finally {
    close();
  }
});

Deno.test("LinkExchanges keeps a channel flowing while another on the same link is not read", async () => {
  const { exchanges, close } = twoWorkers();
  try {
    const many = () =>
      messages(
        ...Array.from({ length: 20 }, () => Array.from({ length: COALESCE_LIMIT }, () => ["k", 1])),
        new Barrier(1),
      );
    send(exchanges[0]!, "held", many());
    send(exchanges[0]!, "free", many());
    // "held" is connected on worker 1 but never read, as a channel held for barrier alignment.
    exchanges[1]!.connect("held", 1, nothing(), toWorkerOne, target);
    const free = await collect(exchanges[1]!.connect("free", 1, nothing(), toWorkerOne, target));
    assert.equal(free.filter(isBatch).flat().length, 20 * COALESCE_LIMIT);
    assert.ok(free.some((m) => m instanceof Barrier && m.epoch === 1));
  } finally {
    close();
  }
});

Deno.test("LinkExchanges carries control messages in order with the batches", async () => {
  const { exchanges, close } = twoWorkers();
  try {
    send(exchanges[0]!, "x", messages([["k", 1]], new Watermark(5), [["k", 2]], new Barrier(1)));
    const received = await collect(exchanges[1]!.connect("x", 1, nothing(), toWorkerOne, target));
    // Worker 1's own (empty) input sends its barrier too; keep worker 0's order.
    const items = received.filter(isBatch).flat();
    assert.deepEqual(items, [["k", 1], ["k", 2]]);
    const watermark = received.findIndex((m) => m instanceof Watermark);
    assert.ok(watermark > received.findIndex(isBatch));
  } finally {
    close();
  }
});

Deno.test("LinkExchanges refuses an item the codec cannot carry, naming the step, key and path", async () => {
  const { exchanges, close } = twoWorkers();
  try {
    const input = messages([["k", { ok: 1 }], ["eu", { f: () => 1 }]]);
    send(exchanges[0]!, "x", input);
    await assert.rejects(
      collect(exchanges[1]!.connect("x", 1, nothing(), toWorkerOne, target)),
      (error: unknown) => {
        assert.ok(error instanceof UnencodableItemError, String(error));
        assert.equal(error.stepId, "f.sum");
        assert.equal(error.key, "eu");
        assert.equal(error.path, "[1].f");
        return true;
      },
    );
  } finally {
    close();
  }
});

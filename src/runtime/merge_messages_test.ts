import assert from "node:assert/strict";
import { mergeMessages, mergeSideBatches, SideBatch } from "./merge_messages.ts";
import { Barrier, type Message, StreamStatus, Watermark } from "./message.ts";
import { toArray } from "../../operators/to_array.ts";
import { settle } from "../../tests/_helpers.ts";

/** A runtime stream fed by hand; records whether it was asked to stop. */
class Channel implements AsyncIterableIterator<Message<number>> {
  readonly #buffer: (IteratorResult<Message<number>> | { error: unknown })[] = [];
  #waiting: ((entry: IteratorResult<Message<number>> | { error: unknown }) => void) | undefined;
  returned = false;

  push(message: Message<number>): void {
    this.#deliver({ done: false, value: message });
  }

  end(): void {
    this.#deliver({ done: true, value: undefined });
  }

  fail(error: unknown): void {
    this.#deliver({ error });
  }

  #deliver(entry: IteratorResult<Message<number>> | { error: unknown }): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (waiting) waiting(entry);
    else this.#buffer.push(entry);
  }

  next(): Promise<IteratorResult<Message<number>>> {
    const entry = this.#buffer.shift();
    const settle = (e: IteratorResult<Message<number>> | { error: unknown }) =>
      "error" in e ? Promise.reject(e.error) : Promise.resolve(e);
    if (entry) return settle(entry);
    return new Promise<IteratorResult<Message<number>> | { error: unknown }>((resolve) =>
      this.#waiting = resolve
    ).then(settle);
  }

  return(): Promise<IteratorResult<Message<number>>> {
    this.returned = true;
    this.#deliver({ done: true, value: undefined });
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** Reads `stream` in the background into `out`. */
function collect(stream: AsyncIterable<Message<number>>): {
  out: Message<number>[];
  done: Promise<void>;
} {
  const out: Message<number>[] = [];
  const done = (async () => {
    for await (const message of stream) out.push(message);
  })();
  return { out, done };
}

/** Messages as comparable values: batches stay arrays, controls become strings. */
function show(messages: readonly Message<number>[]): unknown[] {
  return messages.map((m) =>
    m instanceof Barrier
      ? `barrier ${m.epoch}`
      : m instanceof Watermark
      ? `wm ${m.time}`
      : m instanceof StreamStatus
      ? (m.idle ? "idle" : "active")
      : m
  );
}

Deno.test("mergeMessages() passes every batch of every input, keeping each input's order", async () => {
  const a = new Channel();
  const b = new Channel();
  const c = new Channel();
  for (const batch of [[1, 2], [3], [4]]) a.push(batch);
  for (const batch of [[10], [20, 30]]) b.push(batch);
  a.end();
  b.end();
  c.end();
  const { out, done } = collect(mergeMessages([a, b, c]));
  await done;
  const batches = out as number[][];
  assert.deepEqual(batches.flat().sort((x, y) => x - y), [1, 2, 3, 4, 10, 20, 30]);
  assert.deepEqual(batches.filter((m) => m[0]! < 10), [[1, 2], [3], [4]]);
  assert.deepEqual(batches.filter((m) => m[0]! >= 10), [[10], [20, 30]]);
});

Deno.test("mergeMessages() of no live input ends, and of one input passes it through", async () => {
  const empty = [new Channel(), new Channel()];
  for (const channel of empty) channel.end();
  assert.deepEqual(show(await toArray(mergeMessages(empty))), []);

  const only = new Channel();
  only.push([1]);
  only.push(new Barrier(1));
  only.push(new Watermark(5));
  only.end();
  assert.deepEqual(show(await toArray(mergeMessages([only]))), [
    [1],
    "barrier 1",
    "wm 5",
  ]);
});

Deno.test("mergeMessages() holds an input past a barrier until every input reaches it", async () => {
  const a = new Channel();
  const b = new Channel();
  const { out, done } = collect(mergeMessages([a, b]));
  a.push([1]);
  a.push(new Barrier(1));
  a.push([2]);
  b.push([10]);
  await settle(0);
  assert.deepEqual(show(out).sort(), [[1], [10]], "input a was read past its barrier");

  b.push([11]);
  await settle(0);
  assert.deepEqual(show(out).slice(2), [[11]]);

  b.push(new Barrier(1));
  await settle(0);
  assert.deepEqual(show(out).slice(3), ["barrier 1", [2]]);

  a.end();
  b.end();
  await done;
  assert.equal(out.filter((m) => m instanceof Barrier).length, 1, "barrier 1 was emitted twice");
});

Deno.test("mergeMessages() releases a barrier when the inputs not at it end", async () => {
  const a = new Channel();
  const b = new Channel();
  const { out, done } = collect(mergeMessages([a, b]));
  a.push(new Barrier(1));
  a.push([1]);
  b.push([10]);
  await settle(0);
  assert.deepEqual(show(out), [[10]]);
  b.end();
  await settle(0);
  assert.deepEqual(show(out), [[10], "barrier 1", [1]]);
  a.push(new Barrier(2));
  a.end();
  await done;
  assert.deepEqual(show(out), [[10], "barrier 1", [1], "barrier 2"]);
});

Deno.test("mergeMessages() aligns successive barriers, each emitted once in order", async () => {
  const a = new Channel();
  const b = new Channel();
  const { out, done } = collect(mergeMessages([a, b]));
  for (const epoch of [1, 2, 3]) {
    a.push([epoch]);
    a.push(new Barrier(epoch));
  }
  for (const epoch of [1, 2, 3]) {
    b.push([epoch * 10]);
    b.push(new Barrier(epoch));
  }
  a.end();
  b.end();
  await done;
  const shown = show(out);
  assert.deepEqual(shown.filter((m) => typeof m === "string"), [
    "barrier 1",
    "barrier 2",
    "barrier 3",
  ]);
  // Every item of epoch e comes before barrier e and after barrier e - 1.
  for (const epoch of [1, 2, 3]) {
    const at = shown.indexOf(`barrier ${epoch}`);
    const before = shown.indexOf(`barrier ${epoch - 1}`);
    for (const item of [epoch, epoch * 10]) {
      const index = shown.findIndex((m) => Array.isArray(m) && m[0] === item);
      assert.ok(index < at && index > before, `item ${item} is outside epoch ${epoch}: ${shown}`);
    }
  }
});

Deno.test("mergeMessages() emits the minimum watermark over its inputs when it advances", async () => {
  const a = new Channel();
  const b = new Channel();
  const { out, done } = collect(mergeMessages([a, b]));
  a.push(new Watermark(10));
  await settle(0);
  assert.deepEqual(show(out), [], "a watermark passed while input b had none");
  b.push(new Watermark(5));
  await settle(0);
  assert.deepEqual(show(out), ["wm 5"]);
  a.push(new Watermark(20));
  await settle(0);
  assert.deepEqual(show(out), ["wm 5"], "the watermark moved past input b's");
  b.push(new Watermark(15));
  await settle(0);
  assert.deepEqual(show(out), ["wm 5", "wm 15"]);
  b.push(new Watermark(12));
  await settle(0);
  assert.deepEqual(show(out), ["wm 5", "wm 15"], "the watermark went backwards");
  b.end();
  await settle(0);
  assert.deepEqual(show(out), ["wm 5", "wm 15", "wm 20"], "an ended input held it back");
  a.end();
  await done;
  assert.deepEqual(show(out), ["wm 5", "wm 15", "wm 20"]);
});

Deno.test("mergeMessages() leaves an idle input out of the watermark, and is idle when all are", async () => {
  const a = new Channel();
  const b = new Channel();
  const { out, done } = collect(mergeMessages([a, b]));
  a.push(new Watermark(10));
  b.push(StreamStatus.IDLE);
  await settle(0);
  assert.deepEqual(show(out), ["wm 10"], "the idle input held the watermark back");
  a.push(StreamStatus.IDLE);
  await settle(0);
  assert.deepEqual(show(out), ["wm 10", "idle"]);
  b.push(new Barrier(1));
  a.push(new Barrier(1));
  b.push(StreamStatus.ACTIVE);
  b.push([1]);
  b.push(new Watermark(5));
  await settle(0);
  assert.deepEqual(show(out), ["wm 10", "idle", "barrier 1", "active", [1]]);
  b.push(new Watermark(20));
  await settle(0);
  assert.deepEqual(show(out).slice(5), ["wm 20"], "the idle input's watermark held it back");
  a.push(StreamStatus.ACTIVE);
  a.push(new Watermark(15));
  await settle(0);
  assert.deepEqual(show(out).slice(6), [], "the watermark went back for an input that woke up");
  a.push(new Watermark(30));
  b.push(new Watermark(25));
  await settle(0);
  assert.deepEqual(show(out).slice(6), ["wm 25"]);
  a.end();
  b.end();
  await done;
});

Deno.test("mergeMessages() fails with the first input error and closes the other inputs", async () => {
  const error = new Error("boom");
  const a = new Channel();
  const b = new Channel();
  const c = new Channel();
  const { out, done } = collect(mergeMessages([a, b, c]));
  a.push([1]);
  c.push(new Barrier(1));
  await settle(0);
  a.fail(error);
  await assert.rejects(done, (e: unknown) => e === error);
  assert.deepEqual(show(out), [[1]]);
  assert.equal(b.returned, true, "a pending input was not closed");
  assert.equal(c.returned, true, "an input held at a barrier was not closed");
});

Deno.test("mergeMessages() closes its inputs when its consumer stops early", async () => {
  const a = new Channel();
  const b = new Channel();
  a.push([1]);
  for await (const message of mergeMessages([a, b])) {
    assert.deepEqual(message, [1]);
    break;
  }
  assert.equal(a.returned, true);
  assert.equal(b.returned, true);
});

Deno.test("mergeSideBatches() tags each batch with its input's index; controls pass as merged", async () => {
  const a = new Channel();
  const b = new Channel();
  a.push([1]);
  a.push(new Watermark(5));
  b.push([10, 11]);
  b.push(new Watermark(3));
  a.end();
  b.end();
  const out = await toArray(mergeSideBatches([a, b]));
  const batches = out.filter((m): m is SideBatch<number> => m instanceof SideBatch);
  assert.deepEqual(
    batches.map(({ side, batch }) => [side, batch]).sort(),
    [[0, [1]], [1, [10, 11]]],
  );
  const watermarks = out.filter((m) => m instanceof Watermark).map((m) => (m as Watermark).time);
  assert.deepEqual(watermarks, [3], "the least watermark over the inputs");
});

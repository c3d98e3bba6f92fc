import assert from "node:assert/strict";
import { broadcast, Fork, FORK_CAPACITY } from "./fork.ts";
import { Barrier, isBatch, type Message } from "./message.ts";
import { toArray } from "../../operators/to_array.ts";
import { settle } from "../../tests/_helpers.ts";

/** An input of `count` one-item batches that records how far it was read and whether it closed. */
function countingInput(count: number, options: { error?: Error } = {}): {
  input: AsyncIterable<Message<number>>;
  state: { pulled: number; closed: boolean };
} {
  const state = { pulled: 0, closed: false };
  async function* generate(): AsyncGenerator<Message<number>> {
    try {
      for (let i = 1; i <= count; i++) {
        await Promise.resolve();
        state.pulled++;
        yield [i];
      }
      if (options.error) throw options.error;
    } finally {
      state.closed = true;
    }
  }
  return { input: generate(), state };
}

function range(from: number, to: number): number[][] {
  return Array.from({ length: to - from + 1 }, (_, i) => [from + i]);
}

/** Reads `count` messages from `iterator`. */
async function take(iterator: AsyncIterator<Message>, count: number): Promise<Message[]> {
  const out: Message[] = [];
  for (let i = 0; i < count; i++) {
    const result = await iterator.next();
    if (result.done) break;
    out.push(result.value);
  }
  return out;
}

/** Fails with `message` unless `promise` settles within `ms`. */
async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("Fork with broadcast gives every port every message, in order", async () => {
  const barrier = new Barrier(1);
  async function* input(): AsyncGenerator<Message<number>> {
    yield [1, 2];
    yield barrier;
    yield [3];
  }
  const fork = new Fork(input(), [true, true, true], broadcast(3));
  const ports = [0, 1, 2].map((i) => toArray(fork.port(i)));
  for (const messages of await Promise.all(ports)) {
    assert.deepEqual(messages, [[1, 2], barrier, [3]]);
  }
});

Deno.test("Fork reads no further ahead than the slowest port can hold", async () => {
  const { input, state } = countingInput(20);
  const fork = new Fork(input, [true, true], broadcast(2));
  const fast = fork.port(0)[Symbol.asyncIterator]();
  const slow = fork.port(1)[Symbol.asyncIterator]();

  assert.deepEqual(await take(fast, FORK_CAPACITY), range(1, FORK_CAPACITY));
  let blocked = true;
  const next = fast.next().then((result) => {
    blocked = false;
    return result;
  });
  await settle(0);
  assert.equal(blocked, true, "the fast port ran ahead of the slow one's capacity");
  assert.equal(state.pulled, FORK_CAPACITY);

  assert.deepEqual(await take(slow, 1), [[1]]);
  assert.deepEqual((await next).value, [FORK_CAPACITY + 1]);

  const [restFast, restSlow] = await Promise.all([take(fast, 100), take(slow, 100)]);
  assert.deepEqual(restFast, range(FORK_CAPACITY + 2, 20));
  assert.deepEqual(restSlow, range(2, 20));
  assert.equal(state.closed, true);
});

Deno.test("Fork stops waiting for a port whose consumer returned after reading", async () => {
  const { input, state } = countingInput(20);
  const fork = new Fork(input, [true, true], broadcast(2));
  const quitter = fork.port(1)[Symbol.asyncIterator]();
  assert.deepEqual(await take(quitter, 1), [[1]]);
  await quitter.return!();
  const all = await within(toArray(fork.port(0)), 150, "port 0 is still blocked");
  assert.deepEqual(all, range(1, 20));
  assert.equal(state.closed, true);
});

Deno.test("Fork stops waiting for a port whose consumer returned before reading", async () => {
  const { input } = countingInput(20);
  const fork = new Fork(input, [true, true], broadcast(2));
  await fork.port(1)[Symbol.asyncIterator]().return!();
  const all = await within(
    toArray(fork.port(0)),
    150,
    "port 0 is still blocked by a port that was returned before its first read",
  );
  assert.deepEqual(all, range(1, 20));
});

Deno.test("Fork closes its input once every port is closed", async () => {
  const { input, state } = countingInput(20);
  const fork = new Fork(input, [true, true], broadcast(2));
  const a = fork.port(0)[Symbol.asyncIterator]();
  const b = fork.port(1)[Symbol.asyncIterator]();
  await take(a, 2);
  await take(b, 1);
  await a.return!();
  assert.equal(state.closed, false, "the input was closed while a port was still open");
  await b.return!();
  assert.equal(state.closed, true);
  assert.ok(state.pulled <= 2 + FORK_CAPACITY);
});

Deno.test("Fork sends an input error to every port", async () => {
  const error = new Error("boom");
  const { input } = countingInput(3, { error });
  const fork = new Fork(input, [true, true], broadcast(2));
  const results = await Promise.allSettled([0, 1].map(async (i) => {
    const seen: Message[] = [];
    try {
      for await (const message of fork.port(i)) seen.push(message);
    } catch (e) {
      return { seen, error: e };
    }
    return { seen, error: undefined };
  }));
  for (const result of results) {
    assert.equal(result.status, "fulfilled");
    assert.deepEqual(result.value, { seen: range(1, 3), error });
  }
});

Deno.test("Fork routes each message to the ports its route picks; closed ports get nothing", async () => {
  const { input } = countingInput(10);
  const route = (message: Message<number>, emit: (port: number, m: Message) => void) => {
    if (!isBatch(message)) return;
    emit(message[0]! % 3, message);
  };
  const fork = new Fork(input, [true, true, false], route);
  const [zeros, ones] = await Promise.all([
    toArray(fork.port(0)),
    toArray(fork.port(1)),
  ]);
  assert.deepEqual(zeros, [[3], [6], [9]]);
  assert.deepEqual(ones, [[1], [4], [7], [10]]);
});

Deno.test("Fork fails every port and closes its input when the route throws", async () => {
  const error = new Error("bad route");
  const { input, state } = countingInput(10);
  const fork = new Fork(input, [true, true], (message, emit) => {
    if (isBatch(message) && message[0] === 3) throw error;
    emit(0, message);
    emit(1, message);
  });
  const outcomes = await Promise.all(
    [0, 1].map((i) => toArray(fork.port(i)).then(() => undefined, (e: unknown) => e)),
  );
  assert.deepEqual(outcomes, [error, error]);
  assert.equal(state.closed, true);
});

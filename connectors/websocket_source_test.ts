import assert from "node:assert/strict";
import { Dataflow, run } from "../mod.ts";
import { TestingSink } from "./testing.ts";
import { type FeedError, feedInput, WebSocketSource } from "./mod.ts";
import { silentServer, webSocketServer } from "./_test_feed_servers.ts";

/** Runs `source` through `feedInput`, returning what reached `oks` and `errs`. */
async function readFeed<T>(source: WebSocketSource<T>, signal?: AbortSignal) {
  const oks: T[] = [];
  const errs: FeedError[] = [];
  const flow = new Dataflow("f");
  const { oks: good, errs: bad } = feedInput(flow, "inp", source);
  good.output("oks", new TestingSink(oks));
  bad.output("errs", new TestingSink(errs));
  await run(flow, { signal });
  return { oks, errs };
}

const quiet = { onError: () => {} };

Deno.test("WebSocketSource reads text and binary messages until the server closes, with endOnClose", async () => {
  const server = await webSocketServer((socket) => {
    socket.send("a");
    socket.send(new TextEncoder().encode("b"));
    socket.send("c", () => socket.close(1000));
  });
  try {
    const out: string[] = [];
    const flow = new Dataflow("f");
    flow.input("inp", new WebSocketSource(server.url, { endOnClose: true }))
      .output("out", new TestingSink(out));
    await run(flow);
    assert.deepEqual(out, ["a", "b", "c"]);
  } finally {
    await server.close();
  }
});

Deno.test("WebSocketSource parses JSON and bytes, and puts garbage on the errs stream", async () => {
  const server = await webSocketServer((socket) => {
    socket.send('{"n":1}');
    socket.send("garbage");
    socket.send('{"n":2}', () => socket.close(1000));
  });
  try {
    const source = new WebSocketSource<{ n: number }>(server.url, {
      parse: "json",
      endOnClose: true,
    });
    const { oks, errs } = await readFeed(source);
    assert.deepEqual(oks, [{ n: 1 }, { n: 2 }]);
    assert.deepEqual(errs.map((e) => [e.kind, e.raw]), [["parse", "garbage"]]);
    assert.match(errs[0]!.message, /^ws:\/\/127\.0\.0\.1:\d+\/: cannot parse a message: /);
    assert.equal(source.stats.parseErrors, 1);
    assert.equal(source.stats.received, 3);

    const bytes = await readFeed(
      new WebSocketSource<Uint8Array>(server.url, { parse: "bytes", endOnClose: true }),
    );
    assert.deepEqual(bytes.oks.map((b) => new TextDecoder().decode(b)), [
      '{"n":1}',
      "garbage",
      '{"n":2}',
    ]);
  } finally {
    await server.close();
  }
});

Deno.test("WebSocketSource reconnects after the connection drops, and counts the drop", async () => {
  const server = await webSocketServer((socket, index) => {
    if (index === 0) socket.send("first", () => socket.terminate());
    else socket.send("second", () => socket.close(1000));
  });
  try {
    const source = new WebSocketSource(server.url, {
      endOnClose: true,
      reconnect: { initialDelay: 10 },
    });
    const { oks, errs } = await readFeed(source);
    assert.deepEqual(oks, ["first", "second"]);
    assert.deepEqual(errs.map((e) => e.kind), ["disconnect"]);
    assert.equal(source.stats.connects, 2);
    assert.equal(source.stats.disconnects, 2);
  } finally {
    await server.close();
  }
});

Deno.test("WebSocketSource retries a server that never answers with growing pauses, then stops the run naming it", async () => {
  const server = await silentServer("ws");
  try {
    const errors: FeedError[] = [];
    const source = new WebSocketSource(server.url, {
      connectTimeout: 150,
      reconnect: { initialDelay: 100, maxAttempts: 3 },
      onError: (error) => errors.push(error),
    });
    const flow = new Dataflow("f");
    flow.input("inp", source).output("out", new TestingSink([]));
    await assert.rejects(run(flow), (error: Error) => {
      const cause = String((error.cause as Error)?.message ?? error.message);
      assert.match(
        cause,
        /^Cannot read feed ws:\/\/127\.0\.0\.1:\d+\/: 3 connection attempts in a row failed; the last: no answer within 150 ms$/,
      );
      return true;
    });
    assert.deepEqual(errors.map((e) => e.kind), ["connect", "connect", "connect"]);
    assert.equal(source.stats.connectErrors, 3);
    // Each attempt waits 150 ms for an answer, then pauses 100, then 200 ms.
    const [a, b, c] = server.accepted;
    assert.equal(server.accepted.length, 3);
    assert.ok(b! - a! >= 240, `first pause ${b! - a!} ms`);
    assert.ok(c! - b! >= 340, `second pause ${c! - b!} ms`);
  } finally {
    await server.close();
  }
});

Deno.test("WebSocketSource drops the oldest items when its buffer is full, and says how many", async () => {
  let sent = 0;
  const server = await webSocketServer((socket) => {
    for (let i = 0; i < 50; i++) socket.send(`m${i}`, () => sent++);
  });
  try {
    const source = new WebSocketSource(server.url, { bufferSize: 10 });
    const reader = await source.withErrors().build("f.inp", 0, 1, { now: () => Date.now() });
    try {
      // Nobody reads while the 50 messages arrive.
      while (source.stats.received < 50) await new Promise((r) => setTimeout(r, 5));
      const batch = await reader.nextBatch();
      assert.ok(batch);
      const [overflow, ...items] = batch;
      assert.equal((overflow as FeedError).kind, "overflow");
      assert.equal((overflow as FeedError).dropped, 40);
      assert.match((overflow as FeedError).message, /dropped 40 items: the buffer of 10 was full/);
      assert.deepEqual(items, Array.from({ length: 10 }, (_, i) => `m${40 + i}`));
      assert.equal(source.stats.dropped, 40);
      assert.equal(sent, 50);
    } finally {
      await reader.close?.();
    }
  } finally {
    await server.close();
  }
});

Deno.test("WebSocketSource stops at once when the run is aborted, connected or still connecting", async () => {
  const open = await webSocketServer(() => {});
  const silent = await silentServer("ws");
  try {
    for (const url of [open.url, silent.url]) {
      const controller = new AbortController();
      const source = new WebSocketSource(url, { ...quiet, connectTimeout: 60_000 });
      const reason = new Error("stop");
      const flow = new Dataflow("f");
      flow.input("inp", source).output("out", new TestingSink([]));
      const done = run(flow, { signal: controller.signal });
      await new Promise((r) => setTimeout(r, 100));
      const start = Date.now();
      controller.abort(reason);
      await assert.rejects(done, (error) => error === reason);
      assert.ok(Date.now() - start < 1_000, `stopped after ${Date.now() - start} ms`);
    }
  } finally {
    await open.close();
    await silent.close();
  }
});

Deno.test("WebSocketSource is read by the first worker only", async () => {
  const source = new WebSocketSource("ws://127.0.0.1:9/");
  const reader = await source.build("f.inp", 1);
  assert.equal(await reader.nextBatch(), null);
  assert.equal(source.stats.connects + source.stats.connectErrors, 0);
});

Deno.test("WebSocketSource rejects a URL that is not ws: or wss:, and bad options", () => {
  assert.throws(
    () => new WebSocketSource("http://127.0.0.1/"),
    /the URL must be ws: or wss:, got "http:\/\/127\.0\.0\.1\/"/,
  );
  assert.throws(() => new WebSocketSource("ws://h/", { bufferSize: 0 }), RangeError);
  assert.throws(
    () => new WebSocketSource("ws://h/", { parse: "xml" as "text" }),
    /parse must be "text", "json", "bytes" or a function, got "xml"/,
  );
});

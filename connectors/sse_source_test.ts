import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { Dataflow, run } from "../mod.ts";
import { TestingSink } from "./testing.ts";
import { type FeedError, feedInput, SSESource } from "./mod.ts";
import { httpServer, silentServer } from "./_test_feed_servers.ts";

async function readFeed<T>(source: SSESource<T>) {
  const oks: T[] = [];
  const errs: FeedError[] = [];
  const flow = new Dataflow("f");
  const input = feedInput(flow, "inp", source);
  input.oks.output("oks", new TestingSink(oks));
  input.errs.output("errs", new TestingSink(errs));
  await run(flow);
  return { oks, errs };
}

function startStream(response: ServerResponse): void {
  response.writeHead(200, { "content-type": "text/event-stream" });
}

Deno.test("SSESource reads events: multi-line data, types, ids and comments, until the stream ends", async () => {
  type SSEEventLike = { data: string; event: string; id: string };
  const server = await httpServer((request, response) => {
    assert.equal(request.headers.accept, "text/event-stream");
    startStream(response);
    response.write(": a comment\n\ndata: one\n\n");
    // Split across writes, with CRLF line ends.
    response.write("event: tick\r\nid: 7\r\ndata: two\r\nda");
    response.end("ta: lines\r\n\r\ndata:three\n\n");
  });
  try {
    const source = new SSESource<SSEEventLike>(server.url, {
      parse: (event) => event,
      endOnClose: true,
    });
    const { oks, errs } = await readFeed(source);
    assert.deepEqual(oks, [
      { data: "one", event: "message", id: "" },
      { data: "two\nlines", event: "tick", id: "7" },
      { data: "three", event: "message", id: "7" },
    ]);
    assert.deepEqual(errs, []);
    const ticks = await readFeed(new SSESource(server.url, { events: ["tick"], endOnClose: true }));
    assert.deepEqual(ticks.oks, ["two\nlines"]);
  } finally {
    await server.close();
  }
});

Deno.test("SSESource puts data that is not JSON on the errs stream and goes on", async () => {
  const server = await httpServer((_request, response) => {
    startStream(response);
    response.end('data: {"n":1}\n\ndata: {oops\n\ndata: {"n":2}\n\n');
  });
  try {
    const source = new SSESource<{ n: number }>(server.url, { parse: "json", endOnClose: true });
    const { oks, errs } = await readFeed(source);
    assert.deepEqual(oks, [{ n: 1 }, { n: 2 }]);
    assert.deepEqual(errs.map((e) => [e.kind, (e.raw as { data: string }).data]), [[
      "parse",
      "{oops",
    ]]);
    assert.equal(source.stats.parseErrors, 1);
  } finally {
    await server.close();
  }
});

Deno.test("SSESource reconnects after a drop and sends the last event id", async () => {
  const lastIds: (string | undefined)[] = [];
  let source: SSESource | undefined;
  const server = await httpServer(async (request, response, index) => {
    lastIds.push(request.headers["last-event-id"] as string | undefined);
    startStream(response);
    if (index === 0) {
      response.write("id: 1\ndata: a\n\n");
      // Once the event is in, the connection breaks mid-stream.
      while (source!.stats.received < 1) await new Promise((r) => setTimeout(r, 2));
      response.socket?.destroy();
    } else {
      response.end("id: 2\ndata: b\n\n");
    }
  });
  try {
    source = new SSESource(server.url, { endOnClose: true, reconnect: { initialDelay: 10 } });
    const { oks, errs } = await readFeed(source);
    assert.deepEqual(oks, ["a", "b"]);
    assert.deepEqual(lastIds, [undefined, "1"]);
    assert.deepEqual(errs.map((e) => e.kind), ["disconnect"]);
    assert.equal(source.stats.connects, 2);
  } finally {
    await server.close();
  }
});

Deno.test("SSESource counts a response that is not an event stream as a failed attempt, naming the status", async () => {
  const server = await httpServer((_request, response) => {
    response.writeHead(503, { "content-type": "text/plain" });
    response.end("busy");
  });
  try {
    const errors: FeedError[] = [];
    const source = new SSESource(server.url, {
      reconnect: { initialDelay: 1, maxAttempts: 2 },
      onError: (error) => errors.push(error),
    });
    const flow = new Dataflow("f");
    flow.input("inp", source).output("out", new TestingSink([]));
    await assert.rejects(run(flow), (error: Error) => {
      assert.match(
        String((error.cause as Error)?.message ?? error.message),
        /2 connection attempts in a row failed; the last: expected 200 with text\/event-stream, got 503 with "text\/plain"/,
      );
      return true;
    });
    assert.deepEqual(errors.map((e) => e.kind), ["connect", "connect"]);
  } finally {
    await server.close();
  }
});

Deno.test("SSESource times out a server that never answers", async () => {
  const server = await silentServer("http");
  try {
    const source = new SSESource(server.url, {
      connectTimeout: 100,
      reconnect: { initialDelay: 1, maxAttempts: 2 },
      onError: () => {},
    });
    const flow = new Dataflow("f");
    flow.input("inp", source).output("out", new TestingSink([]));
    await assert.rejects(run(flow), /the last: no answer within 100 ms/);
    assert.equal(source.stats.connectErrors, 2);
    // Node's fetch may open a spare connection; each attempt opened at least one.
    assert.ok(server.accepted.length >= 2);
  } finally {
    await server.close();
  }
});

Deno.test("SSESource stops reading when its buffer is full, and drops nothing", async () => {
  let written = 0;
  const server = await httpServer(async (_request, response) => {
    startStream(response);
    for (let i = 0; i < 2000; i++) {
      const ok = response.write(`data: ${i}\n\n`);
      written++;
      if (!ok) await new Promise((resolve) => response.once("drain", resolve));
    }
    response.end();
  });
  try {
    const source = new SSESource(server.url, { bufferSize: 10, endOnClose: true });
    const reader = await source.build("f.inp", 0);
    try {
      while (source.stats.received < 10) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 200));
      // One chunk read past the limit at most: far from all 2000.
      const waiting = source.stats.received;
      assert.ok(waiting < 2000, `received ${waiting} while nobody read`);
      const all: string[] = [];
      for (let batch; (batch = await reader.nextBatch()) !== null;) all.push(...batch);
      assert.deepEqual(all, Array.from({ length: 2000 }, (_, i) => String(i)));
      assert.equal(source.stats.dropped, 0);
      assert.equal(written, 2000);
    } finally {
      await reader.close?.();
    }
  } finally {
    await server.close();
  }
});

Deno.test("SSESource stops at once when the run is aborted", async () => {
  const server = await httpServer((_request, response) => {
    startStream(response);
    response.write(": open\n\n");
  });
  try {
    const controller = new AbortController();
    const flow = new Dataflow("f");
    flow.input("inp", new SSESource(server.url)).output("out", new TestingSink([]));
    const done = run(flow, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 100));
    const reason = new Error("stop");
    const start = Date.now();
    controller.abort(reason);
    await assert.rejects(done, (error) => error === reason);
    assert.ok(Date.now() - start < 1_000, `stopped after ${Date.now() - start} ms`);
  } finally {
    await server.close();
  }
});

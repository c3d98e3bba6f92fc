import assert from "node:assert/strict";
import { sockets } from "./socket.ts";

Deno.test("sockets carry bytes both ways and read null once the peer closed", async () => {
  const listener = await sockets.listen({ hostname: "127.0.0.1", port: 0 });
  assert.equal(listener.address, `127.0.0.1:${listener.port}`);
  const client = await sockets.connect({ hostname: "127.0.0.1", port: listener.port });
  const server = (await listener.accept())!;
  try {
    assert.match(server.remoteAddress, /^127\.0\.0\.1:\d+$/);
    assert.equal(client.remoteAddress, `127.0.0.1:${listener.port}`);
    // More than the system buffers hold: the writer waits for the reader.
    const big = new Uint8Array(8 * 1024 * 1024).map((_, i) => i % 251);
    const writing = client.write(big);
    const received: Uint8Array[] = [];
    let total = 0;
    while (total < big.length) {
      const chunk = (await server.read())!;
      received.push(chunk);
      total += chunk.length;
    }
    await writing;
    const joined = new Uint8Array(total);
    let at = 0;
    for (const chunk of received) {
      joined.set(chunk, at);
      at += chunk.length;
    }
    assert.deepEqual(joined, big);
    await server.write(new Uint8Array([9]));
    assert.deepEqual(await client.read(), new Uint8Array([9]));
    client.close();
    assert.equal(await server.read(), null);
    server.close();
    server.close();
    listener.close();
    assert.equal(await listener.accept(), null);
  } finally {
    client.close();
    server.close();
    listener.close();
  }
});

Deno.test("sockets.connect() rejects where nothing listens", async () => {
  const listener = await sockets.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.port;
  listener.close();
  await assert.rejects(sockets.connect({ hostname: "127.0.0.1", port }));
});

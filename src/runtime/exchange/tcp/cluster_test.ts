import assert from "node:assert/strict";
import { type Socket, type SocketAddress, sockets } from "../../platform/socket.ts";
import { type Cluster, type ClusterOptions, ClusterStartupError, openCluster } from "./cluster.ts";
import { collect, eventually, loopbackAddresses, openClusters, sleep } from "./_test_cluster.ts";

function options(
  addresses: SocketAddress[],
  processIndex: number,
  log: string[],
  more: Partial<ClusterOptions> = {},
): ClusterOptions {
  return {
    addresses,
    processIndex,
    workersPerProcess: 1,
    flowId: "flow",
    fingerprint: "graph-1",
    version: "0.1.0",
    startupTimeoutMs: 30_000,
    handshakeTimeoutMs: 1_500,
    log: (line) => log.push(line),
    ...more,
  };
}

/** Process 1 of the same cluster, built right: it connects, and a message crosses. */
async function joinAndExchange(first: Promise<Cluster>, addresses: SocketAddress[], more = {}) {
  const log: string[] = [];
  const [a, b] = await Promise.all([first, openCluster(options(addresses, 1, log, more))]);
  try {
    const received = collect(a.channel<number>("x", 1, 0).receive());
    await b.channel<number>("x", 1, 0).sendBatch([42]);
    b.channel<number>("x", 1, 0).end();
    assert.deepEqual((await received).messages, [[42]]);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
  assert.deepEqual(log, []);
}

const MISMATCHES: [string, Partial<ClusterOptions>, RegExp][] = [
  [
    "another flow",
    { flowId: "other" },
    /the flow id differs: this process has "(flow|other)", the peer "(other|flow)"/,
  ],
  ["another version", { version: "0.2.0" }, /runnel's version differs/],
  ["another graph", { fingerprint: "graph-2" }, /the graph fingerprint differs/],
  ["other workers per process", { workersPerProcess: 2 }, /workers per process differs/],
  ["a secret the listener lacks", { secret: "s3cret" }, /cluster secret/],
];

for (const [what, wrong, reason] of MISMATCHES) {
  Deno.test(`openCluster() refuses a peer with ${what}, logging why on both sides, and then accepts the right one`, async () => {
    const addresses = await loopbackAddresses(2);
    const log0: string[] = [];
    const first = openCluster(options(addresses, 0, log0));
    const log1: string[] = [];
    await assert.rejects(openCluster(options(addresses, 1, log1, wrong)), (error) => {
      assert.ok(error instanceof ClusterStartupError, String(error));
      assert.match(error.message, reason);
      return true;
    });
    assert.equal(log1.length, 1);
    assert.match(log1[0]!, reason);
    await eventually(() => log0.length > 0, "the listener to log the refusal");
    assert.match(log0[0]!, /process 0 dropped a connection from 127\.0\.0\.1:\d+: /);
    assert.match(log0[0]!, reason);
    await joinAndExchange(first, addresses);
    assert.equal(log0.length, 1, "nothing else was logged");
  });
}

Deno.test("openCluster() with a secret accepts a peer that knows it and refuses one that does not", async () => {
  const addresses = await loopbackAddresses(2);
  const log0: string[] = [];
  const first = openCluster(options(addresses, 0, log0, { secret: "right" }));
  const log1: string[] = [];
  await assert.rejects(
    openCluster(options(addresses, 1, log1, { secret: "wrong" })),
    /does not know the cluster secret/,
  );
  await eventually(() => log0.length > 0, "the listener to log the refusal");
  assert.match(log0[0]!, /the peer does not know the cluster secret/);
  assert.ok(!log0[0]!.includes("right") && !log1.join().includes("wrong"), "no secret is logged");
  await joinAndExchange(first, addresses, { secret: "right" });
});

Deno.test("openCluster() refuses a peer that claims the wrong process index", async () => {
  const addresses = await loopbackAddresses(3);
  const log0: string[] = [];
  const first = openCluster(options(addresses, 0, log0, { startupTimeoutMs: 60_000 }));
  // Process 2's address list names process 0's address as process 1's.
  const swapped = [addresses[1]!, addresses[0]!, addresses[2]!];
  const log2: string[] = [];
  await assert.rejects(
    openCluster(options(swapped, 2, log2)),
    /should be process 1, it says it is 0/,
  );
  // Only the dialer saw the mismatch; the listener logs the reason it was sent.
  await eventually(() => log0.length > 0, "the listener to log the refusal");
  assert.match(
    log0[0]!,
    /dropped a connection from 127\.0\.0\.1:\d+: .*should be process 1, it says it is 0/,
  );
  await Promise.all([
    first.then((c) => c.close()),
    openCluster(options(addresses, 1, [])).then((c) => c.close()),
    openCluster(options(addresses, 2, [])).then((c) => c.close()),
  ]);
});

function frameHeader(length: number, type: number): Uint8Array {
  const bytes = new Uint8Array(5);
  new DataView(bytes.buffer).setUint32(0, length);
  bytes[4] = type;
  return bytes;
}

/** Reads until the other side closes; `true` once it did. */
async function closedByPeer(socket: Socket): Promise<boolean> {
  try {
    while ((await socket.read()) !== null);
  } catch {
    // A reset is a close too.
  }
  return true;
}

/** Opens five hostile connections to `address`: the bytes of another protocol, an oversized frame, garbage, half a frame, and a slowloris. */
async function attack(address: SocketAddress) {
  const connect = () => sockets.connect(address);
  // Bytes of another protocol: their first four bytes read as a huge length.
  const http = await connect();
  await http.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  // A frame announcing 4 GiB.
  const oversized = await connect();
  await oversized.write(frameHeader(0xffff_ffff, 1));
  // A hello of the right size holding garbage.
  const garbage = await connect();
  await garbage.write(frameHeader(16, 1));
  await garbage.write(new Uint8Array(16).fill(0xff));
  // Half a frame, then silence, the socket left open.
  const halfOpen = await connect();
  await halfOpen.write(frameHeader(100, 1));
  await halfOpen.write(new Uint8Array(10));
  // A hello's header, then one byte at a time, never finishing.
  const slow = await connect();
  await slow.write(frameHeader(60_000, 1));
  let dripping = true;
  const drip = (async () => {
    try {
      while (dripping) {
        await slow.write(new Uint8Array([0]));
        await sleep(100);
      }
    } catch {
      // Dropped by the listener: expected.
    }
  })();
  const sockets_ = [http, oversized, garbage, halfOpen, slow];
  let closed = 0;
  const allClosed = Promise.all(
    sockets_.map((socket) => closedByPeer(socket).then(() => closed++)),
  );
  return {
    /** How many of them the listener closed so far. */
    closed: () => closed,
    allClosed,
    async stop() {
      dripping = false;
      await drip;
      for (const socket of sockets_) socket.close();
    },
  };
}

/** Process 0 of a cluster of `count`, once it listens. */
async function listening(addresses: SocketAddress[], log: string[], handshakeTimeoutMs = 1_500) {
  const first = openCluster(options(addresses, 0, log, { handshakeTimeoutMs }));
  let probe;
  while (probe === undefined) {
    probe = await sockets.connect(addresses[0]!).catch(() => undefined);
    if (probe === undefined) await sleep(20);
  }
  probe.close();
  await eventually(() => log.length === 1, "the probe to be dropped");
  log.length = 0;
  return { first };
}

Deno.test("a listener drops garbage, an oversized frame, a half-open client and a slowloris, logging why", async () => {
  const addresses = await loopbackAddresses(2);
  const log0: string[] = [];
  const { first } = await listening(addresses, log0);
  const bad = await attack(addresses[0]!);
  await bad.allClosed;
  await bad.stop();
  const text = log0.join("\n");
  assert.equal(log0.length, 5, text);
  assert.match(text, /Cannot read a frame of 1195725856 bytes: the limit is 65536 bytes/);
  assert.match(text, /Cannot read a frame of 4294967295 bytes/);
  assert.match(text, /its hello could not be decoded|its hello is not a runnel cluster hello/);
  assert.equal(log0.filter((line) => /no handshake within 1500 ms/.test(line)).length, 2, text);
  await joinAndExchange(first, addresses);
});

Deno.test("a listener accepts a peer while hostile clients hang on", async () => {
  const addresses = await loopbackAddresses(2);
  const log0: string[] = [];
  // Long enough that the slow clients are still there when the peer joins, however busy the machine.
  const { first } = await listening(addresses, log0, 60_000);
  const bad = await attack(addresses[0]!);
  // The clients that fail at once are gone; the half-open one and the slowloris wait.
  await eventually(() => bad.closed() === 3, "the three quick refusals");
  await joinAndExchange(first, addresses);
  assert.equal(log0.filter((line) => /no handshake within/.test(line)).length, 0);
  // The cluster formed: the listener closed and the waiting handshakes were cut short.
  await bad.allClosed;
  await bad.stop();
});

Deno.test("openCluster() retries until a late peer listens", async () => {
  const addresses = await loopbackAddresses(2);
  const log1: string[] = [];
  const second = openCluster(options(addresses, 1, log1));
  await sleep(700);
  const [a, b] = await Promise.all([openCluster(options(addresses, 0, [])), second]);
  assert.equal(a.connection(1).peerIndex, 1);
  assert.equal(b.connection(0).peerIndex, 0);
  await Promise.all([a.close(), b.close()]);
});

Deno.test("openCluster() fails after the startup timeout naming the unreachable address", async () => {
  const addresses = await loopbackAddresses(2);
  const started = Date.now();
  await assert.rejects(
    openCluster(options(addresses, 1, [], { startupTimeoutMs: 600 })),
    (error) => {
      assert.ok(error instanceof ClusterStartupError);
      assert.match(
        error.message,
        new RegExp(
          `^Cannot reach cluster process 0 at 127\\.0\\.0\\.1:${
            addresses[0]!.port
          } within 600 ms: `,
        ),
      );
      return true;
    },
  );
  assert.ok(Date.now() - started >= 550, "it retried until the timeout");
  await assert.rejects(
    openCluster(options(addresses, 0, [], { startupTimeoutMs: 600 })),
    new RegExp(
      `^ClusterStartupError: Cluster process 0: process 1 at 127\\.0\\.0\\.1:${
        addresses[1]!.port
      } did not connect within 600 ms$`,
    ),
  );
});

Deno.test("three processes of two workers each: every worker reaches every worker on another process", async () => {
  const { clusters } = await openClusters(3, () => ({ workersPerProcess: 2 }));
  try {
    for (const cluster of clusters) {
      assert.deepEqual(
        cluster.connections.map((c) => c.peerIndex),
        [0, 1, 2].filter((i) => i !== cluster.processIndex),
      );
    }
    const workers = [0, 1, 2, 3, 4, 5];
    const processOf = (w: number) => Math.floor(w / 2);
    const results: Promise<{ from: number; to: number; got: unknown[] }>[] = [];
    for (const from of workers) {
      for (const to of workers) {
        if (processOf(from) === processOf(to)) continue;
        const receiver = clusters[processOf(to)]!.channel<string>("all", from, to);
        results.push(
          collect(receiver.receive()).then(({ messages }) => ({ from, to, got: messages })),
        );
        const sender = clusters[processOf(from)]!.channel<string>("all", from, to);
        await sender.sendBatch([`${from}->${to}`]);
        sender.end();
      }
    }
    for (const { from, to, got } of await Promise.all(results)) {
      assert.deepEqual(got, [[`${from}->${to}`]]);
    }
    assert.throws(() => clusters[0]!.channel("all", 0, 1), /exactly one end must be remote/);
    assert.throws(
      () => clusters[0]!.connection(0),
      /the cluster has processes 0\.\.2 and this is 0/,
    );
  } finally {
    await Promise.all(clusters.map((c) => c.close()));
  }
});

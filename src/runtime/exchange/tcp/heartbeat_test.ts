import assert from "node:assert/strict";
import { type Socket, sockets } from "../../platform/socket.ts";
import type { SystemTime } from "../../system_time.ts";
import type { ConnectionEnd, PeerLostError } from "./connection.ts";
import { openCluster } from "./cluster.ts";
import { watchPeers } from "./heartbeat.ts";
import {
  eventually,
  loopbackAddresses,
  openClusters,
  sleep,
  withChildPeer,
} from "./_test_cluster.ts";

/** Time that moves only when the test moves it. */
function manualTime() {
  let now = 0;
  let waiters: { time: number; resolve: () => void }[] = [];
  const time: SystemTime = {
    now: () => now,
    sleepUntil: (until, signal) =>
      new Promise((resolve, reject) => {
        if (until <= now) return resolve();
        const waiter = { time: until, resolve };
        waiters.push(waiter);
        signal?.addEventListener("abort", () => {
          waiters = waiters.filter((w) => w !== waiter);
          reject(signal.reason);
        }, { once: true });
      }),
  };
  const advance = async (ms: number) => {
    now += ms;
    const due = waiters.filter((w) => w.time <= now);
    waiters = waiters.filter((w) => w.time > now);
    for (const waiter of due) waiter.resolve();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { time, advance };
}

function fakePeer(index: number) {
  let ended!: (end: ConnectionEnd) => void;
  return {
    peerIndex: index,
    address: `10.0.0.${index}:7000`,
    lastHeard: 0,
    beats: 0,
    aborted: undefined as unknown,
    ended: new Promise<ConnectionEnd>((resolve) => ended = resolve),
    end: (end: ConnectionEnd) => ended(end),
    heartbeat() {
      this.beats++;
    },
    abort(reason: unknown) {
      this.aborted = reason;
    },
  };
}

Deno.test("watchPeers() reports a peer silent past the timeout, not before, and beats meanwhile", async () => {
  const { time, advance } = manualTime();
  const quiet = fakePeer(1);
  const chatty = fakePeer(2);
  const lost: PeerLostError[] = [];
  const stop = watchPeers([quiet, chatty], {
    intervalMs: 1_000,
    timeoutMs: 5_000,
    time,
    onLost: (error) => lost.push(error),
  });
  try {
    for (let t = 1_000; t <= 5_000; t += 1_000) {
      chatty.lastHeard = t;
      await advance(1_000);
    }
    assert.equal(lost.length, 0, "silent for exactly the timeout is not lost yet");
    assert.ok(quiet.beats >= 5 && chatty.beats >= 5, `${quiet.beats} and ${chatty.beats} beats`);
    chatty.lastHeard = 6_000;
    await advance(1_000);
    assert.equal(lost.length, 1);
    assert.equal(lost[0]!.processIndex, 1);
    assert.equal(
      lost[0]!.message,
      "Lost cluster process 1 at 10.0.0.1:7000: nothing arrived for 6000 ms (heartbeat timeout 5000 ms)",
    );
    assert.equal(quiet.aborted, lost[0], "the silent peer's connection is dropped");
    assert.equal(chatty.aborted, undefined);
    for (let i = 0; i < 3; i++) await advance(1_000);
    assert.equal(lost.length, 1, "each loss is reported once");
  } finally {
    stop();
  }
});

Deno.test("watchPeers() reports a connection that ended without a goodbye, and not a clean end", async () => {
  const { time } = manualTime();
  const crashed = fakePeer(1);
  const left = fakePeer(2);
  const lost: PeerLostError[] = [];
  const stop = watchPeers([crashed, left], { time, onLost: (error) => lost.push(error) });
  try {
    left.end({ goodbye: true });
    crashed.end({ goodbye: false });
    await eventually(() => lost.length === 1, "the loss");
    await sleep(10);
    assert.equal(lost.length, 1);
    assert.match(lost[0]!.message, /^Lost cluster process 1 at 10\.0\.0\.1:7000: /);
  } finally {
    stop();
  }
});

Deno.test("a peer that drops its connection without a goodbye is reported lost at once", async () => {
  const { clusters: [a, b] } = await openClusters(2);
  const lost: PeerLostError[] = [];
  const stop = watchPeers(a!.connections, {
    intervalMs: 100,
    timeoutMs: 60_000,
    onLost: (error) => lost.push(error),
  });
  const lostByB: PeerLostError[] = [];
  const stopB = watchPeers(b!.connections, {
    intervalMs: 100,
    timeoutMs: 60_000,
    onLost: (error) => lostByB.push(error),
  });
  try {
    b!.abort(new Error("the run failed"));
    await eventually(() => lost.length === 1, "the loss");
    await b!.connection(0).ended;
    await sleep(20);
    assert.equal(lostByB.length, 0, "the process that dropped the connection lost no peer");
    assert.equal(lost[0]!.processIndex, 1);
    assert.equal(
      lost[0]!.message,
      `Lost cluster process 1 at ${a!.addressOf(1)}: closed the connection without a goodbye`,
    );
  } finally {
    stop();
    stopB();
  }
});

Deno.test("peers that close cleanly are not reported lost", async () => {
  const { clusters: [a, b] } = await openClusters(2);
  const lost: PeerLostError[] = [];
  const stops = [a!, b!].map((cluster) =>
    watchPeers(cluster.connections, {
      intervalMs: 50,
      timeoutMs: 60_000,
      onLost: (e) => lost.push(e),
    })
  );
  await sleep(200);
  await Promise.all([a!.close(), b!.close()]);
  await sleep(100);
  for (const stop of stops) stop();
  assert.deepEqual(lost, []);
});

/** A TCP proxy to `target` that forwards until stalled, then holds its sockets open and silent. */
async function stallingProxy(target: number) {
  const listener = await sockets.listen({ hostname: "127.0.0.1", port: 0 });
  let stalled = false;
  const open: Socket[] = [];
  // When bytes were last passed on toward the listening side (0) and the dialing side (1).
  const forwardedAt = [0, 0];
  const pipe = async (from: Socket, to: Socket, toward: number) => {
    try {
      for (let chunk = await from.read(); chunk !== null; chunk = await from.read()) {
        if (stalled) break;
        // Before the write: the other side cannot hear these bytes earlier than this.
        forwardedAt[toward] = Date.now();
        await to.write(chunk);
      }
    } catch {
      // Either side closed.
    }
  };
  const pipes: Promise<void>[] = [];
  const accepting = (async () => {
    for (let client = await listener.accept(); client !== null; client = await listener.accept()) {
      const server = await sockets.connect({ hostname: "127.0.0.1", port: target });
      open.push(client, server);
      pipes.push(pipe(client, server, 0), pipe(server, client, 1));
    }
  })();
  return {
    port: listener.port,
    forwardedAt,
    stall: () => stalled = true,
    async close() {
      listener.close();
      await accepting;
      for (const socket of open) socket.close();
      await Promise.all(pipes);
    },
  };
}

Deno.test("a peer behind a proxy that stalls without closing is lost after the heartbeat timeout", async () => {
  const addresses = await loopbackAddresses(2);
  const proxy = await stallingProxy(addresses[0]!.port);
  const viaProxy = [{ hostname: "127.0.0.1", port: proxy.port }, addresses[1]!];
  const shared = {
    workersPerProcess: 1,
    flowId: "flow",
    fingerprint: "graph-1",
    version: "0.1.0",
    log: () => {},
  };
  const [a, b] = await Promise.all([
    openCluster({ addresses, processIndex: 0, ...shared }),
    openCluster({ addresses: viaProxy, processIndex: 1, ...shared }),
  ]);
  const timeoutMs = 3_000;
  const lost: { by: number; error: PeerLostError; at: number }[] = [];
  const stops = [a, b].map((cluster) =>
    watchPeers(cluster.connections, {
      intervalMs: 100,
      timeoutMs,
      onLost: (error) => lost.push({ by: cluster.processIndex, error, at: Date.now() }),
    })
  );
  try {
    // Heartbeats keep a quiet but healthy connection alive past the timeout.
    await sleep(timeoutMs + 500);
    assert.equal(lost.length, 0);
    proxy.stall();
    await eventually(() => lost.length === 2, "both sides to see the loss", 60_000);
    assert.deepEqual(lost.map((l) => l.by).sort(), [0, 1]);
    for (const { by, error, at } of lost) {
      assert.match(error.message, /nothing arrived for \d+ ms \(heartbeat timeout 3000 ms\)/);
      // Not before the timeout: counted from the last bytes that reached this side.
      const silentFor = at - proxy.forwardedAt[by]!;
      assert.ok(silentFor >= timeoutMs, `lost after ${silentFor} ms of silence`);
    }
    assert.equal(
      lost.find((l) => l.by === 1)!.error.message.includes(`127.0.0.1:${proxy.port}`),
      true,
    );
  } finally {
    for (const stop of stops) stop();
    a.abort(new Error("test over"));
    b.abort(new Error("test over"));
    await proxy.close();
  }
});

Deno.test("a peer process killed with SIGKILL is reported lost within the heartbeat timeout", async () => {
  await withChildPeer(async (cluster, child, addresses) => {
    const timeoutMs = 10_000;
    const lost: PeerLostError[] = [];
    const stop = watchPeers(cluster.connections, { timeoutMs, onLost: (e) => lost.push(e) });
    try {
      const killedAt = Date.now();
      child.kill("SIGKILL");
      await eventually(() => lost.length === 1, "the loss", timeoutMs + 5_000);
      assert.ok(Date.now() - killedAt <= timeoutMs, `detected after ${Date.now() - killedAt} ms`);
      assert.equal(lost[0]!.processIndex, 1);
      assert.match(
        lost[0]!.message,
        new RegExp(`^Lost cluster process 1 at 127\\.0\\.0\\.1:${addresses[1]!.port}: `),
      );
      assert.equal((await child.done).signal, "SIGKILL");
    } finally {
      stop();
    }
  });
});

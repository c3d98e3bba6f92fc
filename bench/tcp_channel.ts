/**
 * `deno task bench:tcp`: batches of `[string, number]` items through one
 * cluster channel over loopback TCP (both processes' ends in this one
 * process, so encoding, the socket and decoding share one thread), against
 * the same batches through an in-process channel (handed over by
 * reference). One run each; prints one JSON line per subject, then the
 * ratio. The cluster benchmark needs at least 1,500,000 items/s and 0.5×
 * the in-process exchange; this one shows the channel's own cost.
 *
 * @module
 */

import { InProcessChannel } from "../src/runtime/exchange/channel.ts";
import type { Channel } from "../src/runtime/exchange/channel.ts";
import { openCluster } from "../src/runtime/exchange/tcp/cluster.ts";
import { sockets } from "../src/runtime/platform/socket.ts";
import { isBatch } from "../src/runtime/message.ts";

const ITEMS = 4_000_000;
const BATCH = 1_024;
const keys = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
const batches: [string, number][][] = Array.from(
  { length: 16 },
  (_, b) => Array.from({ length: BATCH }, (_, i) => [keys[(b * BATCH + i) % keys.length]!, i]),
);
let expected = 0;
for (let n = 0; n * BATCH < ITEMS; n++) {
  for (const [, v] of batches[n % batches.length]!) expected += v;
}

async function measure(
  subject: string,
  sender: Channel<[string, number]>,
  receiver: Channel<[string, number]>,
): Promise<number> {
  const start = performance.now();
  const receiving = (async () => {
    let sum = 0;
    for await (const message of receiver.receive()) {
      if (!isBatch(message)) continue;
      for (let i = 0; i < message.length; i++) sum += message[i]![1];
    }
    return sum;
  })();
  for (let n = 0; n * BATCH < ITEMS; n++) {
    // A fresh array: a channel may keep and append to what it is given.
    const waiting = sender.sendBatch(batches[n % batches.length]!.slice());
    if (waiting) await waiting;
  }
  sender.end();
  const sum = await receiving;
  const seconds = (performance.now() - start) / 1000;
  if (sum !== expected) {
    throw new Error(`${subject} delivered a wrong checksum: ${sum} != ${expected}`);
  }
  const rate = ITEMS / seconds;
  console.log(JSON.stringify({
    bench: "tcp_channel",
    subject,
    items: ITEMS,
    seconds: +seconds.toFixed(3),
    items_per_s: Math.round(rate),
  }));
  return rate;
}

const inProcess = new InProcessChannel<[string, number]>();
const inProcessRate = await measure("in_process", inProcess, inProcess);

const ports = await Promise.all([0, 1].map(async () => {
  const listener = await sockets.listen({ hostname: "127.0.0.1", port: 0 });
  listener.close();
  return listener.port;
}));
const addresses = ports.map((port) => ({ hostname: "127.0.0.1", port }));
const [a, b] = await Promise.all([0, 1].map((processIndex) =>
  openCluster({
    addresses,
    processIndex,
    workersPerProcess: 1,
    flowId: "bench",
    fingerprint: "bench",
    version: "bench",
  })
));
const tcpRate = await measure(
  "tcp",
  a!.channel("bench", 0, 1, { keyed: true }),
  b!.channel("bench", 0, 1),
);
await Promise.all([a!.close(), b!.close()]);
console.log(JSON.stringify({
  bench: "tcp_channel",
  items_per_s_tcp: Math.round(tcpRate),
  ratio_tcp_vs_in_process: +(tcpRate / inProcessRate).toFixed(3),
}));

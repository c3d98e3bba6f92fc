/**
 * Helpers for the cluster transport's tests: free loopback ports and
 * clusters of processes opened side by side in one test process.
 *
 * @module
 */

import { type SocketAddress, sockets } from "../../platform/socket.ts";
import type { Message, MessageStream } from "../../message.ts";
import { type Cluster, type ClusterOptions, formatAddress, openCluster } from "./cluster.ts";
import { type SpawnedModule, spawnModule } from "../../../../tests/_runtime.ts";

// Below the ports the system hands out for outgoing connections (32768 and
// up on Linux, 49152 and up elsewhere): a port chosen by listening on port 0
// comes from that range, and a peer's connection made before the test listens
// on it again could take it (AddrInUse).
const FIRST_PORT = 20_000;
const PORTS = 12_000;

/** A loopback port nothing listens on right now, outside the range of outgoing connections' ports. */
export async function freePort(): Promise<number> {
  let refused: unknown;
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = FIRST_PORT + Math.floor(Math.random() * PORTS);
    try {
      const listener = await sockets.listen({ hostname: "127.0.0.1", port });
      listener.close();
      return port;
    } catch (error) {
      refused = error; // taken: try another
    }
  }
  throw refused;
}

/** `count` loopback addresses on free ports. */
export async function loopbackAddresses(count: number): Promise<SocketAddress[]> {
  const addresses: SocketAddress[] = [];
  for (let i = 0; i < count; i++) addresses.push({ hostname: "127.0.0.1", port: await freePort() });
  return addresses;
}

/** What each process of {@linkcode openClusters} logged. */
export type Logs = string[][];

/**
 * Opens every process of a cluster in this test process.
 *
 * @param count How many processes.
 * @param overrides Options per process index (after the shared ones).
 * @returns The clusters, by index, and their logs.
 */
export async function openClusters(
  count: number,
  overrides: (index: number) => Partial<ClusterOptions> = () => ({}),
): Promise<{ clusters: Cluster[]; logs: Logs }> {
  const addresses = await loopbackAddresses(count);
  const logs: Logs = addresses.map(() => []);
  const clusters = await Promise.all(addresses.map((_, index) =>
    openCluster({
      addresses,
      processIndex: index,
      workersPerProcess: 1,
      flowId: "flow",
      fingerprint: "graph-1",
      version: "0.1.0",
      startupTimeoutMs: 20_000,
      log: (line) => logs[index]!.push(line),
      ...overrides(index),
    })
  ));
  return { clusters, logs };
}

/** Everything a stream yields, with its error if it failed. */
export async function collect<T>(
  stream: MessageStream<T>,
): Promise<{ messages: Message<T>[]; error?: unknown }> {
  const messages: Message<T>[] = [];
  try {
    for await (const message of stream) messages.push(message);
  } catch (error) {
    return { messages, error };
  }
  return { messages };
}

/** Resolves after `ms` of real time. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every 5 ms until it holds, failing after `ms` (generous, for a busy machine). */
export async function eventually(
  condition: () => boolean,
  what: string,
  ms = 20_000,
): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await sleep(5);
  }
}

/**
 * Runs `test` with process 0 of a two-process cluster opened in this test
 * process and process 1 a real child process (`_test_peer.ts`), once the
 * child said it connected. Afterwards the cluster is aborted and the child
 * killed, unless the test ended it already.
 */
export async function withChildPeer(
  test: (cluster: Cluster, child: SpawnedModule, addresses: SocketAddress[]) => Promise<void>,
): Promise<void> {
  const addresses = await loopbackAddresses(2);
  const child = spawnModule(new URL("./_test_peer.ts", import.meta.url), [
    "1",
    addresses.map(formatAddress).join(";"),
  ]);
  try {
    const cluster = await openCluster({
      addresses,
      processIndex: 0,
      workersPerProcess: 1,
      flowId: "flow",
      fingerprint: "graph-1",
      version: "0.1.0",
      startupTimeoutMs: 60_000,
    });
    try {
      await eventually(() => child.stdout().includes("connected"), "the child to connect", 60_000);
      await test(cluster, child, addresses);
    } finally {
      cluster.abort(new Error("test over"));
    }
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // The test ended it already.
    }
    await child.done;
  }
}

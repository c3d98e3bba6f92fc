/**
 * The cluster transport: the `Channel`s between workers on
 * different processes, over TCP. It owns the sockets (through the platform
 * adapter's `socket.ts`), the frames, the handshake, the connections and
 * the heartbeats; it never runs steps, and it does not know what an
 * exchange routes (the exchange picks a channel per destination worker).
 *
 * - **One connection per pair of processes.** Process `i` listens on its
 *   own address, dials every process with a lower index and accepts every
 *   process with a higher one ({@linkcode openCluster}). Processes start in
 *   any order: dialing retries with backoff until the startup timeout, then
 *   fails naming the address it could not reach.
 * - **Frames**: a 4-byte length, a type byte, a payload; batches are the
 *   exchange codec's bytes ({@linkcode encodeBatch}), control messages a few
 *   bytes each. A frame announcing more than the limit (64 KiB during the
 *   handshake, 64 MiB after) drops the connection.
 * - **Handshake**: protocol and runnel versions, flow id, graph fingerprint,
 *   process index, process count and workers per process must agree, or
 *   both sides log why and close. With a cluster secret, each side proves
 *   it knows it with an HMAC-SHA256 over its index and both sides' random
 *   nonces (WebCrypto); the secret itself never crosses. A peer that does
 *   not finish its handshake in time (a slowloris) is dropped.
 * - **Many channels on one socket.** Each logical channel (exchange ×
 *   sending worker × receiving worker) has its own queue and its own
 *   credits, returned in credit frames as the receiver reads: the socket is
 *   always read, so a channel held back for barrier alignment never blocks
 *   another one (head-of-line blocking would deadlock aligned barriers).
 *   Batches waiting to be written to one channel coalesce, up to 1,024
 *   items; a batch is never held back waiting for more.
 * - **Failure.** {@linkcode watchPeers} (run it on the coordinator thread,
 *   not in a dataflow worker) sends heartbeats and reports a peer as lost
 *   when its connection ends without a goodbye frame or it stays silent
 *   past the heartbeat timeout, naming its process index and address.
 *
 * **Security.** Without a secret, anyone who can reach a cluster port can
 * join as a peer and read or inject items: keep the ports off untrusted
 * networks. With a secret, peers are authenticated but traffic is neither
 * encrypted nor integrity-protected after the handshake: TLS is not
 * provided, so use a private network, a VPN or a service mesh across
 * untrusted links. Refusal reasons (sent to the peer) name versions, the
 * flow id and the fingerprint, never the secret.
 *
 * `runnel run -i/-a` runs on this transport: the coordinator of each
 * process relays its Worker threads' links to workers on other processes
 * (`threads/cluster_relay.ts`).
 *
 * @example Two processes of a cluster (here in one script) and one channel between them
 * ```ts
 * import { openCluster } from "./mod.ts";
 * import { sockets } from "../../platform/socket.ts";
 * import assert from "node:assert/strict";
 *
 * const free = async () => {
 *   const listener = await sockets.listen({ hostname: "127.0.0.1", port: 0 });
 *   listener.close();
 *   return { hostname: "127.0.0.1", port: listener.port };
 * };
 * const addresses = [await free(), await free()];
 * const open = (processIndex: number) =>
 *   openCluster({
 *     addresses,
 *     processIndex,
 *     workersPerProcess: 1,
 *     flowId: "wordcount",
 *     fingerprint: "graph-1",
 *     version: "0.1.0",
 *     secret: "shared secret",
 *   });
 * const [zero, one] = await Promise.all([open(0), open(1)]);
 * // Worker 0 runs on process 0, worker 1 on process 1.
 * const sender = zero.channel<[string, number]>("count", 0, 1, { keyed: true });
 * const receiver = one.channel<[string, number]>("count", 0, 1);
 * await sender.sendBatch([["a", 1], ["b", 2]]);
 * sender.end();
 * const received = [];
 * for await (const message of receiver.receive()) received.push(message);
 * assert.deepEqual(received, [[["a", 1], ["b", 2]]]);
 * await Promise.all([zero.close(), one.close()]);
 * ```
 *
 * @module
 */

export { Cluster, ClusterStartupError, formatAddress, openCluster } from "./cluster.ts";
export type { ClusterOptions } from "./cluster.ts";
export { type ClusterArgs, type ClusterFlags, parseClusterArgs } from "./cluster_args.ts";
export { PeerLostError, TcpConnection, TcpReceiver, TcpSender } from "./connection.ts";
export type { ConnectionEnd, TcpConnectionOptions, TcpSenderOptions } from "./connection.ts";
export { HandshakeError, PROTOCOL_VERSION } from "./handshake.ts";
export { type WatchedPeer, watchPeers, type WatchPeersOptions } from "./heartbeat.ts";

/**
 * Opens a cluster's connections: this process listens on its own address,
 * dials every process with a lower index and accepts every process with a
 * higher one, so each pair of processes shares exactly one connection.
 *
 * @module
 */

import { deferred } from "../../_async.ts";
import { type SocketAddress, sockets } from "../../platform/socket.ts";
import type { Listener, Socket } from "../../platform/socket.ts";
import { realTime, type SystemTime } from "../../system_time.ts";
import type { Channel } from "../channel.ts";
import { TcpConnection, type TcpSenderOptions } from "./connection.ts";
import { MAX_HANDSHAKE_FRAME_BYTES } from "./frame.ts";
import { FramedSocket } from "./framed_socket.ts";
import { handshake, HandshakeError, type HandshakeOptions } from "./handshake.ts";

/** Options for {@linkcode openCluster}. */
export interface ClusterOptions {
  /** Every process's address, by process index; the same list on every process. */
  readonly addresses: readonly SocketAddress[];
  /** This process's index in `addresses`. */
  readonly processIndex: number;
  /** How many workers each process runs. */
  readonly workersPerProcess: number;
  /** The flow's id. */
  readonly flowId: string;
  /** The graph's fingerprint: processes refuse peers built from another graph. */
  readonly fingerprint: string;
  /** runnel's version: processes refuse peers of another version. */
  readonly version: string;
  /**
   * A secret every process shares: peers prove they know it (HMAC-SHA256
   * over both sides' random nonces) and it never crosses the network.
   */
  readonly secret?: string | undefined;
  /**
   * Where to listen, when it differs from this process's entry in
   * `addresses` (`0.0.0.0` in a container, say).
   */
  readonly listen?: SocketAddress | undefined;
  /** How long to wait for every peer, in milliseconds. Defaults to 30,000. */
  readonly startupTimeoutMs?: number;
  /** How long one connection's handshake may take, in milliseconds. Defaults to 10,000. */
  readonly handshakeTimeoutMs?: number;
  /** The largest frame payload accepted once a peer is trusted. */
  readonly maxFrameBytes?: number;
  /** The clock of timeouts and retries. Defaults to real time. */
  readonly time?: SystemTime;
  /** Where refused connections and retries are reported. Defaults to `console.error`. */
  readonly log?: (message: string) => void;
}

/** Cluster startup failed: a peer was unreachable, never connected, or was refused. */
export class ClusterStartupError extends Error {
  /**
   * Makes the error.
   *
   * @param message What failed.
   */
  constructor(message: string) {
    super(message);
    this.name = "ClusterStartupError";
  }
}

/** `host:port`, with brackets around an IPv6 host. */
export function formatAddress(address: SocketAddress): string {
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  return `${host}:${address.port}`;
}

/**
 * This process's connections to every other process of a cluster, and the
 * logical channels on them. Workers are numbered globally: worker `w` runs
 * on process `Math.floor(w / workersPerProcess)`.
 */
export class Cluster {
  /** This process's index. */
  readonly processIndex: number;
  /** How many processes. */
  readonly processCount: number;
  /** How many workers each process runs. */
  readonly workersPerProcess: number;
  readonly #connections: (TcpConnection | undefined)[];
  readonly #addresses: readonly SocketAddress[];

  /** @internal */
  constructor(options: ClusterOptions, connections: (TcpConnection | undefined)[]) {
    this.processIndex = options.processIndex;
    this.processCount = options.addresses.length;
    this.workersPerProcess = options.workersPerProcess;
    this.#addresses = options.addresses;
    this.#connections = connections;
  }

  /** The connections to every other process. */
  get connections(): TcpConnection[] {
    return this.#connections.filter((c): c is TcpConnection => c !== undefined);
  }

  /**
   * The connection to process `index`.
   *
   * @throws {RangeError} For this process's own index or one outside the cluster.
   */
  connection(index: number): TcpConnection {
    const connection = this.#connections[index];
    if (connection === undefined) {
      throw new RangeError(
        `Cannot connect process ${this.processIndex} to process ${index}: ` +
          `the cluster has processes 0..${this.processCount - 1} and this is ${this.processIndex}`,
      );
    }
    return connection;
  }

  /** The process that runs global worker `worker`. */
  processOf(worker: number): number {
    return Math.floor(worker / this.workersPerProcess);
  }

  /** Process `index`'s address as `host:port`. */
  addressOf(index: number): string {
    return formatAddress(this.#addresses[index]!);
  }

  /**
   * This process's end of the channel from global worker `from` to global
   * worker `to` at exchange `exchangeId`: the sending end when `from` runs
   * here, the receiving end when `to` does. Exactly one of them must run on
   * another process.
   *
   * @param exchangeId The exchange, the same on every process.
   * @param from The sending worker.
   * @param to The receiving worker.
   * @param options How items are encoded (sending end).
   * @returns The channel end.
   */
  channel<T = unknown>(
    exchangeId: string,
    from: number,
    to: number,
    options: TcpSenderOptions = {},
  ): Channel<T> {
    const source = this.processOf(from);
    const target = this.processOf(to);
    const name = `${exchangeId}/${from}/${to}`;
    if (source === this.processIndex && target !== this.processIndex) {
      return this.connection(target).sender<T>(name, options);
    }
    if (target === this.processIndex && source !== this.processIndex) {
      return this.connection(source).receiver<T>(name);
    }
    throw new RangeError(
      `Cannot open a cluster channel from worker ${from} (process ${source}) to worker ${to} ` +
        `(process ${target}) on process ${this.processIndex}: exactly one end must be remote`,
    );
  }

  /**
   * Says goodbye to every peer and closes the connections; the peers see a
   * clean end.
   */
  async close(): Promise<void> {
    await Promise.all(this.connections.map((connection) => connection.close()));
  }

  /** Drops every connection without a goodbye; the peers see this process as lost. */
  abort(reason: unknown): void {
    for (const connection of this.connections) connection.abort(reason);
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Connects this process to every other process of the cluster. Processes
 * may start in any order: dialing retries with backoff (100 ms, doubling up
 * to 2 s) until the startup timeout. Connections that fail their handshake
 * (another flow, version or fingerprint, a wrong secret, garbage, a client
 * that sends nothing) are logged and dropped while this process keeps
 * accepting; a peer this process dialed that refuses it fails the startup.
 *
 * Security: without `secret`, anyone who can reach the port can join as a
 * peer; keep the ports off untrusted networks. With it, peers must prove
 * they know it, but traffic is not encrypted: TLS is not provided.
 *
 * @example Two processes of one cluster (each runs this with its own index)
 * ```ts ignore
 * const cluster = await openCluster({
 *   addresses: [{ hostname: "127.0.0.1", port: 7001 }, { hostname: "127.0.0.1", port: 7002 }],
 *   processIndex: 0,
 *   workersPerProcess: 1,
 *   flowId: "wordcount",
 *   fingerprint: "…",
 *   version: "0.1.0",
 * });
 * ```
 *
 * @param options This process and the cluster.
 * @returns The cluster, once every peer connected and passed its handshake.
 * @throws {ClusterStartupError} When a peer cannot be reached, did not connect or refused.
 */
export async function openCluster(options: ClusterOptions): Promise<Cluster> {
  const time = options.time ?? realTime;
  const log = options.log ?? ((line: string) => console.error(line));
  const { addresses, processIndex } = options;
  const count = addresses.length;
  if (!Number.isInteger(processIndex) || processIndex < 0 || processIndex >= count) {
    throw new RangeError(
      `Cannot open a cluster as process ${processIndex}: the address list has ${count} entries`,
    );
  }
  const startupTimeoutMs = options.startupTimeoutMs ?? 30_000;
  const deadline = time.now() + startupTimeoutMs;
  const connections: (TcpConnection | undefined)[] = new Array(count).fill(undefined);
  const own = options.listen ?? addresses[processIndex]!;
  const listener = count > 1 ? await sockets.listen(own) : undefined;
  const stop = new AbortController();
  const handshakeOptions = (
    checkPeer: (index: number) => string | undefined,
  ): HandshakeOptions => ({
    version: options.version,
    flowId: options.flowId,
    fingerprint: options.fingerprint,
    processIndex,
    processCount: count,
    workersPerProcess: options.workersPerProcess,
    secret: options.secret,
    timeoutMs: options.handshakeTimeoutMs ?? 10_000,
    time,
    checkPeer,
  });
  const open = (framed: FramedSocket, index: number) => {
    connections[index] = new TcpConnection(framed, {
      peerIndex: index,
      address: formatAddress(addresses[index]!),
      time,
      ...(options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes }),
    });
  };

  let inbound = count - 1 - processIndex;
  const allInbound = deferred();
  // Handshakes under way on accepted sockets: cut short when startup ends.
  const pending = new Map<Socket, Promise<void>>();
  if (inbound === 0) allInbound.resolve();
  const accepting = listener === undefined ? Promise.resolve() : acceptPeers(listener, (socket) => {
    const framed = new FramedSocket(socket, MAX_HANDSHAKE_FRAME_BYTES);
    const shaking = handshake(
      framed,
      handshakeOptions((index) => {
        if (index < processIndex) {
          return `process ${index} should wait for process ${processIndex} to connect to it`;
        }
        if (connections[index] !== undefined) return `process ${index} is connected already`;
        return undefined;
      }),
    ).then((hello) => {
      if (stop.signal.aborted || connections[hello.processIndex] !== undefined) {
        socket.close();
        return;
      }
      open(framed, hello.processIndex);
      if (--inbound === 0) allInbound.resolve();
    }, (error) => {
      log(
        `runnel cluster: process ${processIndex} dropped a connection from ${socket.remoteAddress}: ${
          error instanceof HandshakeError ? error.reason : message(error)
        }`,
      );
    }).finally(() => pending.delete(socket));
    pending.set(socket, shaking);
  });

  const dial = async (index: number): Promise<void> => {
    const address = addresses[index]!;
    let wait = 100;
    let lastError: unknown;
    while (!stop.signal.aborted) {
      let socket: Socket;
      try {
        socket = await sockets.connect(address);
      } catch (error) {
        lastError = error;
        const now = time.now();
        if (now >= deadline) {
          throw new ClusterStartupError(
            `Cannot reach cluster process ${index} at ${
              formatAddress(address)
            } within ${startupTimeoutMs} ms: ${message(lastError)}`,
          );
        }
        await time.sleepUntil(Math.min(deadline, now + wait), stop.signal);
        wait = Math.min(wait * 2, 2_000);
        continue;
      }
      const framed = new FramedSocket(socket, MAX_HANDSHAKE_FRAME_BYTES);
      try {
        await handshake(
          framed,
          handshakeOptions((peer) =>
            peer === index
              ? undefined
              : `the process at ${
                formatAddress(address)
              } should be process ${index}, it says it is ${peer}`
          ),
        );
      } catch (error) {
        const reason = error instanceof HandshakeError ? error.message : message(error);
        log(`runnel cluster: process ${processIndex}: ${reason}`);
        throw new ClusterStartupError(reason);
      }
      open(framed, index);
      return;
    }
  };

  const waitInbound = async () => {
    const timer = new AbortController();
    const timedOut = time.sleepUntil(deadline, timer.signal).then(
      () => true,
      () => false,
    );
    stop.signal.addEventListener("abort", () => timer.abort(), { once: true });
    const done = await Promise.race([allInbound.promise.then(() => false), timedOut]);
    timer.abort();
    if (done) {
      const missing = [];
      for (let index = processIndex + 1; index < count; index++) {
        if (connections[index] === undefined) {
          missing.push(`process ${index} at ${formatAddress(addresses[index]!)}`);
        }
      }
      throw new ClusterStartupError(
        `Cluster process ${processIndex}: ${
          missing.join(", ")
        } did not connect within ${startupTimeoutMs} ms`,
      );
    }
  };

  try {
    const dials = [];
    for (let index = 0; index < processIndex; index++) dials.push(dial(index));
    await Promise.all([...dials, waitInbound()]);
  } catch (error) {
    stop.abort();
    for (const connection of connections) connection?.abort(error);
    throw error;
  } finally {
    stop.abort();
    listener?.close();
    await accepting;
    for (const socket of pending.keys()) socket.close();
    await Promise.all(pending.values());
  }
  return new Cluster(options, connections);
}

async function acceptPeers(listener: Listener, onSocket: (socket: Socket) => void): Promise<void> {
  while (true) {
    const socket = await listener.accept();
    if (socket === null) return;
    onSocket(socket);
  }
}

/**
 * Heartbeats: how a cluster process finds out that a peer is gone. Runs on
 * the coordinator thread, beside the connections, never inside a dataflow
 * worker (a busy worker must not look like a dead process).
 *
 * @module
 */

import { realTime, type SystemTime } from "../../system_time.ts";
import { type ConnectionEnd, PeerLostError } from "./connection.ts";

/** What {@linkcode watchPeers} needs of a connection (a `TcpConnection` has it). */
export interface WatchedPeer {
  /** The peer's process index. */
  readonly peerIndex: number;
  /** The peer's address. */
  readonly address: string;
  /** When something last arrived from the peer. */
  readonly lastHeard: number;
  /** Settles when the connection ended. */
  readonly ended: Promise<ConnectionEnd>;
  /** Sends a heartbeat. */
  heartbeat(): void;
  /** Drops the connection. */
  abort(reason: unknown): void;
}

/** Options for {@linkcode watchPeers}. */
export interface WatchPeersOptions {
  /** How often a heartbeat is sent to every peer, in milliseconds. Defaults to 1,000. */
  readonly intervalMs?: number;
  /**
   * How long a peer may stay silent before it counts as lost, in
   * milliseconds. Defaults to 10,000.
   */
  readonly timeoutMs?: number;
  /** The clock. Defaults to real time. */
  readonly time?: SystemTime;
  /**
   * Called once per lost peer: it closed the connection without a goodbye,
   * or stayed silent past `timeoutMs` (its connection is then dropped).
   */
  readonly onLost: (error: PeerLostError) => void;
}

/**
 * Sends heartbeats to every peer and reports the peers that are lost: a
 * connection that ended without a goodbye (a crash, `kill -9`, a reset) at
 * once; a peer that sends nothing at all, not even heartbeats, for
 * `timeoutMs` (a stalled host or proxy, a stopped process) after that long.
 *
 * @example Reporting a lost peer
 * ```ts ignore
 * const stop = watchPeers(cluster.connections, {
 *   timeoutMs: 10_000,
 *   onLost: (error) => console.error(error.message), // "Lost cluster process 1 at …"
 * });
 * ```
 *
 * @param connections The connections to watch.
 * @param options Timing and what to do about a loss.
 * @returns A function that stops watching.
 */
export function watchPeers(
  connections: Iterable<WatchedPeer>,
  options: WatchPeersOptions,
): () => void {
  const time = options.time ?? realTime;
  const intervalMs = options.intervalMs ?? 1_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!(intervalMs > 0) || !(timeoutMs > intervalMs)) {
    throw new RangeError(
      `Cannot watch peers with a heartbeat every ${intervalMs} ms and a timeout of ${timeoutMs} ms: ` +
        "the interval must be positive and shorter than the timeout",
    );
  }
  const stop = new AbortController();
  const watched = [...connections];
  const reported = new Set<WatchedPeer>();
  const report = (connection: WatchedPeer, error: PeerLostError) => {
    if (stop.signal.aborted || reported.has(connection)) return;
    reported.add(connection);
    options.onLost(error);
  };
  for (const connection of watched) {
    connection.ended.then((end) => {
      // A connection this process dropped for a reason of its own is not a lost peer.
      if (!end.goodbye && (end.error === undefined || end.error instanceof PeerLostError)) {
        report(
          connection,
          end.error ??
            new PeerLostError(
              connection.peerIndex,
              connection.address,
              "the connection was dropped",
            ),
        );
      }
    });
  }
  const beat = async () => {
    let next = time.now();
    while (!stop.signal.aborted) {
      const now = time.now();
      for (const connection of watched) {
        if (reported.has(connection)) continue;
        const silent = now - connection.lastHeard;
        if (silent > timeoutMs) {
          const error = new PeerLostError(
            connection.peerIndex,
            connection.address,
            `nothing arrived for ${silent} ms (heartbeat timeout ${timeoutMs} ms)`,
          );
          report(connection, error);
          connection.abort(error);
        } else {
          connection.heartbeat();
        }
      }
      next = Math.max(next + intervalMs, now);
      await time.sleepUntil(next, stop.signal).catch(() => {});
    }
  };
  void beat();
  return () => stop.abort();
}

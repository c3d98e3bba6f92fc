/**
 * The coordinator's side of a cluster run: it carries the Worker threads'
 * exchange links to workers on other processes over the cluster's TCP
 * connections, and it is how the processes' coordinators talk to each
 * other (epochs, a failure, the end of the run).
 *
 * **Links to remote workers.** A Worker thread reaches every other worker
 * over a {@linkcode Link}; for a worker on another process, that link is a
 * `MessagePort` whose other end this relay holds. The Worker encodes its
 * batches itself and hands their bytes over by transfer; the relay writes
 * them, unopened, on the TCP channel `exchange/from/to` of the connection to
 * the worker's process, and the reverse for what arrives. Credit works per
 * hop: the Worker gets a batch's credit back once the TCP channel took it
 * (which waits while its own credit, returned by the remote reader, is
 * spent), and the relay hands a Worker at most {@linkcode LINK_CREDIT}
 * batches it has not read. Each TCP channel has its own queue and credit
 * on the connection, so one held for barrier alignment never blocks another.
 *
 * **Epochs.** Process 0's coordinator alone ticks the run's epochs and
 * sends each closed epoch to every other process, whose coordinators pass
 * it on to their Workers. One clock deciding for everyone keeps epoch
 * numbers global (barrier `e` means the same cut on every process) without
 * trusting the hosts' clocks to agree; the cost is that epochs on the other
 * processes close one network hop later, which only delays barriers.
 *
 * **Recovery.** With a recovery store, process 0 opens it once every peer
 * connected and tells the others what they join (`opened`); the others'
 * workers' reports ("epoch written", "finished") come back to process 0
 * (`report`), whose coordinator alone commits. A process sends its reports
 * before its `done`, on the same ordered channel, so process 0 has every
 * report once every peer's `done` arrived.
 *
 * **Failure and the end.** Heartbeats run here, on the coordinator thread
 * ({@linkcode watchPeers}). A lost peer, or a peer's report that its run
 * failed, stops this process's run. A process whose Workers all finished
 * tells its peers and waits for theirs before it says goodbye, so no
 * process closes a connection another still reads from.
 *
 * @module
 */

import { type Deferred, deferred } from "../_async.ts";
import { type EncodedError, encodeError } from "../exchange/error_codec.ts";
import { decodeError } from "../exchange/error_codec.ts";
import {
  decodeControl,
  encodeControl,
  type Frame,
  LINK_CREDIT,
  ownBuffer,
} from "../exchange/port_channel.ts";
import type { Control } from "../message.ts";
import { type Cluster, openCluster } from "../exchange/tcp/cluster.ts";
import type { TcpConnection, TcpSender } from "../exchange/tcp/connection.ts";
import { watchPeers } from "../exchange/tcp/heartbeat.ts";
import { FLUSHED } from "./protocol.ts";
import type { ClusterRunOptions } from "./cluster_options.ts";
import type { SharedOpening } from "../recovery/store.ts";
import type { ForwardedReport } from "../recovery/in_process.ts";

const COORDINATOR = "\0coordinator";

/** How many items one relayed batch counts as when batches coalesce on a TCP channel. */
const RELAYED_BATCH_ITEMS = 64;

/** What the coordinators of a cluster tell each other. */
type PeerMessage =
  | { readonly type: "epoch"; readonly epoch: number }
  | { readonly type: "stop"; readonly error: EncodedError }
  | { readonly type: "drain" }
  | { readonly type: "done" }
  | { readonly type: "parts"; readonly path: string; readonly parts: readonly string[] }
  | { readonly type: "opened"; readonly opening: SharedOpening }
  | { readonly type: "report"; readonly report: ForwardedReport };

/** What the relay tells its coordinator. */
export interface RelayHandlers {
  /** Process 0 closed epoch `epoch`. */
  epoch(epoch: number): void;
  /** The run must stop: a peer was lost or its run failed. */
  stop(error: unknown): void;
  /**
   * Another process drains its run (`--flush-on-interrupt`): the inputs of
   * every process must end, or the keyed steps would wait for them for ever.
   */
  drain?(): void;
  /** On process 0: another process's worker reported to recovery. */
  report?(report: ForwardedReport): void;
}

interface Inbound {
  outstanding: number;
  closed: boolean;
  wake: Deferred<void>;
}

function wake(state: Inbound): void {
  const woken = state.wake;
  state.wake = deferred();
  woken.resolve();
}

/**
 * Deals partitions to the workers of the processes that can reach them,
 * each to the worker with the fewest so far among the workers of processes
 * that listed it (the lowest index on a tie). The partitions fewest
 * processes reach go first, in sorted order within each count, so that a
 * partition only one process reaches does not find that process's workers
 * already loaded with partitions others could have taken. When every
 * process lists the same partitions, this is the round-robin deal of one
 * process (partition `i` to worker `i % workers`).
 *
 * @param lists Each process's partitions, by process index.
 * @param workersPerProcess How many workers each process runs.
 * @returns The partitions of each global worker.
 */
export function assignReachableParts(
  lists: readonly (readonly string[])[],
  workersPerProcess: number,
): string[][] {
  const reachable = lists.map((list) => new Set(list));
  const reach = new Map<string, number>();
  for (const list of reachable) {
    for (const part of list) reach.set(part, (reach.get(part) ?? 0) + 1);
  }
  const all = [...reach.keys()].sort((a, b) =>
    reach.get(a)! - reach.get(b)! || (a < b ? -1 : a > b ? 1 : 0)
  );
  const assigned: string[][] = Array.from({ length: lists.length * workersPerProcess }, () => []);
  for (const part of all) {
    let best = -1;
    for (let process = 0; process < lists.length; process++) {
      if (!reachable[process]!.has(part)) continue;
      for (let w = process * workersPerProcess; w < (process + 1) * workersPerProcess; w++) {
        if (best === -1 || assigned[w]!.length < assigned[best]!.length) best = w;
      }
    }
    assigned[best]!.push(part);
  }
  return assigned;
}

function send(sender: TcpSender<PeerMessage>, message: PeerMessage): void {
  try {
    void Promise.resolve(sender.sendBatch([message])).catch(() => {});
  } catch {
    // That peer is gone: the heartbeat reports it.
  }
}

/** One process's relay: see the module's docs. */
export class ClusterRelay {
  readonly cluster: Cluster;
  readonly #handlers: RelayHandlers;
  readonly #base: number;
  readonly #ports = new Map<string, MessagePort>();
  readonly #flushed = new Map<number, { left: number; done: Deferred<void> }>();
  readonly #senders = new Map<string, TcpSender>();
  readonly #inbound = new Map<string, Inbound>();
  // Channels a peer's worker opened to a local worker before this process
  // made that worker's port (its peers may start sending first): relayed
  // once the port exists. By "local/remote", as #ports.
  readonly #early = new Map<
    string,
    { connection: TcpConnection; name: string; exchange: string }[]
  >();
  readonly #toPeers: TcpSender<PeerMessage>[] = [];
  #toFirst: TcpSender<PeerMessage> | undefined;
  readonly #opening = deferred<SharedOpening>();
  readonly #peersDone = deferred();
  #doneCount = 0;
  // Per source: every process's partitions (by process index), and the assignment once known.
  readonly #parts = new Map<
    string,
    { lists: (readonly string[] | undefined)[]; known: number; assigned: Deferred<string[][]> }
  >();
  #closing = false;
  readonly #unwatch: () => void;

  private constructor(cluster: Cluster, options: ClusterRunOptions, handlers: RelayHandlers) {
    this.cluster = cluster;
    this.#handlers = handlers;
    this.#base = cluster.processIndex * cluster.workersPerProcess;
    if (cluster.processCount === 1) this.#peersDone.resolve();
    for (const connection of cluster.connections) {
      const sender = connection.sender<PeerMessage>(COORDINATOR);
      this.#toPeers.push(sender);
      if (connection.peerIndex === 0) this.#toFirst = sender;
      void this.#listen(connection);
      connection.onOpen((name) => this.#openInbound(connection, name));
    }
    const timeoutMs = options.heartbeatTimeoutMs ?? 10_000;
    this.#unwatch = watchPeers(cluster.connections, {
      timeoutMs,
      intervalMs: Math.max(1, Math.min(1_000, Math.floor(timeoutMs / 4))),
      onLost: (error) => {
        if (!this.#closing) handlers.stop(error);
      },
    });
  }

  /**
   * Connects this process to the rest of its cluster and starts relaying.
   *
   * @param options The cluster.
   * @param flow The flow's id and graph fingerprint, which peers must share.
   * @param workersPerProcess How many Workers each process runs.
   * @param handlers What to do about epochs and failures from peers.
   * @returns The relay, once every peer connected.
   */
  static async open(
    options: ClusterRunOptions,
    flow: { id: string; fingerprint: string },
    workersPerProcess: number,
    handlers: RelayHandlers,
  ): Promise<ClusterRelay> {
    const cluster = await openCluster({
      addresses: options.addresses,
      processIndex: options.processIndex,
      workersPerProcess,
      flowId: flow.id,
      fingerprint: flow.fingerprint,
      version: options.version,
      secret: options.secret,
      ...(options.startupTimeoutMs === undefined
        ? {}
        : { startupTimeoutMs: options.startupTimeoutMs }),
    });
    return new ClusterRelay(cluster, options, handlers);
  }

  /** How many workers the whole cluster runs. */
  get workerCount(): number {
    return this.cluster.processCount * this.cluster.workersPerProcess;
  }

  /** The global index of this process's first worker. */
  get firstWorker(): number {
    return this.#base;
  }

  /**
   * The port local worker `local` uses as its link to remote worker
   * `remote` (both global indices); its other end stays with the relay.
   */
  port(local: number, remote: number): MessagePort {
    const channel = new MessageChannel();
    const own = channel.port1;
    this.#ports.set(`${local}/${remote}`, own);
    let flushed = this.#flushed.get(local);
    if (flushed === undefined) {
      flushed = { left: 0, done: deferred() };
      this.#flushed.set(local, flushed);
    }
    flushed.left++;
    own.onmessage = (event: MessageEvent) => this.#fromWorker(local, remote, event.data as Frame);
    const early = this.#early.get(`${local}/${remote}`);
    if (early !== undefined) {
      this.#early.delete(`${local}/${remote}`);
      for (const { connection, name, exchange } of early) {
        void this.#relayIn(connection, name, exchange, own, this.#inboundState(name));
      }
    }
    return channel.port2;
  }

  /** Settles once local worker `local` sent everything it had for other processes. */
  flushed(local: number): Promise<void> {
    return this.#flushed.get(local)?.done.promise ?? Promise.resolve();
  }

  #fromWorker(local: number, remote: number, frame: Frame): void {
    const port = this.#ports.get(`${local}/${remote}`)!;
    switch (frame.type) {
      case "batch": {
        let waiting: void | Promise<void>;
        try {
          waiting = this.#sender(frame.exchange, local, remote).sendEncoded(
            frame.bytes,
            RELAYED_BATCH_ITEMS,
          );
        } catch {
          return; // The connection is gone: the heartbeat reports it and the run stops.
        }
        const credit = () =>
          port.postMessage({ type: "credit", exchange: frame.exchange, batches: 1 });
        if (waiting === undefined) credit();
        else waiting.then(credit, () => {});
        return;
      }
      case "control":
        this.#sender(frame.exchange, local, remote).sendControl(decodeControl(frame.control));
        return;
      case "end":
        if (frame.exchange === FLUSHED) {
          const flushed = this.#flushed.get(local)!;
          if (--flushed.left === 0) flushed.done.resolve();
        } else this.#sender(frame.exchange, local, remote).end();
        return;
      case "fail":
        this.#sender(frame.exchange, local, remote).fail(decodeError(frame.error));
        return;
      case "credit":
      case "closed": {
        const state = this.#inboundState(`${frame.exchange}/${remote}/${local}`);
        if (frame.type === "credit") state.outstanding -= frame.batches;
        else state.closed = true;
        wake(state);
        return;
      }
    }
  }

  #sender(exchange: string, from: number, to: number): TcpSender {
    const name = `${exchange}/${from}/${to}`;
    let sender = this.#senders.get(name);
    if (sender === undefined) {
      sender = this.cluster.channel(exchange, from, to) as TcpSender;
      this.#senders.set(name, sender);
    }
    return sender;
  }

  #inboundState(name: string): Inbound {
    let state = this.#inbound.get(name);
    if (state === undefined) {
      state = { outstanding: 0, closed: false, wake: deferred() };
      this.#inbound.set(name, state);
    }
    return state;
  }

  // A peer's worker opened a channel to one of this process's workers: pass it on.
  #openInbound(connection: TcpConnection, name: string): void {
    if (name === COORDINATOR) return;
    const toAt = name.lastIndexOf("/");
    const fromAt = name.lastIndexOf("/", toAt - 1);
    const exchange = name.slice(0, fromAt);
    const from = Number(name.slice(fromAt + 1, toAt));
    const to = Number(name.slice(toAt + 1));
    const port = this.#ports.get(`${to}/${from}`);
    if (port === undefined) {
      // Dropping it would leave the sender waiting for credit for ever.
      const early = this.#early.get(`${to}/${from}`) ?? [];
      early.push({ connection, name, exchange });
      this.#early.set(`${to}/${from}`, early);
      return;
    }
    void this.#relayIn(connection, name, exchange, port, this.#inboundState(name));
  }

  async #relayIn(
    connection: TcpConnection,
    name: string,
    exchange: string,
    port: MessagePort,
    state: Inbound,
  ): Promise<void> {
    try {
      for await (const message of connection.receiver(name).receiveEncoded()) {
        if (Array.isArray(message)) {
          for (const piece of message as Uint8Array[]) {
            const bytes = ownBuffer(piece);
            port.postMessage({ type: "batch", exchange, bytes } satisfies Frame, [
              bytes.buffer as ArrayBuffer,
            ]);
            state.outstanding++;
          }
          while (state.outstanding >= LINK_CREDIT && !state.closed) await state.wake.promise;
        } else {
          port.postMessage(
            {
              type: "control",
              exchange,
              control: encodeControl(message as Control),
            } satisfies Frame,
          );
        }
        if (state.closed) return;
      }
      port.postMessage({ type: "end", exchange } satisfies Frame);
    } catch (error) {
      if (!state.closed) {
        port.postMessage({ type: "fail", exchange, error: encodeError(error) } satisfies Frame);
      }
    }
  }

  async #listen(connection: TcpConnection): Promise<void> {
    try {
      for await (const batch of connection.receiver<PeerMessage>(COORDINATOR).receive()) {
        for (const message of batch as PeerMessage[]) {
          switch (message.type) {
            case "epoch":
              this.#handlers.epoch(message.epoch);
              break;
            case "stop": {
              const error = decodeError(message.error);
              this.#handlers.stop(
                new Error(
                  `Cluster process ${connection.peerIndex} at ${connection.address} failed: ${
                    error instanceof Error ? error.message : String(error)
                  }`,
                  { cause: error },
                ),
              );
              break;
            }
            case "drain":
              this.#handlers.drain?.();
              break;
            case "parts":
              this.#partsListed(message.path, connection.peerIndex, message.parts);
              break;
            case "opened":
              this.#opening.resolve(message.opening);
              break;
            case "report":
              this.#handlers.report?.(message.report);
              break;
            case "done":
              if (++this.#doneCount === this.cluster.processCount - 1) this.#peersDone.resolve();
              break;
          }
        }
      }
    } catch {
      // The connection ended: the heartbeat reports a loss.
    }
  }

  #partsOf(path: string) {
    let entry = this.#parts.get(path);
    if (entry === undefined) {
      entry = {
        lists: new Array(this.cluster.processCount).fill(undefined),
        known: 0,
        assigned: deferred(),
      };
      this.#parts.set(path, entry);
    }
    return entry;
  }

  #partsListed(path: string, process: number, parts: readonly string[]): void {
    const entry = this.#partsOf(path);
    if (entry.lists[process] !== undefined) return;
    entry.lists[process] = parts;
    if (++entry.known === this.cluster.processCount) {
      entry.assigned.resolve(
        assignReachableParts(entry.lists as string[][], this.cluster.workersPerProcess),
      );
    }
  }

  /**
   * The partitions of source `path` every worker of the cluster reads, by
   * global worker, once every process told which ones it can reach (this
   * process can reach `parts`).
   */
  assignParts(path: string, parts: readonly string[]): Promise<string[][]> {
    const entry = this.#partsOf(path);
    if (entry.lists[this.cluster.processIndex] === undefined) {
      this.#partsListed(path, this.cluster.processIndex, parts);
      this.tell({ type: "parts", path, parts });
    }
    return entry.assigned.promise;
  }

  /** Tells every peer. */
  tell(message: PeerMessage): void {
    for (const sender of this.#toPeers) send(sender, message);
  }

  /** Tells process 0 (from another process): a worker's report to recovery. */
  report(report: ForwardedReport): void {
    if (this.#toFirst !== undefined) send(this.#toFirst, { type: "report", report });
  }

  /** What process 0 opened of the recovery store, once it told (on another process). */
  opening(): Promise<SharedOpening> {
    return this.#opening.promise;
  }

  /** Tells the peers this process's workers finished; settles once every peer's did. */
  async finished(): Promise<void> {
    this.tell({ type: "done" });
    await this.#peersDone.promise;
  }

  /**
   * Stops relaying and says goodbye to every peer (waiting a little for
   * theirs, so that everything sent was read).
   */
  async close(): Promise<void> {
    this.#closing = true;
    this.#unwatch();
    for (const state of this.#inbound.values()) {
      state.closed = true;
      wake(state);
    }
    for (const sender of this.#toPeers) sender.end();
    await Promise.all(this.cluster.connections.map((connection) => connection.close(2_000)));
    for (const port of this.#ports.values()) port.close();
  }
}

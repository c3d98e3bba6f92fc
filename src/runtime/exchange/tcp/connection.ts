/**
 * One cluster connection between two processes, after its handshake: it
 * carries many logical channels (one per exchange, sending worker and
 * receiving worker), each with its own queue and credits.
 *
 * @module
 */

import { type Deferred, deferred } from "../../_async.ts";
import { Barrier, type Control, type Message, StreamStatus, Watermark } from "../../message.ts";
import type { MessageStream } from "../../message.ts";
import { realTime, type SystemTime } from "../../system_time.ts";
import { type Channel, CHANNEL_CREDIT, COALESCE_LIMIT } from "../channel.ts";
import { decodeBatch, encodeBatch } from "../codec.ts";
import {
  FrameType,
  FrameWriter,
  MAX_FRAME_BYTES,
  readFloat,
  splitChannelFrame,
  splitPieces,
} from "./frame.ts";
import type { FramedSocket } from "./framed_socket.ts";

/** The connection to a peer ended without its goodbye: the peer is lost. */
export class PeerLostError extends Error {
  /** The lost process's index. */
  readonly processIndex: number;
  /** The lost process's address. */
  readonly address: string;

  /**
   * Makes the error.
   *
   * @param processIndex The lost process's index.
   * @param address Its address.
   * @param why What happened, such as `"closed the connection without a goodbye"`.
   */
  constructor(processIndex: number, address: string, why: string) {
    super(`Lost cluster process ${processIndex} at ${address}: ${why}`);
    this.name = "PeerLostError";
    this.processIndex = processIndex;
    this.address = address;
  }
}

/** How a connection ended. */
export interface ConnectionEnd {
  /** Whether the peer said goodbye first (a clean end). */
  readonly goodbye: boolean;
  /**
   * Why it ended, when it was not clean: a {@linkcode PeerLostError} when
   * the peer went away, or the reason given to {@linkcode TcpConnection.abort}.
   */
  readonly error?: unknown;
}

/** Options for a {@linkcode TcpConnection}. */
export interface TcpConnectionOptions {
  /** The peer's process index. */
  readonly peerIndex: number;
  /** The peer's address, for errors. */
  readonly address: string;
  /** The clock liveness is read on. Defaults to real time. */
  readonly time?: SystemTime;
  /** The largest frame payload accepted. Defaults to {@linkcode MAX_FRAME_BYTES}. */
  readonly maxFrameBytes?: number;
}

/** Options for {@linkcode TcpConnection.sender}. */
export interface TcpSenderOptions {
  /** Whether items are `[key, value]` pairs (so encoding errors name the key). */
  readonly keyed?: boolean;
  /** The step the items go to, named by encoding errors. Defaults to the channel's name. */
  readonly stepId?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Outgoing {
  readonly name: string;
  readonly number: number;
  announced: boolean;
  inFlight: number;
  // The batch queued and not yet written: later batches may join it.
  open: BatchOp | undefined;
  closed: boolean;
  ended: boolean;
  credit: Deferred<void>;
}

interface BatchOp {
  readonly kind: "batch";
  readonly channel: Outgoing;
  readonly pieces: Uint8Array[];
  count: number;
}

type Op =
  | BatchOp
  | { readonly kind: "control"; readonly channel: Outgoing; readonly message: Control }
  | { readonly kind: "end"; readonly channel: Outgoing }
  | { readonly kind: "fail"; readonly channel: Outgoing; readonly message: string };

interface Link {
  queue(op: Op): void;
  waitForCredit(channel: Outgoing): Promise<void>;
  failure(): { error: unknown } | undefined;
  read(channel: Incoming, decode: boolean): AsyncGenerator<Message, void, undefined>;
}

type Queued = { readonly body: Uint8Array } | Control;

interface Incoming {
  readonly name: string;
  number: number | undefined;
  readonly queue: Queued[];
  ended: boolean;
  failure: { error: unknown } | undefined;
  closed: boolean;
  reading: boolean;
  arrived: Deferred<void>;
}

/**
 * A cluster connection to one peer process, after the handshake. Messages
 * of every logical channel leave in the order they were sent on that
 * channel; frames queued while a write is under way leave together in the
 * next write. Incoming frames go straight into their channel's queue, which
 * holds at most {@linkcode CHANNEL_CREDIT} batches (the sender waits for
 * credit beyond that), so reading never waits for a slow channel and a
 * channel held back for barrier alignment never blocks another.
 *
 * @example Two processes' ends of one connection, over loopback
 * ```ts ignore
 * const channel = connection.sender<[string, number]>("count/0/1", { keyed: true });
 * await channel.sendBatch([["a", 1]]);
 * channel.end();
 * // On the peer:
 * for await (const message of peerConnection.receiver("count/0/1").receive()) console.log(message);
 * ```
 */
export class TcpConnection {
  /** The peer's process index. */
  readonly peerIndex: number;
  /** The peer's address. */
  readonly address: string;
  readonly #framed: FramedSocket;
  readonly #time: SystemTime;
  readonly #outgoing = new Map<string, Outgoing>();
  readonly #incoming = new Map<string, Incoming>();
  readonly #incomingByNumber: Incoming[] = [];
  readonly #outgoingByNumber: Outgoing[] = [];
  #ops: Op[] = [];
  readonly #credits = new Map<number, number>();
  readonly #closes: number[] = [];
  readonly #writer = new FrameWriter();
  #heartbeat = false;
  #goodbyeSent = false;
  #goodbyeReceived = false;
  #writing = false;
  #flushed = deferred();
  #ended: ConnectionEnd | undefined;
  readonly #end = deferred<ConnectionEnd>();
  #lastHeard: number;
  #onOpen: ((name: string) => void) | undefined;
  // What the channel ends reach of their connection.
  readonly #link: Link = {
    queue: (op) => this.#queue(op),
    waitForCredit: (channel) => this.#waitForCredit(channel),
    failure: () => this.#ended && !this.#ended.goodbye ? { error: this.#ended.error } : undefined,
    read: (channel, decode) => this.#read(channel, decode),
  };

  /**
   * Starts reading: call it once the handshake accepted the peer.
   *
   * @param framed The socket, read as frames.
   * @param options Who the peer is.
   */
  constructor(framed: FramedSocket, options: TcpConnectionOptions) {
    this.#framed = framed;
    this.peerIndex = options.peerIndex;
    this.address = options.address;
    this.#time = options.time ?? realTime;
    this.#lastHeard = this.#time.now();
    framed.reader.maxFrameBytes = options.maxFrameBytes ?? MAX_FRAME_BYTES;
    framed.onChunk = () => this.#lastHeard = this.#time.now();
    this.#readFrames();
  }

  /** When something last arrived from the peer, on the connection's clock. */
  get lastHeard(): number {
    return this.#lastHeard;
  }

  /** Settles once the connection ended, saying whether it ended cleanly. */
  get ended(): Promise<ConnectionEnd> {
    return this.#end.promise;
  }

  /**
   * The sending end of logical channel `name` (the same name on both
   * processes). Its `receive()` throws: the receiving end is on the peer.
   *
   * @param name The channel, such as `"exchange-id/0/3"`.
   * @param options How items are encoded.
   * @returns The channel.
   */
  sender<T = unknown>(name: string, options: TcpSenderOptions = {}): TcpSender<T> {
    let channel = this.#outgoing.get(name);
    if (channel === undefined) {
      channel = {
        name,
        number: this.#outgoingByNumber.length,
        announced: false,
        inFlight: 0,
        open: undefined,
        closed: this.#ended !== undefined,
        ended: false,
        credit: deferred(),
      };
      this.#outgoing.set(name, channel);
      this.#outgoingByNumber.push(channel);
    }
    return new TcpSender(this.#link, channel, options);
  }

  /**
   * The receiving end of logical channel `name`. Its sending methods throw:
   * the sending end is on the peer.
   *
   * @param name The channel.
   * @returns The channel.
   */
  receiver<T = unknown>(name: string): TcpReceiver<T> {
    return new TcpReceiver(this.#link, this.#incomingNamed(name));
  }

  #incomingNamed(name: string): Incoming {
    let channel = this.#incoming.get(name);
    if (channel === undefined) {
      channel = {
        name,
        number: undefined,
        queue: [],
        ended: false,
        failure: this.#ended ? { error: this.#ended.error ?? this.#closedError() } : undefined,
        closed: false,
        reading: false,
        arrived: deferred(),
      };
      this.#incoming.set(name, channel);
    }
    return channel;
  }

  /**
   * Calls `handler` with the name of every channel the peer opened so far
   * and of each it opens later, so that a relay can start reading a channel
   * it did not know of (a worker thread's exchange). Set once.
   *
   * @param handler Called with each channel's name.
   */
  onOpen(handler: (name: string) => void): void {
    this.#onOpen = handler;
    for (const channel of this.#incoming.values()) {
      if (channel.number !== undefined) handler(channel.name);
    }
  }

  /** Sends a heartbeat frame (the peer's monitor counts it as a sign of life). */
  heartbeat(): void {
    if (this.#ended || this.#goodbyeSent) return;
    this.#heartbeat = true;
    this.#schedule();
  }

  /**
   * Says goodbye and closes once the peer said goodbye too (or closed, or
   * `timeoutMs` passed): the peer then sees a clean end, not a loss.
   * Channels still open on either side end with an error.
   *
   * @param timeoutMs How long to wait for the peer's goodbye.
   * @returns How the connection ended.
   */
  async close(timeoutMs = 5_000): Promise<ConnectionEnd> {
    // One bound for the whole goodbye: writing it may wait for ever on a
    // peer that stopped reading (its socket buffers full), and a process
    // closing its connections must still end.
    const stop = new AbortController();
    const timeout = this.#time.sleepUntil(this.#time.now() + timeoutMs, stop.signal)
      .catch(() => {});
    try {
      if (!this.#ended && !this.#goodbyeSent) {
        this.#goodbyeSent = true;
        this.#schedule();
        await Promise.race([this.#flushed.promise, timeout]);
        if (this.#goodbyeReceived) this.#framed.socket.close();
      }
      if (!this.#ended) {
        await Promise.race([this.#end.promise, timeout]);
        this.#finish({ goodbye: this.#goodbyeReceived });
      }
    } finally {
      stop.abort();
    }
    return this.#end.promise;
  }

  /**
   * Drops the connection at once, without a goodbye (the run failed): every
   * channel on it fails with `reason`. The peer sees a loss.
   *
   * @param reason What the channels throw.
   */
  abort(reason: unknown): void {
    this.#finish({ goodbye: false }, reason);
  }

  // --- sending ---

  #queue(op: Op): void {
    if (op.kind === "batch") op.channel.inFlight++;
    this.#ops.push(op);
    this.#schedule();
  }

  async #waitForCredit(channel: Outgoing): Promise<void> {
    while (channel.inFlight >= CHANNEL_CREDIT && !channel.closed) {
      await channel.credit.promise;
    }
    const failure = this.#link.failure();
    if (failure && !channel.ended) throw failure.error;
  }

  #credit(channel: Outgoing): void {
    const credit = channel.credit;
    channel.credit = deferred();
    credit.resolve();
  }

  #schedule(): void {
    if (this.#writing || this.#ended) return;
    this.#writing = true;
    queueMicrotask(() => this.#flush());
  }

  async #flush(): Promise<void> {
    const writer = this.#writer;
    try {
      while (!this.#ended) {
        const ops = this.#ops;
        this.#ops = [];
        for (const op of ops) {
          const channel = op.channel;
          if (!channel.announced) {
            channel.announced = true;
            writer.channelFrame(FrameType.OPEN, channel.number, encoder.encode(channel.name));
          }
          switch (op.kind) {
            case "batch":
              if (channel.open === op) channel.open = undefined;
              writer.channelPieces(FrameType.BATCH, channel.number, op.pieces);
              break;
            case "control": {
              const message = op.message;
              if (message instanceof Barrier) {
                writer.channelNumber(FrameType.BARRIER, channel.number, message.epoch);
              } else if (message instanceof Watermark) {
                writer.channelNumber(FrameType.WATERMARK, channel.number, message.time);
              } else {
                writer.channelFrame(
                  message.idle ? FrameType.IDLE : FrameType.ACTIVE,
                  channel.number,
                );
              }
              break;
            }
            case "end":
              writer.channelFrame(FrameType.END, channel.number);
              break;
            case "fail":
              writer.channelFrame(FrameType.FAIL, channel.number, encoder.encode(op.message));
              break;
          }
        }
        for (const [number, count] of this.#credits) {
          const body = new Uint8Array(4);
          new DataView(body.buffer).setUint32(0, count);
          writer.channelFrame(FrameType.CREDIT, number, body);
        }
        this.#credits.clear();
        for (const number of this.#closes.splice(0)) writer.channelFrame(FrameType.CLOSE, number);
        if (this.#heartbeat) {
          this.#heartbeat = false;
          if (writer.length === 0) writer.frame(FrameType.HEARTBEAT);
        }
        // Nothing follows a goodbye: the peer may close as soon as it reads it.
        const goodbye = this.#goodbyeSent;
        if (goodbye) writer.frame(FrameType.GOODBYE);
        if (writer.length === 0) break;
        await this.#framed.socket.write(writer.take());
        if (goodbye) break;
      }
    } catch (error) {
      this.#lost(`writing failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.#writing = false;
      const flushed = this.#flushed;
      this.#flushed = deferred();
      flushed.resolve();
      // Sent while the last write was under way: goes out in the next one.
      if (!this.#goodbyeSent && (this.#ops.length > 0 || this.#credits.size > 0)) {
        this.#schedule();
      }
    }
  }

  // --- receiving ---

  #took(channel: Incoming): void {
    if (channel.number === undefined || this.#ended || this.#goodbyeSent) return;
    this.#credits.set(channel.number, (this.#credits.get(channel.number) ?? 0) + 1);
    this.#schedule();
  }

  #stoppedReading(channel: Incoming): void {
    channel.closed = true;
    channel.queue.length = 0;
    if (channel.number === undefined || this.#ended || this.#goodbyeSent) return;
    this.#closes.push(channel.number);
    this.#schedule();
  }

  #wake(channel: Incoming): void {
    const arrived = channel.arrived;
    channel.arrived = deferred();
    arrived.resolve();
  }

  async #readFrames(): Promise<void> {
    try {
      while (true) {
        const frame = await this.#framed.next();
        if (frame === null) break;
        if (frame.type === FrameType.HEARTBEAT) continue;
        if (frame.type === FrameType.GOODBYE) {
          this.#goodbyeReceived = true;
          if (this.#goodbyeSent && !this.#writing) this.#framed.socket.close();
          continue;
        }
        const { channel: number, body } = splitChannelFrame(frame.payload);
        switch (frame.type) {
          case FrameType.OPEN: {
            const channel = this.#incomingNamed(decoder.decode(body));
            channel.number = number;
            this.#incomingByNumber[number] = channel;
            this.#onOpen?.(channel.name);
            continue;
          }
          case FrameType.CREDIT: {
            const channel = this.#outgoingNumbered(number);
            channel.inFlight -= new DataView(body.buffer, body.byteOffset, 4).getUint32(0);
            this.#credit(channel);
            continue;
          }
          case FrameType.CLOSE: {
            const channel = this.#outgoingNumbered(number);
            channel.closed = true;
            channel.open = undefined;
            this.#credit(channel);
            continue;
          }
        }
        const channel = this.#incomingByNumber[number];
        if (channel === undefined) {
          throw new RangeError(`a frame of type ${frame.type} for channel ${number}, never opened`);
        }
        switch (frame.type) {
          case FrameType.BATCH:
            if (!channel.closed) channel.queue.push({ body });
            break;
          case FrameType.BARRIER:
            channel.queue.push(new Barrier(readFloat(body)));
            break;
          case FrameType.WATERMARK:
            channel.queue.push(new Watermark(readFloat(body)));
            break;
          case FrameType.IDLE:
            channel.queue.push(StreamStatus.IDLE);
            break;
          case FrameType.ACTIVE:
            channel.queue.push(StreamStatus.ACTIVE);
            break;
          case FrameType.END:
            channel.ended = true;
            break;
          case FrameType.FAIL:
            channel.failure ??= { error: new Error(decoder.decode(body)) };
            break;
          default:
            throw new RangeError(`an unexpected frame of type ${frame.type}`);
        }
        if (channel.closed) channel.queue.length = 0;
        this.#wake(channel);
      }
      if (this.#goodbyeReceived) this.#finish({ goodbye: true });
      else this.#lost("closed the connection without a goodbye");
    } catch (error) {
      this.#lost(error instanceof Error ? error.message : String(error));
    }
  }

  #outgoingNumbered(number: number): Outgoing {
    const channel = this.#outgoingByNumber[number];
    if (channel === undefined) throw new RangeError(`a credit for channel ${number}, never opened`);
    return channel;
  }

  #closedError(): PeerLostError {
    return new PeerLostError(
      this.peerIndex,
      this.address,
      "the connection closed before this channel ended",
    );
  }

  #lost(why: string): void {
    if (this.#ended) return;
    if (this.#goodbyeReceived) return this.#finish({ goodbye: true });
    const error = new PeerLostError(this.peerIndex, this.address, why);
    this.#finish({ goodbye: false, error }, error);
  }

  #finish(end: ConnectionEnd, reason?: unknown): void {
    if (this.#ended) return;
    const error = reason ?? end.error ?? this.#closedError();
    const ended: ConnectionEnd = end.error === undefined && reason !== undefined
      ? { goodbye: end.goodbye, error }
      : end;
    this.#ended = ended;
    this.#framed.socket.close();
    for (const channel of this.#incoming.values()) {
      if (!channel.ended) channel.failure ??= { error };
      this.#wake(channel);
    }
    for (const channel of this.#outgoing.values()) {
      channel.closed = true;
      this.#credit(channel);
    }
    this.#end.resolve(ended);
  }

  async *#read(channel: Incoming, decode: boolean): AsyncGenerator<Message, void, undefined> {
    if (channel.reading) throw new TypeError(`Channel "${channel.name}" is already being read`);
    channel.reading = true;
    try {
      while (true) {
        const next = channel.queue.shift();
        if (next !== undefined) {
          if ("body" in next) {
            this.#took(channel);
            const pieces = splitPieces(next.body);
            if (!decode) yield pieces;
            else if (pieces.length === 1) yield decodeBatch(pieces[0]!);
            else yield pieces.flatMap((piece) => decodeBatch(piece));
          } else {
            yield next;
          }
          continue;
        }
        if (channel.failure) throw channel.failure.error;
        if (channel.ended) return;
        await channel.arrived.promise;
      }
    } finally {
      this.#stoppedReading(channel);
    }
  }
}

/**
 * The sending end of a logical channel on a {@linkcode TcpConnection}.
 * Batches are encoded when sent (so an item that cannot cross fails the
 * sender at once); a batch joins the last one still waiting to be written,
 * up to {@linkcode COALESCE_LIMIT} items.
 */
export class TcpSender<T = unknown> implements Channel<T> {
  readonly #connection: Link;
  readonly #channel: Outgoing;
  readonly #stepId: string;
  readonly #keyed: boolean;

  /** @internal */
  constructor(connection: Link, channel: Outgoing, options: TcpSenderOptions) {
    this.#connection = connection;
    this.#channel = channel;
    this.#stepId = options.stepId ?? channel.name;
    this.#keyed = options.keyed ?? false;
  }

  get closed(): boolean {
    return this.#channel.closed;
  }

  sendBatch(items: T[]): void | Promise<void> {
    if (items.length === 0) return;
    return this.sendEncoded(encodeBatch(this.#stepId, items, this.#keyed), items.length);
  }

  /**
   * Sends a batch already encoded with {@linkcode encodeBatch} (by a worker
   * thread that handed its bytes over), with the same credit as
   * {@linkcode sendBatch}.
   *
   * @param bytes The encoded batch.
   * @param count How many items it holds.
   */
  sendEncoded(bytes: Uint8Array, count: number): void | Promise<void> {
    const channel = this.#channel;
    const failure = this.#connection.failure();
    if (failure && !channel.ended) throw failure.error;
    if (channel.closed) return;
    const open = channel.open;
    if (open !== undefined && open.count + count <= COALESCE_LIMIT) {
      open.pieces.push(bytes);
      open.count += count;
      return;
    }
    const op: BatchOp = { kind: "batch", channel, pieces: [bytes], count };
    channel.open = op;
    this.#connection.queue(op);
    if (channel.inFlight >= CHANNEL_CREDIT) return this.#connection.waitForCredit(channel);
  }

  sendControl(message: Control): void {
    const channel = this.#channel;
    if (channel.closed) return;
    channel.open = undefined;
    this.#connection.queue({ kind: "control", channel, message });
  }

  end(): void {
    const channel = this.#channel;
    if (channel.ended) return;
    channel.ended = true;
    if (channel.closed) return;
    channel.open = undefined;
    this.#connection.queue({ kind: "end", channel });
  }

  fail(error: unknown): void {
    const channel = this.#channel;
    if (channel.ended) return;
    channel.ended = true;
    if (channel.closed) return;
    channel.open = undefined;
    const message = error instanceof Error ? error.message : String(error);
    this.#connection.queue({ kind: "fail", channel, message });
  }

  /**
   * Refuses: this is the sending end.
   *
   * @throws {TypeError} Always: the receiving end is on the peer.
   */
  receive(): MessageStream<T> {
    throw new TypeError(
      `Cannot receive on channel "${this.#channel.name}": this is its sending end`,
    );
  }
}

/** The receiving end of a logical channel on a {@linkcode TcpConnection}. */
export class TcpReceiver<T = unknown> implements Channel<T> {
  readonly #connection: Link;
  readonly #channel: Incoming;

  /** @internal */
  constructor(connection: Link, channel: Incoming) {
    this.#connection = connection;
    this.#channel = channel;
  }

  get closed(): boolean {
    return this.#channel.closed;
  }

  #refuse(): never {
    throw new TypeError(
      `Cannot send on channel "${this.#channel.name}": this is its receiving end`,
    );
  }

  /**
   * Refuses: this is the receiving end.
   *
   * @throws {TypeError} Always: the sending end is on the peer.
   */
  sendBatch(): never {
    this.#refuse();
  }

  /**
   * Refuses: this is the receiving end.
   *
   * @throws {TypeError} Always.
   */
  sendControl(): never {
    this.#refuse();
  }

  /**
   * Refuses: this is the receiving end.
   *
   * @throws {TypeError} Always.
   */
  end(): never {
    this.#refuse();
  }

  /**
   * Refuses: this is the receiving end.
   *
   * @throws {TypeError} Always.
   */
  fail(): never {
    this.#refuse();
  }

  receive(): MessageStream<T> {
    return this.#connection.read(this.#channel, true) as MessageStream<T>;
  }

  /**
   * Receives without decoding, for a worker thread that decodes itself (the
   * bytes can be handed over by transfer): each batch arrives as the list
   * of {@linkcode encodeBatch} buffers it was coalesced from, in order.
   * Credit and control messages are as with {@linkcode receive}; read
   * either stream, once.
   */
  receiveEncoded(): MessageStream<Uint8Array> {
    return this.#connection.read(this.#channel, false) as MessageStream<Uint8Array>;
  }
}

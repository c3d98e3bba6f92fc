/**
 * Channels over a link between two workers that share no memory: a
 * `MessagePort` between two threads today, a socket between two hosts later.
 * Transport-neutral: a {@linkcode Link} only sends and receives
 * {@linkcode Frame}s, in order.
 *
 * One link per pair of workers carries every exchange's channels both ways.
 * Each arriving frame is drained at once into the queue of its logical
 * channel (exchange, sender), so a channel whose reader waits (held for
 * barrier alignment, or slow) never blocks another on the same link.
 *
 * On the sender, batches bound for one worker are coalesced: they join the
 * batch not yet sent, up to {@linkcode COALESCE_LIMIT} items, and what is
 * waiting goes out at the end of the current task (when the sender's
 * upstream pauses), so a batch split many ways is not sent as many small
 * messages and a trickle is never held back. Each batch is encoded with the
 * codec and its bytes moved, not copied, where the link can. Flow control
 * is by credit per logical channel: a sender has at most
 * {@linkcode LINK_CREDIT} batches on their way or unread, and gets one
 * credit back per batch its receiver reads (in messages of
 * {@linkcode CREDIT_RETURN}); with a full batch waiting and no
 * credit its sender waits, so a slow worker slows its senders and memory
 * stays bounded. Control messages (barriers, watermarks, idle status, end,
 * failure) keep their place among the batches and need no credit.
 *
 * @module
 */

import { deferred } from "../_async.ts";
import { scheduleTask } from "../_task_turn.ts";
import {
  Barrier,
  type Control,
  type Message,
  type MessageStream,
  StreamStatus,
  Watermark,
} from "../message.ts";
import { type Channel, COALESCE_LIMIT, InProcessChannel } from "./channel.ts";
import { decodeBatch, encodeBatch } from "./codec.ts";
import { decodeError, type EncodedError, encodeError } from "./error_codec.ts";
import { type Exchanges, Pumps } from "./exchanges.ts";
import type { Router } from "./routes.ts";

/** A control message as data: a barrier's epoch, a watermark's time, or an idle status. */
export type EncodedControl =
  | { readonly kind: "barrier"; readonly epoch: number }
  | { readonly kind: "watermark"; readonly time: number }
  | { readonly kind: "status"; readonly idle: boolean };

/** What a link carries; `exchange` names the logical channel with the link's direction. */
export type Frame =
  /** A batch of items, encoded by the codec. */
  | { readonly type: "batch"; readonly exchange: string; readonly bytes: Uint8Array }
  | { readonly type: "control"; readonly exchange: string; readonly control: EncodedControl }
  /** The sender is done. */
  | { readonly type: "end"; readonly exchange: string }
  /** The sender failed. */
  | { readonly type: "fail"; readonly exchange: string; readonly error: EncodedError }
  /** Back to the sender: its receiver read `batches` batches. */
  | { readonly type: "credit"; readonly exchange: string; readonly batches: number }
  /** Back to the sender: its receiver stopped reading. */
  | { readonly type: "closed"; readonly exchange: string };

/**
 * How many batches a sender may have on their way or unread per logical
 * channel over a link. More than an in-process channel's
 * {@linkcode CHANNEL_CREDIT}: a credit comes back only after a trip through
 * the other thread's event loop, and with too few batches on their way the
 * sender would wait out every trip (with 4, the exchange ran at a tenth of
 * one worker's speed on a loaded machine).
 */
export const LINK_CREDIT = 16;

/**
 * How many batches a receiver reads before it hands their credit back in one
 * message (and it hands back the rest when it stops reading): a message per
 * batch read cost as much as a tenth of a worker's time on the exchange
 * bench. It never holds a sender back: holding fewer than this, with nothing
 * left to read, leaves the sender most of its {@linkcode LINK_CREDIT}.
 */
export const CREDIT_RETURN = LINK_CREDIT / 4;

/** One worker's end of the link to one other worker. */
export interface Link {
  /**
   * Sends a frame; frames arrive in the order sent.
   *
   * @param frame The frame.
   * @param transfer Buffers the link may move rather than copy (their owner no longer reads them).
   */
  send(frame: Frame, transfer?: ArrayBuffer[]): void;
  /** Calls `handler` with every frame that arrives, in order; set once. */
  onFrame(handler: (frame: Frame) => void): void;
  /** Stops receiving and releases the link. */
  close(): void;
}

/**
 * A link over a `MessagePort` (one of a `MessageChannel`'s two, the other
 * held by the other worker).
 *
 * @param port The port.
 * @returns The link.
 */
export function portLink(port: MessagePort): Link {
  return {
    send: (frame, transfer) => port.postMessage(frame, transfer ?? []),
    onFrame: (handler) => {
      port.onmessage = (event: MessageEvent) => handler(event.data as Frame);
    },
    close: () => {
      port.onmessage = null;
      port.close();
    },
  };
}

/** The control message as data. */
export function encodeControl(message: Control): EncodedControl {
  if (message instanceof Barrier) return { kind: "barrier", epoch: message.epoch };
  if (message instanceof Watermark) return { kind: "watermark", time: message.time };
  return { kind: "status", idle: message.idle };
}

/** The control message back from data. */
export function decodeControl(control: EncodedControl): Control {
  switch (control.kind) {
    case "barrier":
      return new Barrier(control.epoch);
    case "watermark":
      return new Watermark(control.time);
    case "status":
      return control.idle ? StreamStatus.IDLE : StreamStatus.ACTIVE;
  }
}

/** What the codec needs to name in an error: the step the items go to, and whether they are keyed. */
export interface ExchangeTarget {
  /** The step the exchange feeds. */
  readonly path: string;
  /** Whether its items are `[key, value]` pairs. */
  readonly keyed: boolean;
}

/**
 * `bytes`, or a copy of them, owning its whole buffer: such a buffer can be
 * moved (transferred) to another thread without taking other bytes along.
 */
export function ownBuffer(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes
    : bytes.slice();
}

/** The sending end of one logical channel over a link. */
class LinkSender implements Channel {
  readonly #exchange: string;
  readonly #link: Link;
  readonly #target: ExchangeTarget;
  // Batches and frames not yet sent, in order; the last batch may still grow.
  #outbox: (unknown[] | Frame)[] = [];
  #open: unknown[] | undefined;
  #waitingItems = 0;
  #inFlight = 0;
  #scheduled = false;
  #closed = false;
  #failure: { error: unknown } | undefined;
  #stopped: { reason: unknown } | undefined;
  #drained = deferred();

  constructor(exchange: string, link: Link, target: ExchangeTarget) {
    this.#exchange = exchange;
    this.#link = link;
    this.#target = target;
  }

  get closed(): boolean {
    return this.#closed;
  }

  sendBatch(items: unknown[]): void | Promise<void> {
    if (this.#failure) throw this.#failure.error;
    if (this.#closed || items.length === 0) return;
    const open = this.#open;
    if (open !== undefined && open.length + items.length <= COALESCE_LIMIT) {
      for (let i = 0; i < items.length; i++) open.push(items[i]);
    } else {
      this.#outbox.push(items);
      this.#open = items;
    }
    this.#waitingItems += items.length;
    this.#schedule();
    if (this.#waitingItems >= COALESCE_LIMIT) return this.#waitForCredit();
  }

  async #waitForCredit(): Promise<void> {
    while (this.#waitingItems >= COALESCE_LIMIT && !this.#closed) {
      if (this.#failure) throw this.#failure.error;
      if (this.#stopped) throw this.#stopped.reason;
      await this.#drained.promise;
    }
  }

  sendControl(message: Control): void {
    this.#push({ type: "control", exchange: this.#exchange, control: encodeControl(message) });
  }

  end(): void {
    this.#push({ type: "end", exchange: this.#exchange });
  }

  fail(error: unknown): void {
    if (this.#closed) return;
    // A failing run drops what it had not sent: the failure goes first.
    this.#outbox = [];
    this.#open = undefined;
    this.#link.send({ type: "fail", exchange: this.#exchange, error: encodeError(error) });
    this.#closed = true;
  }

  #push(frame: Frame): void {
    if (this.#closed) return;
    this.#outbox.push(frame);
    this.#open = undefined;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    scheduleTask(() => {
      this.#scheduled = false;
      this.#drain();
    });
  }

  // Sends what the credit allows, in order.
  #drain(): void {
    const outbox = this.#outbox;
    let sent = 0;
    while (sent < outbox.length && !this.#closed) {
      const head = outbox[sent]!;
      if (Array.isArray(head)) {
        if (this.#inFlight >= LINK_CREDIT) break;
        let bytes: Uint8Array;
        try {
          bytes = ownBuffer(encodeBatch(this.#target.path, head, this.#target.keyed));
        } catch (error) {
          // The items cannot cross: both ends fail with the codec's error.
          this.#failure = { error };
          this.fail(error);
          break;
        }
        this.#link.send({ type: "batch", exchange: this.#exchange, bytes }, [
          bytes.buffer as ArrayBuffer,
        ]);
        this.#inFlight++;
        this.#waitingItems -= head.length;
        if (head === this.#open) this.#open = undefined;
      } else {
        this.#link.send(head);
      }
      sent++;
    }
    if (sent > 0) outbox.splice(0, sent);
    this.#wake();
  }

  #wake(): void {
    const drained = this.#drained;
    this.#drained = deferred();
    drained.resolve();
  }

  /** The receiver read `batches` batches. */
  credit(batches: number): void {
    this.#inFlight -= batches;
    this.#drain();
  }

  /** The receiver stopped reading: nothing more need be sent. */
  close(): void {
    this.#closed = true;
    this.#outbox = [];
    this.#open = undefined;
    this.#wake();
  }

  /** The run stopped: a waiting sender throws `reason`. */
  stop(reason: unknown): void {
    this.#stopped ??= { reason };
    this.#wake();
  }

  receive(): MessageStream {
    throw new TypeError("Cannot receive on the sending end of a link channel");
  }
}

const END = Symbol("end");

/** The receiving end of one logical channel over a link: its own queue. */
class LinkReceiver {
  readonly #exchange: string;
  readonly #link: Link;
  readonly #queue: (Uint8Array | Control | typeof END | { error: unknown })[] = [];
  #closed = false;
  #stopped: { reason: unknown } | undefined;
  #arrived = deferred();
  // Batches read whose credit has not gone back yet.
  #credit = 0;

  constructor(exchange: string, link: Link) {
    this.#exchange = exchange;
    this.#link = link;
  }

  /** Queues what a frame carries. */
  accept(frame: Frame): void {
    if (this.#closed) {
      // Read no more: hand the credit straight back so the sender never waits on us.
      if (frame.type === "batch") {
        this.#link.send({ type: "credit", exchange: this.#exchange, batches: 1 });
      }
      return;
    }
    switch (frame.type) {
      case "batch":
        this.#queue.push(frame.bytes);
        break;
      case "control":
        this.#queue.push(decodeControl(frame.control));
        break;
      case "end":
        this.#queue.push(END);
        break;
      case "fail":
        this.#queue.push({ error: decodeError(frame.error) });
        break;
      default:
        return;
    }
    this.#wake();
  }

  stop(reason: unknown): void {
    this.#stopped ??= { reason };
    this.#wake();
  }

  #wake(): void {
    const arrived = this.#arrived;
    this.#arrived = deferred();
    arrived.resolve();
  }

  #read(): void {
    if (++this.#credit >= CREDIT_RETURN) this.#returnCredit();
  }

  #returnCredit(): void {
    if (this.#credit === 0) return;
    this.#link.send({ type: "credit", exchange: this.#exchange, batches: this.#credit });
    this.#credit = 0;
  }

  async *receive(): AsyncGenerator<Message, void, undefined> {
    try {
      while (true) {
        if (this.#queue.length > 0) {
          const next = this.#queue.shift()!;
          if (next === END) return;
          if (next instanceof Uint8Array) {
            const batch = decodeBatch(next);
            this.#read();
            yield batch;
            continue;
          }
          if ("error" in next) throw next.error;
          yield next;
          continue;
        }
        if (this.#stopped) throw this.#stopped.reason;
        await this.#arrived.promise;
      }
    } finally {
      if (!this.#closed) {
        this.#closed = true;
        for (const message of this.#queue) if (message instanceof Uint8Array) this.#credit++;
        this.#queue.length = 0;
        this.#returnCredit();
        this.#link.send({ type: "closed", exchange: this.#exchange });
      }
    }
  }
}

/**
 * The exchanges of one worker whose peers are reached over links: to
 * itself through an {@linkcode InProcessChannel}, to every other worker
 * through the one link to it, which carries all the exchanges' channels.
 */
export class LinkExchanges implements Exchanges {
  readonly #workerIndex: number;
  readonly #links: readonly (Link | undefined)[];
  readonly #signal: AbortSignal;
  readonly #senders = new Map<string, LinkSender>();
  readonly #receivers = new Map<string, LinkReceiver>();
  readonly #own = new Map<string, InProcessChannel>();
  readonly #pumps = new Pumps();

  /**
   * @param workerIndex This worker.
   * @param links Index `w` is the link to worker `w`; `undefined` at this worker's own index.
   * @param signal Ends every wait when the run stops.
   */
  constructor(workerIndex: number, links: readonly (Link | undefined)[], signal: AbortSignal) {
    this.#workerIndex = workerIndex;
    this.#links = links;
    this.#signal = signal;
    links.forEach((link, peer) => link?.onFrame((frame) => this.#accept(peer, frame)));
    const stop = () => {
      for (const sender of this.#senders.values()) sender.stop(signal.reason);
      for (const receiver of this.#receivers.values()) receiver.stop(signal.reason);
      for (const channel of this.#own.values()) channel.stop(signal.reason);
    };
    if (signal.aborted) queueMicrotask(stop);
    else signal.addEventListener("abort", stop, { once: true });
  }

  #accept(peer: number, frame: Frame): void {
    if (frame.type === "credit") {
      this.#senders.get(`${peer}\0${frame.exchange}`)?.credit(frame.batches);
    } else if (frame.type === "closed") this.#senders.get(`${peer}\0${frame.exchange}`)?.close();
    else this.#receiver(peer, frame.exchange).accept(frame);
  }

  // Made on first use by either side: a peer may send before this worker planned its exchange.
  #receiver(peer: number, exchange: string): LinkReceiver {
    const key = `${peer}\0${exchange}`;
    let receiver = this.#receivers.get(key);
    if (!receiver) {
      receiver = new LinkReceiver(exchange, this.#links[peer]!);
      this.#receivers.set(key, receiver);
      if (this.#signal.aborted) receiver.stop(this.#signal.reason);
    }
    return receiver;
  }

  connect(
    id: string,
    workerIndex: number,
    input: MessageStream,
    router: () => Router | Promise<Router>,
    target: ExchangeTarget = { path: id, keyed: false },
  ): MessageStream {
    if (workerIndex !== this.#workerIndex) {
      throw new RangeError(
        `Cannot connect worker ${workerIndex} to exchange "${id}": this is worker ${this.#workerIndex}`,
      );
    }
    const own = new InProcessChannel();
    this.#own.set(id, own);
    if (this.#signal.aborted) own.stop(this.#signal.reason);
    const sending: Channel[] = this.#links.map((link, peer) => {
      if (link === undefined) return own;
      const sender = new LinkSender(id, link, target);
      this.#senders.set(`${peer}\0${id}`, sender);
      if (this.#signal.aborted) sender.stop(this.#signal.reason);
      return sender;
    });
    const receiving = this.#links.map((link, peer) =>
      link === undefined ? own.receive() : this.#receiver(peer, id).receive()
    );
    return this.#pumps.join(input, router, sending, receiving);
  }

  /** Resolves once every sender that started has stopped; a pump never rejects. */
  settled(): Promise<void> {
    return this.#pumps.settled();
  }
}

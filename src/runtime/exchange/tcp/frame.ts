/**
 * Frames on a cluster connection: a 4-byte big-endian payload length, a
 * type byte, then the payload. Frames of a logical channel start their
 * payload with the channel's 4-byte number.
 *
 * @module
 */

/** The type byte of each frame. */
export const FrameType = {
  /** Handshake: who this side is (codec-encoded {@linkcode Hello}). */
  HELLO: 1,
  /** Handshake: the HMAC proof that this side knows the cluster secret. */
  PROOF: 2,
  /** Handshake: this side accepted the peer; data may follow. */
  ACCEPT: 3,
  /** Handshake: this side refused the peer; the payload is the reason (UTF-8). */
  REFUSE: 4,
  /** Liveness: sent when nothing else was, so the peer knows this side is alive. */
  HEARTBEAT: 5,
  /** This side closes on purpose: the connection's end is not a loss. */
  GOODBYE: 6,
  /** A logical channel's number and its name (UTF-8), before its first message. */
  OPEN: 10,
  /** A batch of items ({@linkcode encodeBatch} bytes). */
  BATCH: 11,
  /** A barrier: the epoch as a float64. */
  BARRIER: 12,
  /** A watermark: the time as a float64. */
  WATERMARK: 13,
  /** The stream turned idle. */
  IDLE: 14,
  /** The stream turned active. */
  ACTIVE: 15,
  /** The sender ended. */
  END: 16,
  /** The sender failed; the payload is the error's message (UTF-8). */
  FAIL: 17,
  /** The receiver took batches: the count as a uint32. */
  CREDIT: 18,
  /** The receiver stopped reading. */
  CLOSE: 19,
} as const;

/** How many bytes a frame's header takes: the length and the type. */
export const HEADER_BYTES = 5;

/** The largest frame payload accepted by default once peers trust each other (64 MiB). */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/**
 * The largest frame payload accepted during the handshake (64 KiB): before
 * a peer proved who it is, it may not make this side hold much memory.
 */
export const MAX_HANDSHAKE_FRAME_BYTES = 64 * 1024;

/** One frame as read. */
export interface Frame {
  /** The type byte. */
  readonly type: number;
  /** The payload, a copy this frame owns. */
  readonly payload: Uint8Array;
}

/** A frame announced a payload longer than allowed: the connection must be dropped. */
export class FrameTooLargeError extends RangeError {
  /**
   * @param length The announced payload length.
   * @param limit The largest allowed.
   */
  constructor(length: number, limit: number) {
    super(`Cannot read a frame of ${length} bytes: the limit is ${limit} bytes`);
    this.name = "FrameTooLargeError";
  }
}

/**
 * Cuts a byte stream into frames: feed it chunks as they arrive, then take
 * the complete frames.
 */
export class FrameReader {
  #buffer = new Uint8Array(64 * 1024);
  #start = 0;
  #end = 0;
  /** The largest payload accepted; may change between frames (after the handshake). */
  maxFrameBytes: number;

  /** @param maxFrameBytes The largest payload accepted. */
  constructor(maxFrameBytes: number) {
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Appends bytes that arrived. */
  push(chunk: Uint8Array): void {
    const needed = this.#end - this.#start + chunk.length;
    if (this.#end + chunk.length > this.#buffer.length) {
      if (needed > this.#buffer.length) {
        let size = this.#buffer.length * 2;
        while (size < needed) size *= 2;
        const grown = new Uint8Array(size);
        grown.set(this.#buffer.subarray(this.#start, this.#end));
        this.#buffer = grown;
      } else {
        this.#buffer.copyWithin(0, this.#start, this.#end);
      }
      this.#end -= this.#start;
      this.#start = 0;
    }
    this.#buffer.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  /**
   * The next complete frame, or `undefined` until more bytes arrive.
   *
   * @throws {FrameTooLargeError} When a frame announces a payload over the limit.
   */
  next(): Frame | undefined {
    const available = this.#end - this.#start;
    if (available < HEADER_BYTES) return undefined;
    const b = this.#buffer;
    const s = this.#start;
    const length = ((b[s]! << 24) >>> 0) + (b[s + 1]! << 16) + (b[s + 2]! << 8) + b[s + 3]!;
    if (length > this.maxFrameBytes) throw new FrameTooLargeError(length, this.maxFrameBytes);
    if (available < HEADER_BYTES + length) return undefined;
    const type = b[s + 4]!;
    const payload = b.slice(s + HEADER_BYTES, s + HEADER_BYTES + length);
    this.#start += HEADER_BYTES + length;
    if (this.#start === this.#end) this.#start = this.#end = 0;
    return { type, payload };
  }

  /** How many bytes wait that make no complete frame yet. */
  get pending(): number {
    return this.#end - this.#start;
  }
}

/**
 * Builds frames into one buffer, so many frames leave in one write.
 */
export class FrameWriter {
  #buffer = new Uint8Array(64 * 1024);
  #view = new DataView(this.#buffer.buffer);
  #end = 0;

  #reserve(bytes: number): void {
    if (this.#end + bytes <= this.#buffer.length) return;
    let size = this.#buffer.length * 2;
    while (size < this.#end + bytes) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#buffer.subarray(0, this.#end));
    this.#buffer = grown;
    this.#view = new DataView(grown.buffer);
  }

  /** How many bytes wait to be taken. */
  get length(): number {
    return this.#end;
  }

  /** Adds a frame whose payload is `payload`. */
  frame(type: number, payload: Uint8Array = EMPTY): void {
    this.#reserve(HEADER_BYTES + payload.length);
    this.#view.setUint32(this.#end, payload.length);
    this.#buffer[this.#end + 4] = type;
    this.#buffer.set(payload, this.#end + HEADER_BYTES);
    this.#end += HEADER_BYTES + payload.length;
  }

  /** Adds a channel's frame: its number, then `payload`. */
  channelFrame(type: number, channel: number, payload: Uint8Array = EMPTY): void {
    this.#reserve(HEADER_BYTES + 4 + payload.length);
    this.#view.setUint32(this.#end, 4 + payload.length);
    this.#buffer[this.#end + 4] = type;
    this.#view.setUint32(this.#end + HEADER_BYTES, channel);
    this.#buffer.set(payload, this.#end + HEADER_BYTES + 4);
    this.#end += HEADER_BYTES + 4 + payload.length;
  }

  /**
   * Adds a channel's frame whose body is `pieces`, each as a 4-byte length
   * and its bytes (a batch coalesced from several encoded batches).
   */
  channelPieces(type: number, channel: number, pieces: readonly Uint8Array[]): void {
    let body = 4;
    for (const piece of pieces) body += 4 + piece.length;
    this.#reserve(HEADER_BYTES + body);
    this.#view.setUint32(this.#end, body);
    this.#buffer[this.#end + 4] = type;
    this.#view.setUint32(this.#end + HEADER_BYTES, channel);
    let at = this.#end + HEADER_BYTES + 4;
    for (const piece of pieces) {
      this.#view.setUint32(at, piece.length);
      this.#buffer.set(piece, at + 4);
      at += 4 + piece.length;
    }
    this.#end = at;
  }

  /** Adds a channel's frame carrying one float64 (a barrier's epoch, a watermark's time). */
  channelNumber(type: number, channel: number, value: number): void {
    this.#reserve(HEADER_BYTES + 12);
    this.#view.setUint32(this.#end, 12);
    this.#buffer[this.#end + 4] = type;
    this.#view.setUint32(this.#end + HEADER_BYTES, channel);
    this.#view.setFloat64(this.#end + HEADER_BYTES + 4, value);
    this.#end += HEADER_BYTES + 12;
  }

  /** Takes the frames added so far (a copy) and starts empty. */
  take(): Uint8Array {
    const out = this.#buffer.slice(0, this.#end);
    this.#end = 0;
    return out;
  }
}

const EMPTY = new Uint8Array(0);

/** Encodes one frame on its own. */
export function encodeFrame(type: number, payload: Uint8Array = EMPTY): Uint8Array {
  const writer = new FrameWriter();
  writer.frame(type, payload);
  return writer.take();
}

/** A channel frame's number and the rest of its payload. */
export function splitChannelFrame(payload: Uint8Array): { channel: number; body: Uint8Array } {
  if (payload.length < 4) {
    throw new RangeError(`Cannot read a channel frame of ${payload.length} bytes: it needs 4`);
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  return { channel: view.getUint32(0), body: payload.subarray(4) };
}

/**
 * The pieces of a body made by {@linkcode FrameWriter.channelPieces}.
 *
 * @throws {RangeError} When a piece's length runs past the body.
 */
export function splitPieces(body: Uint8Array): Uint8Array[] {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const pieces: Uint8Array[] = [];
  let at = 0;
  while (at < body.length) {
    if (at + 4 > body.length) throw new RangeError("Cannot read a batch: a piece length is cut");
    const length = view.getUint32(at);
    if (at + 4 + length > body.length) {
      throw new RangeError(`Cannot read a batch: a piece of ${length} bytes runs past the frame`);
    }
    pieces.push(body.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return pieces;
}

/** Reads the float64 of a frame made by {@linkcode FrameWriter.channelNumber}. */
export function readFloat(body: Uint8Array): number {
  if (body.length !== 8) throw new RangeError(`Cannot read a number of ${body.length} bytes`);
  return new DataView(body.buffer, body.byteOffset, 8).getFloat64(0);
}

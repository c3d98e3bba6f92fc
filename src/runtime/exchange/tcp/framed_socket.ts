/**
 * A socket read as frames: what the handshake and then the connection read.
 *
 * @module
 */

import type { Socket } from "../../platform/socket.ts";
import { type Frame, FrameReader } from "./frame.ts";

/** A {@linkcode Socket} with a {@linkcode FrameReader}; bytes left after one frame stay for the next. */
export class FramedSocket {
  /** The socket. */
  readonly socket: Socket;
  /** The frame reader; its limit may be raised once the peer is trusted. */
  readonly reader: FrameReader;
  /** Called whenever a chunk arrives (the connection counts it as a sign of life). */
  onChunk: (() => void) | undefined;

  /**
   * @param socket The socket.
   * @param maxFrameBytes The largest frame payload accepted at first.
   */
  constructor(socket: Socket, maxFrameBytes: number) {
    this.socket = socket;
    this.reader = new FrameReader(maxFrameBytes);
  }

  /**
   * The next frame, or `null` once the peer closed its side.
   *
   * @throws {FrameTooLargeError} When a frame announces a payload over the limit.
   * @throws When the connection failed.
   */
  async next(): Promise<Frame | null> {
    while (true) {
      const frame = this.reader.next();
      if (frame !== undefined) return frame;
      const chunk = await this.socket.read();
      if (chunk === null) return null;
      this.onChunk?.();
      this.reader.push(chunk);
    }
  }
}

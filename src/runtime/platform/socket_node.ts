/**
 * The {@linkcode SocketAdapter} for Node and Bun: `node:net`.
 *
 * @module
 */

import { createConnection, createServer, type Server, type Socket as NetSocket } from "node:net";
import type { Listener, Socket, SocketAdapter, SocketAddress } from "./socket.ts";

// Chunks held before the socket is paused: reading stops, so a peer that
// sends faster than this side reads is slowed by TCP itself.
const PAUSE_AT = 16;

class NodeSocket implements Socket {
  readonly remoteAddress: string;
  readonly #socket: NetSocket;
  readonly #chunks: Uint8Array[] = [];
  #ended = false;
  #failure: { error: Error } | undefined;
  #waiting: (() => void) | undefined;
  #drained: (() => void)[] = [];

  constructor(socket: NetSocket) {
    this.#socket = socket;
    this.remoteAddress = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Uint8Array) => {
      // A plain view of the Buffer, as the other runtimes give.
      this.#chunks.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      if (this.#chunks.length >= PAUSE_AT) socket.pause();
      this.#wake();
    });
    socket.on("end", () => {
      this.#ended = true;
      this.#wake();
    });
    socket.on("error", (error: Error) => {
      this.#failure ??= { error };
      this.#wake();
    });
    socket.on("close", () => {
      this.#ended = true;
      this.#wake();
      for (const resolve of this.#drained.splice(0)) resolve();
    });
    socket.on("drain", () => {
      for (const resolve of this.#drained.splice(0)) resolve();
    });
  }

  #wake(): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.();
  }

  async read(): Promise<Uint8Array | null> {
    while (true) {
      const chunk = this.#chunks.shift();
      if (chunk !== undefined) {
        if (this.#chunks.length < PAUSE_AT && this.#socket.isPaused()) this.#socket.resume();
        return chunk;
      }
      if (this.#failure) throw this.#failure.error;
      if (this.#ended || this.#socket.destroyed) return null;
      await new Promise<void>((resolve) => this.#waiting = resolve);
    }
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.#socket.destroyed || this.#failure) {
      return Promise.reject(
        this.#failure?.error ?? new Error(`Cannot write to ${this.remoteAddress}: closed`),
      );
    }
    return new Promise((resolve, reject) => {
      const flushed = this.#socket.write(bytes, (error) => {
        if (error) reject(error);
      });
      if (flushed) resolve();
      else {
        this.#drained.push(() => {
          if (this.#failure) reject(this.#failure.error);
          else if (this.#socket.destroyed) {
            reject(new Error(`Cannot write to ${this.remoteAddress}: closed`));
          } else resolve();
        });
      }
    });
  }

  close(): void {
    this.#socket.destroy();
  }
}

class NodeListener implements Listener {
  readonly port: number;
  readonly address: string;
  readonly #server: Server;
  readonly #pending: NetSocket[] = [];
  #closed = false;
  #waiting: (() => void) | undefined;

  constructor(server: Server, hostname: string) {
    this.#server = server;
    const bound = server.address();
    this.port = typeof bound === "object" && bound !== null ? bound.port : 0;
    this.address = `${hostname}:${this.port}`;
    server.on("connection", (socket: NetSocket) => {
      // A reset before accept() takes the socket must not become an uncaught error.
      socket.on("error", () => {});
      this.#pending.push(socket);
      this.#wake();
    });
    server.on("close", () => {
      this.#closed = true;
      this.#wake();
    });
  }

  #wake(): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.();
  }

  async accept(): Promise<Socket | null> {
    while (true) {
      if (this.#closed) return null;
      const socket = this.#pending.shift();
      if (socket !== undefined) return new NodeSocket(socket);
      await new Promise<void>((resolve) => this.#waiting = resolve);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#server.close();
    for (const socket of this.#pending.splice(0)) socket.destroy();
    this.#wake();
  }
}

/** Node's and Bun's sockets. */
export const nodeSockets: SocketAdapter = {
  listen(address: SocketAddress): Promise<Listener> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen(address.port, address.hostname, () => {
        server.off("error", reject);
        resolve(new NodeListener(server, address.hostname));
      });
    });
  },
  connect(address: SocketAddress): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host: address.hostname, port: address.port });
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new NodeSocket(socket));
      });
    });
  },
};

/**
 * The {@linkcode SocketAdapter} for Deno: `Deno.listen` and `Deno.connect`.
 *
 * @module
 */

import type { Listener, Socket, SocketAdapter, SocketAddress } from "./socket.ts";

const READ_SIZE = 64 * 1024;

function addressOf(address: Deno.Addr): string {
  return address.transport === "tcp" ? `${address.hostname}:${address.port}` : String(address);
}

class DenoSocket implements Socket {
  readonly remoteAddress: string;
  readonly #conn: Deno.TcpConn;
  #closed = false;

  constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
    this.remoteAddress = addressOf(conn.remoteAddr);
    conn.setNoDelay(true);
  }

  async read(): Promise<Uint8Array | null> {
    if (this.#closed) return null;
    const buffer = new Uint8Array(READ_SIZE);
    let n: number | null;
    try {
      n = await this.#conn.read(buffer);
    } catch (error) {
      // Reading a socket this side closed ends the stream; anything else is a failure.
      if (this.#closed || error instanceof Deno.errors.BadResource) return null;
      throw error;
    }
    if (n === null) return null;
    return buffer.subarray(0, n);
  }

  async write(bytes: Uint8Array): Promise<void> {
    let written = 0;
    while (written < bytes.length) {
      written += await this.#conn.write(bytes.subarray(written));
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the runtime after a failure.
    }
  }
}

class DenoListener implements Listener {
  readonly port: number;
  readonly address: string;
  readonly #listener: Deno.TcpListener;
  #closed = false;

  constructor(listener: Deno.TcpListener) {
    this.#listener = listener;
    this.port = listener.addr.port;
    this.address = addressOf(listener.addr);
  }

  async accept(): Promise<Socket | null> {
    while (!this.#closed) {
      try {
        return new DenoSocket(await this.#listener.accept());
      } catch (error) {
        if (this.#closed || error instanceof Deno.errors.BadResource) return null;
        // A connection reset before it was accepted: wait for the next one.
        if (error instanceof Deno.errors.ConnectionReset) continue;
        throw error;
      }
    }
    return null;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#listener.close();
    } catch {
      // Already closed.
    }
  }
}

/** Deno's sockets. */
export const denoSockets: SocketAdapter = {
  listen(address: SocketAddress): Promise<Listener> {
    const listener = Deno.listen({ hostname: address.hostname, port: address.port });
    return Promise.resolve(new DenoListener(listener));
  },
  async connect(address: SocketAddress): Promise<Socket> {
    return new DenoSocket(await Deno.connect({ hostname: address.hostname, port: address.port }));
  },
};

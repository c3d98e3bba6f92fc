/**
 * TCP sockets behind one small interface, for the cluster transport
 * (`src/runtime/exchange/tcp/`): `Deno.listen`/`Deno.connect` on Deno,
 * `node:net` on Node and Bun, with `TCP_NODELAY` set on every connection so
 * that small frames (credits, control messages, heartbeats) leave at once.
 *
 * Only the adapter for the running runtime is loaded, as for
 * {@linkcode platform}.
 *
 * @module
 */

/** One TCP connection, as the cluster transport uses it. */
export interface Socket {
  /** `host:port` of the other end, for logs and errors. */
  readonly remoteAddress: string;
  /**
   * The next chunk of bytes the peer sent, or `null` once the peer closed its
   * side (a half-close reads as `null` too) or the socket was closed.
   *
   * @throws When the connection failed (reset, for instance).
   */
  read(): Promise<Uint8Array | null>;
  /**
   * Writes all of `bytes`; resolves once the system took them, so a peer
   * that does not read slows the writer (backpressure).
   *
   * @throws When the connection is closed or failed.
   */
  write(bytes: Uint8Array): Promise<void>;
  /** Closes both directions at once; closing twice is harmless. */
  close(): void;
}

/** A listening TCP socket. */
export interface Listener {
  /** The port it listens on (the system's choice when asked for port 0). */
  readonly port: number;
  /** `host:port` it listens on. */
  readonly address: string;
  /**
   * The next connection a peer opened, or `null` once the listener is
   * closed.
   */
  accept(): Promise<Socket | null>;
  /** Stops listening; connections accepted before stay open. */
  close(): void;
}

/** Where to listen or connect. */
export interface SocketAddress {
  /** A host name or IP address, such as `"127.0.0.1"`. */
  readonly hostname: string;
  /** A port; `0` when listening lets the system choose. */
  readonly port: number;
}

/** The socket functions of one runtime. */
export interface SocketAdapter {
  /** Listens on `address`. */
  listen(address: SocketAddress): Promise<Listener>;
  /**
   * Opens a connection to `address`.
   *
   * @throws When nothing accepts there (connection refused, for instance).
   */
  connect(address: SocketAddress): Promise<Socket>;
}

/**
 * The socket adapter of the running runtime.
 *
 * @example Listening on a free port and connecting to it
 * ```ts
 * import { sockets } from "./socket.ts";
 * import assert from "node:assert/strict";
 *
 * const listener = await sockets.listen({ hostname: "127.0.0.1", port: 0 });
 * const client = await sockets.connect({ hostname: "127.0.0.1", port: listener.port });
 * const server = (await listener.accept())!;
 * await client.write(new TextEncoder().encode("hi"));
 * assert.equal(new TextDecoder().decode((await server.read())!), "hi");
 * client.close();
 * assert.equal(await server.read(), null);
 * server.close();
 * listener.close();
 * ```
 */
export const sockets: SocketAdapter =
  typeof (globalThis as { Deno?: { version?: { deno?: unknown } } }).Deno?.version?.deno ===
      "string"
    ? (await import("./socket_deno.ts")).denoSockets
    : (await import("./socket_node.ts")).nodeSockets;

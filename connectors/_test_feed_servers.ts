/**
 * Real local servers for the feed tests, on 127.0.0.1 and a free port:
 * WebSocket (`ws`), Server-Sent Events (`node:http`) and a TCP server that
 * accepts and never answers. They use `node:*` and `ws`, so the tests run
 * on Deno, Bun and Node alike.
 *
 * @module
 */

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createTcpServer, type Socket } from "node:net";
import { WebSocketServer } from "ws";

/** The part of a `ws` server-side socket the tests use (`ws` ships no types). */
export interface ServerSocket {
  send(data: string | Uint8Array, done?: () => void): void;
  close(code?: number): void;
  terminate(): void;
}

/** A server the test closes when done. */
export interface TestServer {
  /** The URL to connect to. */
  url: string;
  /** Stops the server and drops its connections. */
  close(): Promise<void>;
}

/**
 * A WebSocket server calling `onConnection(socket, index)` for each
 * connection, `index` counting from 0.
 */
export async function webSocketServer(
  onConnection: (socket: ServerSocket, index: number) => void,
): Promise<TestServer> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((resolve) => server.once("listening", resolve));
  let count = 0;
  server.on("connection", (socket: ServerSocket) => onConnection(socket, count++));
  const { port } = server.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}/`,
    close: async () => {
      for (const client of server.clients as Set<ServerSocket>) client.terminate();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** An HTTP server calling `onRequest(request, response, index)` for each request. */
export async function httpServer(
  onRequest: (request: IncomingMessage, response: ServerResponse, index: number) => void,
): Promise<TestServer> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => onRequest(request, response, count++));
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A TCP server that accepts connections and never sends a byte; `accepted` holds their times. */
export async function silentServer(
  scheme: "ws" | "http",
): Promise<TestServer & { accepted: number[] }> {
  const accepted: number[] = [];
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    accepted.push(Date.now());
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `${scheme}://127.0.0.1:${port}/`,
    accepted,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * Node's `Buffer`, for npm clients that take only Buffers (the Kafka client):
 * every runtime runnel supports has `node:buffer`, and only platform files
 * import `node:*`.
 *
 * @module
 */

import { Buffer } from "node:buffer";

/** Node's `Buffer` type, a `Uint8Array` with Node's methods. */
export type NodeBuffer = Buffer;

/**
 * Bytes as a Node `Buffer`: UTF-8 for a string, a view (no copy) of a
 * `Uint8Array`.
 *
 * @param value A string or bytes.
 * @returns A `Buffer`, which is a `Uint8Array`.
 */
export function nodeBuffer(value: string | Uint8Array): Buffer {
  if (typeof value === "string") return Buffer.from(value, "utf8");
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

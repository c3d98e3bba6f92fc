/**
 * The exchange: how items reach the worker that owns them. When more than
 * one worker runs, the planner puts an exchange in front of every step input
 * whose pact (`src/dataflow/pact.ts`) is not pipeline. On each worker the
 * exchange's sender routes every batch (by key, sink partition or in turn)
 * into one {@linkcode Channel} per destination worker and copies each control
 * message (barrier, watermark, idle status) to all of them; each worker's
 * receiver merges its channels from every sender with the usual rules (the
 * watermark is the minimum over senders that are not idle, end of input once
 * every sender ended, barrier `e` aligned). A channel coalesces the batches it
 * holds for one destination and gives its sender credit for a bounded number
 * of them, so a slow worker slows its senders and memory stays bounded;
 * control messages never wait for credit, so a channel held back for barrier
 * alignment never blocks another. The in-process channel joins logical
 * workers on one thread; between threads (and, later, hosts) one
 * {@linkcode Link} per pair of workers carries every exchange's channels as
 * frames, batches as {@linkcode encodeBatch} bytes, drained into one queue
 * per channel (`port_channel.ts`).
 *
 * @module
 */

export type { Channel } from "./channel.ts";
export { InProcessChannel } from "./channel.ts";
export { decodeBatch, encodeBatch, UnencodableItemError } from "./codec.ts";
export { InProcessExchanges } from "./exchanges.ts";
export { decodeError, type EncodedError, encodeError } from "./error_codec.ts";
export { type Frame, type Link, LINK_CREDIT, LinkExchanges, portLink } from "./port_channel.ts";

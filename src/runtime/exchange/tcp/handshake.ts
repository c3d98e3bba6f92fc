/**
 * The handshake that opens every cluster connection: each side says who it
 * is, each checks that the other runs the same flow in the same cluster,
 * and, with a cluster secret, each proves it knows the secret without
 * sending it.
 *
 * @module
 */

import type { SystemTime } from "../../system_time.ts";
import { decodeBatch, encodeBatch } from "../codec.ts";
import { encodeFrame, type Frame, FrameType } from "./frame.ts";
import type { FramedSocket } from "./framed_socket.ts";

/** The version of the frames and handshake; both sides must speak the same. */
export const PROTOCOL_VERSION = 1;

/** What each side tells the other first. */
export interface Hello {
  /** {@linkcode PROTOCOL_VERSION} of the sender. */
  readonly protocol: number;
  /** runnel's version on the sender. */
  readonly version: string;
  /** The flow's id. */
  readonly flowId: string;
  /** The graph's fingerprint: the same flow built the same way. */
  readonly fingerprint: string;
  /** The sender's process index in the cluster. */
  readonly processIndex: number;
  /** How many processes the sender believes the cluster has. */
  readonly processCount: number;
  /** How many workers each process runs. */
  readonly workersPerProcess: number;
  /** Whether the sender holds a cluster secret. */
  readonly secret: boolean;
  /** 16 random bytes for the secret's challenge. */
  readonly nonce: Uint8Array;
}

/** Who this side is, and what it expects of the peer. */
export interface HandshakeOptions {
  /** runnel's version. */
  readonly version: string;
  /** The flow's id. */
  readonly flowId: string;
  /** The graph's fingerprint. */
  readonly fingerprint: string;
  /** This process's index. */
  readonly processIndex: number;
  /** How many processes the cluster has. */
  readonly processCount: number;
  /** How many workers each process runs. */
  readonly workersPerProcess: number;
  /** The shared cluster secret, if any. */
  readonly secret?: string | undefined;
  /**
   * Checks the peer's process index (this side dialed process 2, say, or
   * accepts only higher indices): the reason to refuse it, or `undefined`.
   */
  readonly checkPeer?: ((index: number) => string | undefined) | undefined;
  /** How long the whole handshake may take, in milliseconds. */
  readonly timeoutMs: number;
  /** The clock of the timeout. */
  readonly time: SystemTime;
}

/** The handshake failed: this side or the peer refused, or it took too long. */
export class HandshakeError extends Error {
  /** Why, without the address. */
  readonly reason: string;
  /** Whether the peer refused (rather than this side). */
  readonly byPeer: boolean;

  /**
   * Makes the error.
   *
   * @param address The peer's address.
   * @param reason Why.
   * @param byPeer Whether the peer refused.
   */
  constructor(address: string, reason: string, byPeer: boolean) {
    super(
      byPeer
        ? `Cluster connection with ${address} refused by the peer: ${reason}`
        : `Cluster connection with ${address} refused: ${reason}`,
    );
    this.name = "HandshakeError";
    this.reason = reason;
    this.byPeer = byPeer;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const NONCE_BYTES = 16;

class Refused {
  constructor(readonly reason: string, readonly byPeer: boolean) {}
}

function decodeHello(payload: Uint8Array): Hello {
  let value: unknown;
  try {
    value = decodeBatch(payload)[0];
  } catch {
    throw new Refused("its hello could not be decoded", false);
  }
  const hello = value as Partial<Hello> | null;
  if (
    typeof hello !== "object" || hello === null ||
    typeof hello.protocol !== "number" || typeof hello.version !== "string" ||
    typeof hello.flowId !== "string" || typeof hello.fingerprint !== "string" ||
    typeof hello.processIndex !== "number" || typeof hello.processCount !== "number" ||
    typeof hello.workersPerProcess !== "number" || typeof hello.secret !== "boolean" ||
    !(hello.nonce instanceof Uint8Array) || hello.nonce.length !== NONCE_BYTES
  ) {
    throw new Refused("its hello is not a runnel cluster hello", false);
  }
  return hello as Hello;
}

/** The first difference between the peer's hello and this side, or `undefined`. */
function mismatch(
  mine: Hello,
  theirs: Hello,
  checkPeer: ((index: number) => string | undefined) | undefined,
): string | undefined {
  const differs = (what: string, ours: unknown, its: unknown) =>
    `${what} differs: this process has ${JSON.stringify(ours)}, the peer ${JSON.stringify(its)}`;
  if (theirs.protocol !== mine.protocol) {
    return differs("the protocol version", mine.protocol, theirs.protocol);
  }
  if (theirs.version !== mine.version) {
    return differs("runnel's version", mine.version, theirs.version);
  }
  if (theirs.flowId !== mine.flowId) return differs("the flow id", mine.flowId, theirs.flowId);
  if (theirs.fingerprint !== mine.fingerprint) {
    return differs("the graph fingerprint", mine.fingerprint, theirs.fingerprint);
  }
  if (theirs.processCount !== mine.processCount) {
    return differs("the process count", mine.processCount, theirs.processCount);
  }
  if (theirs.workersPerProcess !== mine.workersPerProcess) {
    return differs("workers per process", mine.workersPerProcess, theirs.workersPerProcess);
  }
  const index = theirs.processIndex;
  if (!Number.isInteger(index) || index < 0 || index >= mine.processCount) {
    return `the peer's process index ${index} is not in 0..${mine.processCount - 1}`;
  }
  if (index === mine.processIndex) return `the peer claims this process's own index ${index}`;
  const wrongPeer = checkPeer?.(index);
  if (wrongPeer !== undefined) return wrongPeer;
  if (theirs.secret !== mine.secret) {
    return mine.secret
      ? "this process requires the cluster secret and the peer has none"
      : "the peer requires a cluster secret and this process has none";
  }
  return undefined;
}

async function proof(secret: string, index: number, first: Uint8Array, second: Uint8Array) {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  // The sender's index and both nonces, in the sender's order: a reflected or replayed proof fails.
  const message = new Uint8Array(4 + first.length + second.length);
  new DataView(message.buffer).setUint32(0, index);
  message.set(first, 4);
  message.set(second, 4 + first.length);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, message));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

async function expect(framed: FramedSocket, type: number, what: string): Promise<Frame> {
  const frame = await framed.next();
  if (frame === null) throw new Refused(`the peer closed the connection before its ${what}`, true);
  if (frame.type === FrameType.REFUSE) throw new Refused(decoder.decode(frame.payload), true);
  if (frame.type !== type) {
    throw new Refused(`expected its ${what}, got a frame of type ${frame.type}`, false);
  }
  return frame;
}

async function exchange(framed: FramedSocket, options: HandshakeOptions): Promise<Hello> {
  const mine: Hello = {
    protocol: PROTOCOL_VERSION,
    version: options.version,
    flowId: options.flowId,
    fingerprint: options.fingerprint,
    processIndex: options.processIndex,
    processCount: options.processCount,
    workersPerProcess: options.workersPerProcess,
    secret: options.secret !== undefined,
    nonce: crypto.getRandomValues(new Uint8Array(NONCE_BYTES)),
  };
  await framed.socket.write(
    encodeFrame(FrameType.HELLO, encodeBatch("cluster handshake", [mine], false)),
  );
  const theirs = decodeHello((await expect(framed, FrameType.HELLO, "hello")).payload);
  const wrong = mismatch(mine, theirs, options.checkPeer);
  if (wrong !== undefined) throw new Refused(wrong, false);
  if (options.secret !== undefined) {
    const secret = options.secret;
    await framed.socket.write(
      encodeFrame(
        FrameType.PROOF,
        await proof(secret, mine.processIndex, theirs.nonce, mine.nonce),
      ),
    );
    const got = (await expect(framed, FrameType.PROOF, "proof of the secret")).payload;
    const wanted = await proof(secret, theirs.processIndex, mine.nonce, theirs.nonce);
    if (!sameBytes(got, wanted)) {
      throw new Refused("the peer does not know the cluster secret", false);
    }
  }
  await framed.socket.write(encodeFrame(FrameType.ACCEPT));
  await expect(framed, FrameType.ACCEPT, "acceptance");
  return theirs;
}

/**
 * Runs the handshake on a fresh connection (both sides run the same steps,
 * whoever dialed): hellos, then proofs of the secret, then acceptances.
 * On a mismatch this side sends the reason to the peer and closes the
 * socket; no data frame is read before both sides accepted.
 *
 * @param framed The connection.
 * @param options Who this side is.
 * @returns The peer's hello.
 * @throws {HandshakeError} When either side refused, the peer closed, or the time ran out.
 */
export async function handshake(framed: FramedSocket, options: HandshakeOptions): Promise<Hello> {
  const address = framed.socket.remoteAddress;
  const stop = new AbortController();
  const timeoutReason = `no handshake within ${options.timeoutMs} ms`;
  const timeout = options.time.sleepUntil(options.time.now() + options.timeoutMs, stop.signal)
    .then(() => {
      throw new Refused(timeoutReason, false);
    });
  try {
    return await Promise.race([exchange(framed, options), timeout]);
  } catch (error) {
    const refused = error instanceof Refused
      ? error
      : new Refused(error instanceof Error ? error.message : String(error), false);
    if (!refused.byPeer) {
      // Best effort, and briefly: the peer may be gone or not reading. Then, unless a read
      // is still under way (the time ran out), wait for the peer to close first: closing with
      // its bytes unread would reset the connection, and it might never read the reason.
      const waited = new AbortController();
      const timedOut = refused.reason === timeoutReason;
      await Promise.race([
        framed.socket.write(encodeFrame(FrameType.REFUSE, encoder.encode(refused.reason)))
          .then(async () => {
            if (timedOut) return;
            // Until the peer closes, or refuses too (then neither waits for the other).
            for (let frame = await framed.next(); frame !== null; frame = await framed.next()) {
              if (frame.type === FrameType.REFUSE) return;
            }
          })
          .catch(() => {}),
        options.time.sleepUntil(options.time.now() + 1_000, waited.signal).catch(() => {}),
      ]);
      waited.abort();
    }
    framed.socket.close();
    throw new HandshakeError(address, refused.reason, refused.byPeer);
  } finally {
    stop.abort();
    timeout.catch(() => {});
  }
}

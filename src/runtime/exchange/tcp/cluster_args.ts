/**
 * Reads which cluster this process belongs to from its flags (`-a`, `-i`)
 * or environment (`RUNNEL_ADDRESSES`, `RUNNEL_PROCESS_ID`), as a
 * container orchestrator passes them.
 *
 * @module
 */

import type { SocketAddress } from "../../platform/socket.ts";

/** The cluster flags as given (strings, before checking). */
export interface ClusterFlags {
  /** `-a`: the addresses, `"host0:port;host1:port;…"`. */
  readonly addresses?: string | undefined;
  /** `-i`: this process's index. */
  readonly processId?: string | undefined;
}

/** Which cluster this process belongs to. */
export interface ClusterArgs {
  /** Every process's address, by index. */
  readonly addresses: SocketAddress[];
  /** This process's index. */
  readonly processIndex: number;
}

function parseAddress(text: string, position: number, from: string): SocketAddress {
  const fail = (why: string): never => {
    throw new TypeError(
      `Cannot read address ${position} of ${from} ${JSON.stringify(text)}: ${why}`,
    );
  };
  let hostname: string;
  let port: string;
  const bracketed = /^\[([^\]]+)\]:(.*)$/.exec(text);
  if (bracketed) {
    hostname = bracketed[1]!;
    port = bracketed[2]!;
  } else {
    const colon = text.lastIndexOf(":");
    if (colon === -1) return fail("it needs a port, as host:port");
    hostname = text.slice(0, colon);
    port = text.slice(colon + 1);
    if (hostname.includes(":")) return fail("write an IPv6 host in brackets, as [::1]:port");
  }
  if (hostname === "") return fail("the host is empty");
  if (!/^\d+$/.test(port)) return fail(`the port ${JSON.stringify(port)} is not a number`);
  const number = Number(port);
  if (number < 1 || number > 65_535) return fail(`the port ${number} is not in 1..65535`);
  return { hostname, port: number };
}

/**
 * Reads the cluster a process belongs to. Flags win over the environment.
 * Without addresses the process runs alone (`undefined`); a single address
 * is a cluster of one.
 *
 * @example A process of a two-process cluster, from its environment
 * ```ts
 * import { parseClusterArgs } from "./cluster_args.ts";
 * import assert from "node:assert/strict";
 *
 * const env: Record<string, string> = { RUNNEL_ADDRESSES: "a:7001;b:7001", RUNNEL_PROCESS_ID: "1" };
 * assert.deepEqual(parseClusterArgs({}, (name) => env[name]), {
 *   addresses: [{ hostname: "a", port: 7001 }, { hostname: "b", port: 7001 }],
 *   processIndex: 1,
 * });
 * ```
 *
 * @param flags `-a` and `-i` as given on the command line.
 * @param env Reads an environment variable.
 * @returns The cluster, or `undefined` when no addresses were given.
 * @throws {TypeError} When an address or the index cannot be read, or only an index was given.
 * @throws {RangeError} When the index is outside the address list, or an address is listed twice.
 */
export function parseClusterArgs(
  flags: ClusterFlags,
  env: (name: string) => string | undefined,
): ClusterArgs | undefined {
  const addressesFrom = flags.addresses !== undefined ? "-a" : "RUNNEL_ADDRESSES";
  const addressText = flags.addresses ?? env("RUNNEL_ADDRESSES");
  const idFrom = flags.processId !== undefined ? "-i" : "RUNNEL_PROCESS_ID";
  const idText = flags.processId ?? env("RUNNEL_PROCESS_ID");
  if (addressText === undefined || addressText.trim() === "") {
    if (idText !== undefined && idText.trim() !== "") {
      throw new TypeError(
        `Cannot join a cluster: ${idFrom} is ${
          JSON.stringify(idText)
        } but no addresses were given ` +
          `(-a "host0:port;host1:port" or RUNNEL_ADDRESSES)`,
      );
    }
    return undefined;
  }
  if (!addressText.includes(";") && /[,\s]/.test(addressText.trim())) {
    throw new TypeError(
      `Cannot read ${addressesFrom} ${JSON.stringify(addressText)}: addresses are separated by ` +
        `";", as in "host0:7001;host1:7001"`,
    );
  }
  const parts = addressText.split(";").map((part) => part.trim());
  if (parts.at(-1) === "") parts.pop(); // a trailing ";" is harmless
  const addresses = parts.map((part, i) => parseAddress(part, i, addressesFrom));
  const seen = new Map<string, number>();
  addresses.forEach((address, i) => {
    const key = `${address.hostname.toLowerCase()}:${address.port}`;
    const first = seen.get(key);
    if (first !== undefined) {
      throw new RangeError(
        `Cannot read ${addressesFrom}: addresses ${first} and ${i} are both ${parts[i]}`,
      );
    }
    seen.set(key, i);
  });
  let processIndex = 0;
  if (idText === undefined || idText.trim() === "") {
    if (addresses.length > 1) {
      throw new TypeError(
        `Cannot join the cluster of ${addresses.length} processes in ${addressesFrom}: ` +
          "this process's index is missing (-i N or RUNNEL_PROCESS_ID)",
      );
    }
  } else {
    const trimmed = idText.trim();
    if (!/^\d+$/.test(trimmed)) {
      throw new TypeError(
        `Cannot read ${idFrom}: ${JSON.stringify(idText)} is not a process index`,
      );
    }
    processIndex = Number(trimmed);
    if (processIndex >= addresses.length) {
      throw new RangeError(
        `Cannot read ${idFrom}: process ${processIndex} is not in the ${addresses.length} addresses ` +
          `of ${addressesFrom} (indices 0..${addresses.length - 1})`,
      );
    }
  }
  return { addresses, processIndex };
}

/**
 * What a run needs to know of the cluster its process belongs to. Its own
 * module, without imports, so that naming it in `RunOptions` loads nothing
 * of the cluster transport.
 *
 * @module
 */

/**
 * Which cluster a run's process belongs to (`RunOptions.cluster`; the CLI
 * reads it from `-i`, `-a` and their environment variables).
 *
 * @example Process 1 of a cluster of two, for `run(flow, { module, cluster })`
 * ```ts
 * import type { ClusterRunOptions } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const cluster: ClusterRunOptions = {
 *   addresses: [{ hostname: "10.0.0.1", port: 7001 }, { hostname: "10.0.0.2", port: 7001 }],
 *   processIndex: 1,
 *   version: "0.1.0",
 *   heartbeatTimeoutMs: 5_000,
 * };
 * assert.equal(cluster.addresses.length, 2);
 * ```
 */
export interface ClusterRunOptions {
  /** Every process's host and port, by process index; the same list on every process. */
  readonly addresses: readonly { readonly hostname: string; readonly port: number }[];
  /** This process's index in `addresses`. */
  readonly processIndex: number;
  /** A secret every process shares (HMAC-SHA256 challenge-response); optional. */
  readonly secret?: string | undefined;
  /** How long to wait for every peer to connect, in milliseconds. Defaults to 30,000. */
  readonly startupTimeoutMs?: number | undefined;
  /** How long a silent peer counts as alive, in milliseconds. Defaults to 10,000. */
  readonly heartbeatTimeoutMs?: number | undefined;
  /** runnel's version: peers of another version are refused. */
  readonly version: string;
}

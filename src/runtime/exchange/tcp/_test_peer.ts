/**
 * A cluster process for the heartbeat test: joins the cluster given as
 * arguments (`<index> <host:port;host:port>`), prints "connected", then
 * waits forever (until it is killed).
 *
 * @module
 */

import { platform } from "../../platform/platform.ts";
import { openCluster } from "./cluster.ts";
import { parseClusterArgs } from "./cluster_args.ts";

const [index, addresses] = platform.args();
const args = parseClusterArgs({ processId: index, addresses }, () => undefined)!;
const cluster = await openCluster({
  ...args,
  workersPerProcess: 1,
  flowId: "flow",
  fingerprint: "graph-1",
  version: "0.1.0",
});
await platform.writeStdout(new TextEncoder().encode("connected\n"));
// Keeps the process alive and answers heartbeats (reading keeps the connection live).
setInterval(() => cluster.connections.forEach((c) => c.heartbeat()), 100);

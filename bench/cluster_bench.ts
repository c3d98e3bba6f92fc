/**
 * `deno task bench:cluster`: the exchange benchmark (`exchange_bench.ts`: a
 * keyed `countFinal` over 5,000,000 items where every item crosses workers)
 * as a cluster of 2 processes × 1 worker over loopback TCP, against 1
 * process × 2 Worker threads, one run each. Each cluster process times its
 * own `run` (connecting to its peer, starting its Worker, the run), and the
 * slower one counts; the process start-up itself (loading the runtime) is
 * left out, as a Worker's start-up is included in the threads' time. The
 * last line:
 * `{"bench":"cluster","items_per_s_tcp":…,"ratio_tcp_vs_workers":…}`.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { run, RunStats } from "../mod.ts";
import { exchange } from "./exchange_bench.ts";
import { sockets } from "../src/runtime/platform/socket.ts";
import { parseClusterArgs } from "../src/runtime/exchange/tcp/cluster_args.ts";
import { formatAddress } from "../src/runtime/exchange/tcp/cluster.ts";

const ITEMS = 5_000_000;
const KEYS = 100_000;
const MODULE = { url: new URL("./exchange_bench.ts", import.meta.url).href, export: "exchange" };

function keysOut(stats: RunStats): number {
  return stats.byStep()["exchange.out"]!.in.reduce((a, b) => a + b, 0);
}

// One process of the cluster: runs its worker and prints its time and keys.
async function child(addresses: string, processId: string): Promise<void> {
  const cluster = parseClusterArgs({ addresses, processId }, () => undefined)!;
  const stats = new RunStats();
  const started = performance.now();
  await run(exchange(), {
    workers: 1,
    module: MODULE,
    stats,
    cluster: { ...cluster, version: "bench" },
  });
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ seconds, keys: keysOut(stats) }));
}

async function threads(): Promise<number> {
  const stats = new RunStats();
  const started = performance.now();
  await run(exchange(), { workers: 2, module: MODULE, stats });
  const seconds = (performance.now() - started) / 1000;
  if (keysOut(stats) !== KEYS) throw new Error(`2 threads counted ${keysOut(stats)} keys`);
  console.log(JSON.stringify({
    bench: "cluster",
    subject: "1 process x 2 workers",
    seconds: +seconds.toFixed(3),
    items_per_s: Math.round(ITEMS / seconds),
  }));
  return seconds;
}

async function tcp(): Promise<number> {
  const listeners = [];
  for (let i = 0; i < 2; i++) {
    listeners.push(await sockets.listen({ hostname: "127.0.0.1", port: 0 }));
  }
  const addresses = listeners.map((l) => formatAddress({ hostname: "127.0.0.1", port: l.port }))
    .join(";");
  for (const listener of listeners) listener.close();
  const script = decodeURIComponent(new URL(import.meta.url).pathname);
  const results = await Promise.all(
    [0, 1].map((i) =>
      new Promise<{ seconds: number; keys: number }>((resolve, reject) => {
        const child = spawn(Deno.execPath(), ["run", "-A", script, addresses, `${i}`], {
          stdio: ["ignore", "pipe", "inherit"],
        });
        let out = "";
        child.stdout!.on("data", (chunk) => out += chunk);
        child.on("close", (code) => {
          if (code !== 0) reject(new Error(`cluster process ${i} exited with ${code}`));
          else resolve(JSON.parse(out.trim().split("\n").at(-1)!));
        });
      })
    ),
  );
  const keys = results.reduce((sum, r) => sum + r.keys, 0);
  if (keys !== KEYS) throw new Error(`the cluster counted ${keys} keys, not ${KEYS}`);
  const seconds = Math.max(...results.map((r) => r.seconds));
  console.log(JSON.stringify({
    bench: "cluster",
    subject: "2 processes x 1 worker, loopback TCP",
    seconds: +seconds.toFixed(3),
    items_per_s: Math.round(ITEMS / seconds),
  }));
  return seconds;
}

if (import.meta.main) {
  if (Deno.args.length === 2) await child(Deno.args[0]!, Deno.args[1]!);
  else {
    const workers = await threads();
    const overTcp = await tcp();
    console.log(JSON.stringify({
      bench: "cluster",
      items_per_s_tcp: Math.round(ITEMS / overTcp),
      ratio_tcp_vs_workers: +(workers / overTcp).toFixed(3),
    }));
  }
}

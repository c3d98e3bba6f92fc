/**
 * `deno task bench:latency -w 2`: as `bench:latency`, one item every
 * millisecond, but keyed so that every item crosses from the Worker thread
 * that reads it to the other one before it reaches the sink; prints the
 * median and p99 source-to-sink latency. Stamps are absolute
 * (`performance.timeOrigin + performance.now()`), since each thread has a
 * time origin of its own. The sink writes the latencies to a file the main
 * thread reads once the run ends.
 *
 * @module
 */

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Dataflow, run } from "../mod.ts";
import type { DynamicSource } from "../mod.ts";
import { stableHash } from "../src/dataflow/stable_hash.ts";

const ITEMS = 2_000;
const WARMUP = 200;

const now = () => performance.timeOrigin + performance.now();

// A key worker 1 of 2 owns: items read on worker 0 cross to it.
let key = "k0";
for (let i = 0; stableHash(key) % 2 !== 1; i++) key = `k${i}`;

/** Emits absolute stamps, one per millisecond, from worker 0. */
function ticks(count: number): DynamicSource<[string, number]> {
  return {
    build(_stepId, worker) {
      let sent = worker === 0 ? 0 : count;
      let due = performance.now();
      return {
        nextBatch() {
          if (sent >= count) return null;
          if (performance.now() < due) return [];
          sent++;
          due += 1;
          return [[key, now()]];
        },
        nextAwake: () => Date.now() + Math.max(0, due - performance.now()),
      };
    },
  };
}

/** The flow every worker builds; the worker that owns the key writes `out` when it closes. */
export function latency(out: string): Dataflow {
  const flow = new Dataflow("latency");
  flow.input("ticks", ticks(ITEMS + WARMUP))
    .statefulMap("count", (n: number | undefined, t: number) => [(n ?? 0) + 1, t])
    .output("out", {
      build: () => {
        const latencies: number[] = [];
        return {
          writeBatch(batch: readonly [string, number][]) {
            const at = now();
            for (const [, t] of batch) latencies.push((at - t) * 1000);
          },
          async close() {
            if (latencies.length > 0) await writeFile(out, JSON.stringify(latencies));
          },
        };
      },
    });
  return flow;
}

/**
 * Runs the measurement.
 *
 * @param workers The thread count (2 or more).
 */
export async function main(workers: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "runnel_latency_"));
  try {
    const out = join(dir, "latencies.json");
    await run(latency(out), {
      workers,
      module: { url: import.meta.url, export: "latency", args: [out] },
    });
    const latencies: number[] = JSON.parse(await readFile(out, "utf8"));
    const measured = latencies.slice(WARMUP).sort((a, b) => a - b);
    const quantile = (q: number) =>
      measured[Math.min(measured.length - 1, Math.floor(q * measured.length))]!;
    console.log(JSON.stringify({
      bench: "latency",
      workers,
      items: measured.length,
      median_us: +quantile(0.5).toFixed(1),
      p99_us: +quantile(0.99).toFixed(1),
      max_us: +measured[measured.length - 1]!.toFixed(1),
    }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

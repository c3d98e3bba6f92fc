/**
 * `deno task bench:latency`: a source that emits one item every
 * millisecond, through three steps, to a sink; prints the median and p99
 * source-to-sink latency in microseconds. Batching must not add latency: a
 * source hands over what it has at once.
 *
 * @module
 */

import { Dataflow, run } from "../mod.ts";
import type { DynamicSource } from "../mod.ts";

// `-w N`: the same measured across N Worker threads (see latency_threads_bench.ts).
if (Deno.args[0] === "-w") {
  await (await import("./latency_threads_bench.ts")).main(Number(Deno.args[1] ?? 2));
  Deno.exit(0);
}

const ITEMS = 2_000;
const WARMUP = 200;

/** Emits `performance.now()` stamps, one per millisecond. */
function ticks(count: number): DynamicSource<number> {
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
          return [performance.now()];
        },
        nextAwake: () => Date.now() + Math.max(0, due - performance.now()),
      };
    },
  };
}

const latencies: number[] = [];
const flow = new Dataflow("latency");
flow.input("ticks", ticks(ITEMS + WARMUP))
  .map("stamp", (t) => ({ t, n: 0 }))
  .filter("keep", (x) => x.t >= 0)
  .map("unwrap", (x) => x.t)
  .output("out", {
    build: () => ({
      writeBatch(batch: readonly number[]) {
        const now = performance.now();
        for (const t of batch) latencies.push((now - t) * 1000);
      },
    }),
  });
await run(flow);

const measured = latencies.slice(WARMUP).sort((a, b) => a - b);
const quantile = (q: number) =>
  measured[Math.min(measured.length - 1, Math.floor(q * measured.length))]!;
console.log(JSON.stringify({
  bench: "latency",
  items: measured.length,
  median_us: +quantile(0.5).toFixed(1),
  p99_us: +quantile(0.99).toFixed(1),
  max_us: +measured[measured.length - 1]!.toFixed(1),
}));

/**
 * `deno task bench:exchange`: a keyed `countFinal` over 5,000,000 items and
 * 100,000 keys from a 2-partition source, on one worker and on two Worker
 * threads (`-w 2`), in one run. Each partition draws only keys that hash to
 * the other worker, so with two threads every item crosses the exchange
 * (after `countFinal`'s per-batch pre-count, which a batch of 1,024 items
 * over 50,000 keys barely shrinks). Reports the items per second through
 * the exchange and the ratio to the one-worker run, start-up included.
 *
 * @module
 */

import { Dataflow, run, RunStats } from "../mod.ts";
import { stableHash } from "../src/dataflow/stable_hash.ts";
import { computedSource, timed } from "./_partitioned.ts";

const ITEMS = 5_000_000;
const KEYS = 100_000;

// Keys by the worker of two they hash to: partition p draws from the keys of worker 1 - p.
const byWorker: string[][] = [[], []];
for (let i = 0; byWorker[0]!.length < KEYS / 2 || byWorker[1]!.length < KEYS / 2; i++) {
  const key = `key${i}`;
  const list = byWorker[stableHash(key) % 2]!;
  if (list.length < KEYS / 2) list.push(key);
}

/** The flow every worker builds. */
export function exchange(): Dataflow {
  const flow = new Dataflow("exchange");
  flow.input(
    "inp",
    computedSource(2, ITEMS / 2, (p, i) => byWorker[1 - p]![(i * 7_919) % (KEYS / 2)]!),
  )
    .countFinal("count", (key) => key)
    .output("out", { build: () => ({ writeBatch() {} }) });
  return flow;
}

async function measure(workers: number): Promise<number> {
  const stats = new RunStats();
  const { seconds, cpu } = await timed(() =>
    run(exchange(), { workers, module: { url: import.meta.url, export: "exchange" }, stats })
  );
  const steps = stats.byStep();
  const keys = steps["exchange.out"]!.in.reduce((a, b) => a + b, 0);
  if (keys !== KEYS) throw new Error(`${workers} workers counted ${keys} keys, not ${KEYS}`);
  const crossed = steps["exchange.count.sum"]!.in.reduce((a, b) => a + b, 0);
  console.log(JSON.stringify({
    bench: "exchange",
    workers,
    items: ITEMS,
    pre_counted_pairs: crossed,
    seconds: +seconds.toFixed(3),
    cpu_seconds: +cpu.toFixed(3),
    items_per_s: Math.round(ITEMS / seconds),
  }));
  return seconds;
}

if (import.meta.main) {
  const one = await measure(1);
  const two = await measure(2);
  console.log(JSON.stringify({
    bench: "exchange",
    items_per_s_w2: Math.round(ITEMS / two),
    ratio_w2_vs_w1: +(one / two).toFixed(3),
  }));
}

/**
 * `deno task bench:scaling`: a CPU-heavy stateless map (about 2 µs of
 * arithmetic per item) over 2,000,000 items from a 2-partition source, on
 * one worker and on two Worker threads (`-w 2`), in one run. The speedup is
 * the one-worker time over the two-thread time, the threads' start-up
 * included. Both runs check that every item reached the sink.
 *
 * @module
 */

import { Dataflow, run, RunStats } from "../mod.ts";
import { computedSource, timed } from "./_partitioned.ts";

const ITEMS = 2_000_000;
// Rounds of a 32-bit linear congruential step: about 2 µs per item on the machine this
// was tuned on (the first line printed measures it).
const ROUNDS = 2_500;

function work(n: number): number {
  let x = n | 0;
  for (let i = 0; i < ROUNDS; i++) x = (Math.imul(x, 1_103_515_245) + 12_345) | 0;
  return x;
}

/** The flow every worker builds. */
export function scaling(): Dataflow {
  const flow = new Dataflow("scaling");
  let sum = 0;
  flow.input("inp", computedSource(2, ITEMS / 2, (p, i) => p * ITEMS + i))
    .map("work", work)
    .output("out", {
      build: () => ({ writeBatch: (xs: readonly number[]) => void (sum += xs.length) }),
    });
  void sum;
  return flow;
}

async function measure(workers: number): Promise<number> {
  const stats = new RunStats();
  const { seconds, cpu } = await timed(() =>
    run(scaling(), { workers, module: { url: import.meta.url, export: "scaling" }, stats })
  );
  const written = stats.byStep()["scaling.out"]!.in.reduce((a, b) => a + b, 0);
  if (written !== ITEMS) throw new Error(`${workers} workers wrote ${written} items, not ${ITEMS}`);
  console.log(JSON.stringify({
    bench: "scaling",
    workers,
    items: ITEMS,
    seconds: +seconds.toFixed(3),
    cpu_seconds: +cpu.toFixed(3),
    items_per_s: Math.round(ITEMS / seconds),
  }));
  return seconds;
}

if (import.meta.main) {
  const start = performance.now();
  for (let i = 0; i < 100_000; i++) work(i);
  const perItemUs = (performance.now() - start) * 1000 / 100_000;
  console.log(JSON.stringify({ bench: "scaling", work_us_per_item: +perItemUs.toFixed(2) }));
  const one = await measure(1);
  const two = await measure(2);
  console.log(JSON.stringify({ bench: "scaling", speedup_w2: +(one / two).toFixed(3) }));
}

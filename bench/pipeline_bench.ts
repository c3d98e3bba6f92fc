/**
 * `deno task bench:pipeline`: a three-step stateless flow (map → filter →
 * map over 5,000,000 numbers) through runnel, against the same work as a
 * hand-written loop, as `ix` async-iterable operators and as `rxjs`, all in
 * this one process and run. Prints one JSON line per subject, then the
 * ratios.
 *
 * @module
 */

import { from as ixFrom } from "ix/asynciterable";
import { filter as ixFilter, map as ixMap } from "ix/asynciterable/operators";
import { filter as rxFilter, from as rxFrom, map as rxMap } from "rxjs";
import { Dataflow, run } from "../mod.ts";

const N = 5_000_000;
const input = Array.from({ length: N }, (_, i) => i);

// The same three functions for every subject.
const double = (x: number) => x * 2;
const keep = (x: number) => x % 3 === 0;
const inc = (x: number) => x + 1;
// Every subject must produce this checksum.
let expected = 0;
for (const x of input) if (keep(double(x))) expected += inc(double(x));

function loop(): number {
  let sum = 0;
  for (let i = 0; i < input.length; i++) {
    const a = double(input[i]!);
    if (keep(a)) sum += inc(a);
  }
  return sum;
}

async function runnel(): Promise<number> {
  let sum = 0;
  const flow = new Dataflow("pipeline");
  flow.input("inp", input)
    .map("double", double)
    .filter("keep", keep)
    .map("inc", inc)
    .output("out", {
      build: () => ({
        // Summed in a local, as the loop does: adding to the captured `sum`
        // item by item stores a new boxed number in the closure each time
        // (the sum outgrows small integers), which cost 2-7 ms of a 20-24 ms
        // run in paired runs, a cost of this closure and not of runnel.
        writeBatch(batch: readonly number[]) {
          let batchSum = 0;
          for (let i = 0; i < batch.length; i++) batchSum += batch[i]!;
          sum += batchSum;
        },
      }),
    });
  await run(flow);
  return sum;
}

async function ix(): Promise<number> {
  let sum = 0;
  for await (const x of ixFrom(input).pipe(ixMap(double), ixFilter(keep), ixMap(inc))) sum += x;
  return sum;
}

function rxjs(): Promise<number> {
  return new Promise((resolve, reject) => {
    let sum = 0;
    rxFrom(input).pipe(rxMap(double), rxFilter(keep), rxMap(inc)).subscribe({
      next: (x) => sum += x,
      error: reject,
      complete: () => resolve(sum),
    });
  });
}

/** Best items/s over `rounds` timed runs after one warm-up run. */
async function measure(
  subject: string,
  fn: () => number | Promise<number>,
  rounds: number,
): Promise<number> {
  if ((await fn()) !== expected) throw new Error(`${subject} computed a wrong checksum`);
  let best = Infinity;
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    const sum = await fn();
    const seconds = (performance.now() - start) / 1000;
    if (sum !== expected) throw new Error(`${subject} computed a wrong checksum`);
    best = Math.min(best, seconds);
  }
  const rate = N / best;
  console.log(JSON.stringify({
    bench: "pipeline",
    subject,
    items: N,
    seconds: +best.toFixed(4),
    items_per_s: Math.round(rate),
  }));
  return rate;
}

const loopRate = await measure("loop", loop, 5);
const runnelRate = await measure("runnel", runnel, 5);
const rxjsRate = await measure("rxjs", rxjs, 3);
const ixRate = await measure("ix", ix, 1);
console.log(JSON.stringify({
  bench: "pipeline",
  ratio_vs_loop: +(runnelRate / loopRate).toFixed(3),
  ratio_vs_ix: +(runnelRate / ixRate).toFixed(1),
  ratio_vs_rxjs: +(runnelRate / rxjsRate).toFixed(2),
}));

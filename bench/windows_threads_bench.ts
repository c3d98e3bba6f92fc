/**
 * `deno task bench:windows -w 2`: the flow of `bench:windows` (5,000,000
 * out-of-order events over 10,000 keys, 1-second tumbling counts through
 * `countWindow`) from a 2-partition source, on one worker and on two Worker
 * threads, in one run; prints the ratio of their rates. Threads cannot share
 * a hand-driven time, so both runs use the real time, and the clock waits
 * 60 s of it rather than `bench:windows`' 4 s: the watermark also moves
 * with the real time that passes while the run reads, and with a short wait
 * how many events came late would depend on the machine's speed (about half
 * of them on a loaded machine). With 60 s, none is late and every window
 * closes at the end of input or when the watermark passes it.
 *
 * @module
 */

import { Dataflow, EventClock, run, RunStats, TumblingWindower } from "../mod.ts";
import { computedSource, timed } from "./_partitioned.ts";

const EVENTS = 5_000_000;
const KEYS = 10_000;
const DISORDER_MS = 5_000;
const WAIT_MS = 60_000;
const LENGTH_MS = 1_000;
const EVENTS_PER_MS = 100;
const START = Date.UTC(2026, 0, 1);

const keys = Array.from({ length: KEYS }, (_, i) => `k${i}`);

// A number in [0, 1) from an index and a salt, so each partition computes its own events.
function hashed(i: number, salt: number): number {
  let t = (i * 0x9e3779b1 + salt * 0x85ebca6b) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** The flow every worker builds: event `2j + p` is item `j` of partition `p`. */
export function windows(): Dataflow {
  const flow = new Dataflow("windows");
  const events = computedSource(2, EVENTS / 2, (p, j): [string, number] => {
    const i = 2 * j + p;
    const ts = START + Math.floor(i / EVENTS_PER_MS) - Math.floor(hashed(i, 2) * DISORDER_MS);
    return [keys[Math.floor(hashed(i, 1) * KEYS)]!, ts];
  });
  const counted = flow.input("inp", events).countWindow("count", ([key]) => key, {
    clock: EventClock(([, ts]: [string, number]) => ts, { waitForSystemDuration: WAIT_MS }),
    windower: TumblingWindower({ length: LENGTH_MS, alignTo: START }),
  });
  counted.down.output("down", { build: () => ({ writeBatch() {} }) });
  counted.late.output("late", { build: () => ({ writeBatch() {} }) });
  return flow;
}

async function measure(workers: number): Promise<number> {
  const stats = new RunStats();
  const { seconds, cpu } = await timed(() =>
    run(windows(), { workers, module: { url: import.meta.url, export: "windows" }, stats })
  );
  const total = (path: string) => stats.byStep()[path]!.in.reduce((a, b) => a + b, 0);
  console.log(JSON.stringify({
    bench: "windows",
    workers,
    events: EVENTS,
    windows: total("windows.down"),
    late: total("windows.late"),
    seconds: +seconds.toFixed(3),
    cpu_seconds: +cpu.toFixed(3),
    events_per_s: Math.round(EVENTS / seconds),
  }));
  return seconds;
}

/**
 * Runs the comparison.
 *
 * @param workers The thread count to compare with one worker.
 */
export async function main(workers: number): Promise<void> {
  const one = await measure(1);
  const many = await measure(workers);
  console.log(JSON.stringify({
    bench: "windows",
    [`events_per_s_w${workers}`]: Math.round(EVENTS / many),
    [`ratio_w${workers}_vs_w1`]: +(one / many).toFixed(3),
  }));
}

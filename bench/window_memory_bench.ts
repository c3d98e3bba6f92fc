/**
 * `deno task bench:window-memory`: what a windowed flow keeps per key once
 * the key's windows have closed.
 *
 * 1. 1,000,000 distinct keys, one event each, counted in 1-second tumbling
 *    windows (`countWindow`, an `EventClock` waiting 0 ms, the default
 *    per-key watermark). System time (a `TestingClock`) then moves on so
 *    that every window closes by timer while the input stays open; after a
 *    forced GC the heap is measured against the heap before the run:
 *    bytes per idle key.
 * 2. An endless source with a rolling key space (each key gets 20 events,
 *    then is never seen again), in `watermarkScope: "partition"` and then
 *    per key, for `--seconds` each (default 20): the heap after a forced GC,
 *    sampled as it runs. In partition scope an idle key keeps nothing, so
 *    the heap stays flat; per key it keeps its watermark, one number, so
 *    the heap grows by that much per key seen.
 *
 * Run with `--v8-flags=--expose-gc` (the task does). Prints JSON lines.
 *
 * @module
 */

import { Dataflow, EventClock, run, TumblingWindower } from "../mod.ts";
import { TestingClock } from "../connectors/testing.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("Run with --v8-flags=--expose-gc");

const T0 = Date.UTC(2026, 0, 1);
const KEYS = 1_000_000;
const BATCH = 10_000;
const secondsArg = Deno.args.indexOf("--seconds");
const ENDLESS_SECONDS = secondsArg >= 0 ? Number(Deno.args[secondsArg + 1]) : 20;

function heapUsed(): number {
  gc!();
  gc!();
  return Deno.memoryUsage().heapUsed;
}

type Event = [key: string, ts: number];

/** Counts per key in 1 s windows, calling `onClosed` with the number of windows emitted so far. */
function countFlow(
  nextBatch: () => Event[] | null | Promise<Event[] | null>,
  scope: "key" | "partition",
  onClosed: (windows: number) => void,
): Dataflow {
  let windows = 0;
  const flow = new Dataflow("memory");
  flow.input("inp", { build: () => ({ nextBatch }) })
    .countWindow("count", ([key]) => key, {
      clock: EventClock(([, ts]: Event) => ts, { waitForSystemDuration: 0 }),
      windower: TumblingWindower({ length: 1_000, alignTo: T0 }),
      watermarkScope: scope,
    })
    .down.output("out", {
      build: () => ({
        writeBatch(batch: readonly unknown[]) {
          windows += batch.length;
          onClosed(windows);
        },
      }),
    });
  return flow;
}

async function idleKeys(): Promise<void> {
  const clock = new TestingClock(T0);
  let next = 0;
  let release!: () => void;
  const released = new Promise<null>((resolve) => release = () => resolve(null));
  let allClosed!: () => void;
  const closed = new Promise<void>((resolve) => allClosed = resolve);
  const later = <T>(value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), 50));
  const flow = countFlow(
    () => {
      if (next < KEYS) {
        const batch: Event[] = new Array(BATCH);
        for (let i = 0; i < BATCH; i++, next++) batch[i] = [`k${next}`, T0 + next];
        return batch;
      }
      // Every key has had its event: let system time pass every window's close (timers close
      // them all), then send one more key through and close its window by timer too, so that
      // no step still holds the last big batch it passed on; then hold the input open (the
      // state stays) until the heap is measured.
      const step = next++ - KEYS;
      if (step === 0) {
        clock.advance(KEYS + 10_000);
        return later<Event[]>([["flush", clock.now()]]);
      }
      if (step === 1) {
        clock.advance(10_000);
        return later<Event[]>([]);
      }
      return released;
    },
    "key",
    (windows) => windows === KEYS + 1 && allClosed(),
  );
  const before = heapUsed();
  const done = run(flow, { clock });
  await closed;
  await later(undefined);
  const idle = heapUsed();
  release();
  await done;
  console.log(JSON.stringify({
    bench: "window-memory",
    run: "idle keys",
    scope: "key",
    keys: KEYS,
    heap_before_mb: +(before / 2 ** 20).toFixed(1),
    heap_idle_mb: +(idle / 2 ** 20).toFixed(1),
    bytes_per_idle_key: Math.round((idle - before) / KEYS),
  }));
}

async function endless(scope: "key" | "partition"): Promise<void> {
  const clock = new TestingClock(T0);
  const samples: { at: number; keys: number; heap: number }[] = [];
  let n = 0;
  let batches = 0;
  const start = performance.now();
  const flow = countFlow(
    () => {
      const elapsed = (performance.now() - start) / 1000;
      if (elapsed >= ENDLESS_SECONDS) return null;
      if (batches++ % 100 === 0) samples.push({ at: elapsed, keys: n / 20, heap: heapUsed() });
      const batch: Event[] = new Array(BATCH);
      // Key i gets events 20i … 20i+19, one a millisecond: a rolling key space.
      for (let i = 0; i < BATCH; i++, n++) batch[i] = [`k${Math.floor(n / 20)}`, T0 + n];
      clock.set(T0 + n);
      return batch;
    },
    scope,
    () => {},
  );
  await run(flow, { clock });
  // Compare the second quarter of the run with the last, after start-up.
  const quarter = Math.max(1, Math.floor(samples.length / 4));
  const early = samples.slice(quarter, 2 * quarter);
  const late = samples.slice(-quarter);
  const mean = (list: typeof samples, f: (s: (typeof samples)[0]) => number) =>
    list.reduce((sum, s) => sum + f(s), 0) / list.length;
  const growth = mean(late, (s) => s.heap) - mean(early, (s) => s.heap);
  const keysBetween = mean(late, (s) => s.keys) - mean(early, (s) => s.keys);
  console.log(JSON.stringify({
    bench: "window-memory",
    run: "endless",
    scope,
    seconds: ENDLESS_SECONDS,
    events: n,
    distinct_keys: Math.ceil(n / 20),
    samples: samples.length,
    heap_early_mb: +(mean(early, (s) => s.heap) / 2 ** 20).toFixed(1),
    heap_late_mb: +(mean(late, (s) => s.heap) / 2 ** 20).toFixed(1),
    growth_bytes_per_new_key: Math.round(growth / keysBetween),
  }));
}

await idleKeys();
await endless("partition");
await endless("key");

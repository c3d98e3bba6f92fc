/**
 * `deno task bench:windows`: 5,000,000 events over 10,000 keys, timestamps
 * out of order by up to 5 s, counted per key in 1-second tumbling windows
 * through `countWindow` (an `EventClock` waiting 4 s, so some events are
 * late), against a hand-written loop over a `Map` with the same lateness
 * rule, in one run. Checks both give the same counts and the same number of
 * late events.
 *
 * System time stands still (a `TestingTime`), so the watermark is the
 * largest timestamp seen per key less the wait, and the results do not
 * depend on how fast the machine is.
 *
 * @module
 */

import { Dataflow, EventClock, run, TumblingWindower } from "../mod.ts";
import { TestingTime } from "../connectors/testing.ts";
import { bestOf, seededRandom } from "./_data.ts";

// `-w N`: the same measured across N Worker threads (see windows_threads_bench.ts).
if (Deno.args[0] === "-w") {
  await (await import("./windows_threads_bench.ts")).main(Number(Deno.args[1] ?? 2));
  Deno.exit(0);
}

const EVENTS = 5_000_000;
const KEYS = 10_000;
const DISORDER_MS = 5_000;
const WAIT_MS = 4_000;
const LENGTH_MS = 1_000;
const EVENTS_PER_MS = 100; // about ten events per key per window
const START = Date.UTC(2026, 0, 1);

const random = seededRandom(11);
const keys = Array.from({ length: KEYS }, (_, i) => `k${i}`);
const events: [string, number][] = new Array(EVENTS);
for (let i = 0; i < EVENTS; i++) {
  const ts = START + Math.floor(i / EVENTS_PER_MS) - Math.floor(random() * DISORDER_MS);
  events[i] = [keys[Math.floor(random() * KEYS)]!, ts];
}

/** One closed window: key, window id, count. */
type Row = [string, number, number];

interface KeyState {
  watermark: number;
  windows: Map<number, number>;
  /** The earliest close time among the open windows. */
  nextClose: number;
}

function closeDue(key: string, state: KeyState, rows: Row[]): void {
  let next = Infinity;
  for (const [id, count] of state.windows) {
    const close = START + (id + 1) * LENGTH_MS;
    if (close <= state.watermark) {
      rows.push([key, id, count]);
      state.windows.delete(id);
    } else if (close < next) {
      next = close;
    }
  }
  state.nextClose = next;
}

function loop(): { rows: Row[]; late: number } {
  const states = new Map<string, KeyState>();
  const rows: Row[] = [];
  let late = 0;
  for (let i = 0; i < EVENTS; i++) {
    const [key, ts] = events[i]!;
    let state = states.get(key);
    if (state === undefined) {
      state = { watermark: -Infinity, windows: new Map(), nextClose: Infinity };
      states.set(key, state);
    }
    if (ts - WAIT_MS > state.watermark) state.watermark = ts - WAIT_MS;
    if (ts < state.watermark) {
      late++;
      continue;
    }
    const id = Math.floor((ts - START) / LENGTH_MS);
    state.windows.set(id, (state.windows.get(id) ?? 0) + 1);
    const close = START + (id + 1) * LENGTH_MS;
    if (close < state.nextClose) state.nextClose = close;
    if (state.nextClose <= state.watermark) closeDue(key, state, rows);
  }
  for (const [key, state] of states) {
    state.watermark = Infinity;
    closeDue(key, state, rows);
  }
  return { rows, late };
}

async function runnel(): Promise<{ rows: Row[]; late: number }> {
  const rows: Row[] = [];
  let late = 0;
  const flow = new Dataflow("windows");
  const counted = flow.input("inp", events).countWindow("count", ([key]) => key, {
    clock: EventClock(([, ts]: [string, number]) => ts, { waitForSystemDuration: WAIT_MS }),
    windower: TumblingWindower({ length: LENGTH_MS, alignTo: START }),
  });
  counted.down.output("down", {
    build: () => ({
      writeBatch(batch: readonly [string, [number, number]][]) {
        for (const [key, [id, count]] of batch) rows.push([key, id, count]);
      },
    }),
  });
  counted.late.output("late", {
    build: () => ({
      writeBatch(batch: readonly unknown[]) {
        late += batch.length;
      },
    }),
  });
  await run(flow, { time: new TestingTime(START) });
  return { rows, late };
}

function same(a: { rows: Row[]; late: number }, b: { rows: Row[]; late: number }): boolean {
  if (a.late !== b.late || a.rows.length !== b.rows.length) return false;
  const counts = new Map(a.rows.map(([key, id, count]) => [`${key} ${id}`, count]));
  return b.rows.every(([key, id, count]) => counts.get(`${key} ${id}`) === count);
}

async function measure(
  subject: string,
  fn: () => { rows: Row[]; late: number } | Promise<{ rows: Row[]; late: number }>,
) {
  const { seconds: best, result } = await bestOf(3, fn);
  const rate = EVENTS / best;
  console.log(JSON.stringify({
    bench: "windows",
    subject,
    events: EVENTS,
    windows: result.rows.length,
    late: result.late,
    seconds: +best.toFixed(3),
    events_per_s: Math.round(rate),
  }));
  return { rate, result };
}

const baseline = await measure("loop", loop);
const windowed = await measure("runnel", runnel);
if (!same(baseline.result, windowed.result)) {
  throw new Error("runnel and the loop counted differently");
}
console.log(JSON.stringify({
  bench: "windows",
  events_per_s: Math.round(windowed.rate),
  ratio_vs_loop: +(windowed.rate / baseline.rate).toFixed(3),
}));

/**
 * `deno task bench:join`: a running join of two keyed streams of 1,000,000
 * items each over 100,000 keys, against a hand-written join over two `Map`s,
 * in one run. Both emit one row per update; the row counts must agree.
 *
 * @module
 */

import { Dataflow, run } from "../mod.ts";
import { bestOf, seededRandom } from "./_data.ts";

const ITEMS = 1_000_000;
const KEYS = 100_000;

const random = seededRandom(7);
const keys = Array.from({ length: KEYS }, (_, i) => `k${i}`);
const left: [string, number][] = Array.from(
  { length: ITEMS },
  (_, i) => [keys[Math.floor(random() * KEYS)]!, i],
);
const right: [string, number][] = Array.from(
  { length: ITEMS },
  (_, i) => [keys[Math.floor(random() * KEYS)]!, -i],
);

function loop(): number {
  const lefts = new Map<string, number>();
  const rights = new Map<string, number>();
  let rows = 0;
  let checksum = 0;
  // Interleave the two inputs, as a merge would.
  for (let i = 0; i < ITEMS; i++) {
    const [lk, lv] = left[i]!;
    lefts.set(lk, lv);
    const r = rights.get(lk);
    const rowL: [number, number | undefined] = [lv, r];
    rows++;
    checksum += rowL[0];
    const [rk, rv] = right[i]!;
    rights.set(rk, rv);
    const rowR: [number | undefined, number] = [lefts.get(rk), rv];
    rows++;
    checksum += rowR[1];
  }
  return rows + (checksum === Infinity ? 1 : 0);
}

async function runnel(): Promise<number> {
  let rows = 0;
  const flow = new Dataflow("join");
  const a = flow.input("left", left);
  const b = flow.input("right", right);
  a.join("join", b, { emitMode: "running" }).output("out", {
    build: () => ({
      writeBatch(batch: readonly unknown[]) {
        rows += batch.length;
      },
    }),
  });
  await run(flow);
  return rows;
}

async function measure(subject: string, fn: () => number | Promise<number>) {
  const { seconds: best, result: rows } = await bestOf(3, fn);
  const rate = (2 * ITEMS) / best;
  console.log(
    JSON.stringify({
      bench: "join",
      subject,
      items: 2 * ITEMS,
      rows,
      seconds: +best.toFixed(3),
      items_per_s: Math.round(rate),
    }),
  );
  return { rate, rows };
}

const baseline = await measure("loop", loop);
const joined = await measure("runnel", runnel);
if (baseline.rows !== joined.rows) {
  throw new Error(`row counts differ: loop ${baseline.rows}, runnel ${joined.rows}`);
}
console.log(JSON.stringify({
  bench: "join",
  items_per_s: Math.round(joined.rate),
  ratio_vs_loop: +(joined.rate / baseline.rate).toFixed(3),
}));

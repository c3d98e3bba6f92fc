/**
 * `deno task bench:window-scope`: 1,000,000 distinct keys, one event each
 * (1 ms apart), counted in 1-second tumbling windows, with a watermark per
 * key and then one per partition (`watermarkScope: "partition"`), in one
 * run. Partition scope closes windows as the shared watermark passes them,
 * so its cost should follow the windows that close, not the keys seen; the
 * last line gives its time as a multiple of the per-key time (target: at
 * most 3). Both must emit one window per key.
 *
 * @module
 */

import { Dataflow, EventClock, run, TumblingWindower } from "../mod.ts";
import { TestingClock } from "../connectors/testing.ts";
import { bestOf } from "./_data.ts";

const KEYS = 1_000_000;
const START = Date.UTC(2026, 0, 1);

const events: [string, number][] = new Array(KEYS);
for (let i = 0; i < KEYS; i++) events[i] = [`k${i}`, START + i];

async function count(scope: "key" | "partition"): Promise<number> {
  let windows = 0;
  const flow = new Dataflow("scope");
  flow.input("inp", events).countWindow("count", ([key]) => key, {
    clock: EventClock(([, ts]: [string, number]) => ts, { waitForSystemDuration: 0 }),
    windower: TumblingWindower({ length: 1_000, alignTo: START }),
    watermarkScope: scope,
  }).down.output("out", {
    build: () => ({ writeBatch: (batch: readonly unknown[]) => void (windows += batch.length) }),
  });
  await run(flow, { clock: new TestingClock(START) });
  if (windows !== KEYS) throw new Error(`${scope} scope emitted ${windows} windows, not ${KEYS}`);
  return windows;
}

const seconds: Record<string, number> = {};
for (const scope of ["key", "partition"] as const) {
  const { seconds: best } = await bestOf(2, () => count(scope));
  seconds[scope] = best;
  console.log(JSON.stringify({
    bench: "window-scope",
    scope,
    keys: KEYS,
    seconds: +best.toFixed(3),
    events_per_s: Math.round(KEYS / best),
  }));
}
console.log(JSON.stringify({
  bench: "window-scope",
  partition_vs_key: +(seconds.partition! / seconds.key!).toFixed(3),
}));

/**
 * Random window scenarios and every built-in window step, shared by the
 * window property and snapshot tests.
 *
 * @module
 */

import fc from "fast-check";
import { Dataflow, type KeyedStream, run, type WindowOut } from "../../../mod.ts";
import { TestingClock, TestingSink } from "../../../connectors/testing.ts";
import { type Clock, EventClock, SystemClock } from "../time/clock.ts";
import { SessionWindower, SlidingWindower, TumblingWindower } from "../time/windowers.ts";
import type { WindowOptions } from "./window.ts";

export const T0 = Date.UTC(2024, 0, 1);

export type Ev = { ts: number; v: number };

/** One random scenario: items in batches, system time moved before each batch. */
export interface Scenario {
  readonly batches: { advance: number; items: [string, Ev][] }[];
  readonly windower: ["tumbling", number] | ["sliding", number, number] | ["session", number];
  readonly wait: number;
  readonly ordered: boolean;
  readonly partition: boolean;
  readonly system: boolean;
}

export const scenario: fc.Arbitrary<Scenario> = fc.record({
  events: fc.array(
    fc.record({
      key: fc.constantFrom("a", "b", "c", "d"),
      // Round times, so items fall on window bounds and watermarks often.
      step: fc.integer({ min: 0, max: 7 }).map((n) => n * 100),
      jitter: fc.integer({ min: -30, max: 3 }).map((n) => n * 100),
    }),
    { minLength: 1, maxLength: 40 },
  ),
  cuts: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 40, maxLength: 40 }),
  advances: fc.array(fc.constantFrom(0, 0, 0, 400, 1_500, 6_000), {
    minLength: 40,
    maxLength: 40,
  }),
  windower: fc.oneof(
    fc.tuple(fc.constant("tumbling" as const), fc.integer({ min: 1, max: 8 }).map((n) => n * 500)),
    fc.integer({ min: 1, max: 8 }).chain((n) =>
      fc.tuple(
        fc.constant("sliding" as const),
        fc.constant(n * 500),
        fc.integer({ min: 1, max: n * 5 }).map((k) => k * 100),
      )
    ),
    fc.tuple(fc.constant("session" as const), fc.integer({ min: 1, max: 20 }).map((n) => n * 100)),
  ),
  wait: fc.constantFrom(0, 500, 2_000, Infinity),
  ordered: fc.boolean(),
  partition: fc.boolean(),
  system: fc.constantFrom(false, false, false, true),
}).map(({ events, cuts, advances, windower, wait, ordered, partition, system }) => {
  let at = T0;
  const items = events.map(({ key, step, jitter }, v): [string, Ev] => {
    at += step;
    return [key, { ts: at + jitter, v }];
  });
  const batches: Scenario["batches"] = [];
  for (let i = 0, b = 0; i < items.length; b++) {
    batches.push({ advance: advances[b]!, items: items.slice(i, i + cuts[b]!) });
    i += cuts[b]!;
  }
  return { batches, windower, wait, ordered, partition, system } as Scenario;
});

// An event's time, or a [key, event] pair's.
function timeOf(e: unknown): number {
  return (Array.isArray(e) ? e[1] as Ev : e as Ev).ts;
}

/** The scenario's window options; `generic` hides the clock from the built-in path. */
export function optionsOf(s: Scenario, generic: boolean): WindowOptions<unknown> {
  const builtin: Clock<unknown> = s.system
    ? SystemClock()
    : EventClock(timeOf, { waitForSystemDuration: s.wait });
  const clock: Clock<unknown> = generic ? { build: (r, ctx) => builtin.build(r, ctx) } : builtin;
  const [kind, a, b] = s.windower;
  const windower = kind === "tumbling"
    ? TumblingWindower({ length: a, alignTo: T0 })
    : kind === "sliding"
    ? SlidingWindower({ length: a, offset: b!, alignTo: T0 })
    : SessionWindower({ gap: a });
  return {
    clock,
    windower,
    ordered: s.ordered,
    watermarkScope: s.partition ? "partition" : "key",
  };
}

/** Every built-in window step, over `[key, Ev]` items. */
export const STEPS: Record<
  string,
  (up: KeyedStream<Ev>, options: WindowOptions<unknown>) => WindowOut<unknown, unknown>
> = {
  collect: (up, o) => up.collectWindow("w", o),
  collectSet: (up, o) => up.collectWindow("w", { ...o, into: "set" }),
  // Pairs keyed by v % 3: later values replace earlier ones.
  collectMap: (up, o) =>
    up.mapValue("v", (e) => [e.v % 3, e] as [number, Ev]).collectWindow("w", { ...o, into: "map" }),
  // Its clock reads whole `[key, Ev]` items: timeOf takes both.
  count: (up, o) => up.countWindow("w", ([key]) => key, o),
  fold: (up, o) =>
    up.foldWindow("w", () => [] as number[], (acc, e) => [...acc, (e as Ev).v], {
      ...o,
      merger: (a, b) => [...a, ...b],
    }),
  reduce: (up, o) =>
    up.mapValue("v", (e) => ({ ...e, n: 1 }))
      .reduceWindow("w", (a, b) => ({ ts: a.ts, v: a.v * 31 + b.v, n: a.n + b.n }), o as never),
  max: (up, o) => up.maxWindow("w", { ...o, by: (e) => (e as Ev).v % 5 }),
  min: (up, o) => up.minWindow("w", { ...o, by: (e) => (e as Ev).v % 5 }),
  join: (up, o) => {
    const [left, right] = [
      up.filter("l", ([, e]) => e.v % 2 === 0),
      up.filter("r", ([, e]) => e.v % 2 === 1),
    ];
    return left.joinWindow("w", [right], { ...o, insertMode: "product" } as never);
  },
  joinRunning: (up, o) => {
    const left = up.filter("l", ([, e]) => e.v % 3 === 0);
    const right = up.filter("r", ([, e]) => e.v % 3 !== 0);
    return left.joinWindow("w", [right], { ...o, emitMode: "running" } as never);
  },
  joinComplete: (up, o) => {
    const left = up.filter("l", ([, e]) => e.v % 2 === 0);
    const right = up.filter("r", ([, e]) => e.v % 2 === 1);
    return left.joinWindow("w", [right], { ...o, emitMode: "complete" } as never);
  },
};

/** What a window step emitted. */
export interface Emitted {
  down: unknown[];
  late: unknown[];
  meta: unknown[];
}

/** Runs one step over the scenario, moving a testing clock before each batch. */
export async function runScenario(
  s: Scenario,
  step: (up: KeyedStream<Ev>, options: WindowOptions<unknown>) => WindowOut<unknown, unknown>,
  generic: boolean,
  inspect?: (flow: Dataflow) => void,
): Promise<Emitted> {
  const clock = new TestingClock(T0);
  let next = 0;
  const flow = new Dataflow("f");
  const up = flow.input("inp", {
    build: () => ({
      nextBatch() {
        const batch = s.batches[next++];
        if (batch === undefined) return null;
        clock.advance(batch.advance);
        // A macrotask later, so that timers the move made due fire first, every run alike.
        return new Promise<[string, Ev][]>((resolve) => setTimeout(() => resolve(batch.items)));
      },
    }),
  });
  const out = step(up, optionsOf(s, generic));
  const emitted: Emitted = { down: [], late: [], meta: [] };
  out.down.output("down", new TestingSink(emitted.down));
  out.late.output("late", new TestingSink(emitted.late));
  out.meta.output("meta", new TestingSink(emitted.meta));
  inspect?.(flow);
  await run(flow, { clock });
  return emitted;
}

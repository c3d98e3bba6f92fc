/**
 * Property tests against a reference model: with a watermark per key and
 * system time standing still, a key's watermark is the largest timestamp it
 * has seen less the wait, an item before it is late, and every other item
 * ends up in the windows that contain it (in timestamp order when ordered,
 * else in arrival order). That is a few lines of loop, and the window steps
 * must agree with it whatever the batches, and give the same per-key results
 * however the same stream is cut into batches.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type Emitted,
  type Ev,
  runScenario,
  type Scenario,
  scenario,
  STEPS,
  T0,
} from "./_test_window_steps.ts";

/** Per key: late `[windowId, v]`, and per window (by open time) the values it got, in order. */
interface Expected {
  late: [number, number][];
  windows: Map<number, { id: number | undefined; close: number; values: Ev[] }>;
}

/** The reference: one loop per key over its items in arrival order. */
function reference(s: Scenario): Map<string, Expected> {
  const keys = new Map<string, [string, Ev][]>();
  for (const { items } of s.batches) {
    for (const item of items) {
      if (!keys.has(item[0])) keys.set(item[0], []);
      keys.get(item[0])!.push(item);
    }
  }
  const out = new Map<string, Expected>();
  for (const [key, items] of keys) {
    let watermark = -Infinity;
    const expected: Expected = { late: [], windows: new Map() };
    const onTime: Ev[] = [];
    for (const [, e] of items) {
      watermark = Math.max(watermark, e.ts - s.wait);
      if (e.ts < watermark) {
        for (const id of idsOf(s, e.ts)) expected.late.push([id, e.v]);
      } else {
        onTime.push(e);
      }
    }
    // Ordered windows take values in time order (ties in arrival order): a stable sort.
    const applied = s.ordered ? [...onTime].sort((a, b) => a.ts - b.ts) : onTime;
    if (s.windower[0] === "session") {
      // Sessions: on-time items within the gap of each other, chained.
      const gap = s.windower[1];
      const sorted = [...onTime].sort((a, b) => a.ts - b.ts);
      let open = NaN;
      let last = -Infinity;
      for (const e of sorted) {
        if (e.ts - last > gap) open = e.ts;
        last = e.ts;
        const session = expected.windows.get(open) ?? { id: undefined, close: e.ts, values: [] };
        session.close = e.ts;
        expected.windows.set(open, session);
      }
      for (const e of applied) {
        let at = -Infinity;
        for (const open of expected.windows.keys()) if (open <= e.ts && open > at) at = open;
        expected.windows.get(at)!.values.push(e);
      }
    } else {
      const [, length, offset = length] = s.windower;
      for (const e of applied) {
        for (const id of idsOf(s, e.ts)) {
          const open = T0 + id * offset;
          const w = expected.windows.get(open) ?? { id, close: open + length, values: [] };
          w.values.push(e);
          expected.windows.set(open, w);
        }
      }
    }
    out.set(key, expected);
  }
  return out;
}

/** The tumbling or sliding windows that contain `ts`; for sessions, the late id. */
function idsOf(s: Scenario, ts: number): number[] {
  if (s.windower[0] === "session") return [-1];
  const [, length, offset = length] = s.windower;
  const ids: number[] = [];
  const last = Math.floor((ts - T0) / offset);
  for (let id = last; T0 + id * offset + length > ts; id--) ids.unshift(id);
  return ids;
}

/** What each aggregation emits for a window's values, in the order they were applied. */
const AGGREGATES: Record<string, (values: Ev[], ordered: boolean) => unknown> = {
  count: (values) => values.length,
  collect: (values) => values,
  // The property-test steps: fold collects v; reduce folds v * 31 + v'; max and min by v % 5.
  fold: (values) => values.map((e) => e.v),
  reduce: (values) =>
    values.slice(1).reduce<Ev & { n: number }>(
      (a, b) => ({ ts: a.ts, v: a.v * 31 + b.v, n: a.n + 1 }),
      { ...values[0]!, n: 1 },
    ),
  max: (values) => values.reduce((a, b) => b.v % 5 > a.v % 5 ? b : a),
  min: (values) => values.reduce((a, b) => b.v % 5 < a.v % 5 ? b : a),
};

/** Sessions' ids depend on the order they opened in: compare them by open time instead. */
function actual(emitted: Emitted): Map<string, unknown> {
  const keys = new Map<string, { late: unknown[]; windows: Map<number, unknown[]> }>();
  const of = (key: string) => {
    if (!keys.has(key)) keys.set(key, { late: [], windows: new Map() });
    return keys.get(key)!;
  };
  const ids = new Map<string, number>(); // key/id → open time
  for (
    const item of emitted.meta as [string, [number, { openTime: number; closeTime: number }]][]
  ) {
    const [key, [id, meta]] = item;
    ids.set(`${key}/${id}`, meta.openTime);
    const w = of(key).windows;
    w.set(meta.openTime, [...(w.get(meta.openTime) ?? []), meta.closeTime]);
  }
  for (const [key, [id, value]] of emitted.down as [string, [number, unknown]][]) {
    const w = of(key).windows;
    const open = ids.get(`${key}/${id}`)!;
    w.get(open)!.push(value);
  }
  // countWindow's late items are whole `[key, Ev]` items.
  for (const [key, [id, e]] of emitted.late as [string, [number, Ev | [string, Ev]]][]) {
    of(key).late.push([id, (Array.isArray(e) ? e[1] : e).v]);
  }
  return new Map(
    [...keys].sort(([a], [b]) => a < b ? -1 : 1).map((
      [key, { late, windows }],
    ) => [key, { late, windows: new Map([...windows].sort(([a], [b]) => a - b)) }]),
  );
}

function expectedOf(s: Scenario, aggregate: string): Map<string, unknown> {
  const agg = AGGREGATES[aggregate]!;
  return new Map(
    [...reference(s)].sort(([a], [b]) => a < b ? -1 : 1).map(([key, { late, windows }]) => [
      key,
      {
        late,
        windows: new Map(
          [...windows].sort(([a], [b]) => a - b).map((
            [open, w],
          ) => [open, [w.close, agg(w.values, s.ordered)]]),
        ),
      },
    ]),
  );
}

/** Per-key scope, system time standing still: what the reference model covers. */
const standing = scenario.map((s): Scenario => ({
  ...s,
  batches: s.batches.map(({ items }) => ({ advance: 0, items })),
  partition: false,
  system: false,
}));

for (const name of Object.keys(AGGREGATES)) {
  Deno.test(`${name}Window agrees with a reference loop over every windower, for any stream and batches`, async () => {
    await fc.assert(
      fc.asyncProperty(standing, async (s) => {
        if (s.windower[0] === "session" && !["count", "collect"].includes(name)) return;
        const emitted = await runScenario(s, STEPS[name]!, false);
        assert.deepEqual(
          normalize(actual(emitted), name, s),
          normalize(expectedOf(s, name), name, s),
        );
      }),
      { numRuns: 25, seed: 3 },
    );
  });
}

function sortByV(values: Ev[]): Ev[] {
  return [...values].sort((a, b) => a.v - b.v);
}

// Sessions collected unordered merge in an order the reference does not model: compare
// their values sorted.
function normalize(got: Map<string, unknown>, name: string, s: Scenario): Map<string, unknown> {
  if (!(name === "collect" && s.windower[0] === "session" && !s.ordered)) return got;
  for (const w of got.values()) {
    const windows = (w as { windows: Map<number, [number, Ev[]]> }).windows;
    for (const [open, [close, values]] of windows) windows.set(open, [close, sortByV(values)]);
  }
  return got;
}

/** Items grouped by key, each key's in order. */
function byKey(emitted: Emitted): unknown {
  const keys: Record<string, unknown[][]> = {};
  for (const port of ["down", "late", "meta"] as const) {
    emitted[port].forEach((item) => {
      const key = (item as [string])[0];
      keys[key] ??= [[], [], []];
      keys[key][["down", "late", "meta"].indexOf(port)]!.push(item);
    });
  }
  return Object.fromEntries(Object.entries(keys).sort(([a], [b]) => a < b ? -1 : 1));
}

Deno.test("with a watermark per key, how a stream is cut into batches does not change any key's results", async () => {
  const recut = fc.tuple(standing, fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 40 }));
  await fc.assert(
    fc.asyncProperty(recut, async ([s, cuts]) => {
      const items = s.batches.flatMap((b) => b.items);
      const batches: Scenario["batches"] = [];
      for (let i = 0, b = 0; i < items.length; b++) {
        batches.push({ advance: 0, items: items.slice(i, i + cuts[b % cuts.length]!) });
        i += cuts[b % cuts.length]!;
      }
      // (Not joins: how their sides' batches interleave in the merge depends on the cuts.)
      for (const name of ["collect", "count", "fold"]) {
        const one = await runScenario(s, STEPS[name]!, false);
        const other = await runScenario({ ...s, batches }, STEPS[name]!, false);
        assert.deepEqual(byKey(other), byKey(one), name);
      }
    }),
    { numRuns: 15, seed: 5 },
  );
});

// A busy input merged or joined with a quiet one: the quiet input must hold
// back neither the busy one's items nor a windowed step after the merge.

import assert from "node:assert/strict";
import {
  Dataflow,
  EventClock,
  type KeyedStream,
  run,
  type Stream,
  TumblingWindower,
} from "../../../mod.ts";
import {
  type TestingMarker,
  TestingSink,
  TestingSource,
  TestingTime,
} from "../../../connectors/testing.ts";
import { settle, waitFor, watchSleeps } from "../../../tests/_helpers.ts";

type Item = [string, number | string];

const INTERVAL = 200;
/** The busy input's items come at 10, 30, 50, ... 2490 ms: never at a tick. */
const BUSY_TIMES = Array.from({ length: 125 }, (_, k) => 10 + 20 * k);
/** The quiet input's one item comes after 1.5 s of nothing. */
const QUIET_AT = 1_500;
/** How long a step may take to show up in real time before the test calls it stalled. */
const STALLED_MS = 5_000;

function busyItems(): (Item | TestingMarker)[] {
  const items: (Item | TestingMarker)[] = [];
  let now = 0;
  for (const at of BUSY_TIMES) {
    items.push(TestingSource.PAUSE(at - now), ["k", at]);
    now = at;
  }
  return items;
}

function quietItems(): (Item | TestingMarker)[] {
  return [TestingSource.PAUSE(QUIET_AT), ["k", "quiet"]];
}

/** The epoch an item that arrives at `at` belongs to: ticks close one every interval from 0. */
function epochAt(at: number): number {
  return Math.floor(at / INTERVAL) + 1;
}

interface Seen {
  readonly item: unknown;
  readonly at: number;
  readonly epoch: number;
}

/**
 * Runs a busy and a quiet input combined by `combine` on a hand-driven clock:
 * the clock moves to each item's time (and each tick's, apart, so the order
 * of a tick and an item is never a race), and each busy item must reach the
 * combined stream before the clock moves on.
 */
async function driveBusyAndQuiet(
  combine: (busy: KeyedStream<number | string>, quiet: KeyedStream<number | string>) => Stream<
    unknown
  >,
  isBusyItem: (item: unknown, at: number) => boolean,
  after?: (combined: Stream<unknown>, clock: TestingTime) => void,
  workers = 1,
): Promise<{ busy: Seen[]; quiet: Seen[]; combined: Seen[] }> {
  const clock = new TestingTime();
  const flow = new Dataflow("f");
  const seen = { busy: [] as Seen[], quiet: [] as Seen[], combined: [] as Seen[] };
  const watch = <T>(stream: Stream<T>, into: Seen[], id: string) =>
    stream.inspectDebug(
      id,
      (_id, item, epoch) => into.push({ item, at: clock.now(), epoch }),
    );
  const busy = watch(
    flow.input("busy", new TestingSource<Item>(busyItems())),
    seen.busy,
    "busy_seen",
  );
  const quiet = watch(
    flow.input("quiet", new TestingSource<Item>(quietItems())),
    seen.quiet,
    "quiet_seen",
  );
  const combined = watch(
    combine(busy as KeyedStream<number | string>, quiet as KeyedStream<number | string>),
    seen.combined,
    "seen",
  );
  combined.output("out", new TestingSink());
  after?.(combined, clock);
  const watched = watchSleeps(clock);
  const done = run(flow, { time: watched.time, epochInterval: INTERVAL, workers });
  // Both inputs must have started their first pause at 0 ms, so the pauses count from there:
  // a turn of the event loop does not promise that on a busy machine.
  const firstPauses = [BUSY_TIMES[0]!, QUIET_AT];
  await waitFor(() => firstPauses.every((at) => watched.sleeps.includes(at)), STALLED_MS)
    .catch(() => {
      throw new Error(`the inputs never began their first pauses; waits: ${watched.sleeps}`);
    });
  const stops = [...new Set([...BUSY_TIMES, QUIET_AT, ...BUSY_TIMES.map((t) => t - (t % 200))])]
    .filter((t) => t > 0)
    .sort((a, b) => a - b);
  for (const at of stops) {
    clock.set(at);
    if (BUSY_TIMES.includes(at)) {
      await waitFor(() => seen.combined.some((s) => isBusyItem(s.item, at)), STALLED_MS)
        .catch(() => {
          throw new Error(`the busy item of ${at} ms never came through: the flow stalled`);
        });
    } else if (at === QUIET_AT) {
      // The quiet item too is waited for, through to the combined stream: one
      // turn of the event loop is not enough when the input yields one first.
      const hasQuiet = (s: Seen) => JSON.stringify(s.item).includes('"quiet"');
      await waitFor(() => seen.combined.some(hasQuiet), STALLED_MS).catch(() => {
        throw new Error(`the quiet item of ${at} ms never came through: the flow stalled`);
      });
    } else {
      await settle(0);
    }
  }
  await done;
  return seen;
}

function checkBusyItemsPrompt(
  seen: { busy: Seen[]; combined: Seen[] },
  isBusyItem: (item: unknown, at: number) => boolean,
) {
  for (const at of BUSY_TIMES) {
    const arrival = seen.combined.find((s) => isBusyItem(s.item, at))!;
    assert.ok(
      arrival.at - at < INTERVAL,
      `the item of ${at} ms came through at ${arrival.at} ms, over an epoch late`,
    );
    assert.equal(arrival.epoch, epochAt(at), `the item of ${at} ms is in the wrong epoch`);
  }
  // Every input numbers its epochs as the run does: the same tick, the same epoch.
  for (const s of seen.busy) assert.equal(s.epoch, epochAt(s.at), `busy item ${s.item}`);
}

Deno.test("a merge of a busy and a quiet input delivers every item within an epoch of its arrival", async () => {
  const isBusyItem = (item: unknown, at: number) => (item as Item)[1] === at;
  const seen = await driveBusyAndQuiet((busy, quiet) => busy.merge("merged", quiet), isBusyItem);
  checkBusyItemsPrompt(seen, isBusyItem);
  assert.deepEqual(seen.quiet, [{ item: ["k", "quiet"], at: QUIET_AT, epoch: epochAt(QUIET_AT) }]);
  const quietMerged = seen.combined.filter((s) => (s.item as Item)[1] === "quiet");
  assert.deepEqual(quietMerged.map((s) => [s.at, s.epoch]), [[QUIET_AT, epochAt(QUIET_AT)]]);
  assert.equal(seen.combined.length, BUSY_TIMES.length + 1);
});

Deno.test("a join of a busy and a quiet input delivers every update within an epoch of its arrival", async () => {
  type Row = [string, [unknown, unknown]];
  const isBusyItem = (item: unknown, at: number) => (item as Row)[1][0] === at;
  const seen = await driveBusyAndQuiet(
    (busy, quiet) => busy.join("joined", quiet, { emitMode: "running" }) as Stream<unknown>,
    isBusyItem,
  );
  checkBusyItemsPrompt(seen, isBusyItem);
  const rows = seen.combined.map((s) => (s.item as Row)[1]);
  // Before the quiet item, the busy side alone; from its arrival on, both sides.
  assert.equal(
    rows.filter(([, q]) => q === undefined).length,
    BUSY_TIMES.filter((at) => at < QUIET_AT).length,
  );
  assert.deepEqual(rows.at(-1), [2_490, "quiet"]);
  const firstBoth = seen.combined.find((s) => (s.item as Row)[1][1] === "quiet")!;
  assert.deepEqual([firstBoth.item, firstBoth.at], [["k", [1_490, "quiet"]], QUIET_AT]);
});

Deno.test("a join across the exchange of 3 workers delivers every update within an epoch of its arrival", async () => {
  // Each input is read by one worker; the join's exchange merges three senders per worker, two of
  // them with nothing to send, and none of them may hold the join back.
  type Row = [string, [unknown, unknown]];
  const isBusyItem = (item: unknown, at: number) => (item as Row)[1][0] === at;
  const seen = await driveBusyAndQuiet(
    (busy, quiet) => busy.join("joined", quiet, { emitMode: "running" }) as Stream<unknown>,
    isBusyItem,
    undefined,
    3,
  );
  checkBusyItemsPrompt(seen, isBusyItem);
  assert.equal(seen.combined.length, BUSY_TIMES.length + 1);
  assert.deepEqual(seen.combined.at(-1)!.item, ["k", [2_490, "quiet"]]);
});

Deno.test("a quiet input does not hold back the windows of a windowed step after a merge", async () => {
  const isBusyItem = (item: unknown, at: number) => (item as Item)[1] === at;
  const windows: { window: unknown; at: number }[] = [];
  await driveBusyAndQuiet(
    (busy, quiet) => busy.merge("merged", quiet),
    isBusyItem,
    (merged, clock) => {
      const counts = (merged as Stream<Item>).countWindow("count", ([key]) => key, {
        clock: EventClock(
          ([, value]: Item) => typeof value === "number" ? value : QUIET_AT,
          { waitForSystemDuration: 0 },
        ),
        windower: TumblingWindower({ length: 100, alignTo: 0 }),
      });
      counts.down.inspect("closed", (_id, [, window]) => windows.push({ window, at: clock.now() }))
        .output("windows", new TestingSink());
    },
  );
  // Windows of 100 ms, each with five busy items; those that close while
  // the other input is still quiet close within an epoch of their end.
  for (let w = 0; (w + 1) * 100 <= QUIET_AT; w++) {
    const closed = windows.find((x) => (x.window as number[])[0] === w);
    assert.ok(closed, `window ${w} never closed`);
    assert.deepEqual(closed.window, [w, 5]);
    assert.ok(closed.at - (w + 1) * 100 < INTERVAL, `window ${w} closed at ${closed.at} ms`);
  }
});

Deno.test("a merge with a quiet input keeps every item within an epoch of its arrival in real time", async () => {
  // The busy reader stamps each item with the real time it hands it over.
  const count = 60;
  const busy = {
    build: () => {
      const start = Date.now();
      let sent = 0;
      return {
        nextBatch: () =>
          sent === count ? null : Date.now() < start + 20 * sent ? [] : [(sent++, Date.now())],
        nextAwake: () => sent === count ? undefined : start + 20 * sent,
      };
    },
  };
  const latencies: number[] = [];
  const flow = new Dataflow("f");
  const quiet = flow.input("quiet", new TestingSource<number>([TestingSource.PAUSE(1_500), 0]));
  flow.input("busy", busy).merge("merged", quiet)
    .inspect("latency", (_id, stamp) => {
      if (stamp !== 0) latencies.push(Date.now() - stamp);
    })
    .output("out", new TestingSink());
  await run(flow, { epochInterval: INTERVAL });
  assert.equal(latencies.length, count);
  const late = latencies.filter((ms) => ms >= INTERVAL);
  assert.deepEqual(late, [], "items held back by the quiet input");
});

/**
 * The five-second averages example drawn as a timeline: three readings of
 * user "123", an event clock waiting 10 s, 5 s tumbling windows, averages 6
 * and 2. Writes `timeline.svg` into the directory given as the first
 * argument (the current directory by default), or to the argument itself
 * when it ends in `.svg`.
 *
 * Run it with `deno run --allow-write examples/window_timeline.ts [dir | file.svg]`
 * (or `bun examples/window_timeline.ts ...`); the README's picture is
 * `examples/window_timeline.svg`, drawn by this.
 *
 * @module
 */

import { writeFile } from "node:fs/promises";
import process from "node:process";
import {
  Dataflow,
  EventClock,
  run,
  TumblingWindower,
  type WindowMetadata,
  windowTimeline,
} from "../mod.ts";
import { TestingSink, TestingTime } from "../connectors/testing.ts";

const events = [
  { user: "123", value: 5, time: "2023-01-01T00:00:00Z" },
  { user: "123", value: 7, time: "2023-01-01T00:00:01Z" },
  { user: "123", value: 2, time: "2023-01-01T00:00:07Z" },
];
type Event = (typeof events)[number];

const clock = EventClock((e: Event) => new Date(e.time), { waitForSystemDuration: 10_000 });
const seen: [string, Event][] = [];
const down: [string, [number, number]][] = [];
const late: [string, [number, Event]][] = [];
const meta: [string, [number, WindowMetadata]][] = [];

const flow = new Dataflow("averages");
const keyed = flow.input("inp", events).keyOn("user", (e) => e.user);
keyed.output("seen", new TestingSink(seen));
const windows = keyed.collectWindow("collect", {
  clock,
  windower: TumblingWindower({ length: 5_000, alignTo: new Date("2023-01-01T00:00:00Z") }),
});
windows.down
  .mapValue("avg", ([id, es]) => [id, es.reduce((s, e) => s + e.value, 0) / es.length])
  .output("down", new TestingSink(down));
windows.late.output("late", new TestingSink(late));
windows.meta.output("meta", new TestingSink(meta));

// A clock nobody advances: every reading arrives at the same system time.
await run(flow, { time: new TestingTime(Date.UTC(2023, 0, 1)) });

const timeline = windowTimeline(seen, { down, late, meta }, {
  clock,
  title: "Average value per user, 5 s windows",
  itemLabel: (e) => `${e.value}`,
});
// node:fs and node:process, which Deno, Bun and Node all have, so the script runs on each.
const target = process.argv[2] ?? ".";
const path = target.endsWith(".svg") ? target : `${target.replace(/\/+$/, "")}/timeline.svg`;
await writeFile(path, String(timeline));
console.log(`wrote ${path}: ${timeline.width}×${timeline.height} px`);

/**
 * {@linkcode windowTimeline}: an SVG picture of what a window step did, drawn
 * from what a run collected. Runtime-free: it reads arrays and returns a
 * string, so it works in scripts, in the browser and inline in Jupyter.
 *
 * @module
 */

import { describeValue } from "../dataflow/errors.ts";
import type { Clock, Timestamp } from "../dataflow/time/clock.ts";
import type { WindowMetadata } from "../dataflow/time/windowers.ts";
import {
  batchLengths,
  checkOptions,
  collectBands,
  fail,
  iterableOf,
  readItems,
} from "./_timeline_check.ts";
import { checkLate, replayItems } from "./_timeline_replay.ts";
import { draw, formatValue, type Lane } from "./_timeline_svg.ts";

/** What a window step emitted, as collected by a run: arrays of its output items. */
export interface WindowTimelineOutputs<W> {
  /** The `down` items, `[key, [windowId, value]]`. Each value labels its window. */
  down: Iterable<readonly [string, readonly [number, W]]>;
  /** The `meta` items, `[key, [windowId, metadata]]`: one band per closed window. */
  meta: Iterable<readonly [string, readonly [number, WindowMetadata]]>;
  /**
   * The `late` items, `[key, [windowId, item]]` (for a `joinWindow`,
   * `[key, [windowId, [side, item]]]`: see `options.join`). Optional: when
   * given, each must be an item the clock replay finds late, and the other
   * way round, which catches a picture drawn with the wrong clock, batches
   * or arrival times.
   */
  late?: Iterable<readonly [string, readonly [number, unknown]]>;
}

/** Options for {@linkcode windowTimeline}. */
export interface WindowTimelineOptions<V, W> {
  /**
   * The clock the window step ran with. It is replayed over the items to
   * find each item's timestamp and the watermark after it.
   */
  clock: Clock<V>;
  /**
   * The window step's `watermarkScope`: `"key"` (the default) or
   * `"partition"`. For `"partition"`, the picture is of one worker's items
   * (a run with one worker), and `batchSize` matters.
   */
  watermarkScope?: "key" | "partition";
  /**
   * How the items reached the step in batches: a number for batches of that
   * many items (the last may be shorter), as `TestingSource`'s `batchSize`,
   * or each batch's length in order. Defaults to `1`, one item per batch, as
   * a `TestingSource` hands them over; a list given to `flow.input` arrives
   * as one batch of up to 16384 items (`batchSize: 16384`).
   *
   * The step takes a batch key by key, in order of each key's first item
   * in it, and all of one key's items together. With one watermark for all
   * keys (`watermarkScope: "partition"`), that order decides which items are
   * late, so the replay follows it. With a watermark per key, an
   * `EventClock` gives the same picture whatever the batches.
   */
  batchSize?: number | readonly number[];
  /**
   * The system time (a `Date` or epoch ms) at which each item reached the
   * step, for a run whose clock read system time as items arrived. Without
   * it every item arrives at the same instant, as in a run over a list with
   * a `TestingTime` that nobody advances; that suits an `EventClock`, which
   * only reads how far system time moves on, but a clock that stamps items
   * with system time (`SystemClock`) needs it, and is refused without it. The step reads system time once
   * per batch, so a batch of several items (see `batchSize`) is replayed at
   * the latest of their times. A clock made with its own `nowGetter` reads
   * that instead, so replay one made without it.
   */
  arrival?: (item: readonly [string, V], index: number) => Timestamp;
  /**
   * Whether the step is a `joinWindow`. Pass the items of all its sides as
   * plain `[key, value]` pairs, in the order they reached the join, and the
   * clock given to `joinWindow`; with `join: true`, its `late` output, whose
   * items are `[side, value]` pairs, is matched by value. The order of items
   * from different sides is the order their batches reached the join, which
   * a run does not fix; the `late` check says when the one given disagrees.
   */
  join?: boolean;
  /** Which keys to draw, in this order. Defaults to every key, in order of first arrival. */
  keys?: readonly string[];
  /** A title drawn above the chart. */
  title?: string;
  /** Renders an emitted value for its window's label. Defaults to a short JSON-like text. */
  format?: (value: W) => string;
  /** Renders an item's value as a small label beside its dot. No labels by default. */
  itemLabel?: (value: V) => string;
}

const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display");

/**
 * A drawn timeline: the SVG text, which `String(timeline)` also gives, and
 * a Jupyter display method, so a timeline that ends a Deno notebook cell is
 * drawn inline.
 *
 * @example Writing the SVG, or showing it in a notebook
 * ```ts
 * import { EventClock, windowTimeline } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const clock = EventClock((ms: number) => ms, { waitForSystemDuration: 0 });
 * const timeline = windowTimeline([["k", 1_000]], {
 *   down: [["k", [0, 1]]],
 *   meta: [["k", [0, { openTime: 0, closeTime: 5_000, mergedIds: [] }]]],
 * }, { clock });
 *
 * // In a script: await Deno.writeTextFile("timeline.svg", String(timeline));
 * assert.equal(String(timeline), timeline.svg);
 * // In a Deno Jupyter cell, `timeline` as the last expression shows the picture:
 * const bundle = timeline[Symbol.for("Jupyter.display") as keyof typeof timeline];
 * assert.equal(typeof bundle, "function");
 * ```
 */
export class WindowTimeline {
  /** The SVG document. */
  readonly svg: string;
  /** Width of the picture in px. */
  readonly width: number;
  /** Height of the picture in px. */
  readonly height: number;
  readonly #summary: string;

  /**
   * Wraps an SVG document; {@linkcode windowTimeline} makes these.
   *
   * @param svg The SVG document.
   * @param width Its width in px.
   * @param height Its height in px.
   * @param summary One line saying what it shows, for text-only displays.
   */
  constructor(svg: string, width: number, height: number, summary: string) {
    this.svg = svg;
    this.width = width;
    this.height = height;
    this.#summary = summary;
  }

  /**
   * The SVG document.
   *
   * @returns The SVG text.
   */
  toString(): string {
    return this.svg;
  }

  /**
   * What Deno's Jupyter kernel calls to display the timeline: a MIME bundle
   * with the SVG, and one line of text for frontends without images.
   *
   * @returns The MIME bundle.
   */
  [JUPYTER_DISPLAY](): Record<string, string> {
    return { "image/svg+xml": this.svg, "text/plain": this.#summary };
  }
}

// Above these the picture stops being readable; the error says how to narrow it.
const MAX_ITEMS = 1000;
const MAX_WINDOWS = 1000;
const MAX_LANES = 100;

/**
 * Draws what a window step did as an SVG timeline, from what a run collected:
 * the items that entered the step and its `down`, `meta` and (optionally)
 * `late` outputs.
 *
 * Each key gets a lane. Its items are dots, one row per arrival (top to
 * bottom, numbered in arrival order across all keys) at their event time
 * (left to right). The watermark after each arrival is an orange step line,
 * found by replaying `options.clock` over the items exactly as the window
 * step runs it (batch by batch, each batch key by key: see
 * `options.batchSize`), so an item left of the line at its row was late: those are
 * drawn hollow red with a cross, joined to the line by a dashed red line.
 * At end of input the watermark jumps to infinity, closing what is still
 * open. Below the rows, each closed window is a band from its open time to
 * its close time labelled `#id: value` with what it emitted (a session
 * window also with what it emitted before sessions merged into it); overlapping
 * windows (sliding ones) are stacked, and dashed lines mark window edges
 * across the rows, so one sees where the watermark crosses a window's end.
 * Every dot and band has a tooltip with exact times and values.
 *
 * Output is deterministic (the same input gives the same bytes), all text
 * is escaped, and it uses no ids or stylesheets, so several timelines can
 * share a notebook page. Elements carry `class` names (`rn-item`, `rn-late`,
 * `rn-watermark`, `rn-window`) and `data-*` attributes for further processing.
 *
 * @typeParam V The values entering the window step.
 * @typeParam W The values it emits on `down`.
 * @param items The step's input in arrival order: `[key, value]` pairs.
 * @param outputs The step's `down`, `meta` and optional `late` items.
 * @param options The `clock` the step ran with (required), its
 *   `watermarkScope`, the `batchSize` its input came in, `arrival` times
 *   (required for a clock that stamps items with system time), `join` for
 *   a `joinWindow`, which `keys` to draw, a `title`, a `format` for emitted
 *   values and an `itemLabel` for items.
 * @returns The timeline: `String(timeline)` is the SVG, and it displays
 *   inline as the last expression of a Deno Jupyter cell.
 * @throws {TypeError} For a wrongly shaped argument, naming it and the
 *   value, or a clock that stamps items with system time without `arrival`.
 * @throws {RangeError} For inconsistent outputs (such as `late` items the
 *   replay does not find late), batch lengths that do not add up to the
 *   items, an empty or unknown key in `options.keys`, or more than 1000
 *   items, 1000 windows or 100 keys.
 *
 * @example Five-second windows, one late item
 * ```ts
 * import {
 *   Dataflow,
 *   EventClock,
 *   run,
 *   TumblingWindower,
 *   type WindowMetadata,
 *   windowTimeline,
 * } from "@runnel/runnel";
 * import { TestingSink, TestingTime } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * type Reading = { at: number; v: number };
 * const items: [string, Reading][] = [["a", { at: 1_000, v: 1 }], ["a", { at: 9_000, v: 9 }],
 *   ["a", { at: 2_000, v: 2 }]];
 * const clock = EventClock((r: Reading) => r.at, { waitForSystemDuration: 2_000 });
 * const down: [string, [number, number]][] = [];
 * const late: [string, [number, Reading]][] = [];
 * const meta: [string, [number, WindowMetadata]][] = [];
 *
 * const flow = new Dataflow("sums");
 * const sums = flow.input("inp", items)
 *   .foldWindow("sum", () => 0, (sum, r) => sum + r.v, {
 *     clock,
 *     windower: TumblingWindower({ length: 5_000, alignTo: 0 }),
 *     merger: (a, b) => a + b,
 *   });
 * sums.down.output("down", new TestingSink(down));
 * sums.late.output("late", new TestingSink(late));
 * sums.meta.output("meta", new TestingSink(meta));
 * await run(flow, { time: new TestingTime() });
 *
 * const timeline = windowTimeline(items, { down, late, meta }, { clock, title: "sums" });
 * assert.equal(timeline.svg.match(/class="rn-item rn-late"/g)?.length, 1); // 2 s after 7 s
 * assert.ok(String(timeline).startsWith("<svg"));
 * // await Deno.writeTextFile("timeline.svg", String(timeline));
 * ```
 *
 * @example One watermark for all keys: say how the input was batched
 * ```ts
 * import {
 *   Dataflow,
 *   EventClock,
 *   run,
 *   TumblingWindower,
 *   type WindowMetadata,
 *   windowTimeline,
 * } from "@runnel/runnel";
 * import { TestingSink, TestingTime } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * const items: [string, number][] = [["a", 0], ["b", 20_000], ["a", 5_000]];
 * const clock = EventClock((ms: number) => ms, { waitForSystemDuration: 0 });
 * const down: [string, [number, number]][] = [];
 * const late: [string, [number, number]][] = [];
 * const meta: [string, [number, WindowMetadata]][] = [];
 *
 * const flow = new Dataflow("sums");
 * const sums = flow.input("inp", items) // a list: one batch of up to 16384 items
 *   .foldWindow("sum", () => 0, (sum, ms) => sum + ms, {
 *     clock,
 *     windower: TumblingWindower({ length: 5_000, alignTo: 0 }),
 *     merger: (a, b) => a + b,
 *     watermarkScope: "partition",
 *   });
 * sums.down.output("down", new TestingSink(down));
 * sums.late.output("late", new TestingSink(late));
 * sums.meta.output("meta", new TestingSink(meta));
 * await run(flow, { time: new TestingTime() });
 *
 * // The step took a's items together, then b's: nothing was late.
 * assert.deepEqual(late, []);
 * const options = { clock, watermarkScope: "partition" } as const;
 * const timeline = windowTimeline(items, { down, late, meta }, { ...options, batchSize: 16384 });
 * assert.equal(timeline.svg.match(/rn-late/g), null);
 * // One item per batch (the default) would have made a at 5 s late, after b at 20 s.
 * assert.throws(() => windowTimeline(items, { down, late, meta }, options), RangeError);
 * ```
 *
 * @example A window join: the sides' items, and `join: true`
 * ```ts
 * import {
 *   Dataflow,
 *   EventClock,
 *   run,
 *   TumblingWindower,
 *   type WindowMetadata,
 *   windowTimeline,
 * } from "@runnel/runnel";
 * import { TestingSink, TestingTime } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * type Event = { at: number; what: string };
 * const views: [string, Event][] = [
 *   ["u", { at: 9_000, what: "view" }],
 *   ["u", { at: 1_000, what: "view" }],
 * ];
 * const clicks: [string, Event][] = [["u", { at: 6_000, what: "click" }]];
 * const clock = EventClock((e: Event) => e.at, { waitForSystemDuration: 5_000 });
 * const down: [string, [number, unknown[]]][] = [];
 * const late: [string, [number, [number, unknown]]][] = [];
 * const meta: [string, [number, WindowMetadata]][] = [];
 *
 * const flow = new Dataflow("joins");
 * const joined = flow.input("views", views).joinWindow("join", [flow.input("clicks", clicks)], {
 *   clock,
 *   windower: TumblingWindower({ length: 10_000, alignTo: 0 }),
 * });
 * joined.down.output("down", new TestingSink(down));
 * joined.late.output("late", new TestingSink(late));
 * joined.meta.output("meta", new TestingSink(meta));
 * await run(flow, { time: new TestingTime() });
 *
 * // Late items carry their side: the view at 1 s came more than 5 s after the one at 9 s.
 * assert.deepEqual(late, [["u", [0, [0, views[1]![1]]]]]);
 * const timeline = windowTimeline([...views, ...clicks], { down, late, meta }, {
 *   clock,
 *   join: true,
 *   itemLabel: (e) => e.what,
 * });
 * assert.equal(timeline.svg.match(/class="rn-item rn-late"/g)?.length, 1);
 * ```
 */
export function windowTimeline<V, W>(
  items: Iterable<readonly [string, V]>,
  outputs: WindowTimelineOutputs<W>,
  options: WindowTimelineOptions<V, W>,
): WindowTimeline {
  checkOptions(options);
  if (outputs === null || typeof outputs !== "object") {
    throw new TypeError(
      fail(`outputs must be { down, meta, late? }, got ${describeValue(outputs)}`),
    );
  }
  const pairs = readItems(iterableOf("items", items)) as (readonly [string, V])[];
  const lengths = batchLengths(options.batchSize ?? 1, pairs.length);
  const all = replayItems(pairs, lengths, {
    clock: options.clock,
    shared: options.watermarkScope === "partition",
    arrival: options.arrival,
  });
  const bandsByKey = collectBands(outputs.meta, outputs.down);
  if (outputs.late !== undefined) {
    const shared = options.watermarkScope === "partition";
    checkLate(iterableOf("outputs.late", outputs.late), all, shared, options.join === true);
  }

  // Lanes: keys in order of first arrival, then keys with windows only.
  const known: string[] = [];
  const seen = new Set<string>();
  for (const key of [...all.map((it) => it.key), ...bandsByKey.keys()]) {
    if (!seen.has(key)) (seen.add(key), known.push(key));
  }
  for (const key of options.keys ?? []) {
    if (!seen.has(key)) {
      throw new RangeError(
        fail(
          `options.keys has ${JSON.stringify(key)}, which no item or window has; keys are ${
            describeValue(known)
          }`,
        ),
      );
    }
  }
  const laneKeys = [...new Set(options.keys ?? known)];
  const narrow = "pick fewer with options.keys, or pass fewer items";
  if (laneKeys.length > MAX_LANES) {
    throw new RangeError(
      fail(`a timeline shows at most ${MAX_LANES} keys, got ${laneKeys.length}; ${narrow}`),
    );
  }
  const lanes: Lane[] = laneKeys.map((key) => ({
    key,
    items: [],
    bands: bandsByKey.get(key) ?? [],
  }));
  const laneOf = new Map(lanes.map((lane) => [lane.key, lane]));
  for (const it of all) laneOf.get(it.key)?.items.push(it);
  const itemCount = lanes.reduce((sum, lane) => sum + lane.items.length, 0);
  const windowCount = lanes.reduce((sum, lane) => sum + lane.bands.length, 0);
  if (itemCount > MAX_ITEMS) {
    throw new RangeError(
      fail(`a timeline shows at most ${MAX_ITEMS} items, got ${itemCount}; ${narrow}`),
    );
  }
  if (windowCount > MAX_WINDOWS) {
    throw new RangeError(
      fail(`a timeline shows at most ${MAX_WINDOWS} windows, got ${windowCount}; ${narrow}`),
    );
  }

  const labeller = (name: string, fn: ((value: never) => string) | undefined) =>
    fn === undefined ? undefined : (value: unknown): string => {
      const text = fn(value as never);
      if (typeof text !== "string") {
        throw new TypeError(
          fail(
            `options.${name} must return a string, got ${describeValue(text)} for ${
              describeValue(value)
            }`,
          ),
        );
      }
      return text;
    };
  const { svg, width, height, summary } = draw(lanes, {
    title: options.title,
    format: labeller("format", options.format) ?? formatValue,
    itemLabel: labeller("itemLabel", options.itemLabel),
    itemCount,
    windowCount,
  });
  return new WindowTimeline(svg, width, height, summary);
}

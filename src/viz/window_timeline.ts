/**
 * {@linkcode windowTimeline}: an SVG picture of what a window step did, drawn
 * from what a run collected. Runtime-free: it reads arrays and returns a
 * string, so it works in scripts, in the browser and inline in Jupyter.
 *
 * @module
 */

import { describeValue } from "../dataflow/errors.ts";
import { type Clock, type ClockLogic, type Timestamp, toEpochMs } from "../dataflow/time/clock.ts";
import type { WindowMetadata } from "../dataflow/time/windowers.ts";

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
   * as one batch of up to 1024 items (`batchSize: 1024`).
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
   * a `TestingClock` that nobody advances; that suits an `EventClock`, which
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

const WIDTH = 860;
const PLOT_LEFT = 76;
const PLOT_RIGHT = WIDTH - 28;
const LANE_HEADER = 26;
const TIER = 24;
const LANE_GAP = 14;
const LABEL_FONT = 11;
const FONT = "Helvetica, Arial, sans-serif";
const COLOR = {
  text: "#1f2937",
  muted: "#6b7280",
  grid: "#e5e7eb",
  item: "#1d4ed8",
  late: "#dc2626",
  watermark: "#ea580c",
  window: "#0f766e",
  windowFill: "#ccfbf1",
} as const;

interface Item {
  readonly index: number;
  readonly key: string;
  readonly value: unknown;
  readonly ts: number;
  readonly watermark: number;
  readonly late: boolean;
}

interface Band {
  readonly id: number;
  readonly meta: WindowMetadata;
  /** Every value emitted into the window, including under the ids of sessions merged into it. */
  readonly values: unknown[];
  /** Those of `values` emitted under a merged session's id, with that id. */
  readonly fromMerged: [number, unknown][];
}

interface Lane {
  readonly key: string;
  readonly items: Item[];
  readonly bands: Band[];
}

function fail(message: string): string {
  return `Cannot draw windowTimeline: ${message}`;
}

function iterableOf(what: string, value: unknown): Iterable<unknown> {
  if (
    value === null || typeof value !== "object" ||
    typeof (value as Iterable<unknown>)[Symbol.iterator] !== "function"
  ) {
    throw new TypeError(fail(`${what} must be an iterable, got ${describeValue(value)}`));
  }
  return value as Iterable<unknown>;
}

function isPair(value: unknown): value is readonly [unknown, unknown] {
  return Array.isArray(value) && value.length === 2;
}

// One output item `[key, [windowId, payload]]`, checked.
function windowItem(what: string, index: number, item: unknown): [string, number, unknown] {
  if (!isPair(item) || typeof item[0] !== "string" || !isPair(item[1])) {
    throw new TypeError(
      fail(`${what}[${index}] must be [key, [windowId, value]], got ${describeValue(item)}`),
    );
  }
  const id = item[1][0];
  if (typeof id !== "number" || !Number.isInteger(id)) {
    throw new TypeError(
      fail(`${what}[${index}] must have an integer window id, got ${describeValue(id)}`),
    );
  }
  return [item[0], id, item[1][1]];
}

// Epoch ms a `Date` can show; beyond it no axis label can be written.
const MAX_TIME = 8.64e15;

function checkTime(what: string, ms: number): number {
  if (!(Math.abs(ms) <= MAX_TIME)) {
    throw new RangeError(fail(`${what} must be a time within ±8.64e15 ms, got ${ms}`));
  }
  return ms;
}

function rethrow(error: unknown, index: number): never {
  const message = fail(
    `the clock failed on items[${index}]: ${error instanceof Error ? error.message : error}`,
  );
  if (error instanceof RangeError) throw new RangeError(message, { cause: error });
  if (error instanceof TypeError) throw new TypeError(message, { cause: error });
  throw new Error(message, { cause: error });
}

// The items, checked, as `[key, value]` pairs in arrival order.
function readItems(items: Iterable<unknown>): (readonly [string, unknown])[] {
  const pairs: (readonly [string, unknown])[] = [];
  for (const item of items) {
    if (!isPair(item) || typeof item[0] !== "string") {
      throw new TypeError(
        fail(
          `items[${pairs.length}] must be a [key, value] pair with a string key, got ${
            describeValue(item)
          }`,
        ),
      );
    }
    pairs.push(item as readonly [string, unknown]);
  }
  return pairs;
}

// The length of each batch the items reached the step in.
function batchLengths(batchSize: number | readonly number[], count: number): number[] {
  if (typeof batchSize === "number") {
    const lengths: number[] = [];
    for (let left = count; left > 0; left -= batchSize) lengths.push(Math.min(left, batchSize));
    return lengths;
  }
  const total = batchSize.reduce((sum, length) => sum + length, 0);
  if (total !== count) {
    throw new RangeError(
      fail(`options.batchSize has batches of ${total} items in all, but there are ${count} items`),
    );
  }
  return [...batchSize];
}

interface ReplayOptions<V> {
  readonly clock: Clock<V>;
  readonly shared: boolean;
  readonly arrival: ((item: readonly [string, V], index: number) => Timestamp) | undefined;
  /** The system time every batch arrives at, without `arrival`. */
  readonly start: number;
}

// Runs the clock over the items as the window step does. Per batch, as the
// stateful step groups it: keys in order of first arrival, each key's values
// together after one `beforeBatch()`; one clock per key (or one for all);
// system time read once per batch; late means before the watermark.
function replay<V>(
  pairs: readonly (readonly [string, V])[],
  lengths: readonly number[],
  options: ReplayOptions<V>,
): Item[] {
  const { clock, shared, arrival } = options;
  let now = options.start;
  const ctx = { stepId: "windowTimeline", now: () => now };
  const clocks = new Map<string, ClockLogic<V>>();
  const out: Item[] = new Array(pairs.length);
  let first = 0;
  for (const length of lengths) {
    const end = first + length;
    if (arrival !== undefined) {
      // A batch reaches the step at once, when its last item has.
      let latest = -Infinity;
      for (let index = first; index < end; index++) {
        latest = Math.max(latest, arrivalOf(arrival, pairs[index]!, index));
      }
      now = latest;
    }
    const groups = new Map<string, number[]>();
    for (let index = first; index < end; index++) {
      const key = pairs[index]![0];
      const group = groups.get(key);
      if (group === undefined) groups.set(key, [index]);
      else group.push(index);
    }
    for (const [key, indices] of groups) {
      const scope = shared ? "" : key;
      let logic = clocks.get(scope);
      try {
        if (logic === undefined) {
          logic = clock.build(undefined, ctx);
          clocks.set(scope, logic);
        }
        logic.beforeBatch();
      } catch (error) {
        rethrow(error, indices[0]!);
      }
      for (const index of indices) {
        const value = pairs[index]![1];
        let ts: number, watermark: number;
        try {
          [ts, watermark] = logic.onItem(value);
        } catch (error) {
          rethrow(error, index);
        }
        checkTime(`the timestamp of items[${index}]`, ts);
        out[index] = { index, key, value, ts, watermark, late: ts < watermark };
      }
    }
    first = end;
  }
  return out;
}

function arrivalOf<V>(
  arrival: (item: readonly [string, V], index: number) => Timestamp,
  item: readonly [string, V],
  index: number,
): number {
  const raw = arrival(item, index);
  const at = toEpochMs(raw);
  if (at === undefined || !Number.isFinite(at)) {
    throw new TypeError(
      fail(
        `options.arrival must return a valid Date or epoch ms, got ${
          typeof raw === "number" ? raw : describeValue(raw)
        } for items[${index}]`,
      ),
    );
  }
  return at;
}

// A second system time to replay at, to tell clocks that stamp items with it.
const PROBE_TIME = Date.UTC(2001, 0, 1);

// Values compared as the run would have them: the same object, or equal
// JSON (for items copied on the way, as across workers).
class ValueSet {
  readonly #same = new Set<unknown>();
  readonly #json = new Set<string>();

  add(value: unknown): void {
    this.#same.add(value);
    const json = jsonOf(value);
    if (json !== undefined) this.#json.add(json);
  }

  has(value: unknown): boolean {
    if (this.#same.has(value)) return true;
    const json = jsonOf(value);
    return json !== undefined && this.#json.has(json);
  }
}

function jsonOf(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

function valueSets(entries: Iterable<readonly [string, unknown]>): Map<string, ValueSet> {
  const sets = new Map<string, ValueSet>();
  for (const [key, value] of entries) {
    let set = sets.get(key);
    if (set === undefined) sets.set(key, set = new ValueSet());
    set.add(value);
  }
  return sets;
}

// The run's `late` output and the replay must agree on which items were late.
function checkLate(
  late: Iterable<unknown>,
  items: readonly Item[],
  shared: boolean,
  join: boolean,
): void {
  // With one watermark for all keys, lateness depends on the batches too.
  const batches = shared ? ", options.batchSize as its input was batched," : "";
  const entries: [string, unknown][] = [];
  let index = 0;
  for (const entry of late) {
    let [key, , value] = windowItem("outputs.late", index, entry);
    if (join) {
      // A window join's late items carry the side they came in on.
      if (!isPair(value) || !isSide(value[0])) {
        throw new TypeError(
          fail(
            `with options.join, outputs.late[${index}] must be [key, [windowId, [side, value]]], got ${
              describeValue(entry)
            }`,
          ),
        );
      }
      value = value[1];
    }
    entries.push([key, value]);
    index++;
  }
  const replayed = valueSets(items.filter((it) => it.late).map((it) => [it.key, it.value]));
  let seen: Map<string, ValueSet> | undefined;
  for (const [key, value] of entries) {
    if (!replayed.get(key)?.has(value)) {
      seen ??= valueSets(items.map((it) => [it.key, it.value]));
      if (!join && isPair(value) && isSide(value[0]) && seen.get(key)?.has(value[1])) {
        throw new RangeError(
          fail(
            `outputs.late has ${describeValue(value)} for key ${
              JSON.stringify(key)
            }, which looks like a joinWindow's [side, value]; pass options.join: true`,
          ),
        );
      }
      throw new RangeError(
        fail(
          `outputs.late has ${describeValue(value)} for key ${
            JSON.stringify(key)
          }, but replaying the clock finds no such late item; pass the items and clock of the same run${batches} and options.arrival if its clock read system time`,
        ),
      );
    }
  }
  const reported = valueSets(entries);
  for (const it of items) {
    if (it.late && !reported.get(it.key)?.has(it.value)) {
      throw new RangeError(
        fail(
          `replaying the clock finds items[${it.index}] ${
            describeValue(it.value)
          } late, but outputs.late does not have it; pass the items and clock of the same run${
            shared ? ", and options.batchSize as its input was batched" : ""
          }`,
        ),
      );
    }
  }
}

function isSide(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) >= 0;
}

function collectBands<W>(outputs: WindowTimelineOutputs<W>): Map<string, Band[]> {
  const byKey = new Map<string, Map<number, Band>>();
  let index = 0;
  for (const entry of iterableOf("outputs.meta", outputs.meta)) {
    const [key, id, meta] = windowItem("outputs.meta", index, entry);
    const m = meta as WindowMetadata;
    if (
      m === null || typeof m !== "object" || typeof m.openTime !== "number" ||
      typeof m.closeTime !== "number" || !Array.isArray(m.mergedIds)
    ) {
      throw new TypeError(
        fail(
          `outputs.meta[${index}] must carry { openTime, closeTime, mergedIds }, got ${
            describeValue(meta)
          }`,
        ),
      );
    }
    for (const merged of m.mergedIds) {
      if (typeof merged !== "number" || !Number.isInteger(merged)) {
        throw new TypeError(
          fail(
            `outputs.meta[${index}].mergedIds must hold integer window ids, got ${
              describeValue(m.mergedIds)
            }`,
          ),
        );
      }
    }
    checkTime(`outputs.meta[${index}].openTime`, m.openTime);
    checkTime(`outputs.meta[${index}].closeTime`, m.closeTime);
    if (m.closeTime < m.openTime) {
      throw new RangeError(
        fail(`outputs.meta[${index}] closes before it opens: ${describeValue(meta)}`),
      );
    }
    let bands = byKey.get(key);
    if (bands === undefined) byKey.set(key, bands = new Map());
    if (bands.has(id)) {
      throw new RangeError(
        fail(
          `outputs.meta has window ${id} of key ${
            JSON.stringify(key)
          } twice; pass the output of one run`,
        ),
      );
    }
    bands.set(id, { id, meta: m, values: [], fromMerged: [] });
    index++;
  }
  // A window logic may emit into a session before it is merged away: those
  // values belong on the band of the session that survived, which lists it.
  const mergedByKey = new Map<string, Map<number, Band>>();
  for (const [key, bands] of byKey) {
    const merged = new Map<number, Band>();
    for (const band of bands.values()) {
      for (const from of band.meta.mergedIds) {
        const other = bands.get(from) ?? merged.get(from);
        if (other !== undefined) {
          throw new RangeError(
            fail(
              `outputs.meta says window ${from} of key ${
                JSON.stringify(key)
              } merged into window ${band.id}, but it ${
                other.id === from ? "closed on its own" : `also merged into window ${other.id}`
              }; pass the output of one run`,
            ),
          );
        }
        merged.set(from, band);
      }
    }
    mergedByKey.set(key, merged);
  }
  index = 0;
  for (const entry of iterableOf("outputs.down", outputs.down)) {
    const [key, id, value] = windowItem("outputs.down", index++, entry);
    let band = byKey.get(key)?.get(id);
    if (band === undefined) {
      band = mergedByKey.get(key)?.get(id);
      if (band === undefined) {
        throw new RangeError(
          fail(
            `outputs.down has a value for window ${id} of key ${
              JSON.stringify(key)
            }, but outputs.meta has no such window, nor one that merged it; pass every meta item of the run`,
          ),
        );
      }
      band.fromMerged.push([id, value]);
    }
    band.values.push(value);
  }
  const out = new Map<string, Band[]>();
  for (const [key, bands] of byKey) out.set(key, [...bands.values()]);
  return out;
}

// A window band as drawn: its box, its label inside or beside it, its tier.
interface Placed {
  readonly band: Band;
  readonly x0: number;
  readonly x1: number;
  readonly caption: string;
  readonly values: string;
  readonly labelX: number;
  readonly anchor: "start" | "middle" | "end";
  tier: number;
}

// Lays out one lane's bands: a label that does not fit inside its band goes
// beside it, and bands that overlap (sliding windows, or a label) go on
// separate tiers. Returns the bands and the tier count.
function placeBands(
  bands: readonly Band[],
  x: (t: number) => number,
  format: (value: unknown) => string,
): [Placed[], number] {
  const placed: (Placed & { start: number; end: number })[] = [];
  for (const band of bands) {
    let x0 = x(band.meta.openTime), x1 = x(band.meta.closeTime);
    if (x1 - x0 < 4) {
      const mid = (x0 + x1) / 2;
      (x0 = mid - 2, x1 = mid + 2);
    }
    const values = band.values.map(format).join(", ");
    const full = values === "" ? `#${band.id}` : `#${band.id}: ${values}`;
    const inside = fit(full, x1 - x0 - 8);
    let caption = inside, labelX = (x0 + x1) / 2, anchor: Placed["anchor"] = "middle";
    let start = x0, end = x1;
    if (inside !== full) {
      caption = fit(full, 180);
      const width = Array.from(caption).length * LABEL_FONT * 0.6;
      if (x1 + 4 + width <= WIDTH - 4) {
        (labelX = x1 + 4, anchor = "start", end = labelX + width + 4);
      } else {
        (labelX = x0 - 4, anchor = "end", start = labelX - width - 4);
      }
    }
    placed.push({ band, x0, x1, caption, values, labelX, anchor, tier: 0, start, end });
  }
  placed.sort((a, b) => a.start - b.start || a.band.id - b.band.id);
  const ends: number[] = [];
  for (const p of placed) {
    // Tumbling windows touch: one's close is the next one's open, on one tier.
    let tier = ends.findIndex((end) => end <= p.start + 0.01);
    if (tier === -1) tier = ends.push(0) - 1;
    ends[tier] = p.end;
    p.tier = tier;
  }
  return [placed, ends.length];
}

// --- text ---

// Escapes XML syntax and replaces characters XML 1.0 forbids.
function esc(text: string): string {
  return text
    .replace(
      // deno-lint-ignore no-control-regex
      /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
      "\uFFFD",
    )
    .replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// Cuts a label to about `px` wide (an estimate: no fonts are measured).
function fit(text: string, px: number, font = LABEL_FONT): string {
  const chars = Array.from(text);
  const room = Math.floor(px / (font * 0.6));
  if (chars.length <= room) return text;
  return room < 2 ? "" : chars.slice(0, room - 1).join("") + "…";
}

function formatValue(value: unknown): string {
  if (typeof value === "number") {
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  }
  if (typeof value === "string") return value;
  if (value instanceof Set) return `Set(${value.size})`;
  if (value instanceof Map) return `Map(${value.size})`;
  return describeValue(value);
}

function iso(ms: number): string {
  if (ms === -Infinity) return "−∞";
  if (ms === Infinity) return "∞";
  return Math.abs(ms) <= MAX_TIME ? new Date(ms).toISOString() : String(ms);
}

function duration(ms: number): string {
  const trim = (x: number) => String(Number(x.toFixed(3)));
  const a = Math.abs(ms);
  if (a < 1e3) return `${trim(ms)} ms`;
  if (a < 6e4) return `${trim(ms / 1e3)} s`;
  if (a < 36e5) return `${trim(ms / 6e4)} min`;
  if (a < 864e5) return `${trim(ms / 36e5)} h`;
  return `${trim(ms / 864e5)} d`;
}

// A coordinate with one decimal and no "-0": the same input gives the same bytes.
function n(x: number): string {
  const r = Math.round(x * 10) / 10;
  return String(r === 0 ? 0 : r);
}

// --- axis ---

const STEPS = [
  1,
  2,
  5,
  10,
  20,
  50,
  100,
  200,
  500,
  1e3,
  2e3,
  5e3,
  1e4,
  15e3,
  3e4,
  6e4,
  12e4,
  3e5,
  6e5,
  9e5,
  18e5,
  36e5,
  72e5,
  108e5,
  216e5,
  432e5,
  864e5,
  2 * 864e5,
  7 * 864e5,
];

interface Axis {
  readonly ticks: readonly (readonly [time: number, label: string])[];
  readonly caption: string;
}

// A tick's label: the time of day, with the date where it changes.
function tickLabel(t: number, step: number, withDate: boolean): string {
  const [date, time] = isoParts(t);
  if (step >= 864e5) return date;
  const shown = time.slice(0, step >= 6e4 ? 5 : step >= 1e3 ? 8 : 12);
  return withDate ? `${date.slice(-5)} ${shown}` : shown;
}

// The date and the time of day of an ISO string. Years past 9999 (or before
// year 0) have six digits and a sign, so the parts are split at the "T".
function isoParts(t: number): [date: string, time: string] {
  const d = new Date(t).toISOString();
  const at = d.indexOf("T");
  return [d.slice(0, at), d.slice(at + 1)];
}

function axis(lo: number, hi: number, px: number): Axis {
  const day = (t: number) => isoParts(t)[0];
  const multiDay = day(lo) !== day(hi);
  let step = 0;
  for (let i = 0; step === 0; i++) {
    const candidate = i < STEPS.length ? STEPS[i]! : 864e5 * [10, 20, 50][(i - STEPS.length) % 3]! *
      10 ** Math.floor((i - STEPS.length) / 3);
    const chars = tickLabel(Math.round(lo), candidate, multiDay).length;
    if ((hi - lo) / candidate <= px / (chars * 6.5 + 18)) step = candidate;
  }
  const ticks: [number, string][] = [];
  let lastDay = "";
  for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) {
    const withDate = multiDay && day(t) !== lastDay;
    lastDay = day(t);
    ticks.push([t === 0 ? 0 : t, tickLabel(t, step, withDate)]);
  }
  const caption = multiDay
    ? `event time (UTC), ${day(lo)} to ${day(hi)}`
    : `event time (UTC) on ${day(lo)}`;
  return { ticks, caption };
}

// --- drawing ---

function checkOptions<V, W>(options: WindowTimelineOptions<V, W>): void {
  if (options === null || typeof options !== "object") {
    throw new TypeError(fail(`options must be an object, got ${describeValue(options)}`));
  }
  if (typeof options.clock?.build !== "function") {
    throw new TypeError(fail(`options.clock must be a Clock, got ${describeValue(options.clock)}`));
  }
  const scope = options.watermarkScope ?? "key";
  if (scope !== "key" && scope !== "partition") {
    throw new RangeError(
      fail(`options.watermarkScope must be "key" or "partition", got ${describeValue(scope)}`),
    );
  }
  const size = options.batchSize;
  if (typeof size === "number") {
    if (!(Number.isInteger(size) && size > 0) && size !== Infinity) {
      throw new RangeError(
        fail(`options.batchSize must be a positive integer or Infinity, got ${size}`),
      );
    }
  } else if (size !== undefined) {
    if (!Array.isArray(size)) {
      throw new TypeError(
        fail(
          `options.batchSize must be a number or an array of batch lengths, got ${
            describeValue(size)
          }`,
        ),
      );
    }
    if (!size.every((length) => Number.isInteger(length) && length > 0)) {
      throw new RangeError(
        fail(`options.batchSize must list positive integer lengths, got ${describeValue(size)}`),
      );
    }
  }
  for (const name of ["arrival", "format", "itemLabel"] as const) {
    if (options[name] !== undefined && typeof options[name] !== "function") {
      throw new TypeError(
        fail(`options.${name} must be a function, got ${describeValue(options[name])}`),
      );
    }
  }
  if (options.join !== undefined && typeof options.join !== "boolean") {
    throw new TypeError(
      fail(`options.join must be a boolean, got ${describeValue(options.join)}`),
    );
  }
  if (options.title !== undefined && typeof options.title !== "string") {
    throw new TypeError(
      fail(`options.title must be a string, got ${describeValue(options.title)}`),
    );
  }
  if (
    options.keys !== undefined &&
    (!Array.isArray(options.keys) || options.keys.some((k) => typeof k !== "string"))
  ) {
    throw new TypeError(
      fail(`options.keys must be an array of strings, got ${describeValue(options.keys)}`),
    );
  }
  if (options.keys?.length === 0) {
    throw new RangeError(
      fail(`options.keys is empty; name at least one key, or leave it out to draw every key`),
    );
  }
}

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
 * import { TestingClock, TestingSink } from "@runnel/runnel/testing";
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
 * await run(flow, { clock: new TestingClock() });
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
 * import { TestingClock, TestingSink } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * const items: [string, number][] = [["a", 0], ["b", 20_000], ["a", 5_000]];
 * const clock = EventClock((ms: number) => ms, { waitForSystemDuration: 0 });
 * const down: [string, [number, number]][] = [];
 * const late: [string, [number, number]][] = [];
 * const meta: [string, [number, WindowMetadata]][] = [];
 *
 * const flow = new Dataflow("sums");
 * const sums = flow.input("inp", items) // a list: one batch of up to 1024 items
 *   .foldWindow("sum", () => 0, (sum, ms) => sum + ms, {
 *     clock,
 *     windower: TumblingWindower({ length: 5_000, alignTo: 0 }),
 *     merger: (a, b) => a + b,
 *     watermarkScope: "partition",
 *   });
 * sums.down.output("down", new TestingSink(down));
 * sums.late.output("late", new TestingSink(late));
 * sums.meta.output("meta", new TestingSink(meta));
 * await run(flow, { clock: new TestingClock() });
 *
 * // The step took a's items together, then b's: nothing was late.
 * assert.deepEqual(late, []);
 * const options = { clock, watermarkScope: "partition" } as const;
 * const timeline = windowTimeline(items, { down, late, meta }, { ...options, batchSize: 1024 });
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
 * import { TestingClock, TestingSink } from "@runnel/runnel/testing";
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
 * await run(flow, { clock: new TestingClock() });
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
  const replayOptions = {
    clock: options.clock,
    shared: options.watermarkScope === "partition",
    arrival: options.arrival,
  };
  const all = replay(pairs, lengths, { ...replayOptions, start: 0 });
  if (options.arrival === undefined) {
    // Without arrival times every batch arrives at 1970-01-01. An event
    // clock only reads how system time moves on, but a clock that stamps
    // items with it (SystemClock) would put them decades from their windows.
    const later = replay(pairs, lengths, { ...replayOptions, start: PROBE_TIME });
    const moved = later.findIndex((it, i) => it.ts !== all[i]!.ts);
    if (moved !== -1) {
      throw new TypeError(
        fail(
          `options.clock stamps items with the system time, as SystemClock does (items[${moved}] at ${
            iso(all[moved]!.ts)
          } when replayed at ${iso(0)}, at ${iso(later[moved]!.ts)} when replayed at ${
            iso(PROBE_TIME)
          }); pass options.arrival, the system time each item reached the step`,
        ),
      );
    }
  }
  const bandsByKey = collectBands(outputs);
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
  return draw(lanes, {
    title: options.title,
    format: labeller("format", options.format) ?? formatValue,
    itemLabel: labeller("itemLabel", options.itemLabel),
    itemCount,
    windowCount,
  });
}

interface DrawOptions {
  readonly title: string | undefined;
  readonly format: (value: unknown) => string;
  readonly itemLabel: ((value: unknown) => string) | undefined;
  readonly itemCount: number;
  readonly windowCount: number;
}

function draw(lanes: readonly Lane[], options: DrawOptions): WindowTimeline {
  const { title, format, itemLabel, itemCount, windowCount } = options;
  // The time range: items and windows, and the watermark unless it trails far behind.
  let lo = Infinity, hi = -Infinity;
  for (const lane of lanes) {
    for (const it of lane.items) (lo = Math.min(lo, it.ts), hi = Math.max(hi, it.ts));
    for (const b of lane.bands) {
      lo = Math.min(lo, b.meta.openTime);
      hi = Math.max(hi, b.meta.closeTime);
    }
  }
  if (lo === Infinity) (lo = 0, hi = 1000);
  const span = Math.max(hi - lo, 1);
  for (const lane of lanes) {
    for (const { watermark: w } of lane.items) {
      if (w >= lo - span && w <= hi + span) (lo = Math.min(lo, w), hi = Math.max(hi, w));
    }
  }
  if (hi - lo < 1) (lo -= 500, hi += 500);
  // Padded, but never past the times a Date can show: the axis labels are dates.
  const pad = (hi - lo) * 0.04;
  lo = Math.max(lo - pad, -MAX_TIME);
  hi = Math.min(hi + pad, MAX_TIME);
  const x = (t: number) => PLOT_LEFT + (t - lo) / (hi - lo) * (PLOT_RIGHT - PLOT_LEFT);
  const clampX = (t: number) => Math.min(PLOT_RIGHT, Math.max(PLOT_LEFT, x(t)));
  const { ticks, caption } = axis(lo, hi, PLOT_RIGHT - PLOT_LEFT);

  const rowH = Math.max(6, Math.min(22, Math.floor(600 / Math.max(itemCount, 1))));
  const radius = Math.max(2, Math.min(5, rowH / 2 - 1.5));
  const labelEvery = Math.ceil(13 / rowH);
  const eofH = 26;

  const body: string[] = [];
  const text = (tx: number, ty: number, content: string, attrs = "") =>
    `<text x="${n(tx)}" y="${n(ty)}"${attrs}>${esc(content)}</text>`;

  let y = 14;
  if (title !== undefined) {
    body.push(text(PLOT_LEFT, y + 14, title, ` font-size="16" font-weight="bold"`));
    y += 26;
  }
  y = legend(body, y);
  const gridTop = y;

  for (const lane of lanes) {
    const lateCount = lane.items.filter((it) => it.late).length;
    body.push(`<g class="rn-lane" data-key="${esc(lane.key)}">`);
    const heading = fit(`key ${JSON.stringify(lane.key)}`, 360, 12);
    body.push(
      text(8, y + 16, heading, ` font-weight="bold"`) +
        text(
          8 + Array.from(heading).length * 7.2 + 12,
          y + 16,
          `${plural(lane.items.length, "item")}, ${lateCount} late, ${
            plural(lane.bands.length, "window")
          }`,
          ` fill="${COLOR.muted}"`,
        ),
    );
    y += LANE_HEADER;
    const rowsTop = y;
    const rowY = (j: number) => rowsTop + j * rowH + rowH / 2;
    const rowsBottom = rowsTop + lane.items.length * rowH + (lane.items.length > 0 ? eofH : 0);

    // Window edges across the rows, to see the watermark cross them.
    const edges = new Set<string>();
    for (const b of lane.bands) edges.add(n(x(b.meta.openTime))).add(n(x(b.meta.closeTime)));
    if (lane.items.length > 0) {
      for (const ex of [...edges].sort((a, b) => Number(a) - Number(b))) {
        body.push(
          `<line x1="${ex}" y1="${n(rowsTop)}" x2="${ex}" y2="${
            n(rowsBottom)
          }" stroke="${COLOR.window}" stroke-opacity="0.35" stroke-dasharray="3 3"/>`,
        );
      }
    }

    lane.items.forEach((it, j) => {
      if (j % labelEvery === 0) {
        body.push(
          text(
            PLOT_LEFT - 10,
            rowY(j) + 4,
            `${it.index + 1}`,
            ` text-anchor="end" font-size="${LABEL_FONT}" fill="${COLOR.muted}"`,
          ),
        );
      }
    });
    if (lane.items.length > 0) {
      body.push(
        text(8, rowY(0) + 4, "arrival", ` font-size="${LABEL_FONT}" fill="${COLOR.muted}"`),
      );
    }

    watermark(body, lane.items, rowY, rowH, eofH, x, clampX);

    for (const [j, it] of lane.items.entries()) {
      const cx = x(it.ts), cy = rowY(j);
      const tip = `#${it.index + 1} key ${JSON.stringify(it.key)} at ${iso(it.ts)}\n` +
        `watermark after it: ${iso(it.watermark)}\n` +
        (it.late ? `late by ${duration(it.watermark - it.ts)}` : "on time") +
        `\n${describeValue(it.value)}`;
      const data = ` data-key="${esc(it.key)}" data-time="${it.ts}" data-arrival="${
        it.index + 1
      }" data-watermark="${it.watermark}"`;
      if (it.late) {
        const r = Math.max(radius, 3), d = r * 0.7;
        body.push(
          `<g class="rn-item rn-late"${data}><title>${esc(tip)}</title>` +
            `<line x1="${n(cx + r)}" y1="${n(cy)}" x2="${n(clampX(it.watermark))}" y2="${
              n(cy)
            }" stroke="${COLOR.late}" stroke-dasharray="2 2"/>` +
            `<circle cx="${n(cx)}" cy="${n(cy)}" r="${
              n(r)
            }" fill="#fff" stroke="${COLOR.late}" stroke-width="1.5"/>` +
            `<path d="M${n(cx - d)} ${n(cy - d)}L${n(cx + d)} ${n(cy + d)}M${n(cx - d)} ${
              n(cy + d)
            }L${n(cx + d)} ${n(cy - d)}" stroke="${COLOR.late}" stroke-width="1.5"/></g>`,
        );
      } else {
        body.push(
          `<g class="rn-item"${data}><title>${esc(tip)}</title><circle cx="${n(cx)}" cy="${
            n(cy)
          }" r="${n(radius)}" fill="${COLOR.item}"/></g>`,
        );
      }
      if (itemLabel !== undefined && rowH >= 10) {
        // A late item's label goes left, clear of the line to the watermark.
        body.push(
          text(
            it.late ? cx - radius - 4 : cx + radius + 4,
            cy + 4,
            fit(itemLabel(it.value), 120, LABEL_FONT - 1),
            ` class="rn-item-label"${it.late ? ` text-anchor="end"` : ""} font-size="${
              LABEL_FONT - 1
            }" fill="${COLOR.muted}"`,
          ),
        );
      }
    }
    y = rowsBottom;

    // Windows: one band per closed window, stacked where they overlap.
    if (lane.bands.length > 0) {
      body.push(
        text(8, y + TIER / 2 + 4, "windows", ` font-size="${LABEL_FONT}" fill="${COLOR.muted}"`),
      );
    }
    const [placed, tiers] = placeBands(lane.bands, x, format);
    for (const { band: b, x0, x1, caption, values, labelX, anchor, tier } of placed) {
      const top = y + tier * TIER + 3;
      const merged = b.meta.mergedIds.length > 0
        ? `\nmerged sessions ${b.meta.mergedIds.join(", ")}`
        : "";
      const beforeMerge = b.fromMerged.length === 0
        ? ""
        : `\nof which ${
          b.fromMerged.map(([id, value]) => `${format(value)} under session ${id}`).join(", ")
        }, before it merged`;
      const tip = `window ${b.id} of key ${JSON.stringify(lane.key)}\n${iso(b.meta.openTime)} to ${
        iso(b.meta.closeTime)
      }${merged}\n${values === "" ? "emitted nothing" : `emitted ${values}`}${beforeMerge}`;
      body.push(
        `<g class="rn-window" data-key="${
          esc(lane.key)
        }" data-window="${b.id}" data-open="${b.meta.openTime}" data-close="${b.meta.closeTime}"><title>${
          esc(tip)
        }</title><rect x="${n(x0)}" y="${n(top)}" width="${n(x1 - x0)}" height="${
          TIER - 6
        }" rx="3" fill="${COLOR.windowFill}" stroke="${COLOR.window}"/>` +
          text(
            labelX,
            top + (TIER - 6) / 2 + 4,
            caption,
            ` class="rn-window-label" text-anchor="${anchor}" font-size="${LABEL_FONT}" fill="#134e4a"`,
          ) + `</g>`,
      );
    }
    y += tiers * TIER;
    body.push(`</g>`);
    y += LANE_GAP;
  }
  if (lanes.length === 0) {
    body.push(text(PLOT_LEFT, y + 20, "no items and no windows", ` fill="${COLOR.muted}"`));
    y += 32;
  }
  const gridBottom = y;

  // The axis: gridlines behind everything, labels below.
  const grid: string[] = [];
  for (const [t, tick] of ticks) {
    const tx = n(x(t));
    grid.push(
      `<line x1="${tx}" y1="${n(gridTop)}" x2="${tx}" y2="${
        n(gridBottom)
      }" stroke="${COLOR.grid}"/>`,
    );
    body.push(
      `<line x1="${tx}" y1="${n(gridBottom)}" x2="${tx}" y2="${
        n(gridBottom + 5)
      }" stroke="${COLOR.muted}"/>` +
        text(
          x(t),
          gridBottom + 18,
          tick,
          ` class="rn-tick" data-time="${t}" text-anchor="middle" font-size="${LABEL_FONT}"`,
        ),
    );
  }
  body.push(
    `<line x1="${PLOT_LEFT}" y1="${n(gridBottom)}" x2="${PLOT_RIGHT}" y2="${
      n(gridBottom)
    }" stroke="${COLOR.muted}"/>`,
    text(
      (PLOT_LEFT + PLOT_RIGHT) / 2,
      gridBottom + 36,
      caption,
      ` text-anchor="middle" font-size="${LABEL_FONT}" fill="${COLOR.muted}"`,
    ),
  );
  const height = Math.ceil(gridBottom + 48);
  const lateCount = lanes.reduce((s, lane) => s + lane.items.filter((it) => it.late).length, 0);
  const summary = `windowTimeline${title === undefined ? "" : ` "${title}"`}: ${
    plural(itemCount, "item")
  } (${lateCount} late), ${plural(windowCount, "window")}, ${plural(lanes.length, "key")}`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" ` +
    `viewBox="0 0 ${WIDTH} ${height}" font-family="${FONT}" font-size="12" fill="${COLOR.text}">` +
    `<title>${esc(summary)}</title>` +
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>\n` +
    grid.join("\n") + "\n" + body.join("\n") + "\n</svg>\n";
  return new WindowTimeline(svg, WIDTH, height, summary);
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

// The key to the symbols, in one row; returns the y below it.
function legend(body: string[], y: number): number {
  const cy = y + 8;
  let lx = PLOT_LEFT;
  const entry = (mark: string, words: string, width: number) => {
    body.push(
      mark +
        `<text x="${n(lx + 18)}" y="${n(cy + 4)}" font-size="${LABEL_FONT}">${esc(words)}</text>`,
    );
    lx += width;
  };
  entry(`<circle cx="${n(lx + 6)}" cy="${n(cy)}" r="4" fill="${COLOR.item}"/>`, "item", 60);
  entry(
    `<circle cx="${n(lx + 6)}" cy="${n(cy)}" r="4" fill="#fff" stroke="${COLOR.late}" ` +
      `stroke-width="1.5"/><path d="M${n(lx + 3.2)} ${n(cy - 2.8)}L${n(lx + 8.8)} ${n(cy + 2.8)}M${
        n(lx + 3.2)
      } ${n(cy + 2.8)}L${n(lx + 8.8)} ${n(cy - 2.8)}" stroke="${COLOR.late}" ` +
      `stroke-width="1.5"/>`,
    "late item (before the watermark)",
    200,
  );
  entry(
    `<line x1="${n(lx)}" y1="${n(cy)}" x2="${n(lx + 14)}" y2="${
      n(cy)
    }" stroke="${COLOR.watermark}" stroke-width="2"/>`,
    "watermark after each arrival",
    180,
  );
  entry(
    `<rect x="${n(lx)}" y="${
      n(cy - 5)
    }" width="14" height="10" rx="2" fill="${COLOR.windowFill}" ` +
      `stroke="${COLOR.window}"/>`,
    "window  #id: emitted value",
    170,
  );
  return y + 26;
}

// The watermark as a step line: vertical at its value through each item's
// row, jumping between rows; after the last item, a jump to infinity.
function watermark(
  body: string[],
  items: readonly Item[],
  rowY: (j: number) => number,
  rowH: number,
  eofH: number,
  x: (t: number) => number,
  clampX: (t: number) => number,
): void {
  const first = items.findIndex((it) => Number.isFinite(it.watermark));
  if (items.length === 0) return;
  const last = items.length - 1;
  // The jump to infinity, with its caption below it, clear of the last dots.
  const eofY = rowY(last) + rowH / 2 + Math.min(8, eofH / 2);
  const points: string[] = [];
  let d = "";
  if (first !== -1) {
    for (let j = first; j <= last; j++) {
      const w = items[j]!.watermark;
      const wx = n(clampX(w));
      d += j === first ? `M${wx} ${n(rowY(j) - rowH / 2)}` : `H${wx}`;
      d += `V${n(rowY(j) + rowH / 2)}`;
      points.push(`${wx},${n(rowY(j))}`);
      const off = x(w) < PLOT_LEFT ? -1 : x(w) > PLOT_RIGHT ? 1 : 0;
      if (off !== 0) {
        // Off the chart: an arrowhead at the edge says which way it went.
        const ex = off < 0 ? PLOT_LEFT : PLOT_RIGHT, cy = rowY(j);
        body.push(
          `<path d="M${n(ex)} ${n(cy - 4)}L${n(ex + 6 * off)} ${n(cy)}L${n(ex)} ${
            n(cy + 4)
          }Z" fill="${COLOR.watermark}"><title>${esc(`watermark ${iso(w)}`)}</title></path>`,
        );
      }
    }
    d += `V${n(eofY)}`;
  } else {
    d = `M${PLOT_LEFT} ${n(eofY)}`;
  }
  d += `H${n(PLOT_RIGHT - 6)}`;
  body.push(
    `<path class="rn-watermark" data-points="${
      points.join(" ")
    }" d="${d}" fill="none" stroke="${COLOR.watermark}" stroke-width="2"/>`,
    `<path d="M${n(PLOT_RIGHT - 7)} ${n(eofY - 4)}L${PLOT_RIGHT} ${n(eofY)}L${n(PLOT_RIGHT - 7)} ${
      n(eofY + 4)
    }Z" fill="${COLOR.watermark}"/>`,
    `<text x="${n(PLOT_RIGHT)}" y="${n(eofY + 13)}" text-anchor="end" font-size="${
      LABEL_FONT - 1
    }" fill="${COLOR.watermark}">end of input: watermark → ∞</text>`,
  );
}

/**
 * The SVG drawing of `windowTimeline`: lanes of items, the
 * watermark line and window bands, laid out on the time axis.
 *
 * @module
 */

import { describeValue } from "../dataflow/errors.ts";
import { axis, iso, MAX_TIME } from "./_timeline_axis.ts";
import type { Band } from "./_timeline_check.ts";
import type { Item } from "./_timeline_replay.ts";

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

export interface Lane {
  readonly key: string;
  readonly items: Item[];
  readonly bands: Band[];
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

export function formatValue(value: unknown): string {
  if (typeof value === "number") {
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  }
  if (typeof value === "string") return value;
  if (value instanceof Set) return `Set(${value.size})`;
  if (value instanceof Map) return `Map(${value.size})`;
  return describeValue(value);
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

export interface DrawOptions {
  readonly title: string | undefined;
  readonly format: (value: unknown) => string;
  readonly itemLabel: ((value: unknown) => string) | undefined;
  readonly itemCount: number;
  readonly windowCount: number;
}

/** A drawn timeline: the SVG text, its size in px, and one line saying what it shows. */
export interface Drawing {
  readonly svg: string;
  readonly width: number;
  readonly height: number;
  readonly summary: string;
}

export function draw(lanes: readonly Lane[], options: DrawOptions): Drawing {
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
  return { svg, width: WIDTH, height, summary };
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

/**
 * {@linkcode plot}: line and scatter charts as SVG.
 *
 * @module
 */

import { Figure } from "./figure.ts";
import { coord, escapeMarkup, FONT } from "./_markup.ts";
import { TIME_STEPS } from "./_timeline_axis.ts";

/** One series of a {@linkcode plot}. */
export interface PlotSeries {
  /** The points, `[x, y]`. An `x` that is a `Date` makes the x axis a time axis. */
  points: Iterable<readonly [x: number | Date, y: number]>;
  /** Its name in the legend. Series without one are left out of the legend. */
  label?: string;
  /** `"line"` joins the points in order (a non-finite `y` breaks the line); `"dot"` draws each. Defaults to `"line"`. */
  mark?: "line" | "dot";
  /** A CSS colour. Defaults to the next colour of the palette. */
  color?: string;
}

/** Options for {@linkcode plot}. */
export interface PlotOptions {
  /** A title drawn above the chart. */
  title?: string;
  /** Width in px. Defaults to 640. */
  width?: number;
  /** Height in px. Defaults to 260. */
  height?: number;
  /** A label under the x axis. */
  xLabel?: string;
  /** A label beside the y axis. */
  yLabel?: string;
}

const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2"];
const TEXT = "#1f2937";
const GRID = "#e5e7eb";
const AXIS = "#6b7280";

function niceStep(span: number, count: number, time: boolean): number {
  const raw = span / count;
  if (time && raw <= 864e5) return TIME_STEPS.find((s) => s >= raw) ?? 864e5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const mantissa = [1, 2, 5, 10].find((m) => m * power >= raw)!;
  return mantissa * power;
}

function ticks(min: number, max: number, step: number): number[] {
  const out: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) {
    out.push(Math.round(t / step) * step);
  }
  return out;
}

function numberLabel(n: number, step: number): string {
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return n.toFixed(Math.min(decimals, 6));
}

function timeLabel(ms: number, span: number): string {
  const iso = new Date(ms).toISOString();
  if (span >= 3 * 864e5) return iso.slice(0, 10);
  if (span >= 6e4 * 5) return iso.slice(11, 16);
  if (span >= 5e3) return iso.slice(11, 19);
  return iso.slice(14, 23);
}

function extent(values: number[]): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) {
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (lo === Infinity) return [0, 1];
  if (lo === hi) return [lo - 1, hi + 1];
  return [lo, hi];
}

/**
 * Draws line and scatter series as an SVG chart with axes, grid lines and
 * a legend: enough to see a stream's values, a running statistic and the
 * points a step flagged, without a charting library or a browser.
 *
 * Axes are linear and cover every finite point, with round tick values.
 * When any `x` is a `Date` the x axis is a time axis in UTC, labelled at
 * round seconds, minutes, hours or days. Points with a non-finite `x` or
 * `y` are not drawn, and break a line, which shows missing values as gaps.
 * Labels and titles are escaped.
 *
 * @param series The series, drawn in order (later ones on top).
 * @param options Title, size and axis labels.
 * @returns A {@linkcode Figure} holding the SVG; in a Deno Jupyter cell it is drawn inline.
 *
 * @example Values and flagged points
 * ```ts
 * import { plot } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const values = [1, 2, 9, 2, 1].map((y, x) => [x, y] as [number, number]);
 * const svg = String(plot([
 *   { label: "value", points: values },
 *   { label: "anomaly", points: [values[2]!], mark: "dot", color: "red" },
 * ], { title: "Sensor" }));
 * assert.equal(svg.match(/<polyline/g)?.length, 1);
 * assert.equal(svg.match(/<circle class="point"/g)?.length, 1);
 * assert.ok(svg.includes(">anomaly</text>"));
 * ```
 */
export function plot(series: readonly PlotSeries[], options: PlotOptions = {}): Figure {
  const width = options.width ?? 640;
  const height = options.height ?? 260;
  if (!(width >= 120 && height >= 80)) {
    throw new RangeError(
      `Cannot draw plot: width and height must be at least 120 and 80 px, got ${width} × ${height}`,
    );
  }
  let time = false;
  const data = series.map((s, i) => ({
    ...s,
    color: s.color ?? PALETTE[i % PALETTE.length]!,
    points: [...s.points].map(([x, y]) => {
      if (x instanceof Date) time = true;
      return [+x, y] as const;
    }),
  }));
  const [x0, x1] = extent(data.flatMap((s) => s.points.map(([x]) => x)));
  const [y0, y1] = extent(data.flatMap((s) => s.points.map(([, y]) => y)));
  const legend = data.filter((s) => s.label !== undefined);
  const top = (options.title === undefined ? 14 : 34) + (legend.length > 0 ? 16 : 0);
  // The right margin leaves room for half of the last x label.
  const left = 56, right = width - 32, bottom = height - (options.xLabel === undefined ? 28 : 44);
  const xTicks = ticks(
    x0,
    x1,
    niceStep(x1 - x0, Math.max(2, Math.floor((right - left) / 90)), time),
  );
  // The y axis is widened to round values, so no point sits on the plot's edge.
  const yStep = niceStep(y1 - y0, Math.max(2, Math.floor((bottom - top) / 40)), false);
  const lo = Math.floor(y0 / yStep) * yStep, hi = Math.ceil(y1 / yStep) * yStep;
  const yTicks = ticks(lo, hi, yStep);
  const sx = (x: number) => left + (x - x0) / (x1 - x0) * (right - left);
  const sy = (y: number) => bottom - (y - lo) / (hi - lo) * (bottom - top);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" font-size="11">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
  ];
  if (options.title !== undefined) {
    parts.push(
      `<text x="${left}" y="20" font-size="14" font-weight="bold" fill="${TEXT}">${
        escapeMarkup(options.title)
      }</text>`,
    );
  }
  for (const t of yTicks) {
    const y = coord(sy(t));
    parts.push(
      `<line class="grid" x1="${left}" x2="${right}" y1="${y}" y2="${y}" stroke="${GRID}"/>`,
      `<text x="${left - 6}" y="${y}" dy="0.32em" text-anchor="end" fill="${AXIS}">${
        numberLabel(t, yStep)
      }</text>`,
    );
  }
  for (const t of xTicks) {
    const x = coord(sx(t));
    const text = time ? timeLabel(t, x1 - x0) : numberLabel(t, xTicks[1]! - xTicks[0]! || 1);
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${bottom}" y2="${bottom + 4}" stroke="${AXIS}"/>`,
      `<text x="${x}" y="${bottom + 16}" text-anchor="middle" fill="${AXIS}">${text}</text>`,
    );
  }
  parts.push(
    `<line x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}" stroke="${AXIS}"/>`,
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${bottom}" stroke="${AXIS}"/>`,
  );
  if (options.xLabel !== undefined) {
    parts.push(
      `<text x="${coord((left + right) / 2)}" y="${
        height - 8
      }" text-anchor="middle" fill="${TEXT}">${escapeMarkup(options.xLabel)}</text>`,
    );
  }
  if (options.yLabel !== undefined) {
    parts.push(
      `<text transform="translate(14 ${
        coord((top + bottom) / 2)
      }) rotate(-90)" text-anchor="middle" fill="${TEXT}">${escapeMarkup(options.yLabel)}</text>`,
    );
  }
  for (const s of data) {
    const finite = (p: readonly [number, number]) => Number.isFinite(p[0]) && Number.isFinite(p[1]);
    if (s.mark === "dot") {
      parts.push(`<g class="series" fill="${escapeMarkup(s.color)}">`);
      for (const p of s.points.filter(finite)) {
        parts.push(
          `<circle class="point" cx="${coord(sx(p[0]))}" cy="${coord(sy(p[1]))}" r="3.5"/>`,
        );
      }
      parts.push(`</g>`);
      continue;
    }
    // A non-finite point ends one polyline; the next finite one starts another.
    const runs: (readonly [number, number])[][] = [[]];
    for (const p of s.points) {
      if (finite(p)) runs.at(-1)!.push(p);
      else if (runs.at(-1)!.length > 0) runs.push([]);
    }
    for (const run of runs.filter((r) => r.length > 0)) {
      parts.push(
        `<polyline class="series" fill="none" stroke="${
          escapeMarkup(s.color)
        }" stroke-width="1.6" points="${
          run.map(([x, y]) => `${coord(sx(x))},${coord(sy(y))}`).join(" ")
        }"/>`,
      );
    }
  }
  let lx = left;
  const ly = top - 10;
  for (const s of legend) {
    const color = escapeMarkup(s.color);
    parts.push(
      s.mark === "dot"
        ? `<circle cx="${lx + 6}" cy="${ly - 4}" r="3.5" fill="${color}"/>`
        : `<line x1="${lx}" x2="${lx + 14}" y1="${ly - 4}" y2="${
          ly - 4
        }" stroke="${color}" stroke-width="2"/>`,
      `<text x="${lx + 18}" y="${ly}" fill="${TEXT}">${escapeMarkup(s.label!)}</text>`,
    );
    lx += 18 + s.label!.length * 6.5 + 16;
  }
  parts.push(`</svg>`);
  const count = data.reduce((n, s) => n + s.points.length, 0);
  return new Figure(
    "image/svg+xml",
    parts.join("\n"),
    `${options.title ?? "Plot"}: ${data.length} series, ${count} points`,
  );
}

/**
 * The panel `live` keeps up to date in a notebook cell: counts, rate,
 * watermarks, the latest items and an optional picture, as one HTML figure.
 *
 * @module
 */

import { Figure } from "./figure.ts";
import { escapeMarkup, formatValue } from "./_markup.ts";

/** What the panel shows. */
export interface LivePanelState {
  /** A heading. */
  title?: string;
  /** `"running"`, `"ended"` (the input ended), or `"stopped"` (aborted or interrupted). */
  status: "running" | "ended" | "stopped";
  /** Why the run stopped, for `"stopped"`. */
  reason?: string;
  /** Items seen so far. */
  items: number;
  /** Run time so far, in ms. */
  elapsedMs: number;
  /** Each key's watermark (epoch ms), in order of first appearance. */
  watermarks?: readonly (readonly [key: string, watermark: number])[];
  /** The latest items, oldest first. */
  latest: readonly unknown[];
  /** Markup (SVG or HTML) drawn under the numbers, or an error message about it. */
  picture?: { markup: string } | { error: string };
}

function time(ms: number): string {
  if (ms === Infinity) return "end of time";
  if (ms === -Infinity) return "none yet";
  const date = new Date(ms);
  return Number.isNaN(+date) ? String(ms) : date.toISOString().replace("T", " ").replace("Z", "");
}

const STATUS_COLOR = { running: "#16a34a", ended: "#2563eb", stopped: "#dc2626" };

/** Renders the panel as an HTML {@linkcode Figure}. */
export function livePanel(state: LivePanelState): Figure {
  const seconds = state.elapsedMs / 1000;
  const rate = seconds > 0 ? state.items / seconds : 0;
  const status = state.status === "stopped" && state.reason !== undefined
    ? `stopped: ${state.reason}`
    : state.status;
  const html = [
    `<div class="runnel-live" style="font-family:Helvetica,Arial,sans-serif;font-size:13px;color:#1f2937">`,
  ];
  if (state.title !== undefined) {
    html.push(`<div style="font-weight:bold;font-size:14px">${escapeMarkup(state.title)}</div>`);
  }
  html.push(
    `<div class="stats"><span class="status" style="color:${
      STATUS_COLOR[state.status]
    };font-weight:bold">${
      escapeMarkup(status)
    }</span> · <span class="items">${state.items} items</span> in ${
      seconds.toFixed(1)
    } s · <span class="rate">${rate.toFixed(1)} items/s</span></div>`,
  );
  if (state.watermarks !== undefined && state.watermarks.length > 0) {
    html.push(
      `<div class="watermarks">watermark: ${
        state.watermarks.map(([key, wm]) => `${escapeMarkup(key)} ${escapeMarkup(time(wm))}`)
          .join(" · ")
      }</div>`,
    );
  }
  if (state.latest.length > 0) {
    html.push(
      `<div class="latest" style="font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;color:#4b5563">latest: ${
        state.latest.map((item) => escapeMarkup(formatValue(item, 60))).join("<br>")
      }</div>`,
    );
  }
  if (state.picture !== undefined) {
    html.push(
      "markup" in state.picture
        ? `<div class="picture">${state.picture.markup}</div>`
        : `<div class="picture-error" style="color:#dc2626">Cannot draw the picture: ${
          escapeMarkup(state.picture.error)
        }</div>`,
    );
  }
  html.push(`</div>`);
  return new Figure(
    "text/html",
    html.join("\n"),
    `${status}: ${state.items} items in ${seconds.toFixed(1)} s (${rate.toFixed(1)} items/s)`,
  );
}

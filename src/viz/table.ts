/**
 * {@linkcode table}: items as an HTML table.
 *
 * @module
 */

import { Figure } from "./figure.ts";
import { escapeMarkup, formatValue } from "./_markup.ts";

/** Options for {@linkcode table}. */
export interface TableOptions {
  /**
   * Column headings. For rows that are arrays (such as `[key, value]`
   * pairs), names for positions 0, 1, ...; for rows that are objects, which
   * properties to show, in this order. Defaults to the positions, or to
   * every property in order of first appearance.
   */
  columns?: readonly string[];
  /** A caption above the table. */
  title?: string;
  /** At most this many rows are drawn; a last line says how many were left out. Defaults to 50. */
  limit?: number;
}

type Row = { cells: unknown[] };

const CELL = "border:1px solid #d1d5db;padding:2px 8px;text-align:left";
const HEAD = `${CELL};background:#f3f4f6`;

function rowsOf(items: readonly unknown[], columns: readonly string[] | undefined) {
  const isRecord = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date) &&
    !(v instanceof Map);
  if (items.length > 0 && items.every(Array.isArray)) {
    const width = Math.max(...items.map((r) => (r as unknown[]).length));
    const heads = columns ?? Array.from({ length: width }, (_, i) => String(i));
    return {
      heads,
      rows: items.map((r): Row => ({
        cells: heads.map((_, i) => (r as unknown[])[i]),
      })),
    };
  }
  if (items.length > 0 && items.every(isRecord)) {
    const keys = columns ?? [...new Set(items.flatMap((r) => Object.keys(r as object)))];
    return {
      heads: keys,
      rows: items.map((r): Row => ({ cells: keys.map((k) => (r as Record<string, unknown>)[k]) })),
    };
  }
  return {
    heads: columns?.slice(0, 1) ?? ["value"],
    rows: items.map((v): Row => ({ cells: [v] })),
  };
}

/**
 * Renders items as an HTML table, for a notebook cell or a page.
 *
 * Rows that are arrays (such as the `[word, count]` pairs a keyed step
 * emits) become one column per position; rows that are objects one column
 * per property; anything else a single `value` column. Numbers are right
 * aligned, strings shown whole with their line breaks, dates in ISO form,
 * nested arrays and objects as compact JSON-like text (cut at 80
 * characters), `undefined` cells left empty. All text is escaped.
 *
 * @param items The rows, such as what a `TestingSink` collected.
 * @param options Column names, a title, and the row limit.
 * @returns A {@linkcode Figure} holding the HTML; in a Deno Jupyter cell it is drawn inline.
 *
 * @example Word counts as a table
 * ```ts
 * import { table } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const html = String(table([["be", 2], ["to", 4]], { columns: ["word", "count"] }));
 * assert.deepEqual(html.match(/(?<=<th[^>]*>)[^<]+/g), ["word", "count"]);
 * assert.deepEqual(html.match(/(?<=<td[^>]*>)[^<]+/g), ["be", "2", "to", "4"]);
 * ```
 */
export function table(items: Iterable<unknown>, options: TableOptions = {}): Figure {
  const all = [...items];
  const limit = options.limit ?? 50;
  if (!(Number.isInteger(limit) && limit > 0)) {
    throw new RangeError(`Cannot draw table: limit must be a positive integer, got ${limit}`);
  }
  const { heads, rows } = rowsOf(all, options.columns);
  const shown = rows.slice(0, limit);
  // A string is shown whole, its line breaks kept; other values as short text.
  const text = (v: unknown) =>
    typeof v === "string" ? escapeMarkup(v).replaceAll("\n", "<br>") : escapeMarkup(formatValue(v));
  // Inline styles only: notebook frontends strip <style> from untrusted output.
  const cell = (v: unknown) =>
    v === undefined
      ? `<td style="${CELL}"></td>`
      : typeof v === "number" || typeof v === "bigint"
      ? `<td class="num" style="${CELL};text-align:right">${escapeMarkup(formatValue(v))}</td>`
      : `<td style="${CELL}">${text(v)}</td>`;
  const lines = [`<div class="runnel-table">`];
  // A title above the table rather than a <caption>, which wraps at the table's width.
  if (options.title !== undefined) {
    lines.push(
      `<div style="font-family:Helvetica,Arial,sans-serif;font-weight:bold;font-size:13px;padding:4px 0">${
        escapeMarkup(options.title)
      }</div>`,
    );
  }
  lines.push(
    `<table style="border-collapse:collapse;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px">`,
  );
  lines.push(
    `<thead><tr>${
      heads.map((h) => `<th style="${HEAD}">${escapeMarkup(h)}</th>`).join("")
    }</tr></thead>`,
  );
  lines.push("<tbody>");
  for (const row of shown) lines.push(`<tr>${row.cells.map(cell).join("")}</tr>`);
  if (rows.length > shown.length) {
    lines.push(
      `<tr><td colspan="${heads.length}" style="${CELL}">… ${
        rows.length - shown.length
      } more rows</td></tr>`,
    );
  }
  lines.push("</tbody>", "</table>", "</div>");
  const summary = `${all.length} rows × ${heads.length} columns (${heads.join(", ")})`;
  return new Figure("text/html", lines.join("\n"), summary);
}

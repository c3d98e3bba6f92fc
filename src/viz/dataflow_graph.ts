/**
 * {@linkcode dataflowGraph}: a dataflow drawn as an SVG graph, laid out in
 * layers from its inputs down to its outputs.
 *
 * @module
 */

import type { Dataflow } from "../dataflow/dataflow.ts";
import { Figure } from "./figure.ts";
import { coord, escapeMarkup, FONT } from "./_markup.ts";
import { type FlowBox, lastSegment, topLevelGraph } from "./_flow_graph.ts";

/** Options for {@linkcode dataflowGraph}. */
export interface DataflowGraphOptions {
  /** A title drawn above the graph. Defaults to the flow id. */
  title?: string;
}

const BOX_HEIGHT = 40;
const LAYER_GAP = 44;
const BOX_GAP = 28;
const MARGIN = 20;
const TITLE_HEIGHT = 26;
const PARALLEL_GAP = 16;
const ID_FONT = 13;
const KIND_FONT = 10.5;
// Helvetica averages a little over half an em per character; a box sized by
// this estimate fits its label without measuring text, which a runtime-free
// renderer cannot do.
const CHAR_WIDTH = 0.6;

const COLORS: Record<string, { fill: string; stroke: string }> = {
  input: { fill: "#dcfce7", stroke: "#16a34a" },
  output: { fill: "#dbeafe", stroke: "#2563eb" },
  statefulBatch: { fill: "#ffedd5", stroke: "#ea580c" },
  keyedFold: { fill: "#ffedd5", stroke: "#ea580c" },
  branch: { fill: "#f3e8ff", stroke: "#9333ea" },
  merge: { fill: "#f3e8ff", stroke: "#9333ea" },
};
const PLAIN = { fill: "#f3f4f6", stroke: "#6b7280" };
const TEXT = "#1f2937";
const EDGE = "#6b7280";

interface Placed {
  box: FlowBox;
  layer: number;
  order: number;
  width: number;
  x: number;
  y: number;
}

function boxWidth(box: FlowBox): number {
  const id = lastSegment(box.path).length * ID_FONT * CHAR_WIDTH;
  const kind = box.kind.length * KIND_FONT * CHAR_WIDTH;
  return Math.max(72, Math.ceil(Math.max(id, kind)) + 24);
}

function layout(flow: Dataflow): { placed: Map<string, Placed>; width: number; height: number } {
  const { boxes, edges } = topLevelGraph(flow);
  const ups = new Map<string, string[]>(boxes.map((b) => [b.path, []]));
  for (const edge of edges) ups.get(edge.to)?.push(edge.from);
  // Boxes come upstream first, so one pass gives each its longest path from an input.
  const placed = new Map<string, Placed>();
  const layers: Placed[][] = [];
  for (const box of boxes) {
    const layer = Math.max(-1, ...ups.get(box.path)!.map((up) => placed.get(up)?.layer ?? -1)) + 1;
    const p: Placed = { box, layer, order: 0, width: boxWidth(box), x: 0, y: 0 };
    placed.set(box.path, p);
    (layers[layer] ??= []).push(p);
  }
  // Within a layer, each box sits under the mean position of its upstream
  // boxes (ties keep the order steps were added), which keeps edges short.
  layers.forEach((row, layer) => {
    if (layer > 0) {
      const center = (p: Placed) => {
        const us = ups.get(p.box.path)!.map((u) => placed.get(u)!.order);
        return us.length === 0 ? Infinity : us.reduce((a, b) => a + b, 0) / us.length;
      };
      row.sort((a, b) => center(a) - center(b));
    }
    row.forEach((p, i) => p.order = i);
  });
  const rowWidth = (row: Placed[]) =>
    row.reduce((sum, p) => sum + p.width, 0) + BOX_GAP * (row.length - 1);
  const inner = Math.max(160, ...layers.map(rowWidth));
  layers.forEach((row, layer) => {
    let x = MARGIN + (inner - rowWidth(row)) / 2;
    for (const p of row) {
      p.x = x;
      p.y = MARGIN + TITLE_HEIGHT + layer * (BOX_HEIGHT + LAYER_GAP);
      x += p.width + BOX_GAP;
    }
  });
  return {
    placed,
    width: inner + 2 * MARGIN,
    height: MARGIN * 2 + TITLE_HEIGHT + layers.length * BOX_HEIGHT +
      Math.max(0, layers.length - 1) * LAYER_GAP,
  };
}

/**
 * Draws a dataflow as an SVG graph: one box per top-level step, labelled
 * with its id and its core kind (`inp` / `input`), and an arrow for each
 * stream between steps, labelled with the output's name when a step has
 * several (`trues`, `falses`, `late`, ...). Inputs are at the top; each
 * step sits one layer below the lowest step feeding it. Inputs are green,
 * outputs blue, stateful steps orange, branches and merges purple; a
 * composite step added with `then()` (or built in, like `countFinal`) has
 * a double border.
 *
 * The layout is computed here, with no library and no network, so the
 * picture is the same in a script, a page or a notebook. Step ids and
 * titles are escaped. `toMermaid` draws the same graph as Mermaid text.
 *
 * @param flow The flow to draw.
 * @param options A title.
 * @returns A {@linkcode Figure} holding the SVG; in a Deno Jupyter cell it is drawn inline.
 *
 * @example Drawing the wordcount flow
 * ```ts
 * import { Dataflow, dataflowGraph } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const flow = new Dataflow("wordcount");
 * flow.input("inp", ["To be, or not to be"])
 *   .flatMap("tokenize", (line) => line.toLowerCase().split(/\W+/))
 *   .countFinal("count", (word) => word)
 *   .output("out", { build: () => ({ writeBatch() {} }) });
 *
 * const svg = String(dataflowGraph(flow));
 * assert.equal(svg.match(/<g class="step"/g)?.length, 4);
 * assert.equal(svg.match(/<path class="edge"/g)?.length, 3);
 * assert.ok(svg.includes(">count</text>"));
 * ```
 */
export function dataflowGraph(flow: Dataflow, options: DataflowGraphOptions = {}): Figure {
  const { placed, width, height } = layout(flow);
  const { edges } = topLevelGraph(flow);
  const title = options.title ?? flow.id;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${coord(width)}" height="${
      coord(height)
    }" viewBox="0 0 ${coord(width)} ${coord(height)}" font-family="${FONT}">`,
    `<title>${escapeMarkup(title)}</title>`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${EDGE}"/></marker></defs>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${MARGIN}" y="${MARGIN + 12}" font-size="14" font-weight="bold" fill="${TEXT}">${
      escapeMarkup(title)
    }</text>`,
  ];
  // Several streams between the same two steps (a branch's trues and falses
  // both merged again) are drawn side by side, PARALLEL_GAP px apart.
  const pairs = new Map<string, number>();
  for (const edge of edges) {
    const pair = `${edge.from}\n${edge.to}`;
    pairs.set(pair, (pairs.get(pair) ?? 0) + 1);
  }
  const drawn = new Map<string, number>();
  for (const edge of edges) {
    const from = placed.get(edge.from)!;
    const to = placed.get(edge.to)!;
    const pair = `${edge.from}\n${edge.to}`;
    const index = drawn.get(pair) ?? 0;
    drawn.set(pair, index + 1);
    const shift = (index - (pairs.get(pair)! - 1) / 2) * PARALLEL_GAP;
    const x1 = from.x + from.width / 2 + shift;
    const y1 = from.y + BOX_HEIGHT;
    const x2 = to.x + to.width / 2 + shift;
    const y2 = to.y - 2;
    const bend = Math.max(LAYER_GAP / 2, (y2 - y1) / 2);
    parts.push(
      `<path class="edge" data-from="${escapeMarkup(edge.from)}" data-to="${
        escapeMarkup(edge.to)
      }" d="M${coord(x1)},${coord(y1)} C${coord(x1)},${coord(y1 + bend)} ${coord(x2)},${
        coord(y2 - bend)
      } ${coord(x2)},${
        coord(y2)
      }" fill="none" stroke="${EDGE}" stroke-width="1.4" marker-end="url(#arrow)"/>`,
    );
    if (edge.port !== "down") {
      // Left of a stream drawn left of centre, right of the others.
      const left = shift < 0;
      parts.push(
        `<text class="port" x="${coord((x1 + x2) / 2 + (left ? -4 : 4))}" y="${
          coord((y1 + y2) / 2 + 4)
        }" text-anchor="${left ? "end" : "start"}" font-size="10.5" fill="${EDGE}">${
          escapeMarkup(edge.port)
        }</text>`,
      );
    }
  }
  for (const p of placed.values()) {
    const color = COLORS[p.box.kind] ?? PLAIN;
    const cx = p.x + p.width / 2;
    parts.push(`<g class="step" data-path="${escapeMarkup(p.box.path)}">`);
    parts.push(
      `<rect x="${coord(p.x)}" y="${coord(p.y)}" width="${
        coord(p.width)
      }" height="${BOX_HEIGHT}" rx="6" fill="${color.fill}" stroke="${color.stroke}" stroke-width="1.4"/>`,
    );
    if (p.box.composite) {
      parts.push(
        `<rect x="${coord(p.x + 3)}" y="${coord(p.y + 3)}" width="${coord(p.width - 6)}" height="${
          BOX_HEIGHT - 6
        }" rx="4" fill="none" stroke="${color.stroke}" stroke-width="0.8"/>`,
      );
    }
    parts.push(
      `<text x="${coord(cx)}" y="${
        coord(p.y + 17)
      }" text-anchor="middle" font-size="${ID_FONT}" fill="${TEXT}">${
        escapeMarkup(lastSegment(p.box.path))
      }</text>`,
      `<text x="${coord(cx)}" y="${
        coord(p.y + 31)
      }" text-anchor="middle" font-size="${KIND_FONT}" fill="${color.stroke}">${
        escapeMarkup(p.box.kind)
      }</text>`,
      `</g>`,
    );
  }
  parts.push(`</svg>`);
  return new Figure(
    "image/svg+xml",
    parts.join("\n"),
    `Dataflow "${flow.id}": ${placed.size} steps, ${edges.length} streams`,
  );
}

/**
 * {@linkcode Figure}: a rendered picture or table that shows itself in a
 * Deno Jupyter cell.
 *
 * @module
 */

const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display");

/**
 * A rendered SVG picture or HTML table, as `dataflowGraph`, `table` and
 * `plot` return. `String(figure)` gives the markup, to write to a file or
 * put in a page; as the last expression of a Deno Jupyter cell, the figure
 * is drawn inline (Deno's kernel calls its `Symbol.for("Jupyter.display")`
 * method), with a one-line text for frontends that show no images.
 *
 * @example Writing a figure, or showing it in a notebook
 * ```ts
 * import { Dataflow, dataflowGraph, Figure } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const flow = new Dataflow("f");
 * flow.input("inp", [1, 2]).output("out", { build: () => ({ writeBatch() {} }) });
 * const figure: Figure = dataflowGraph(flow);
 *
 * // In a script: await Deno.writeTextFile("flow.svg", String(figure));
 * assert.equal(figure.type, "image/svg+xml");
 * assert.ok(String(figure).startsWith("<svg"));
 * // In a Deno Jupyter cell, `figure` as the last expression draws it:
 * const show = figure[Symbol.for("Jupyter.display") as keyof Figure] as () => object;
 * assert.deepEqual(Object.keys(show.call(figure)), ["image/svg+xml", "text/plain"]);
 * ```
 */
export class Figure {
  /** The MIME type of {@linkcode Figure.markup}. */
  readonly type: "image/svg+xml" | "text/html";
  /** The SVG document or the HTML fragment. */
  readonly markup: string;
  /** One line saying what it shows, for text-only displays. */
  readonly summary: string;

  /**
   * Wraps rendered markup; the renderers make these.
   *
   * @param type `"image/svg+xml"` or `"text/html"`.
   * @param markup The SVG document or HTML fragment.
   * @param summary One line of plain text saying what it shows.
   */
  constructor(type: "image/svg+xml" | "text/html", markup: string, summary: string) {
    this.type = type;
    this.markup = markup;
    this.summary = summary;
  }

  /**
   * The markup.
   *
   * @returns The SVG or HTML text.
   */
  toString(): string {
    return this.markup;
  }

  /**
   * What Deno's Jupyter kernel calls to display the figure: a MIME bundle
   * with the markup and the one-line summary.
   *
   * @returns The MIME bundle.
   */
  [JUPYTER_DISPLAY](): Record<string, string> {
    return { [this.type]: this.markup, "text/plain": this.summary };
  }
}

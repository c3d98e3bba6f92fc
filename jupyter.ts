/**
 * runnel in Jupyter notebooks (the Deno kernel): {@linkcode live} runs a
 * flow while one output of the cell shows its progress, redrawn in place.
 *
 * The pictures themselves (`dataflowGraph`, `table`, `plot`,
 * `windowTimeline`) come from `@runnel/runnel` and need nothing from
 * Jupyter: as the last expression of a cell they are drawn inline.
 *
 * @example A live view outside a notebook
 * ```ts
 * import { Dataflow } from "@runnel/runnel";
 * import { live } from "@runnel/runnel/jupyter";
 * import { TestingSink } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * const out: string[] = [];
 * const flow = new Dataflow("f");
 * const words = flow.input("inp", ["a", "b"]);
 * words.output("out", new TestingSink(out));
 * // Outside a notebook there is no cell to draw in, so the flow just runs.
 * await live(words);
 * assert.deepEqual(out, ["a", "b"]);
 * ```
 *
 * @module
 */

export { live, type LiveOptions } from "./src/runtime/live.ts";
export type { DisplayFn } from "./src/runtime/platform/jupyter.ts";

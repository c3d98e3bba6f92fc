/**
 * Item-level fusion: a run of stateless per-item stages (map, filter,
 * filterMap, inspect) becomes one generated loop that makes one output
 * array per batch, with each stage's callback at its own call site.
 *
 * @module
 */

import { callbackError, shapeError } from "../dataflow/_batch.ts";
import type { BatchFn, ItemStage } from "../dataflow/graph.ts";

/** A stage and the path of the step it came from. */
export interface PathStage {
  /** The step path, for errors. */
  readonly path: string;
  /** The stage. */
  readonly stage: ItemStage;
}

function stageCode(kind: ItemStage["kind"], n: number): string {
  switch (kind) {
    case "map":
      return `s = ${n}; v = f${n}(v);`;
    case "filter":
      return `s = ${n}; k = f${n}(v); if (k !== true) { if (k === false) continue; throw b${n}(k); }`;
    case "filterMap":
      return `s = ${n}; w = f${n}(v); if (w === undefined || w === null) continue; v = w;`;
    case "tap":
      return `s = ${n}; f${n}(v);`;
  }
}

/**
 * Fuses `stages` into one batch function, or returns `undefined` where code
 * generation is not allowed (the caller then runs the stages one by one,
 * with the same results). A failing callback is reported with its own
 * step's path and the value it was given.
 *
 * @param stages Two or more stages, upstream first.
 * @returns The fused function, or `undefined`.
 */
export function fuseStages(stages: readonly PathStage[]): BatchFn | undefined {
  const names = stages.flatMap((_, i) => [`f${i}`, `b${i}`]);
  const body = `// ${JSON.stringify(stages.map((s) => s.path))}
return (batch) => {
  const out = [];
  let i = 0, s = 0, v, w, k;
  try {
    for (; i < batch.length; i++) {
      v = batch[i];
      ${stages.map(({ stage }, j) => stageCode(stage.kind, j)).join("\n      ")}
      out.push(v);
    }
  } catch (error) {
    throw fail(s, v, error);
  }
  return out;
};`;
  let make: (...args: unknown[]) => BatchFn;
  try {
    make = new Function(...names, "fail", body) as typeof make;
  } catch {
    return undefined;
  }
  const args: unknown[] = [];
  for (const { path, stage } of stages) {
    args.push(
      stage.fn,
      (value: unknown) => shapeError(path, `the ${stage.what} to return a boolean`, value),
    );
  }
  const fail = (index: number, value: unknown, error: unknown) => {
    const { path, stage } = stages[index]!;
    return callbackError(path, stage.what, value, error);
  };
  return make(...args, fail);
}

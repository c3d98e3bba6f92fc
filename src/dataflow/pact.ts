/**
 * How a step's input is partitioned over workers (timely's "pact"), as data.
 *
 * Every worker runs the whole graph; a pact says which worker each item of
 * an input must reach. The graph records no exchange node: the runtime
 * planner reads the pacts and, when more than one worker runs, inserts one
 * exchange just before each step whose input is not `"pipeline"` (so per-batch
 * work such as `countFinal`'s pre-aggregation runs before it, on the sending
 * worker), shared by every reader of one producer port with one pact. Step ids
 * and pictures therefore do not change with the worker count.
 *
 * @module
 */

import type { StepNode } from "./graph.ts";
import { isFixedPartitionedSink } from "./outputs.ts";

/**
 * How an input's items are routed between workers.
 *
 * - `"pipeline"`: items stay on the worker that made them.
 * - `"key"`: a `[key, value]` item goes to worker `stableHash(key) % workerCount`.
 * - `"sinkPartition"`: a `[key, value]` item goes to the worker that owns
 *   the sink partition its key maps to.
 * - `"roundRobin"`: items are dealt out to the workers in turn.
 */
export type Pact = "pipeline" | "key" | "sinkPartition" | "roundRobin";

/**
 * The pact of input `side` of `node` (0 for a step with one input).
 *
 * Keyed state (`statefulBatch`, `keyedFold`: stateful maps, joins, final
 * aggregates, windows) reads by key; `redistribute` round-robin; an output to
 * a fixed-partitioned sink by sink partition; everything else is pipeline.
 *
 * @param node The step.
 * @param _side Which of its inputs; every input of one step has the same pact today.
 * @returns The pact.
 */
export function pactOf(node: StepNode, _side = 0): Pact {
  switch (node.kind) {
    case "statefulBatch":
    case "keyedFold":
      return "key";
    case "redistribute":
      return "roundRobin";
    case "output":
      return isFixedPartitionedSink(node.sink) ? "sinkPartition" : "pipeline";
    default:
      return "pipeline";
  }
}

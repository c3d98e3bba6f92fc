/**
 * runnel: a stateful stream processor for TypeScript.
 *
 * Build a {@linkcode Dataflow} of steps over streams, then run it with
 * {@linkcode run}, iterate one of its streams with `for await`, or run a
 * flow module with `runnel run flow.ts`. Inside, the runtime moves batches
 * of items with control messages in band; you write per-item functions.
 *
 * Subpaths: `@runnel/runnel/operators` (item-level async-iterable
 * operators), `@runnel/runnel/connectors` (files, stdio),
 * `@runnel/runnel/testing` (test source, sink and time).
 *
 * @example Word lengths
 * ```ts
 * import { Dataflow, run } from "@runnel/runnel";
 * import { TestingSink } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * const out: [string, number][] = [];
 * const flow = new Dataflow("lengths");
 * flow.input("inp", ["to be", "or not"])
 *   .flatMap("split", (line) => line.split(" "))
 *   .map("length", (word) => [word, word.length] as [string, number])
 *   .output("out", new TestingSink(out));
 * await run(flow);
 * assert.deepEqual(out, [["to", 2], ["be", 2], ["or", 2], ["not", 3]]);
 * ```
 *
 * @module
 */

import { setStreamRunner } from "./src/dataflow/_stream_core.ts";
import type { Stream } from "./src/dataflow/stream.ts";
import { iterate } from "./src/runtime/run.ts";

export { Dataflow } from "./src/dataflow/dataflow.ts";
export { type BranchOut, type KeyedStream, Stream, type WindowOut } from "./src/dataflow/stream.ts";
export { describeValue, StepError, type StepErrorOptions } from "./src/dataflow/errors.ts";
export type {
  DynamicSource,
  FixedPartitionedSource,
  Instant,
  NextBatch,
  Source,
  SourceContext,
  StatefulSourcePartition,
  StatelessSourcePartition,
} from "./src/dataflow/inputs.ts";
export type {
  DynamicSink,
  FixedPartitionedSink,
  Sink,
  StatefulSinkPartition,
  StatelessSinkPartition,
} from "./src/dataflow/outputs.ts";
export type {
  LogicResult,
  StatefulBatchBuilder,
  StatefulBatchLogic,
  StepContext,
} from "./src/dataflow/graph.ts";
export { stableHash } from "./src/dataflow/stable_hash.ts";
export { iterate, run, type RunOptions } from "./src/runtime/run.ts";
export type { ClusterRunOptions } from "./src/runtime/threads/cluster_options.ts";
export type {
  RecoveryOptions,
  RecoveryStore,
  ResumePoint,
  SnapshotRow,
} from "./src/runtime/recovery/store.ts";
export { RunStats, type StepCounts } from "./src/runtime/run_stats.ts";
export type { FlowArgument, FlowModule } from "./src/runtime/threads/flow_module.ts";
export type { SystemTime } from "./src/runtime/system_time.ts";
export { toMermaid, type ToMermaidOptions } from "./src/viz/mermaid.ts";
export {
  type Clock,
  type ClockContext,
  type ClockLogic,
  EventClock,
  type EventClockOptions,
  SystemClock,
  type Timestamp,
} from "./src/dataflow/time/clock.ts";
export {
  LATE_SESSION_ID,
  SessionWindower,
  type SessionWindowerOptions,
  SlidingWindower,
  type SlidingWindowerOptions,
  TumblingWindower,
  type TumblingWindowerOptions,
  type Windower,
  type WindowerLogic,
  type WindowMetadata,
} from "./src/dataflow/time/windowers.ts";
export type {
  WindowLogic,
  WindowLogicBuilder,
  WindowOptions,
} from "./src/dataflow/steps/window.ts";
export type {
  Collected,
  CollectInto,
  CollectWindowOptions,
  ExtremeWindowOptions,
  FoldWindowOptions,
} from "./src/dataflow/steps/window_fold.ts";
export type { JoinWindowOptions } from "./src/dataflow/steps/window_join.ts";
export type {
  StatefulBuilder,
  StatefulContext,
  StatefulLogic,
} from "./src/dataflow/steps/stateful.ts";
export type { CollectOptions } from "./src/dataflow/steps/collect.ts";
export type { ExtremeOptions } from "./src/dataflow/steps/final.ts";
export type {
  JoinEmitMode,
  JoinInsertMode,
  JoinOptions,
  JoinRow,
} from "./src/dataflow/steps/join.ts";
export { type EnrichCachedOptions, TtlCache } from "./src/dataflow/steps/enrich_cached.ts";
export type { MapAsyncOptions } from "./src/dataflow/stream.ts";
export {
  WindowTimeline,
  windowTimeline,
  type WindowTimelineOptions,
  type WindowTimelineOutputs,
} from "./src/viz/window_timeline.ts";
export { Figure } from "./src/viz/figure.ts";
export { dataflowGraph, type DataflowGraphOptions } from "./src/viz/dataflow_graph.ts";
export { table, type TableOptions } from "./src/viz/table.ts";
export { plot, type PlotOptions, type PlotSeries } from "./src/viz/plot.ts";

// `for await` over a stream runs its flow with this runtime: the graph layer
// imports no runtime, so the entry point (and the browser bundle, through it)
// wires it in.
setStreamRunner((stream) => iterate(stream as Stream<unknown>));

/**
 * What a threaded run takes: the part of `RunOptions` the coordinator uses.
 * Its own module, so that `run.ts` names the coordinator's signature without
 * importing the coordinator, which only threaded runs load.
 *
 * @module
 */

import type { Dataflow } from "../../dataflow/dataflow.ts";
import type { RunStats } from "../run_stats.ts";
import type { SystemTime } from "../system_time.ts";
import type { FlowModule } from "./flow_module.ts";
import type { ClusterRunOptions } from "./cluster_options.ts";

/** What a threaded run needs of `RunOptions`. */
export interface ThreadedRunOptions {
  readonly workers: number;
  readonly module: string | URL | FlowModule;
  readonly time: SystemTime;
  readonly epochInterval: number;
  readonly signal?: AbortSignal;
  readonly drainSignal?: AbortSignal;
  readonly stats?: RunStats;
  /** Milliseconds the Workers get to stop (close their sinks) before they are ended. */
  readonly gracePeriod?: number;
  /** The cluster this process belongs to, for a run over several processes. */
  readonly cluster?: ClusterRunOptions;
}

/** The coordinator's entry point: `runOnThreads` in `coordinator.ts`. */
export type RunOnThreads = (flow: Dataflow, options: ThreadedRunOptions) => Promise<void>;

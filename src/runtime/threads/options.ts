/**
 * What a threaded run takes: the part of `RunOptions` the coordinator uses.
 * Its own module, so that `run.ts` names the coordinator's signature without
 * importing the coordinator, which only threaded runs load.
 *
 * @module
 */

import type { Dataflow } from "../../dataflow/dataflow.ts";
import type { ResumePoint, SnapshotRow } from "../recovery/store.ts";
import type { WorkerReports } from "../recovery/worker.ts";
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
  /** Recovery, held by this thread: the Workers' rows are written through it. */
  readonly recovery?: ThreadedRecovery;
  /** Milliseconds the Workers get to stop (close their sinks) before they are ended. */
  readonly gracePeriod?: number;
  /** The cluster this process belongs to, for a run over several processes. */
  readonly cluster?: ClusterRunOptions;
}

/** What a threaded run needs of the recovery this thread holds (`InProcessRecovery`). */
export interface ThreadedRecovery {
  /** Where the run resumes; sent to every Worker. */
  readonly resume: ResumePoint;
  /** Writes rows a Worker staged; rejects when they cannot be written. */
  write(epoch: number, rows: readonly SnapshotRow[]): Promise<void>;
  /** Where worker `workerIndex`'s reports go. */
  reports(workerIndex: number): WorkerReports;
}

/** The coordinator's entry point: `runOnThreads` in `coordinator.ts`. */
export type RunOnThreads = (flow: Dataflow, options: ThreadedRunOptions) => Promise<void>;

/**
 * What a threaded run takes: the part of `RunOptions` the coordinator uses.
 * Its own module, so that `run.ts` names the coordinator's signature without
 * importing the coordinator, which only threaded runs load.
 *
 * @module
 */

import type { Dataflow } from "../../dataflow/dataflow.ts";
import type { ResumePoint, SharedOpening, SnapshotRow } from "../recovery/store.ts";
import type { ForwardedReport } from "../recovery/in_process.ts";
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
  /**
   * Opens recovery, held by this thread: the Workers' rows are written
   * through it. In a cluster, once every peer connected: process 0 opens the
   * shared store, the others join it.
   */
  readonly recovery?: ThreadedRecoveryOpener;
  /** Milliseconds the Workers get to stop (close their sinks) before they are ended. */
  readonly gracePeriod?: number;
  /** Milliseconds every Worker gets to build the flow before the run fails. */
  readonly startupTimeout?: number;
  /** The cluster this process belongs to, for a run over several processes. */
  readonly cluster?: ClusterRunOptions;
}

/** What a threaded run needs of the recovery this thread holds (`InProcessRecovery`). */
export interface ThreadedRecovery {
  /** Where the run resumes; sent to every Worker. */
  readonly resume: ResumePoint;
  /** Writes rows a Worker staged; rejects when they cannot be written. */
  write(epoch: number, rows: readonly SnapshotRow[]): Promise<void>;
  /** Where worker `workerIndex`'s reports go (its global index in a cluster). */
  reports(workerIndex: number): WorkerReports;
  /** On process 0 of a cluster: a report another process forwarded. */
  forwarded(report: ForwardedReport): void;
}

/** How a threaded run opens its recovery (`InProcessRecovery`'s ways to open). */
export interface ThreadedRecoveryOpener {
  /** Opens the store for a run of one process, whose `workerCount` workers report. */
  open(workerCount: number): Promise<ThreadedRecovery>;
  /** Process 0 of a cluster: opens the shared store; every worker of the cluster (`workerCount`) reports here. */
  openShared(workerCount: number): Promise<{ recovery: ThreadedRecovery; opening: SharedOpening }>;
  /** Another process of a cluster: joins the store process 0 opened; reports go to `forward`. */
  join(
    opening: SharedOpening,
    processIndex: number,
    forward: (report: ForwardedReport) => void,
  ): Promise<ThreadedRecovery>;
}

/** The coordinator's entry point: `runOnThreads` in `coordinator.ts`. */
export type RunOnThreads = (flow: Dataflow, options: ThreadedRunOptions) => Promise<void>;

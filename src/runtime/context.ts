/**
 * What every step of one worker shares while the flow runs.
 *
 * @module
 */

import type { Epochs } from "./progress/mod.ts";
import type { WorkerRecovery } from "./recovery/worker.ts";
import type { RunStats } from "./run_stats.ts";
import type { SystemTime } from "./system_time.ts";

/** One worker's view of the run. */
export interface WorkerContext {
  /** This worker's index, from 0. */
  readonly workerIndex: number;
  /** How many workers run the flow in all. */
  readonly workerCount: number;
  /** The clock stateful timers and windows read. */
  readonly clock: SystemTime;
  /** Aborts when the run stops: on the first error, or when the caller aborts. */
  readonly signal: AbortSignal;
  /** When it aborts, the inputs end as if their data had ended (see `RunOptions.drainSignal`). */
  readonly drainSignal?: AbortSignal;
  /** Milliseconds of system time between epoch barriers emitted by inputs. */
  readonly epochInterval: number;
  /** The run's epochs: every input emits barrier `e` when epoch `e` closes. */
  readonly epochs: Epochs;
  /** Where steps count their items in and out, when the run was asked to. */
  readonly stats?: RunStats;
  /** This worker's share of recovery, when the run snapshots and resumes. */
  readonly recovery?: WorkerRecovery;
  /**
   * Which of a fixed-partitioned source's partitions this worker reads,
   * given the ones this process can reach, when that is not the same
   * everywhere (a cluster: decided with every process's list).
   */
  readonly assignParts?: (path: string, parts: readonly string[]) => Promise<string[]>;
}

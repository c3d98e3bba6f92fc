/**
 * Recovery for a run, on the thread that holds the store: opens the store,
 * gives each worker its share, and commits through one
 * {@linkcode RecoveryCoordinator}. Logical workers of this thread get a
 * {@linkcode WorkerRecovery} each; Worker threads build their own from the
 * resume point and send their rows and reports here.
 *
 * In a cluster run every process holds the same shared store: process 0
 * opens it ({@linkcode InProcessRecovery.openShared}) and commits for the
 * whole cluster; each other process joins it once process 0 opened it
 * ({@linkcode InProcessRecovery.join}), writes its own workers' rows, and
 * forwards their reports to process 0.
 *
 * @module
 */

import type { Dataflow } from "../../dataflow/dataflow.ts";
import { isFixedPartitionedSource } from "../../dataflow/inputs.ts";
import { RecoveryCoordinator } from "./coordinator.ts";
import {
  isSharedRecoveryStore,
  type RecoveryOptions,
  type ResumePoint,
  type SharedOpening,
  type SharedRecoveryStore,
  type SnapshotRow,
} from "./store.ts";
import {
  loadSnapshotCodec,
  type SnapshotCodec,
  WorkerRecovery,
  type WorkerReports,
} from "./worker.ts";

/**
 * Refuses inputs that cannot rewind (a plain iterable, a dynamic source such
 * as stdin or a WebSocket) unless the options allow them.
 *
 * @param flow The flow.
 * @param options The run's recovery options.
 * @throws {TypeError} When an input cannot rewind and that is not allowed.
 */
export function checkReplayable(flow: Dataflow, options: RecoveryOptions): void {
  if (options.allowNonReplayable) return;
  for (const node of flow.nodes) {
    if (node.kind !== "input" || isFixedPartitionedSource(node.source)) continue;
    throw new TypeError(
      `Cannot run flow "${flow.id}" with recovery: input step "${node.path}" reads a source ` +
        "that cannot rewind (a plain iterable, stdin, a WebSocket or another source without " +
        "partitions), so what it delivered before a crash would be lost on resume; use a " +
        "partitioned source, or set recovery.allowNonReplayable to run it anyway",
    );
  }
}

/** A worker's report, as a process of a cluster forwards it to process 0. */
export type ForwardedReport =
  | { readonly type: "written"; readonly worker: number; readonly epoch: number }
  | { readonly type: "finished"; readonly worker: number };

/**
 * Recovery for one run of a flow, held by the thread that opened the store:
 * its workers are logical workers of this thread ({@linkcode InProcessRecovery.worker}),
 * or Worker threads whose rows this thread writes ({@linkcode InProcessRecovery.write})
 * and whose reports it passes on ({@linkcode InProcessRecovery.reports}).
 */
export class InProcessRecovery {
  /** Where the run resumes. */
  readonly resume: ResumePoint;
  readonly #options: RecoveryOptions;
  // Absent on a process that joined a cluster's store: process 0 commits.
  readonly #coordinator: RecoveryCoordinator | undefined;
  readonly #forward: ((report: ForwardedReport) => void) | undefined;
  readonly #workers: WorkerRecovery[] = [];
  readonly #onError: (error: unknown) => void;
  readonly #codec: SnapshotCodec;
  // Writes for Worker threads under way, so that close waits for them.
  readonly #writes = new Set<Promise<void>>();
  #failure: { error: unknown } | undefined;

  private constructor(
    options: RecoveryOptions,
    resume: ResumePoint,
    workerCount: number,
    onError: (error: unknown) => void,
    codec: SnapshotCodec,
    forward?: (report: ForwardedReport) => void,
  ) {
    this.#codec = codec;
    this.#options = options;
    this.resume = resume;
    this.#onError = onError;
    this.#forward = forward;
    this.#coordinator = forward !== undefined ? undefined : new RecoveryCoordinator(
      workerCount,
      (epoch) => options.store.commit(epoch),
      (error) => this.#fail(error),
      resume.epoch,
    );
  }

  /**
   * Checks the flow's inputs, opens the store and reads where to resume.
   *
   * @param flow The flow.
   * @param options The run's recovery options.
   * @param workerCount How many workers the run has.
   * @param onError Stops the run when a write or commit fails.
   * @returns The run's recovery.
   */
  static async open(
    flow: Dataflow,
    options: RecoveryOptions,
    workerCount: number,
    onError: (error: unknown) => void,
  ): Promise<InProcessRecovery> {
    checkReplayable(flow, options);
    const codec = await loadSnapshotCodec();
    const resume = await options.store.open(flow.id);
    return new InProcessRecovery(options, resume, workerCount, onError, codec);
  }

  /**
   * Process 0 of a cluster run: checks the flow's inputs, opens the shared
   * store (lock, cleaning, where to resume) and commits for every worker of
   * the cluster.
   *
   * @param flow The flow.
   * @param options The run's recovery options; the store must be shared.
   * @param workerCount How many workers the whole cluster has.
   * @param onError Stops the run when a write or commit fails.
   * @returns The run's recovery, and what the other processes join.
   */
  static async openShared(
    flow: Dataflow,
    options: RecoveryOptions,
    workerCount: number,
    onError: (error: unknown) => void,
  ): Promise<{ recovery: InProcessRecovery; opening: SharedOpening }> {
    checkReplayable(flow, options);
    const codec = await loadSnapshotCodec();
    const { resume, opening } = await sharedStore(flow, options).openShared(flow.id);
    return {
      recovery: new InProcessRecovery(options, resume, workerCount, onError, codec),
      opening,
    };
  }

  /**
   * Another process of a cluster run, once process 0 opened the store:
   * joins it as of `opening`. This process writes its workers' rows; their
   * reports go to `forward`, for process 0 to commit.
   *
   * @param flow The flow.
   * @param options The run's recovery options; the store must be shared.
   * @param opening What process 0's opening told.
   * @param processIndex This process's index in the cluster.
   * @param forward Passes a worker's report on to process 0.
   * @param onError Stops the run when a write fails.
   * @returns The run's recovery.
   */
  static async join(
    flow: Dataflow,
    options: RecoveryOptions,
    opening: SharedOpening,
    processIndex: number,
    forward: (report: ForwardedReport) => void,
    onError: (error: unknown) => void,
  ): Promise<InProcessRecovery> {
    checkReplayable(flow, options);
    const codec = await loadSnapshotCodec();
    const resume = await sharedStore(flow, options).join(flow.id, opening, processIndex);
    return new InProcessRecovery(options, resume, 0, onError, codec, forward);
  }

  /** The newest epoch committed, or resumed from (on a joined process: resumed from). */
  get committed(): number {
    return this.#coordinator?.committed ?? this.resume.epoch;
  }

  /**
   * Makes worker `workerIndex`'s share; call once per worker.
   *
   * @param workerIndex The worker.
   * @param workerCount All workers.
   * @returns Its recovery.
   */
  worker(workerIndex: number, workerCount: number): WorkerRecovery {
    const worker = new WorkerRecovery(
      this.resume,
      workerIndex,
      workerCount,
      (epoch, rows) => this.#options.store.write(epoch, rows),
      this.reports(workerIndex),
      this.#codec,
    );
    this.#workers.push(worker);
    return worker;
  }

  /**
   * Writes rows a Worker thread staged. A failed write stops the run (and
   * every commit after it); the returned promise rejects with its error
   * too, so that the Worker stops writing.
   *
   * @param epoch The epoch whose barrier the rows were taken at.
   * @param rows The rows.
   * @returns Resolves once the rows are durable.
   */
  write(epoch: number, rows: readonly SnapshotRow[]): Promise<void> {
    const written = this.#options.store.write(epoch, rows);
    const settled = written.then(() => {}, (error) => this.#fail(error));
    this.#writes.add(settled);
    settled.finally(() => this.#writes.delete(settled));
    return written;
  }

  /**
   * What worker `workerIndex`, a Worker thread, reports through this thread.
   *
   * @param workerIndex The worker.
   * @returns Its reports to the coordinator.
   */
  reports(workerIndex: number): WorkerReports {
    const coordinator = this.#coordinator;
    const forward = this.#forward;
    if (coordinator === undefined) {
      return {
        written: (epoch) => forward!({ type: "written", worker: workerIndex, epoch }),
        finished: () => forward!({ type: "finished", worker: workerIndex }),
        failed: (error) => this.#fail(error),
      };
    }
    return {
      written: (epoch) => coordinator.written(workerIndex, epoch),
      finished: () => coordinator.finished(workerIndex),
      failed: (error) => this.#fail(error),
    };
  }

  /**
   * Passes on a report another process of the cluster forwarded (on process 0).
   *
   * @param report The report.
   */
  forwarded(report: ForwardedReport): void {
    const reports = this.reports(report.worker);
    if (report.type === "written") reports.written(report.epoch);
    else reports.finished();
  }

  /**
   * Waits for every write and commit under way, then closes the store. A
   * run that failed still commits the epochs its workers wrote in full
   * before it stopped: they hold nothing of what came after.
   *
   * @param failed Whether the run failed or stopped otherwise.
   * @throws The first write or commit error, when the run did not fail otherwise.
   */
  async close(failed: boolean): Promise<void> {
    try {
      await Promise.all(this.#workers.map((worker) => worker.flushed()));
      while (this.#writes.size > 0) await Promise.all(this.#writes);
      await this.#coordinator?.settled();
    } finally {
      await this.#options.store.close();
    }
    if (this.#failure !== undefined && !failed) throw this.#failure.error;
  }

  #fail(error: unknown): void {
    this.#coordinator?.stop();
    if (this.#failure !== undefined) return;
    this.#failure = { error };
    this.#onError(error);
  }
}

function sharedStore(flow: Dataflow, options: RecoveryOptions): SharedRecoveryStore {
  const store = options.store;
  if (!isSharedRecoveryStore(store)) throw unsharedStoreError(flow, store);
  return store;
}

/**
 * The error for a cluster run over a store its processes cannot share.
 *
 * @param flow The flow.
 * @param store The store.
 * @returns The error.
 */
export function unsharedStoreError(flow: Dataflow, store: object): TypeError {
  return new TypeError(
    `Cannot run flow "${flow.id}" in a cluster with recovery on a ${store.constructor.name}: ` +
      "it cannot be shared between processes, and every process of a cluster writes to one " +
      "store; use a KvRecoveryStore on a directory every process reaches (one host) or on a " +
      "denokv URL (across hosts)",
  );
}

/**
 * Recovery for a run, on the thread that holds the store: opens the store,
 * gives each worker its share, and commits through one
 * {@linkcode RecoveryCoordinator}. Logical workers of this thread get a
 * {@linkcode WorkerRecovery} each; Worker threads build their own from the
 * resume point and send their rows and reports here.
 *
 * @module
 */

import type { Dataflow } from "../../dataflow/dataflow.ts";
import { isFixedPartitionedSource } from "../../dataflow/inputs.ts";
import { RecoveryCoordinator } from "./coordinator.ts";
import type { RecoveryOptions, ResumePoint, SnapshotRow } from "./store.ts";
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
  readonly #coordinator: RecoveryCoordinator;
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
  ) {
    this.#codec = codec;
    this.#options = options;
    this.resume = resume;
    this.#onError = onError;
    this.#coordinator = new RecoveryCoordinator(
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

  /** The newest epoch committed, or resumed from. */
  get committed(): number {
    return this.#coordinator.committed;
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
    return {
      written: (epoch) => this.#coordinator.written(workerIndex, epoch),
      finished: () => this.#coordinator.finished(workerIndex),
      failed: (error) => this.#fail(error),
    };
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
      await this.#coordinator.settled();
    } finally {
      await this.#options.store.close();
    }
    if (this.#failure !== undefined && !failed) throw this.#failure.error;
  }

  #fail(error: unknown): void {
    this.#coordinator.stop();
    if (this.#failure !== undefined) return;
    this.#failure = { error };
    this.#onError(error);
  }
}

/**
 * Recovery for a run on this thread: opens the store, gives each worker
 * its share, and commits through one {@linkcode RecoveryCoordinator}.
 *
 * @module
 */

import type { Dataflow } from "../../dataflow/dataflow.ts";
import { isFixedPartitionedSource } from "../../dataflow/inputs.ts";
import { RecoveryCoordinator } from "./coordinator.ts";
import type { RecoveryOptions, ResumePoint } from "./store.ts";
import { loadSnapshotCodec, type SnapshotCodec, WorkerRecovery } from "./worker.ts";

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

/** Recovery for one run of a flow on this thread, its workers logical workers. */
export class InProcessRecovery {
  /** Where the run resumes. */
  readonly resume: ResumePoint;
  readonly #options: RecoveryOptions;
  readonly #coordinator: RecoveryCoordinator;
  readonly #workers: WorkerRecovery[] = [];
  readonly #onError: (error: unknown) => void;
  readonly #codec: SnapshotCodec;
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
    const coordinator = this.#coordinator;
    const worker = new WorkerRecovery(
      this.resume,
      workerIndex,
      workerCount,
      (epoch, rows) => this.#options.store.write(epoch, rows),
      {
        written: (epoch) => coordinator.written(workerIndex, epoch),
        finished: () => coordinator.finished(workerIndex),
        failed: (error) => this.#fail(error),
      },
      this.#codec,
    );
    this.#workers.push(worker);
    return worker;
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

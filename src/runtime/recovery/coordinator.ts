/**
 * The commit side of recovery: the coordinator commits epoch `e` once
 * every worker reported it written. It knows nothing of threads: a worker
 * on this thread calls it directly, a Worker thread's report arrives by
 * message and is passed on to {@linkcode RecoveryCoordinator.written}.
 *
 * @module
 */

/**
 * Commits epochs once every worker has written them.
 *
 * A worker reports epoch `e` written once barrier `e` passed each of its
 * sinks and every row it staged up to then is durable; reports of one
 * worker rise. A worker whose sinks all ended (its input ended, and it
 * writes nothing more) reports {@linkcode RecoveryCoordinator.finished}
 * and no longer holds commits back. Commits go out one at a time, in
 * rising order; when several epochs complete while a commit is under way,
 * only the newest is committed next (a commit covers every epoch before it).
 */
export class RecoveryCoordinator {
  readonly #commit: (epoch: number) => Promise<void>;
  readonly #onError: (error: unknown) => void;
  // Per worker: the newest epoch it reported written, Infinity once finished.
  readonly #written: number[];
  // The newest epoch any worker reported, for when every worker finished.
  #newest = 0;
  #committed = 0;
  #target = 0;
  #running: Promise<void> | undefined;
  #stopped = false;

  /**
   * @param workerCount How many workers report.
   * @param commit Commits an epoch in the store.
   * @param onError Called once when a commit fails; nothing is committed after.
   * @param committed The epoch the run resumed from.
   */
  constructor(
    workerCount: number,
    commit: (epoch: number) => Promise<void>,
    onError: (error: unknown) => void,
    committed = 0,
  ) {
    this.#written = new Array(workerCount).fill(committed);
    this.#commit = commit;
    this.#onError = onError;
    this.#committed = this.#target = this.#newest = committed;
  }

  /** The newest epoch committed by this coordinator, or resumed from. */
  get committed(): number {
    return this.#committed;
  }

  /**
   * Worker `worker` wrote every row of epochs up to `epoch`.
   *
   * @param worker The worker's index.
   * @param epoch The epoch.
   */
  written(worker: number, epoch: number): void {
    if (epoch > this.#written[worker]!) this.#written[worker] = epoch;
    if (epoch > this.#newest) this.#newest = epoch;
    this.#advance();
  }

  /**
   * Worker `worker` wrote its last rows: its sinks all ended.
   *
   * @param worker The worker's index.
   */
  finished(worker: number): void {
    this.#written[worker] = Infinity;
    this.#advance();
  }

  /** Commits nothing more (the run failed or stopped). */
  stop(): void {
    this.#stopped = true;
  }

  /** Resolves once no commit is under way. */
  async settled(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  #advance(): void {
    let low = Infinity;
    for (const epoch of this.#written) if (epoch < low) low = epoch;
    const target = low === Infinity ? this.#newest : low;
    if (target <= this.#target) return;
    this.#target = target;
    this.#start();
  }

  // Starts committing up to the target, unless a drain is under way; a drain
  // that ends as the target rises starts the next.
  #start(): void {
    if (this.#running !== undefined || this.#stopped || this.#committed >= this.#target) return;
    const running = this.#drain().finally(() => {
      this.#running = undefined;
      this.#start();
    });
    this.#running = running;
  }

  async #drain(): Promise<void> {
    try {
      while (!this.#stopped && this.#committed < this.#target) {
        const epoch = this.#target;
        await this.#commit(epoch);
        this.#committed = epoch;
      }
    } catch (error) {
      this.#stopped = true;
      this.#onError(error);
    }
  }
}

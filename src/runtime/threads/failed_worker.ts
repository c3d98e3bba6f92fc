/**
 * Which worker a threaded run's failure came from, for messages such as the
 * CLI's `flow failed on worker 2`. Its own module, without the coordinator's
 * imports, so that reading it loads no codec.
 *
 * @module
 */

const failedWorkers = new WeakMap<object, number>();

/**
 * Records that `error` came from worker `worker` (the global index).
 *
 * @param error What the run rejects with.
 * @param worker The worker.
 */
export function markFailedWorker(error: unknown, worker: number): void {
  if (error !== null && typeof error === "object") failedWorkers.set(error, worker);
}

/**
 * The worker whose failure a threaded run rejected with, if it was one.
 *
 * @param error What `run` rejected with.
 * @returns The worker's index, or `undefined`.
 */
export function failedWorkerOf(error: unknown): number | undefined {
  return error !== null && typeof error === "object" ? failedWorkers.get(error) : undefined;
}

/**
 * Plans a run on one or several workers of this thread.
 *
 * @module
 */

import type { Dataflow } from "../dataflow/dataflow.ts";
import type { Port } from "../dataflow/graph.ts";
import type { WorkerContext } from "./context.ts";
import { InProcessExchanges } from "./exchange/exchanges.ts";
import { planWorker, type WorkerPlan } from "./execute.ts";
import { mergeMessages } from "./merge_messages.ts";
import type { WorkerRecovery } from "./recovery/worker.ts";

/** Every worker's share of a run. */
export interface RunPlan extends WorkerPlan {
  /**
   * Resolves once every exchange's senders stopped (at once with one
   * worker): after the run ends or is stopped, so that no source is still
   * being read when `run` returns.
   */
  readonly settled: () => Promise<void>;
}

/**
 * Checks a `workers` option: a positive integer, 1 by default.
 *
 * @param workers The option.
 * @returns The worker count.
 * @throws {RangeError} When it is not a positive integer.
 */
export function workerCountOf(workers: number | undefined): number {
  const count = workers ?? 1;
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`Cannot run flow: workers must be a positive integer, got ${workers}`);
  }
  return count;
}

/**
 * Plans `workerCount` workers of `flow` on this thread, joined by
 * in-process exchanges; they share the run's clock, epochs and signal. One
 * worker is today's single-worker plan, with no exchange.
 *
 * @param flow The flow.
 * @param ctx The run's context (its worker index and count are replaced).
 * @param workerCount How many workers.
 * @param tapped Ports to hand back as streams; each merges every worker's share.
 * @param recoveryFor Makes each worker's share of recovery, when the run has it.
 * @returns Every worker's drains, and the taps.
 */
export function planWorkers(
  flow: Dataflow,
  ctx: WorkerContext,
  workerCount: number,
  tapped: readonly Port[] = [],
  recoveryFor?: (workerIndex: number, workerCount: number) => WorkerRecovery,
): RunPlan {
  if (workerCount === 1) {
    const recovery = recoveryFor?.(0, 1);
    return {
      ...planWorker(flow, recovery ? { ...ctx, recovery } : ctx, tapped),
      settled: () => Promise.resolve(),
    };
  }
  const exchanges = new InProcessExchanges(workerCount, ctx.signal);
  const plans = Array.from({ length: workerCount }, (_, workerIndex) => {
    // Each worker's steps wait on a signal of its own, so that the run's signal has one
    // listener per worker rather than one per wait of every worker.
    const signal = followSignal(ctx.signal);
    const recovery = recoveryFor?.(workerIndex, workerCount);
    const workerCtx = { ...ctx, workerIndex, workerCount, signal, recovery };
    return planWorker(flow, workerCtx, tapped, exchanges);
  });
  return {
    drains: plans.flatMap((plan) => plan.drains),
    taps: tapped.map((_, i) => mergeMessages(plans.map((plan) => plan.taps[i]!))),
    settled: () => exchanges.settled(),
  };
}

// A signal that aborts, with the same reason, when `signal` does.
function followSignal(signal: AbortSignal): AbortSignal {
  const controller = new AbortController();
  if (signal.aborted) controller.abort(signal.reason);
  else signal.addEventListener("abort", () => controller.abort(signal.reason), { once: true });
  return controller.signal;
}

/**
 * The input step: polls source partitions and emits their batches, with
 * barrier `e` as soon as the run's epoch `e` closes, and its idle status.
 *
 * @module
 */

import { callbackError, shapeError } from "../../dataflow/_batch.ts";
import type { InputNode } from "../../dataflow/graph.ts";
import {
  isDynamicSource,
  isFixedPartitionedSource,
  type Source,
  type SourceContext,
  type StatelessSourcePartition,
} from "../../dataflow/inputs.ts";
import { delay, raceAbort } from "../../../operators/_abort.ts";
import { close } from "../../../operators/_close.ts";
import { isThenable } from "../../../operators/_thenable.ts";
import type { WorkerContext } from "../context.ts";
import { iterableSource } from "../../dataflow/iterable_source.ts";
import { mergeMessages } from "../merge_messages.ts";
import { Barrier, type Message, StreamStatus } from "../message.ts";

/**
 * How long a partition that had nothing, and said nothing of when to poll it
 * again, rests before it is polled again. Real time, not the run's clock: it
 * only keeps an empty poll from spinning, and a hand-driven clock must not
 * freeze a source that polls.
 */
const IDLE_PAUSE_MS = 1;

/**
 * Which partitions a worker reads: the sorted list dealt round-robin, so
 * every worker computes the same assignment on its own.
 *
 * @param parts Partition names.
 * @param workerIndex This worker.
 * @param workerCount All workers.
 * @returns The names this worker owns.
 */
export function assignParts(
  parts: readonly string[],
  workerIndex: number,
  workerCount: number,
): string[] {
  return [...new Set(parts)].sort().filter((_, i) => i % workerCount === workerIndex);
}

async function buildPartitions(
  path: string,
  source: Source<unknown>,
  ctx: WorkerContext,
): Promise<StatelessSourcePartition<unknown>[]> {
  const sourceCtx: SourceContext = { now: () => ctx.clock.now() };
  try {
    if (isFixedPartitionedSource(source)) {
      const parts = assignParts(await source.listParts(), ctx.workerIndex, ctx.workerCount);
      return await Promise.all(
        parts.map((part) => source.buildPart(path, part, undefined, sourceCtx)),
      );
    }
    if (isDynamicSource(source)) {
      return [await source.build(path, ctx.workerIndex, ctx.workerCount, sourceCtx)];
    }
    return [
      await iterableSource(source).build(path, ctx.workerIndex, ctx.workerCount, sourceCtx),
    ];
  } catch (error) {
    throw callbackError(path, "building the source", undefined, error);
  }
}

async function* readPartition(
  path: string,
  partition: StatelessSourcePartition<unknown>,
  ctx: WorkerContext,
): AsyncGenerator<Message, void, undefined> {
  const { clock, signal } = ctx;
  let idle = false;
  let ended = false;
  try {
    while (true) {
      signal.throwIfAborted();
      const awake = partition.nextAwake?.();
      if (awake !== undefined) {
        if (+awake > clock.now()) await clock.sleepUntil(+awake, signal);
      } else if (idle) {
        await delay(IDLE_PAUSE_MS, { signal });
      }
      let batch: unknown;
      try {
        batch = partition.nextBatch();
        if (isThenable(batch)) batch = await raceAbort(Promise.resolve(batch), signal);
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        throw callbackError(path, "source nextBatch()", undefined, error);
      }
      if (batch === null) break;
      if (!Array.isArray(batch)) {
        throw shapeError(path, "nextBatch() to return an array or null", batch);
      }
      idle = batch.length === 0;
      if (!idle) yield batch;
    }
    ended = true;
  } finally {
    if (!ended) await closeQuietly(path, partition);
  }
  try {
    await partition.close?.();
  } catch (error) {
    throw callbackError(path, "source close()", undefined, error);
  }
}

// After a failure or an early stop, a close error must not mask what ended the read.
async function closeQuietly(
  path: string,
  partition: StatelessSourcePartition<unknown>,
): Promise<void> {
  try {
    await partition.close?.();
  } catch (error) {
    console.error(callbackError(path, "source close()", undefined, error));
  }
}

/**
 * Runs an input node on one worker.
 *
 * When the run's epoch `e` closes, the input emits barrier `e` at once, even
 * if it is idle or a read is pending (the read goes on; its batch comes after
 * the barrier, in epoch `e + 1`). An input that had no batch for a whole
 * epoch says so with {@linkcode StreamStatus.IDLE} after the barrier, and
 * with {@linkcode StreamStatus.ACTIVE} before its next batch.
 *
 * @param node The input node.
 * @param ctx The worker.
 * @returns The stream of the source's batches, with a barrier closing each
 *   epoch and one more at end of input.
 */
export async function* inputStep(
  node: InputNode,
  ctx: WorkerContext,
): AsyncGenerator<Message, void, undefined> {
  const { epochs, signal } = ctx;
  const partitions = await buildPartitions(node.path, node.source, ctx);
  const reads = mergeMessages(
    partitions.map((partition) => readPartition(node.path, partition, ctx)),
  );
  // The newest epoch this input has closed with a barrier. An input that
  // starts late first closes the epochs it missed, so that none of its items
  // pass a merge ahead of an earlier epoch's barrier.
  let sent = 0;
  // One wait at a time, for a read or a tick, whichever comes first; what
  // comes while nobody waits is kept for the next wait. (Not Promise.race:
  // each race would leave one more reaction on the pending tick.)
  let ticked = false;
  let arrived: IteratorResult<Message> | undefined;
  let failure: { error: unknown } | undefined;
  let waiting: ((wake: Wake) => void) | undefined;
  const wake = (next: Wake) => {
    const resolve = waiting;
    waiting = undefined;
    resolve?.(next);
  };
  const onTick = () => {
    ticked = true;
    wake(TICK);
  };
  const onFailure = (error: unknown) => {
    failure ??= { error };
    wake(FAILED);
  };
  const read = () => {
    reads.next().then((result) => {
      if (waiting) wake(result);
      else arrived = result;
    }, onFailure);
  };
  const watchTick = () => {
    epochs.after(sent, signal).then(onTick, onFailure);
  };
  watchTick();
  read();
  let reading = true;
  let quiet = true;
  let idle = false;
  try {
    while (true) {
      let next: Wake;
      if (failure) throw failure.error;
      if (ticked) next = TICK;
      else if (arrived) [next, arrived] = [arrived, undefined];
      else next = await new Promise<Wake>((resolve) => waiting = resolve);
      if (next === FAILED) throw failure!.error;
      if (next === TICK) {
        ticked = false;
        // The epochs closed by now, not by the time the barriers are taken.
        for (const closed = epochs.closed; sent < closed;) yield new Barrier(++sent);
        if (quiet && !idle) {
          idle = true;
          yield StreamStatus.IDLE;
        }
        quiet = true;
        watchTick();
        continue;
      }
      reading = false;
      if (next.done) break;
      if (idle) {
        idle = false;
        yield StreamStatus.ACTIVE;
      }
      quiet = false;
      yield next.value;
      read();
      reading = true;
    }
  } finally {
    // A read in flight is not waited for: a quiet source must not stall a stop.
    await close(reads, reading);
  }
  while (sent < epochs.closed) yield new Barrier(++sent);
  yield new Barrier(sent + 1);
}

const TICK: unique symbol = Symbol("tick");
const FAILED: unique symbol = Symbol("failed");
type Wake = IteratorResult<Message> | typeof TICK | typeof FAILED;

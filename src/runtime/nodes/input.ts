/**
 * The input step: polls source partitions and emits their batches, with an
 * epoch barrier every epoch interval.
 *
 * @module
 */

import { callbackError, shapeError } from "../../dataflow/_batch.ts";
import type { InputNode } from "../../dataflow/graph.ts";
import {
  isDynamicSource,
  isFixedPartitionedSource,
  type Source,
  type StatelessSourcePartition,
} from "../../dataflow/inputs.ts";
import { delay, raceAbort } from "../../../operators/_abort.ts";
import { isThenable } from "../../../operators/_thenable.ts";
import type { WorkerContext } from "../context.ts";
import { taskTurn } from "../_task_turn.ts";
import { iterableSource } from "../../dataflow/iterable_source.ts";
import { mergeMessages } from "../merge_messages.ts";
import { Barrier, type Message, type MessageStream } from "../message.ts";

/** How long a partition that had nothing rests before it is polled again. */
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
  try {
    if (isFixedPartitionedSource(source)) {
      const parts = assignParts(await source.listParts(), ctx.workerIndex, ctx.workerCount);
      return await Promise.all(parts.map((part) => source.buildPart(path, part, undefined)));
    }
    if (isDynamicSource(source)) {
      return [await source.build(path, ctx.workerIndex, ctx.workerCount)];
    }
    return [await iterableSource(source).build(path, ctx.workerIndex, ctx.workerCount)];
  } catch (error) {
    throw callbackError(path, "building the source", undefined, error);
  }
}

async function* readPartition(
  path: string,
  partition: StatelessSourcePartition<unknown>,
  ctx: WorkerContext,
): AsyncGenerator<Message, void, undefined> {
  const { signal } = ctx;
  let idle = false;
  let ended = false;
  try {
    while (true) {
      // Every batch starts here: after a stretch of synchronous work, let timers and signals in.
      const turn = taskTurn();
      if (turn !== undefined) await turn;
      signal.throwIfAborted();
      const awake = partition.nextAwake?.();
      if (awake !== undefined) {
        const wait = +awake - Date.now();
        if (wait > 0) await delay(wait, { signal });
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
 * @param node The input node.
 * @param ctx The worker.
 * @returns The stream of the source's batches, with a barrier closing each
 *   epoch and one more at end of input.
 */
export async function* inputStep(
  node: InputNode,
  ctx: WorkerContext,
): AsyncGenerator<Message, void, undefined> {
  const partitions = await buildPartitions(node.path, node.source, ctx);
  const readers: MessageStream[] = partitions.map((partition) =>
    readPartition(node.path, partition, ctx)
  );
  let epoch = 1;
  let epochEnds = Date.now() + ctx.epochInterval;
  for await (const message of mergeMessages(readers)) {
    // A batch that arrives after its epoch's time is up belongs to the next epoch.
    if (Date.now() >= epochEnds) {
      yield new Barrier(epoch++);
      epochEnds = Date.now() + ctx.epochInterval;
    }
    yield message;
  }
  yield new Barrier(epoch);
}

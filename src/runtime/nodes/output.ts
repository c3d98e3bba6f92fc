/**
 * The output step: writes batches to a sink. Outputs drive the run.
 *
 * @module
 */

import { callbackError, checkKeyed } from "../../dataflow/_errors.ts";
import type { BatchFn, OutputNode } from "../../dataflow/graph.ts";
import {
  isFixedPartitionedSink,
  type StatefulSinkPartition,
  type StatelessSinkPartition,
} from "../../dataflow/outputs.ts";
import { stableHash } from "../../dataflow/stable_hash.ts";
import { isThenable } from "../../../operators/_thenable.ts";
import type { WorkerContext } from "../context.ts";
import type { SinkProgress } from "../recovery/worker.ts";
import { Barrier, isBatch, type MessageStream } from "../message.ts";
import { applyBatchFns, BatchStream } from "./batch.ts";
import { assignParts } from "./input.ts";

interface Writer {
  write(batch: readonly unknown[]): void | Promise<void>;
  /**
   * At a barrier: makes what was written durable; with `positions`, returns
   * the partitions' positions (taken before the sync, which makes them durable).
   */
  barrier(positions: boolean): Promise<[part: string, position: unknown][]>;
  close(): Promise<void>;
}

async function closeAll(
  parts: readonly (StatelessSinkPartition<unknown> | StatefulSinkPartition<unknown>)[],
): Promise<void> {
  const results = await Promise.allSettled(parts.map((part) => part.close?.()));
  for (const result of results) if (result.status === "rejected") throw result.reason;
}

async function buildWriter(node: OutputNode, ctx: WorkerContext): Promise<Writer> {
  const { sink, path } = node;
  if (!isFixedPartitionedSink(sink)) {
    const part = await sink.build(path, ctx.workerIndex, ctx.workerCount);
    return {
      write: (batch) => part.writeBatch(batch),
      barrier: () => Promise.resolve([]),
      close: () => closeAll([part]),
    };
  }
  const all = [...new Set(await sink.listParts())].sort();
  if (all.length === 0) {
    throw new RangeError(`Cannot run output step "${path}": the sink has no partitions`);
  }
  const owned = new Set(assignParts(all, ctx.workerIndex, ctx.workerCount));
  const parts = new Map<string, StatefulSinkPartition<unknown>>();
  for (const name of owned) {
    parts.set(name, await sink.buildPart(path, name, ctx.recovery?.stateOf(path, name)));
  }
  const partFn = sink.partFn?.bind(sink) ?? stableHash;
  return {
    async write(batch) {
      const byPart = new Map<string, unknown[]>();
      for (const item of batch) {
        checkKeyed(path, item);
        const index = partFn(item[0]);
        const name = all[((index % all.length) + all.length) % all.length]!;
        let values = byPart.get(name);
        if (!values) byPart.set(name, values = []);
        values.push(item[1]);
      }
      for (const [name, values] of byPart) {
        const part = parts.get(name);
        if (!part) {
          throw new RangeError(
            `Cannot run output step "${path}": partition "${name}" is not owned by worker ${ctx.workerIndex}`,
          );
        }
        await part.writeBatch(values);
      }
    },
    async barrier(withPositions) {
      const positions: [string, unknown][] = [];
      for (const [name, part] of parts) {
        if (withPositions) positions.push([name, part.snapshot()]);
        await part.sync?.();
      }
      return positions;
    },
    close: () => closeAll([...parts.values()]),
  };
}

/**
 * Drains `input` into the node's sink. The sink is closed (flushed) however
 * the run ends, so no half-written file is left unflushed.
 *
 * With recovery on, at each barrier the sink's partitions are synced and
 * their positions staged, and `progress` learns that the barrier passed.
 *
 * @param node The output node.
 * @param input The stream to write.
 * @param ctx The worker.
 * @param progress Where the sink's epochs are reported, with recovery on
 *   (registered when the run is planned, before any barrier can pass).
 */
export async function outputStep(
  node: OutputNode,
  input: MessageStream,
  ctx: WorkerContext,
  progress?: SinkProgress,
): Promise<void> {
  let writer: Writer;
  try {
    writer = await buildWriter(node, ctx);
  } catch (error) {
    // Let go of the input, so steps that fan out to other outputs do not wait for this one.
    await input[Symbol.asyncIterator]().return?.();
    throw callbackError(node.path, "building the sink", undefined, error);
  }
  const recovery = ctx.recovery;
  // A fused chain just before the sink runs in this loop: one async step less per batch.
  let fns: readonly BatchFn[] = [];
  if (input instanceof BatchStream) ({ fns, input } = input);
  let failure: unknown;
  try {
    for await (const message of input) {
      if (message instanceof Barrier) {
        let positions: [string, unknown][];
        try {
          positions = await writer.barrier(recovery !== undefined);
        } catch (error) {
          throw callbackError(node.path, "sink snapshot() or sync()", undefined, error);
        }
        if (recovery !== undefined) {
          const rows = positions.map(([part, position]) => recovery.row(node.path, part, position));
          recovery.stage(message.epoch, rows);
        }
        progress?.passed(message.epoch);
        continue;
      }
      if (!isBatch(message)) continue;
      const batch = fns.length === 0 ? message : applyBatchFns(fns, message);
      if (batch.length === 0) continue;
      try {
        const written = writer.write(batch);
        if (isThenable(written)) await written;
      } catch (error) {
        throw callbackError(node.path, "sink writeBatch()", batch, error);
      }
    }
  } catch (error) {
    failure = error;
  }
  // Close (flush) however the run ended; a close error is reported only if nothing failed before.
  try {
    await writer.close();
  } catch (error) {
    failure ??= callbackError(node.path, "sink close()", undefined, error);
  }
  if (failure !== undefined) throw failure;
  progress?.ended();
}

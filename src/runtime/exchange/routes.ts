/**
 * Routers: which worker each item of a batch goes to, per pact.
 *
 * @module
 */

import { checkKeyed } from "../../dataflow/_errors.ts";
import type { OutputNode, StepNode } from "../../dataflow/graph.ts";
import { isFixedPartitionedSink } from "../../dataflow/outputs.ts";
import type { Pact } from "../../dataflow/pact.ts";
import { stableHash } from "../../dataflow/stable_hash.ts";

/** Splits a batch into one new batch per destination worker (`undefined` for none). */
export type Router = (batch: readonly unknown[]) => (unknown[] | undefined)[];

function split(
  batch: readonly unknown[],
  workerCount: number,
  destination: (item: unknown) => number,
): (unknown[] | undefined)[] {
  const out: (unknown[] | undefined)[] = new Array(workerCount);
  for (let i = 0; i < batch.length; i++) {
    const item = batch[i];
    const d = destination(item);
    (out[d] ??= []).push(item);
  }
  return out;
}

/**
 * Routes `[key, value]` items to worker `stableHash(key) % workerCount`.
 *
 * @param path The keyed step the items go to, named when an item is not a pair.
 * @param workerCount All workers.
 * @returns The router.
 */
export function keyRouter(path: string, workerCount: number): Router {
  return (batch) =>
    split(batch, workerCount, (item) => {
      checkKeyed(path, item);
      return stableHash(item[0]) % workerCount;
    });
}

/**
 * Deals items out to the workers in turn, starting with the sender's own
 * index so that senders do not all start at worker 0.
 *
 * @param workerIndex The sending worker.
 * @param workerCount All workers.
 * @returns The router.
 */
export function roundRobinRouter(workerIndex: number, workerCount: number): Router {
  let next = workerIndex;
  return (batch) =>
    split(batch, workerCount, () => {
      const d = next;
      next = next + 1 === workerCount ? 0 : next + 1;
      return d;
    });
}

/**
 * Routes `[key, value]` items to the worker that owns the sink partition the
 * key maps to: partitions are sorted by name and partition `i` belongs to
 * worker `i % workerCount`, as the output step assigns them.
 *
 * @param node The output step.
 * @param workerCount All workers.
 * @returns The router, once the sink listed its partitions.
 */
export async function sinkPartitionRouter(node: OutputNode, workerCount: number): Promise<Router> {
  const sink = node.sink;
  if (!isFixedPartitionedSink(sink)) throw new TypeError(`"${node.path}" is not partitioned`);
  const all = [...new Set(await sink.listParts())].sort();
  const partFn = sink.partFn?.bind(sink) ?? stableHash;
  const count = all.length;
  return (batch) =>
    split(batch, workerCount, (item) => {
      checkKeyed(node.path, item);
      if (count === 0) return 0; // The output step reports a sink without partitions.
      const index = partFn(item[0]);
      return (((index % count) + count) % count) % workerCount;
    });
}

/**
 * The router of a non-pipeline input of `node` on one worker.
 *
 * @param node The step the exchange feeds.
 * @param pact Its input's pact.
 * @param workerIndex The sending worker.
 * @param workerCount All workers.
 * @returns The router, or a promise of it.
 */
export function routerFor(
  node: StepNode,
  pact: Exclude<Pact, "pipeline">,
  workerIndex: number,
  workerCount: number,
): Router | Promise<Router> {
  switch (pact) {
    case "key":
      return keyRouter(node.path, workerCount);
    case "roundRobin":
      return roundRobinRouter(workerIndex, workerCount);
    case "sinkPartition":
      return sinkPartitionRouter(node as OutputNode, workerCount);
  }
}

/**
 * The input step: polls source partitions and emits their batches, with
 * barrier `e` as soon as the run's epoch `e` closes, and its idle status.
 *
 * @module
 */

import { callbackError, shapeError } from "../../dataflow/_errors.ts";
import type { InputNode } from "../../dataflow/graph.ts";
import {
  isDynamicSource,
  isFixedPartitionedSource,
  type Source,
  type SourceContext,
  type StatelessSourcePartition,
} from "../../dataflow/inputs.ts";
import { delay } from "../../../operators/_abort.ts";
import { isThenable } from "../../../operators/_thenable.ts";
import type { WorkerContext } from "../context.ts";
import { taskTurn } from "../_task_turn.ts";
import { iterableSource } from "../../dataflow/iterable_source.ts";
import { mergeMessages } from "../merge_messages.ts";
import { Barrier, type Message, StreamStatus } from "../message.ts";
import type { Epochs } from "../progress/mod.ts";

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

// The partition name of each partition of a fixed-partitioned source, whose position recovery keeps.
const positions = new WeakMap<object, string>();

async function buildPartitions(
  path: string,
  source: Source<unknown>,
  ctx: WorkerContext,
): Promise<StatelessSourcePartition<unknown>[]> {
  const generation = ctx.recovery?.generation;
  const sourceCtx: SourceContext = generation === undefined
    ? { now: () => ctx.clock.now() }
    : { now: () => ctx.clock.now(), generation };
  try {
    if (isFixedPartitionedSource(source)) {
      const listed = await source.listParts();
      const parts = ctx.assignParts
        ? await ctx.assignParts(path, listed)
        : assignParts(listed, ctx.workerIndex, ctx.workerCount);
      return await Promise.all(parts.map((part) => {
        const built = source.buildPart(path, part, ctx.recovery?.stateOf(path, part), sourceCtx);
        return Promise.resolve(built).then((partition) => {
          positions.set(partition, part);
          return partition;
        });
      }));
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

/**
 * Reads one partition: its batches, barrier `e` as soon as the run's epoch
 * `e` closes (before the next batch, or during a wait or a pending read,
 * which goes on; its batch then belongs to epoch `e + 1`), its idle status,
 * and one more barrier at its end.
 */
async function* readPartition(
  path: string,
  partition: StatelessSourcePartition<unknown>,
  ctx: WorkerContext,
): AsyncGenerator<Message, void, undefined> {
  const { clock, epochs } = ctx;
  // Stopped when the partition ends, too: a barrier can be taken in the middle
  // of a wait, and a reader stopped there must leave no timer behind.
  const stop = new AbortController();
  const { signal } = stop;
  const onAbort = () => stop.abort(ctx.signal.reason);
  if (ctx.signal.aborted) onAbort();
  else ctx.signal.addEventListener("abort", onAbort, { once: true });
  const ticks = new TickWait(epochs, signal);
  // Recovery: the partition's position after the last nextBatch() that returned, staged
  // at every barrier. Never read during a pending read: a reader may move its position
  // before the batch it is reading is out.
  const recovery = ctx.recovery;
  const part = positions.get(partition);
  const stateful = recovery !== undefined && part !== undefined
    ? partition as StatelessSourcePartition<unknown> & { snapshot(): unknown }
    : undefined;
  let position: unknown = stateful === undefined ? undefined : snapshotOf(path, stateful);
  const stage = (epoch: number) => {
    if (stateful !== undefined) recovery!.stage(epoch, [recovery!.row(path, part!, position)]);
  };
  // The newest epoch closed with a barrier here. A partition that starts
  // late first closes the epochs it missed, so that none of its items pass
  // a merge ahead of an earlier epoch's barrier.
  let sent = epochs.start;
  // No batch since the last barrier; idle once a whole epoch was quiet.
  let quiet = true;
  let idle = false;
  function* due(): Generator<Message, void, undefined> {
    for (const closed = epochs.closed; sent < closed;) {
      stage(++sent);
      yield new Barrier(sent);
    }
    if (quiet && !idle) {
      idle = true;
      yield StreamStatus.IDLE;
    }
    quiet = true;
  }
  // Waits for `promise`, emitting the barriers of the ticks that come first.
  async function* until<T>(promise: Promise<T>): AsyncGenerator<Message, T, undefined> {
    while (true) {
      const next = await ticks.wait(promise, sent);
      if (next !== TICK) return next.value;
      yield* due();
    }
  }
  let empty = false;
  let ended = false;
  try {
    while (true) {
      // Every batch starts here: after a stretch of synchronous work, let timers and signals in.
      const turn = taskTurn();
      if (turn !== undefined) await turn;
      signal.throwIfAborted();
      if (epochs.closed > sent) yield* due();
      const awake = partition.nextAwake?.();
      if (awake !== undefined) {
        if (+awake > clock.now()) yield* until(clock.sleepUntil(+awake, signal));
      } else if (empty) {
        yield* until(delay(IDLE_PAUSE_MS, { signal }));
      }
      let batch: unknown;
      try {
        batch = partition.nextBatch();
      } catch (error) {
        throw callbackError(path, "source nextBatch()", undefined, error);
      }
      if (isThenable(batch)) {
        try {
          batch = yield* until(Promise.resolve(batch));
        } catch (error) {
          if (signal.aborted) throw signal.reason;
          throw callbackError(path, "source nextBatch()", undefined, error);
        }
      }
      if (stateful !== undefined) position = snapshotOf(path, stateful);
      if (batch === null) break;
      if (!Array.isArray(batch)) {
        throw shapeError(path, "nextBatch() to return an array or null", batch);
      }
      empty = batch.length === 0;
      if (empty) continue;
      if (idle) {
        idle = false;
        yield StreamStatus.ACTIVE;
      }
      quiet = false;
      yield batch;
    }
    ended = true;
  } finally {
    ctx.signal.removeEventListener("abort", onAbort);
    stop.abort();
    if (!ended) await closeQuietly(path, partition);
  }
  try {
    await partition.close?.();
  } catch (error) {
    throw callbackError(path, "source close()", undefined, error);
  }
  while (sent < epochs.closed) {
    stage(++sent);
    yield new Barrier(sent);
  }
  stage(sent + 1);
  yield new Barrier(sent + 1);
}

function snapshotOf(path: string, partition: { snapshot(): unknown }): unknown {
  try {
    return partition.snapshot();
  } catch (error) {
    throw callbackError(path, "source snapshot()", undefined, error);
  }
}

const TICK: unique symbol = Symbol("tick");

/**
 * Waits for a promise or the run's next epoch tick, whichever comes first.
 * One subscription to the tick serves every wait of an epoch (a
 * `Promise.race` per wait would leave one reaction per wait on the pending
 * tick); a promise that loses to the tick is waited for again, not dropped.
 */
class TickWait {
  readonly #epochs: Epochs;
  readonly #signal: AbortSignal;
  #watching = false;
  #waiting: ((wake: typeof TICK | { error: unknown }) => void) | undefined;

  constructor(epochs: Epochs, signal: AbortSignal) {
    this.#epochs = epochs;
    this.#signal = signal;
  }

  /**
   * Resolves with `{ value }` once `promise` does, or with `TICK` once an
   * epoch after `seen` has closed; rejects with the promise's error, or the
   * signal's reason when the run stops.
   */
  wait<T>(promise: Promise<T>, seen: number): Promise<{ value: T } | typeof TICK> {
    if (this.#epochs.closed > seen) return Promise.resolve(TICK);
    if (!this.#watching) {
      this.#watching = true;
      this.#epochs.after(seen, this.#signal).then(
        () => this.#wake(TICK),
        (error) => this.#wake({ error }),
      );
    }
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (wake: typeof TICK | { value: T } | { error: unknown }) => {
        if (settled) return;
        settled = true;
        if (this.#waiting === settle) this.#waiting = undefined;
        if (wake !== TICK && "error" in wake) reject(wake.error);
        else resolve(wake);
      };
      this.#waiting = settle;
      promise.then((value) => settle({ value }), (error) => settle({ error }));
    });
  }

  #wake(wake: typeof TICK | { error: unknown }): void {
    this.#watching = false;
    this.#waiting?.(wake);
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
 * Runs an input node on one worker: its partitions' streams, merged.
 *
 * When the run's epoch `e` closes, every partition emits barrier `e` at once,
 * even if it is idle or a read is pending (the read goes on; its batch comes
 * after the barrier, in epoch `e + 1`), and the merge passes `e` on once all
 * have. A partition that had no batch for a whole epoch says so with
 * {@linkcode StreamStatus.IDLE} after the barrier, and with
 * {@linkcode StreamStatus.ACTIVE} before its next batch; the input is idle
 * while all its partitions are.
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
  // One partition (an iterable, or one worker's share) needs no merge in between.
  const reads = partitions.map((partition) => readPartition(node.path, partition, ctx));
  yield* reads.length === 1 ? reads[0]! : mergeMessages(reads);
}

/**
 * The keyed-fold step: per-key plain-value state in one map, updated a
 * batch at a time by the node's {@linkcode KeyedFold}, with per-key timers
 * for a fold that has `onNotify`.
 *
 * @module
 */

import type { FoldTimers, KeyedFold, StepContext } from "../../dataflow/graph.ts";
import { mergeSideBatches, SideBatch } from "../merge_messages.ts";
import { Barrier, isBatch, type Message, type MessageStream } from "../message.ts";
import type { SnapshotRow } from "../recovery/store.ts";
import type { WorkerRecovery } from "../recovery/worker.ts";
import { realTime, type SystemTime } from "../system_time.ts";
import { TimerQueue } from "../_timer_queue.ts";

/**
 * Runs a keyed-fold node on one worker: each batch is folded into the
 * step's state and what it emits goes out as one batch; control
 * messages pass on in order. Several inputs are merged as by a merge step
 * (barriers aligned, the least watermark of the inputs not idle), each
 * batch keeping its input's index. At end of input the fold's `onEof` runs
 * once and the map is dropped.
 *
 * A fold with `onNotify` runs its timers as the stateful-batch step runs
 * its logics': system time is read once per batch; after each batch, and
 * while waiting for the next, the keys whose time has come are notified,
 * earliest first.
 *
 * With recovery on (`ctx.recovery` and `path` given), the step first
 * restores the keys this worker owns, and at each barrier encodes the keys
 * the fold changed since the last one (see `KeyedFold.snapshotKey`).
 *
 * @param fold The node's fold, compiled.
 * @param inputs The keyed streams, in the node's order.
 * @param ctx The worker (its clock, its recovery); the real clock when omitted.
 * @param stepCtx What the fold sees of the run.
 * @param path The step path, which names its snapshots.
 * @returns The stream of emitted items.
 */
export async function* keyedFoldStep(
  fold: KeyedFold<unknown>,
  inputs: readonly MessageStream[],
  ctx?: { readonly clock: SystemTime; readonly recovery?: WorkerRecovery },
  stepCtx: Omit<StepContext, "now"> = { workerIndex: 0, workerCount: 1 },
  path?: string,
): AsyncGenerator<Message, void, undefined> {
  const clock = ctx?.clock ?? realTime;
  let now = clock.now();
  const foldCtx: StepContext = {
    workerIndex: stepCtx.workerIndex,
    workerCount: stepCtx.workerCount,
    now: () => now,
  };
  const queue = new TimerQueue();
  // A key notified again at once would spin: its next time is at least a millisecond on.
  let notBefore = -Infinity;
  const timers: FoldTimers = {
    set: (key, at) => queue.set(key, at === undefined ? undefined : Math.max(at, notBefore)),
  };
  const recovery = path === undefined ? undefined : ctx?.recovery;
  const changes = recovery === undefined ? undefined : new Set<string>();
  const state = fold.init(foldCtx, timers, changes);
  const snapshot = recovery === undefined ? undefined : foldSnapshots(fold, state, path!, recovery);
  const onNotify = fold.onNotify;
  const notify = (out: unknown[]) => {
    if (onNotify === undefined || queue.size === 0) return;
    now = clock.now();
    notBefore = now + 1;
    try {
      for (const key of queue.popDue(now)) onNotify(state, key, out);
    } finally {
      notBefore = -Infinity;
    }
  };

  if (snapshot !== undefined) {
    // Timers that came due while the run was down fire before new input, as
    // they would have in a run that never stopped.
    const out: unknown[] = [];
    notify(out);
    if (out.length > 0) yield out;
  }
  if (inputs.length === 1) {
    const iterator = inputs[0]![Symbol.asyncIterator]();
    let finished = false;
    try {
      while (true) {
        const next = iterator.next();
        let result: IteratorResult<Message> | undefined;
        // Wait for input, firing timers that come due meanwhile.
        while (result === undefined) {
          const wakeAt = onNotify === undefined ? undefined : queue.peek();
          if (wakeAt === undefined) {
            result = await next;
            break;
          }
          const waiting = new AbortController();
          const woke = clock.sleepUntil(wakeAt, waiting.signal).then(
            () => undefined,
            () => undefined,
          );
          result = await Promise.race([next, woke]);
          waiting.abort();
          if (result === undefined) {
            let out: unknown[] | undefined = [];
            notify(out);
            if (out.length > 0) yield out;
            // A suspended generator keeps its variables: drop the batch passed on.
            out = undefined;
          }
        }
        if (result.done) break;
        const message = result.value;
        if (!isBatch(message)) {
          if (snapshot !== undefined && message instanceof Barrier) {
            snapshot(message.epoch, changes!);
          }
          yield message;
          continue;
        }
        let out: unknown[] | undefined = [];
        now = clock.now();
        fold.onBatch(state, message, out, 0);
        notify(out);
        if (out.length > 0) yield out;
        out = undefined;
      }
      finished = true;
    } finally {
      if (!finished) await iterator.return?.();
    }
  } else {
    for await (const message of mergeSideBatches(inputs)) {
      if (!(message instanceof SideBatch)) {
        if (snapshot !== undefined && message instanceof Barrier) snapshot(message.epoch, changes!);
        yield message;
        continue;
      }
      const out: unknown[] = [];
      now = clock.now();
      fold.onBatch(state, message.batch, out, message.side);
      notify(out);
      if (out.length > 0) yield out;
    }
  }
  if (fold.onEof) {
    now = clock.now();
    const out: unknown[] = [];
    fold.onEof(state, out);
    if (out.length > 0) yield out;
  }
}

/** A worker's snapshot rows of the state a fold's keys share (a partition-scope clock). */
function sharedStep(path: string): string {
  // White space never occurs in a step path, so this names no step.
  return `${path} shared`;
}

/**
 * Restores a fold's state on this worker, and returns what snapshots it at a
 * barrier: the changed keys, then the shared state.
 */
function foldSnapshots(
  fold: KeyedFold<unknown>,
  state: unknown,
  path: string,
  recovery: WorkerRecovery,
): (epoch: number, changes: Set<string>) => void {
  const { snapshotKey, restoreKey } = fold;
  if (snapshotKey === undefined || restoreKey === undefined) {
    throw new TypeError(`Cannot run step "${path}" with recovery: its state cannot be snapshotted`);
  }
  const { workerIndex, workerCount } = recovery;
  const shared = sharedStep(path);
  // Workers of the last run beyond this run's count: worker 0 drops their rows once.
  let stale: string[] = [];
  if (fold.restoreShared !== undefined) {
    const stored = recovery.keysOf(shared);
    const own = String(workerIndex);
    if (stored.length > 0) {
      const same = stored.length === workerCount && stored.includes(own);
      const from = same ? [own] : stored;
      fold.restoreShared(state, from.map((worker) => recovery.stateOf(shared, worker)));
    }
    if (workerIndex === 0) stale = stored.filter((worker) => Number(worker) >= workerCount);
  }
  for (const [key, value] of recovery.ownedStates(path)) restoreKey.call(fold, state, key, value);
  return (epoch, changes) => {
    const rows: SnapshotRow[] = [];
    for (const key of changes) {
      rows.push(recovery.row(path, key, snapshotKey.call(fold, state, key)));
    }
    changes.clear();
    const sharedState = fold.snapshotShared?.(state);
    if (sharedState !== undefined) {
      rows.push(recovery.row(shared, String(workerIndex), sharedState));
    }
    for (const worker of stale) rows.push(recovery.row(shared, worker, undefined));
    stale = [];
    recovery.stage(epoch, rows);
  };
}

/**
 * The stateful-batch step: per-key logic objects over a keyed stream, with
 * timers that fire without new input. Every stateful step that needs timers
 * (`stateful`, `collect`, windows) lowers to it; the others fold plain
 * per-key values in the keyed-fold step.
 *
 * @module
 */

import {
  callbackError,
  carry,
  checkKeyed,
  Failure,
  isIterable,
  shapeError,
} from "../../dataflow/_errors.ts";
import { groupByKey, type KeySlot } from "../../dataflow/_batch_by_key.ts";
import {
  type LogicResult,
  OTHER_CHANGED_KEYS,
  type StatefulBatchLogic,
  type StatefulBatchNode,
  type StepContext,
} from "../../dataflow/graph.ts";
import { TimerQueue } from "../_timer_queue.ts";
import type { WorkerContext } from "../context.ts";
import { Barrier, isBatch, type Message, type MessageStream } from "../message.ts";
import type { SnapshotRow } from "../recovery/store.ts";

type Logic = StatefulBatchLogic<unknown, unknown, unknown>;

/**
 * Runs a stateful-batch node on one worker.
 *
 * Per input batch: items are grouped by key (in arrival order) and each
 * key's logic gets its values with `onBatch`; then the logics whose
 * `notifyAt` time has passed get `onNotify`. While waiting for input the
 * step also waits for the earliest timer, so timers fire with no new items.
 * At end of input every logic gets `onEof`, in sorted key order. After each
 * call the logic's `notifyAt` is read again. Emitted values go out as
 * `[key, value]`; a logic that asks to discard is dropped, and its key
 * starts fresh on its next item.
 *
 * @param node The node.
 * @param input The keyed stream.
 * @param ctx The worker.
 * @param stepCtx What builders see of the run.
 * @returns The keyed stream of emitted values; control messages pass on.
 */
export async function* statefulBatchStep(
  node: StatefulBatchNode,
  input: MessageStream,
  ctx: WorkerContext,
  stepCtx: StepContext,
): AsyncGenerator<Message, void, undefined> {
  const { path, builder } = node;
  const { clock } = ctx;
  const timers = new TimerQueue();
  // System time is read once per batch (or timer wake-up): every key of the
  // batch sees the same "now", and a step with many keys reads the clock once.
  let now = clock.now();
  const keyCtx: StepContext = {
    workerIndex: stepCtx.workerIndex,
    workerCount: stepCtx.workerCount,
    now: () => now,
  };

  // One entry per live key; `values` collects the key's values of the current batch.
  interface Entry extends KeySlot {
    readonly key: string;
    readonly logic: Logic;
  }
  const entries = new Map<string, Entry>();
  let batchNumber = 0;
  // With recovery on: the keys whose logic was called since the last barrier.
  const recovery = ctx.recovery;
  const dirty = recovery === undefined ? undefined : new Set<string>();

  // Applies one logic call's result: emits, then discard or re-arm.
  // `notBefore` keeps a timer from firing again at a time that has already fired.
  const settle = (
    key: string,
    logic: Logic,
    what: string,
    result: unknown,
    out: unknown[],
    notBefore: number,
  ) => {
    if (!Array.isArray(result) || result.length !== 2 || typeof result[1] !== "boolean") {
      throw shapeError(path, `${what} to return [emits, discard]`, result);
    }
    const [emits, discard] = result as unknown as LogicResult<unknown>;
    if (dirty !== undefined) {
      dirty.add(key);
      const others = (logic as { [OTHER_CHANGED_KEYS]?: () => Iterable<string> | undefined })
        [OTHER_CHANGED_KEYS]?.();
      if (others !== undefined) { for (const other of others) dirty.add(other); }
    }
    if (Array.isArray(emits)) {
      for (let i = 0; i < emits.length; i++) out.push([key, emits[i]]);
    } else if (isIterable(emits)) {
      for (const value of emits) out.push([key, value]);
    } else {
      throw shapeError(path, `${what} to return an iterable of emits`, emits);
    }
    if (discard) {
      entries.delete(key);
      timers.set(key, undefined);
      return;
    }
    arm(key, logic, notBefore);
  };

  // Sets the key's timer from its logic's notifyAt().
  const arm = (key: string, logic: Logic, notBefore: number) => {
    let at: unknown;
    try {
      at = logic.notifyAt();
    } catch (error) {
      throw carry(error, { what: "notifyAt()", key });
    }
    if (at !== undefined && (typeof at !== "number" || Number.isNaN(at))) {
      throw shapeError(path, "notifyAt() to return epoch milliseconds or undefined", at);
    }
    timers.set(key, at === undefined ? undefined : Math.max(at as number, notBefore));
  };

  const call = (
    key: string,
    logic: Logic,
    what: string,
    item: unknown,
    fn: () => unknown,
    out: unknown[],
    notBefore = -Infinity,
  ) => {
    let result: unknown;
    try {
      result = fn();
    } catch (error) {
      throw carry(error, { what, key, item });
    }
    settle(key, logic, what, result, out, notBefore);
  };

  const check = (item: unknown) => checkKeyed(path, item);
  const open = (key: string, item: readonly [string, unknown]): Entry => {
    let logic: Logic;
    try {
      logic = builder(undefined, key, keyCtx);
    } catch (error) {
      throw carry(error, { what: "builder", key, item: item[1] });
    }
    return { key, logic, values: [], batch: 0 };
  };

  const onBatch = (batch: readonly unknown[], out: unknown[]) => {
    batchNumber++;
    now = clock.now();
    const touched = groupByKey(batch, batchNumber, entries, open, check);
    for (let i = 0; i < touched.length; i++) {
      const { key, logic, values } = touched[i]!;
      let result: unknown;
      try {
        result = logic.onBatch(values);
      } catch (error) {
        throw carry(error, {
          what: "onBatch()",
          key,
          item: values.length === 1 ? values[0] : values,
        });
      }
      settle(key, logic, "onBatch()", result, out, -Infinity);
    }
  };

  const onNotify = (out: unknown[]) => {
    if (timers.size === 0) return;
    now = clock.now();
    for (const key of timers.popDue(now)) {
      const logic = entries.get(key)?.logic;
      // A logic that asks again for a time already past is woken a millisecond
      // later, not at once: firing again before time moves would spin.
      if (logic) call(key, logic, "onNotify()", undefined, () => logic.onNotify(), out, now + 1);
    }
  };

  // Each key this worker owns comes back from its snapshot, with its timer.
  const restore = () => {
    for (const [key, snapshot] of recovery!.ownedStates(path)) {
      let logic: Logic;
      try {
        logic = builder(snapshot, key, keyCtx);
      } catch (error) {
        throw carry(error, { what: "builder", key });
      }
      entries.set(key, { key, logic, values: [], batch: 0 });
      arm(key, logic, -Infinity);
    }
  };

  // Snapshots the keys called since the last barrier; a discarded key is a tombstone.
  const snapshot = (epoch: number) => {
    const rows: SnapshotRow[] = [];
    for (const key of dirty!) {
      const logic = entries.get(key)?.logic;
      let state: unknown;
      if (logic !== undefined) {
        try {
          state = logic.snapshot();
        } catch (error) {
          throw carry(error, { what: "snapshot()", key });
        }
      }
      rows.push(recovery!.row(path, key, state));
    }
    dirty!.clear();
    recovery!.stage(epoch, rows);
  };

  const iterator = input[Symbol.asyncIterator]();
  let finished = false;
  try {
    if (recovery !== undefined) {
      restore();
      // Timers that came due while the run was down fire before new input, as
      // they would have in a run that never stopped.
      const out: unknown[] = [];
      onNotify(out);
      if (out.length > 0) yield out;
    }
    while (true) {
      const next = iterator.next();
      let result: IteratorResult<Message> | undefined;
      // Wait for input, firing timers that come due meanwhile.
      while (result === undefined) {
        const wakeAt = timers.peek();
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
          const out: unknown[] = [];
          onNotify(out);
          if (out.length > 0) yield out;
        }
      }
      if (result.done) break;
      const message = result.value;
      if (!isBatch(message)) {
        if (dirty !== undefined && message instanceof Barrier) snapshot(message.epoch);
        yield message;
        continue;
      }
      const out: unknown[] = [];
      onBatch(message, out);
      onNotify(out);
      if (out.length > 0) yield out;
    }
    finished = true;
    now = clock.now();
    const out: unknown[] = [];
    for (const key of [...entries.keys()].sort()) {
      const logic = entries.get(key)!.logic;
      call(key, logic, "onEof()", undefined, () => logic.onEof(), out);
    }
    if (out.length > 0) yield out;
  } catch (error) {
    // A failed logic call, carried here to be wrapped once with its key.
    throw error instanceof Failure ? callbackError(path, "logic", undefined, error) : error;
  } finally {
    if (!finished) await iterator.return?.();
  }
}

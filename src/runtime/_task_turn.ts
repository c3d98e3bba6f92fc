/**
 * Giving the event loop a turn during long synchronous work.
 *
 * When every source and step completes synchronously, a run moves from batch
 * to batch on promise reactions (microtasks) alone, and the event loop never
 * runs a task: no timer fires, no signal handler runs, no abort arrives. The
 * input step, where every batch starts, therefore asks {@linkcode taskTurn}
 * before each read and, after a few milliseconds of continuous work, waits
 * for one task-queue turn. (A check in the outputs would miss a run whose
 * steps hold every batch back, such as an end-of-input count.)
 *
 * This measures real elapsed time on purpose, whatever clock the run was
 * given: it is about the host's event loop, not about the flow's time.
 *
 * @module
 */

/** Milliseconds of continuous work after which the runtime lets the event loop run. */
export const TASK_SLICE_MS = 5;

type Schedule = (callback: () => void) => void;

// The cheapest task the host has: setImmediate (Deno, Bun, Node), else a
// MessageChannel message (browsers), else a timer (clamped to 4 ms or more).
function taskScheduler(): Schedule {
  const host = globalThis as {
    setImmediate?: (callback: () => void) => unknown;
    MessageChannel?: typeof MessageChannel;
  };
  if (typeof host.setImmediate === "function") {
    const setImmediate = host.setImmediate;
    return (callback) => void setImmediate(callback);
  }
  if (typeof host.MessageChannel === "function") {
    const channel = new host.MessageChannel();
    const callbacks: (() => void)[] = [];
    channel.port1.onmessage = () => callbacks.shift()!();
    return (callback) => {
      callbacks.push(callback);
      channel.port2.postMessage(null);
    };
  }
  return (callback) => void setTimeout(callback, 0);
}

// Picked on first use: on Deno, the first touch of any timer function loads
// the timer machinery, which takes milliseconds that an import should not cost.
let schedule: Schedule | undefined;

/**
 * Picks the host's way to wait for a task now. A run calls this before its
 * inputs start, so the one-time cost of the first timer use is not paid in
 * the middle of its first batches (where it would, say, push the first item
 * into the next epoch).
 */
export function prepareTaskTurns(): void {
  schedule ??= taskScheduler();
}

// When the current stretch of work began, or undefined once the event loop
// has had a turn since. The first check of a stretch schedules the task that
// ends it, so a stretch broken by real waits (I/O, timers) never costs a yield.
let stretchStart: number | undefined;
const endStretch = () => {
  stretchStart = undefined;
};

/**
 * Calls `callback` in a task of its own, as soon as the event loop gets to
 * it (after the pending promise reactions): the cheapest such task the host
 * has, never a clamped timer.
 *
 * @param callback What to call.
 */
export function scheduleTask(callback: () => void): void {
  (schedule ??= taskScheduler())(callback);
}

/**
 * A promise for the next task-queue turn when this thread has worked for
 * {@linkcode TASK_SLICE_MS} or more without one; otherwise `undefined`, so
 * the caller need not await. Cheap enough to call once per batch.
 *
 * @returns A promise to await, or `undefined`.
 */
export function taskTurn(): Promise<void> | undefined {
  const now = performance.now();
  const scheduleTask = schedule ??= taskScheduler();
  if (stretchStart === undefined) {
    stretchStart = now;
    scheduleTask(endStretch);
    return undefined;
  }
  if (now - stretchStart < TASK_SLICE_MS) return undefined;
  // Scheduled after endStretch, so by the time it resolves a new stretch can begin.
  return new Promise((resolve) => scheduleTask(resolve));
}

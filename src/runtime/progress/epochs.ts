/**
 * Epochs: one tick on the run's clock closes an epoch for every input at once.
 *
 * @module
 */

import { raceAbort } from "../../../operators/_abort.ts";
import { deferred } from "../_async.ts";
import type { SystemTime } from "../system_time.ts";

/**
 * The run's epochs as the inputs of one worker see them: the newest closed
 * epoch, and a way to wait for the next tick. Epochs are numbered from 1 for
 * the whole run; epoch `e` is closed by the `e`-th tick. Whatever drives the
 * ticks (an {@linkcode EpochTicker} on this thread, or later messages from
 * the main thread's coordinator), every input sees the same numbers.
 */
export class Epochs {
  #closed = 0;
  #ticked = deferred();

  /** The newest closed epoch; 0 before the first tick. */
  get closed(): number {
    return this.#closed;
  }

  /**
   * Closes every epoch up to `epoch` and wakes the waiting inputs. A number
   * not above {@linkcode Epochs.closed} changes nothing.
   *
   * @param epoch The newest closed epoch.
   */
  close(epoch: number): void {
    if (!(epoch > this.#closed)) return;
    this.#closed = epoch;
    const ticked = this.#ticked;
    this.#ticked = deferred();
    ticked.resolve();
  }

  /**
   * Resolves with the newest closed epoch once it is above `epoch`; at once if
   * it already is.
   *
   * @param epoch The last epoch the caller has seen closed.
   * @param signal Rejects the wait with `signal.reason`.
   * @returns The newest closed epoch.
   */
  async after(epoch: number, signal: AbortSignal): Promise<number> {
    while (this.#closed <= epoch) await raceAbort(this.#ticked.promise, signal);
    return this.#closed;
  }
}

/**
 * The coordinator's tick on one thread: closes one epoch of
 * {@linkcode EpochTicker.epochs} every `interval` ms of the run's clock.
 * A tick that comes late (a busy thread, a clock moved by hand far ahead)
 * closes one epoch, and the next is due one interval after it: late ticks
 * never burst to catch up, so a hand-driven clock gives exactly one tick per
 * move that passes a tick's time.
 */
export class EpochTicker {
  /** The epochs this ticker closes. */
  readonly epochs: Epochs;
  readonly #time: SystemTime;
  readonly #interval: number;
  readonly #stop = new AbortController();

  /**
   * @param time The run's clock.
   * @param interval Milliseconds of `time` between ticks; positive.
   * @param epochs The epochs to close; new ones by default.
   */
  constructor(time: SystemTime, interval: number, epochs: Epochs = new Epochs()) {
    this.#time = time;
    this.#interval = interval;
    this.epochs = epochs;
  }

  /** Starts ticking: the first tick is due one interval from now. */
  start(): void {
    this.#run().catch(() => {});
  }

  /** Stops ticking and drops the pending wait, so no timer outlives the run. */
  stop(): void {
    this.#stop.abort();
  }

  async #run(): Promise<void> {
    const { signal } = this.#stop;
    let due = this.#time.now() + this.#interval;
    let epoch = 0;
    while (!signal.aborted) {
      await this.#time.sleepUntil(due, signal);
      this.epochs.close(++epoch);
      due += this.#interval;
      const now = this.#time.now();
      if (due <= now) due = now + this.#interval;
    }
  }
}

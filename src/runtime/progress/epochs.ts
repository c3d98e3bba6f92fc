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
  /** The epoch the run starts after: 0, or the epoch it resumed from. */
  readonly start: number;
  #closed: number;
  #ticked = deferred();
  #check: (() => void) | undefined;

  /**
   * @param start The epoch the run starts after: 0 on a fresh start, the
   *   last committed epoch when it resumes (its first barrier is `start + 1`).
   */
  constructor(start = 0) {
    this.start = start;
    this.#closed = start;
  }

  /** The newest closed epoch; {@linkcode Epochs.start} before the first tick. */
  get closed(): number {
    this.#check?.();
    return this.#closed;
  }

  /**
   * Lets a ticker on this thread check its clock whenever an input reads
   * {@linkcode Epochs.closed}, so that a tick that is due is not held back
   * by a thread too busy to run its timers.
   *
   * @param check Closes the due epoch, if one is due.
   */
  checkWith(check: () => void): void {
    this.#check = check;
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
 * move that passes a tick's time. Besides its timer, the ticker checks the
 * clock whenever an input reads {@linkcode Epochs.closed}, so a thread busy
 * with a source that never waits still ticks on time.
 */
export class EpochTicker {
  /** The epochs this ticker closes. */
  readonly epochs: Epochs;
  readonly #time: SystemTime;
  readonly #interval: number;
  readonly #stop = new AbortController();
  #due = Infinity;
  #epoch = 0;

  /**
   * @param time The run's clock.
   * @param interval Milliseconds of `time` between ticks; positive.
   * @param epochs The epochs to close; new ones by default.
   */
  constructor(time: SystemTime, interval: number, epochs: Epochs = new Epochs()) {
    this.#time = time;
    this.#interval = interval;
    this.epochs = epochs;
    this.#epoch = epochs.closed;
    epochs.checkWith(() => this.#tickIfDue());
  }

  /** Starts ticking: the first tick is due one interval from now. */
  start(): void {
    this.#due = this.#time.now() + this.#interval;
    this.#run().catch(() => {});
  }

  /** Stops ticking and drops the pending wait, so no timer outlives the run. */
  stop(): void {
    this.#stop.abort();
    this.#due = Infinity;
  }

  async #run(): Promise<void> {
    const { signal } = this.#stop;
    while (!signal.aborted) {
      await this.#time.sleepUntil(this.#due, signal);
      this.#tickIfDue();
    }
  }

  #tickIfDue(): void {
    const now = this.#time.now();
    if (now < this.#due) return;
    this.epochs.close(++this.#epoch);
    this.#due += this.#interval;
    if (this.#due <= now) this.#due = now + this.#interval;
  }
}

/**
 * The control messages of a step with several inputs: which barrier,
 * watermark and status pass on, and which inputs wait at a barrier.
 *
 * @module
 */

import { Barrier, type Control, StreamStatus, Watermark } from "../message.ts";

/**
 * Tracks the control messages of several inputs merged into one stream (a
 * merge, a join, later an exchange) and decides what passes on:
 *
 * - **Barriers are aligned.** An input that delivered barrier `e` is not
 *   read again until every input still running has delivered a barrier;
 *   then the lowest of them passes on once and the inputs that delivered it
 *   are read again. So a step sees barrier `e` only after every input's items
 *   of epoch `e`, and none of a later epoch before it. Idle inputs are not
 *   exempt: every input emits every barrier at the epoch tick, idle or not,
 *   so an idle input never makes the others wait.
 * - **Watermarks** are the minimum over the inputs that are neither idle nor
 *   ended, passed on when it advances (never backwards: an input that wakes
 *   up behind holds the output where it is until it catches up).
 * - **Status**: the output is idle while every running input is idle.
 * - An **ended** input takes part in none of this.
 *
 * The caller reads the inputs; this class only keeps their state.
 */
export class Alignment {
  readonly #ended: boolean[];
  readonly #blockedAt: (number | undefined)[];
  readonly #watermarks: number[];
  readonly #idle: boolean[];
  #live: number;
  #watermark = -Infinity;
  #outIdle = false;

  /** @param count How many inputs. */
  constructor(count: number) {
    this.#ended = new Array(count).fill(false);
    this.#blockedAt = new Array(count).fill(undefined);
    this.#watermarks = new Array(count).fill(-Infinity);
    this.#idle = new Array(count).fill(false);
    this.#live = count;
  }

  /** How many inputs have not ended. */
  get live(): number {
    return this.#live;
  }

  /**
   * Input `input` delivered barrier `epoch`: it waits until the barrier is
   * aligned.
   *
   * @param input The input's index.
   * @param epoch The barrier's epoch.
   * @param out Gets the barrier to pass on, if this completed an alignment.
   * @returns The inputs to read again (none while the barrier waits).
   */
  barrier(input: number, epoch: number, out: Control[]): number[] {
    this.#blockedAt[input] = epoch;
    return this.#release(out);
  }

  /**
   * Input `input` delivered a watermark.
   *
   * @param input The input's index.
   * @param time The watermark.
   * @param out Gets the output watermark, if it advanced.
   */
  watermark(input: number, time: number, out: Control[]): void {
    if (time > this.#watermarks[input]!) this.#watermarks[input] = time;
    this.#advance(out);
  }

  /**
   * Input `input` became idle or active.
   *
   * @param input The input's index.
   * @param idle Whether it is idle now.
   * @param out Gets the output's new status and watermark, if they changed.
   */
  status(input: number, idle: boolean, out: Control[]): void {
    this.#idle[input] = idle;
    this.#settle(out);
  }

  /**
   * Input `input` ended.
   *
   * @param input The input's index.
   * @param out Gets a barrier it no longer holds back, the watermark and status.
   * @returns The inputs to read again.
   */
  end(input: number, out: Control[]): number[] {
    this.#ended[input] = true;
    this.#live--;
    const released = this.#release(out);
    this.#settle(out);
    return released;
  }

  // Releases the lowest epoch once every running input has delivered a barrier.
  #release(out: Control[]): number[] {
    let lowest = Infinity;
    for (let i = 0; i < this.#ended.length; i++) {
      if (this.#ended[i]) continue;
      const epoch = this.#blockedAt[i];
      if (epoch === undefined) return [];
      if (epoch < lowest) lowest = epoch;
    }
    if (lowest === Infinity) return [];
    const released: number[] = [];
    for (let i = 0; i < this.#ended.length; i++) {
      if (!this.#ended[i] && this.#blockedAt[i] === lowest) {
        this.#blockedAt[i] = undefined;
        released.push(i);
      }
    }
    out.push(new Barrier(lowest));
    return released;
  }

  // The status first: an output that turns active is followed by its watermark.
  #settle(out: Control[]): void {
    if (this.#live === 0) return;
    let allIdle = true;
    for (let i = 0; i < this.#ended.length && allIdle; i++) {
      if (!this.#ended[i] && !this.#idle[i]) allIdle = false;
    }
    if (allIdle !== this.#outIdle) {
      this.#outIdle = allIdle;
      out.push(allIdle ? StreamStatus.IDLE : StreamStatus.ACTIVE);
    }
    this.#advance(out);
  }

  #advance(out: Control[]): void {
    let lowest = Infinity;
    for (let i = 0; i < this.#ended.length; i++) {
      if (this.#ended[i] || this.#idle[i]) continue;
      if (this.#watermarks[i]! < lowest) lowest = this.#watermarks[i]!;
    }
    if (lowest > this.#watermark && lowest !== Infinity) {
      this.#watermark = lowest;
      out.push(new Watermark(lowest));
    }
  }
}

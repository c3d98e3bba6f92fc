/**
 * A min-heap of per-key wake-up times, for stateful steps.
 *
 * @module
 */

/**
 * Per-key timers: at most one per key; setting a key's time again replaces
 * it. Entries that were replaced or cleared are skipped when they surface
 * (lazy deletion), so every operation is O(log n).
 */
export class TimerQueue {
  readonly #times = new Map<string, number>();
  readonly #heap: { time: number; key: string }[] = [];

  /** How many keys have a timer. */
  get size(): number {
    return this.#times.size;
  }

  /** Sets `key`'s timer to `time`, or clears it when `time` is `undefined`. */
  set(key: string, time: number | undefined): void {
    if (time === undefined) {
      if (this.#times.size > 0) this.#times.delete(key);
      return;
    }
    if (this.#times.get(key) === time) return;
    this.#times.set(key, time);
    this.#push({ time, key });
  }

  /** The earliest time set, or `undefined`. */
  peek(): number | undefined {
    this.#dropStale();
    return this.#heap[0]?.time;
  }

  /** Removes and returns the keys whose time is at or before `now`, earliest first. */
  popDue(now: number): string[] {
    const due: string[] = [];
    while (true) {
      this.#dropStale();
      const top = this.#heap[0];
      if (top === undefined || top.time > now) return due;
      this.#pop();
      this.#times.delete(top.key);
      due.push(top.key);
    }
  }

  #dropStale(): void {
    while (this.#heap.length > 0) {
      const top = this.#heap[0]!;
      if (this.#times.get(top.key) === top.time) return;
      this.#pop();
    }
  }

  #push(entry: { time: number; key: string }): void {
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.time <= entry.time) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    let i = 0;
    while (true) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right]!.time < heap[left]!.time ? right : left;
      if (heap[child]!.time >= last.time) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
  }
}

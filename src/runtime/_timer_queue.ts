/**
 * A min-heap of per-key wake-up times, for stateful steps.
 *
 * @module
 */

/**
 * Per-key timers: at most one per key; setting a key's time again replaces
 * it. The heap always holds, for every key with a timer, an entry at or
 * before the key's time. Moving a time later pushes nothing: when the old
 * entry surfaces it is pushed again at the key's current time. Moving it
 * earlier pushes a new entry, and entries for cleared keys or for times
 * later than the key's are dropped when they surface (lazy deletion). So a
 * timer that keeps moving later, as an event-time window's does with every
 * item, costs a map write rather than a heap push.
 */
export class TimerQueue {
  #times = new Map<string, number>();
  #heap: { time: number; key: string }[] = [];

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
    const current = this.#times.get(key);
    if (current !== undefined && current === time) return;
    this.#times.set(key, time);
    if (current === undefined || time < current) this.#push({ time, key });
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
      if (top === undefined || top.time > now) {
        // Emptied by a wave of timers (a million keys' windows closing): let go of the room.
        if (top === undefined && due.length > 0) {
          this.#heap = [];
          this.#times = new Map();
        }
        return due;
      }
      this.#pop();
      this.#times.delete(top.key);
      due.push(top.key);
    }
  }

  // Settles the heap's top: drops entries of cleared keys or of times later
  // than the key's, and moves entries of times the key has moved past.
  #dropStale(): void {
    while (this.#heap.length > 0) {
      const top = this.#heap[0]!;
      const time = this.#times.get(top.key);
      if (time !== undefined && time === top.time) return;
      this.#pop();
      if (time !== undefined && time > top.time) this.#push({ time, key: top.key });
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

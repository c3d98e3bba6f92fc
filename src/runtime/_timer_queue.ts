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
  // The heap as two parallel arrays: no object per entry.
  #heapTimes: number[] = [];
  #heapKeys: string[] = [];

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
    if (current === undefined || time < current) this.#push(time, key);
  }

  /** The earliest time set, or `undefined`. */
  peek(): number | undefined {
    this.#dropStale();
    return this.#heapTimes.length === 0 ? undefined : this.#heapTimes[0];
  }

  /** Removes and returns the keys whose time is at or before `now`, earliest first. */
  popDue(now: number): string[] {
    const due: string[] = [];
    while (true) {
      this.#dropStale();
      const empty = this.#heapTimes.length === 0;
      if (empty || this.#heapTimes[0]! > now) {
        // Emptied by a wave of timers (a million keys' windows closing): let go of the room.
        if (empty && due.length > 0) {
          this.#heapTimes = [];
          this.#heapKeys = [];
          this.#times = new Map();
        }
        return due;
      }
      const key = this.#heapKeys[0]!;
      this.#pop();
      this.#times.delete(key);
      due.push(key);
    }
  }

  // Settles the heap's top: drops entries of cleared keys or of times later
  // than the key's, and moves entries of times the key has moved past.
  #dropStale(): void {
    const times = this.#heapTimes;
    while (times.length > 0) {
      const top = times[0]!;
      const key = this.#heapKeys[0]!;
      const time = this.#times.get(key);
      if (time !== undefined && time === top) return;
      this.#pop();
      if (time !== undefined && time > top) this.#push(time, key);
    }
  }

  #push(time: number, key: string): void {
    const times = this.#heapTimes;
    const keys = this.#heapKeys;
    let i = times.length;
    times.push(time);
    keys.push(key);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (times[parent]! <= time) break;
      times[i] = times[parent]!;
      keys[i] = keys[parent]!;
      i = parent;
    }
    times[i] = time;
    keys[i] = key;
  }

  #pop(): void {
    const times = this.#heapTimes;
    const keys = this.#heapKeys;
    const lastTime = times.pop()!;
    const lastKey = keys.pop()!;
    const n = times.length;
    if (n === 0) return;
    let i = 0;
    while (true) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && times[right]! < times[left]! ? right : left;
      if (times[child]! >= lastTime) break;
      times[i] = times[child]!;
      keys[i] = keys[child]!;
      i = child;
    }
    times[i] = lastTime;
    keys[i] = lastKey;
  }
}

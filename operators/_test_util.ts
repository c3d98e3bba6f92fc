/**
 * Test doubles shared by the operator tests.
 *
 * @module
 */

/** Options for {@linkcode recordingSource}. */
export interface RecordingOptions {
  /** Thrown by the source after its last item. */
  error?: Error;
}

/** An async generator source that records how far it was read and whether it was closed. */
export interface RecordingSource<T> extends AsyncIterable<T> {
  /** Whether iteration began. */
  readonly started: boolean;
  /** How many items the source handed out. */
  readonly pulled: number;
  /** Whether the source's `finally` ran. */
  readonly closed: boolean;
}

/**
 * A source that yields `items` (then throws `options.error`, if given), and
 * records its use. It awaits between items, as a real source would, so the
 * consumer never reads it synchronously.
 */
export function recordingSource<T>(
  items: Iterable<T>,
  options: RecordingOptions = {},
): RecordingSource<T> {
  const state = { started: false, pulled: 0, closed: false };
  async function* generate(): AsyncGenerator<T> {
    state.started = true;
    try {
      for (const item of items) {
        await Promise.resolve();
        state.pulled++;
        yield item;
      }
      if (options.error) throw options.error;
    } finally {
      state.closed = true;
    }
  }
  return {
    get started() {
      return state.started;
    },
    get pulled() {
      return state.pulled;
    },
    get closed() {
      return state.closed;
    },
    [Symbol.asyncIterator]: generate,
  };
}

/**
 * A hand-driven source: each `next()` waits until the test calls `push`,
 * `end` or `fail`, so tests decide exactly when items arrive and can count
 * the pulls in flight.
 */
export class ManualSource<T> implements AsyncIterableIterator<T> {
  /** How many times `next()` was called. */
  pulls = 0;
  /** Whether `return()` was called. */
  closed = false;
  #waiting: PromiseWithResolvers<IteratorResult<T>>[] = [];

  /** How many `next()` calls are waiting for an item. */
  get waiting(): number {
    return this.#waiting.length;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    this.pulls++;
    if (this.closed) return Promise.resolve({ done: true, value: undefined });
    const pull = withResolvers<IteratorResult<T>>();
    this.#waiting.push(pull);
    return pull.promise;
  }

  return(): Promise<IteratorResult<T>> {
    this.closed = true;
    for (const pull of this.#waiting.splice(0)) pull.resolve({ done: true, value: undefined });
    return Promise.resolve({ done: true, value: undefined });
  }

  /** Answers the oldest waiting `next()` with `value`. */
  push(value: T): void {
    this.#answer().resolve({ done: false, value });
  }

  /** Answers the oldest waiting `next()` with the end of the stream. */
  end(): void {
    this.#answer().resolve({ done: true, value: undefined });
  }

  /** Rejects the oldest waiting `next()` with `error`. */
  fail(error: Error): void {
    this.#answer().reject(error);
  }

  #answer(): PromiseWithResolvers<IteratorResult<T>> {
    const pull = this.#waiting.shift();
    if (!pull) throw new Error("ManualSource: no next() is waiting");
    return pull;
  }
}

/** `Promise.withResolvers()`, which Node 20 lacks. */
export function withResolvers<T>(): PromiseWithResolvers<T> {
  let resolve!: (value: T | PromiseLike<T>) => void;
  let reject!: (reason?: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Reads a stream to the end. */
export async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream) items.push(item);
  return items;
}

/** Reads `count` items, then breaks out of the loop. */
export async function takeThenBreak<T>(stream: AsyncIterable<T>, count: number): Promise<T[]> {
  const items: T[] = [];
  if (count === 0) return items;
  for await (const item of stream) {
    items.push(item);
    if (items.length === count) break;
  }
  return items;
}

/** Lets every pending promise callback and zero-delay timer run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** A thenable that is not a `Promise`: operators must await any `PromiseLike`. */
export function thenable<T>(value: T): PromiseLike<T> {
  return {
    then: (onFulfilled, onRejected) => Promise.resolve(value).then(onFulfilled, onRejected),
  };
}

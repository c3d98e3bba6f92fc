/**
 * Plain `Iterable`s and `AsyncIterable`s as sources.
 *
 * @module
 */

import type { DynamicSource, NextBatch, StatelessSourcePartition } from "./inputs.ts";

/** The most items an iterable source other than an array hands over in one batch. */
export const ITERABLE_BATCH_SIZE = 1024;

/**
 * The most items of an array handed over in one batch. An array is all
 * there, so a larger batch adds no latency; it spreads each batch's fixed
 * cost (a slice, the hand-offs between steps) over more items.
 */
export const ARRAY_BATCH_SIZE = 16_384;

const NOT_YET: unique symbol = Symbol("not yet");
const notYet = Promise.resolve(NOT_YET);

// An iterator that throws after yielding some items: the items come first,
// in their own batch, and the error at the next read, so nothing it produced
// is lost.
class Deferred {
  constructor(readonly error: unknown) {}
}

class SyncIterablePartition<T> implements StatelessSourcePartition<T> {
  readonly #iterator: Iterator<T>;
  #done = false;
  #failure: Deferred | undefined;

  constructor(iterable: Iterable<T>) {
    this.#iterator = iterable[Symbol.iterator]();
  }

  nextBatch(): NextBatch<T> {
    if (this.#failure) throw this.#failure.error;
    if (this.#done) return null;
    const batch: T[] = [];
    while (batch.length < ITERABLE_BATCH_SIZE) {
      let result: IteratorResult<T>;
      try {
        result = this.#iterator.next();
      } catch (error) {
        if (batch.length === 0) throw error;
        this.#done = true;
        this.#failure = new Deferred(error);
        break;
      }
      if (result.done) {
        this.#done = true;
        break;
      }
      batch.push(result.value);
    }
    return batch.length === 0 && this.#done ? null : batch;
  }

  close(): void {
    if (!this.#done) this.#iterator.return?.();
  }
}

// Arrays are the most common input in tests and notebooks: slice them instead of iterating.
class ArrayPartition<T> implements StatelessSourcePartition<T> {
  readonly #items: readonly T[];
  #position = 0;

  constructor(items: readonly T[]) {
    this.#items = items;
  }

  nextBatch(): NextBatch<T> {
    if (this.#position >= this.#items.length) return null;
    const batch = this.#items.slice(this.#position, this.#position + ARRAY_BATCH_SIZE);
    this.#position += batch.length;
    return batch;
  }
}

class AsyncIterablePartition<T> implements StatelessSourcePartition<T> {
  readonly #iterator: AsyncIterator<T>;
  #pending: Promise<IteratorResult<T>> | undefined;
  #done = false;
  #failure: Deferred | undefined;

  constructor(iterable: AsyncIterable<T>) {
    this.#iterator = iterable[Symbol.asyncIterator]();
  }

  // Waits for one item, then takes only what has already arrived, so that
  // batching never adds latency.
  async nextBatch(): Promise<NextBatch<T>> {
    if (this.#failure) throw this.#failure.error;
    if (this.#done) return null;
    let result = await (this.#pending ?? this.#iterator.next());
    this.#pending = undefined;
    const batch: T[] = [];
    while (true) {
      if (result.done) {
        this.#done = true;
        break;
      }
      batch.push(result.value);
      if (batch.length >= ITERABLE_BATCH_SIZE) break;
      let settled: IteratorResult<T> | typeof NOT_YET;
      const next = this.#iterator.next();
      try {
        settled = await Promise.race([next, notYet]);
      } catch (error) {
        this.#done = true;
        this.#failure = new Deferred(error);
        break;
      }
      if (settled === NOT_YET) {
        this.#pending = next;
        break;
      }
      result = settled;
    }
    return batch.length === 0 ? null : batch;
  }

  async close(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    if (this.#pending) {
      // The pending next() may never settle; ask the iterator to stop without waiting.
      this.#pending.catch(() => {});
      this.#iterator.return?.()?.catch(() => {});
      return;
    }
    await this.#iterator.return?.();
  }
}

/**
 * Wraps an `Iterable` or `AsyncIterable` as a dynamic source read by worker 0
 * only (other workers see it end at once). It has no resume position, so
 * after a crash it starts over.
 *
 * @param iterable The items.
 * @returns A dynamic source.
 */
export function iterableSource<T>(iterable: Iterable<T> | AsyncIterable<T>): DynamicSource<T> {
  return {
    build(_stepId, workerIndex) {
      if (workerIndex !== 0) return { nextBatch: () => null };
      if (Array.isArray(iterable)) return new ArrayPartition<T>(iterable);
      return Symbol.asyncIterator in iterable
        ? new AsyncIterablePartition(iterable as AsyncIterable<T>)
        : new SyncIterablePartition(iterable as Iterable<T>);
    },
  };
}

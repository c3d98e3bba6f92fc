/**
 * {@linkcode TestingSource}: a resumable in-memory source with markers for
 * end of input, crashes and pauses.
 *
 * @module
 */

import type {
  FixedPartitionedSource,
  NextBatch,
  SourceContext,
  StatefulSourcePartition,
} from "../src/dataflow/inputs.ts";
import { realTime } from "../src/runtime/system_time.ts";

/**
 * Ends the current run; a resumed run continues after it.
 *
 * @example Input that ends early, and a partition that reads on
 * ```ts
 * import { Dataflow } from "@runnel/runnel";
 * import { EofMarker, TestingSource } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * const source = new TestingSource([1, new EofMarker(), 2]);
 * const flow = new Dataflow("f");
 * assert.deepEqual(await Array.fromAsync(flow.input("inp", source)), [1]);
 *
 * const part = source.buildPart("f.inp", "testing", undefined);
 * assert.deepEqual([part.nextBatch(), part.nextBatch()], [[1], null]);
 * // Rebuilt from its snapshot, the partition continues after the marker.
 * assert.deepEqual(source.buildPart("f.inp", "testing", part.snapshot()).nextBatch(), [2]);
 * ```
 */
export class EofMarker {
  /** The marker's kind. */
  readonly kind = "eof";
}

/**
 * Fails the run once, the first time it is read; a resumed run skips it.
 *
 * @example A crash, then a resume that skips it
 * ```ts
 * import { AbortMarker, TestingSource, TestingSourceAbort } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * const source = new TestingSource([1, new AbortMarker(), 2]);
 * const part = source.buildPart("f.inp", "testing", undefined);
 * assert.deepEqual(part.nextBatch(), [1]);
 * const snapshot = part.snapshot();
 * assert.throws(() => part.nextBatch(), TestingSourceAbort);
 * // From the snapshot before the crash, the marker is passed over.
 * assert.deepEqual(source.buildPart("f.inp", "testing", snapshot).nextBatch(), [2]);
 * ```
 */
export class AbortMarker {
  /** The marker's kind. */
  readonly kind = "abort";
}

/**
 * Emits nothing for a while.
 *
 * @example A 30 ms gap in the input
 * ```ts
 * import { Dataflow } from "@runnel/runnel";
 * import { PauseMarker, TestingSource } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * const start = Date.now();
 * let secondAfter = 0;
 * const flow = new Dataflow("f");
 * const items = flow.input("inp", new TestingSource([1, new PauseMarker(30), 2]))
 *   .inspect("time", (_id, x) => {
 *     if (x === 2) secondAfter = Date.now() - start;
 *   });
 * assert.deepEqual(await Array.fromAsync(items), [1, 2]);
 * assert.ok(secondAfter >= 29, `2 came ${secondAfter} ms after the start`);
 * ```
 */
export class PauseMarker {
  /** The marker's kind. */
  readonly kind = "pause";
  /**
   * Makes a pause of `ms` milliseconds.
   *
   * @param ms How long to pause, in milliseconds.
   */
  constructor(readonly ms: number) {}
}

/**
 * A marker a {@linkcode TestingSource} understands.
 *
 * @example Describing a test's input
 * ```ts
 * import { Dataflow } from "@runnel/runnel";
 * import { type TestingMarker, TestingSource } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * function describe(items: readonly (number | TestingMarker)[]): string {
 *   return items.map((item) => typeof item === "number" ? item : item.kind).join(" ");
 * }
 * const items = [1, TestingSource.PAUSE(5), 2, TestingSource.EOF, 3];
 * assert.equal(describe(items), "1 pause 2 eof 3");
 * const flow = new Dataflow("f");
 * assert.deepEqual(await Array.fromAsync(flow.input("inp", new TestingSource(items))), [1, 2]);
 * ```
 */
export type TestingMarker = EofMarker | AbortMarker | PauseMarker;

/**
 * Options for {@linkcode TestingSource}.
 *
 * @example Batches that stop at a marker
 * ```ts
 * import { Dataflow } from "@runnel/runnel";
 * import { TestingSource, type TestingSourceOptions } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * const options: TestingSourceOptions = { batchSize: 10 };
 * const source = new TestingSource([1, 2, 3, TestingSource.PAUSE(1), 4], options);
 * const flow = new Dataflow("f");
 * const batches = flow.input("inp", source).flatMapBatch("batches", (batch) => [batch]);
 * assert.deepEqual(await Array.fromAsync(batches), [[1, 2, 3], [4]]);
 * assert.throws(() => new TestingSource([], { batchSize: 0 }), RangeError);
 * ```
 */
export interface TestingSourceOptions {
  /** The most items one batch holds. Defaults to 1, so every item is its own batch. */
  batchSize?: number;
}

/**
 * Thrown by a {@linkcode TestingSource} at an `ABORT` marker.
 *
 * @example The cause of a failed run
 * ```ts
 * import { Dataflow, run, StepError } from "@runnel/runnel";
 * import { TestingSink, TestingSource, TestingSourceAbort } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * const flow = new Dataflow("f");
 * flow.input("inp", new TestingSource([1, TestingSource.ABORT, 2]))
 *   .output("out", new TestingSink());
 * await assert.rejects(run(flow), (error) => {
 *   assert.ok(error instanceof StepError);
 *   assert.equal(error.stepId, "f.inp");
 *   assert.ok(error.cause instanceof TestingSourceAbort);
 *   assert.equal(error.cause.message, "TestingSource aborted at item 1");
 *   return true;
 * });
 * ```
 */
export class TestingSourceAbort extends Error {
  /**
   * Makes the error for the marker at `index`.
   *
   * @param index The marker's position in the input.
   */
  constructor(index: number) {
    super(`TestingSource aborted at item ${index}`);
    this.name = "TestingSourceAbort";
  }
}

class TestingPartition<T> implements StatefulSourcePartition<T, number> {
  readonly #items: readonly (T | TestingMarker)[];
  readonly #batchSize: number;
  readonly #fires: (at: number) => boolean;
  readonly #now: () => number;
  #index: number;
  #awake: number | undefined;

  constructor(
    items: readonly (T | TestingMarker)[],
    batchSize: number,
    fires: (at: number) => boolean,
    start: number,
    now: () => number,
  ) {
    this.#items = items;
    this.#batchSize = batchSize;
    this.#fires = fires;
    this.#index = start;
    this.#now = now;
  }

  nextBatch(): NextBatch<T> {
    this.#awake = undefined;
    const batch: T[] = [];
    while (batch.length < this.#batchSize && this.#index < this.#items.length) {
      const item = this.#items[this.#index]!;
      if (item instanceof EofMarker) {
        if (batch.length > 0) return batch;
        this.#index++;
        return null;
      }
      if (item instanceof AbortMarker) {
        if (batch.length > 0) return batch;
        const at = this.#index++;
        if (this.#fires(at)) throw new TestingSourceAbort(at);
        continue;
      }
      if (item instanceof PauseMarker) {
        if (batch.length > 0) return batch;
        this.#index++;
        this.#awake = this.#now() + item.ms;
        return [];
      }
      batch.push(item as T);
      this.#index++;
    }
    return batch.length === 0 ? null : batch;
  }

  nextAwake(): number | undefined {
    return this.#awake;
  }

  snapshot(): number {
    return this.#index;
  }
}

/**
 * A source of the given items, for tests and notebooks. It has one
 * partition whose resume state is the index of the next item, so a run
 * resumed from a snapshot continues where the last one stopped.
 *
 * The items may contain markers:
 * - `TestingSource.EOF` ends this run's input; a resumed run continues after it.
 * - `TestingSource.ABORT` fails the run with a {@linkcode TestingSourceAbort}
 *   the first time it is read, to test recovery: once per source object, and
 *   under recovery once per run generation (`SourceContext.generation`): a
 *   run of generation `g` passes over the first `g` markers, so a resumed
 *   run goes on past the marker that failed the run before it, even when
 *   another thread or process builds a new source object.
 * - `TestingSource.PAUSE(ms)` emits nothing for `ms` milliseconds of the
 *   run's time: real time, or a `TestingTime` given to `run()`, which then
 *   ends the pause only when it is advanced.
 *
 * @typeParam T The items.
 *
 * @example Items in batches of two
 * ```ts
 * import { Dataflow } from "@runnel/runnel";
 * import { TestingSource } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * const flow = new Dataflow("f");
 * const sizes = flow.input("inp", new TestingSource([1, 2, 3], { batchSize: 2 }))
 *   .flatMapBatch("sizes", (batch) => [batch.length]);
 * assert.deepEqual(await Array.fromAsync(sizes), [2, 1]);
 * ```
 *
 * @example Ending input early
 * ```ts
 * import { Dataflow } from "@runnel/runnel";
 * import { TestingSource } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * const flow = new Dataflow("f");
 * const items = flow.input("inp", new TestingSource([1, TestingSource.EOF, 2]));
 * assert.deepEqual(await Array.fromAsync(items), [1]);
 * ```
 */
export class TestingSource<T> implements FixedPartitionedSource<T, number> {
  /** Ends this run's input here. */
  static readonly EOF: TestingMarker = Object.freeze(new EofMarker());
  /** Fails the run here, once (per source object, and per run generation under recovery). */
  static readonly ABORT: TestingMarker = Object.freeze(new AbortMarker());

  /**
   * Emits nothing for `ms` milliseconds.
   *
   * @param ms How long to pause.
   * @returns The marker.
   */
  static PAUSE(ms: number): TestingMarker {
    if (!(ms >= 0)) {
      throw new RangeError(`Cannot create a pause: ms must be non-negative, got ${ms}`);
    }
    return new PauseMarker(ms);
  }

  readonly #items: readonly (T | TestingMarker)[];
  readonly #batchSize: number;
  readonly #aborted = new Set<number>();
  // Each ABORT marker's index among the markers, by its index among the items.
  readonly #abortOrdinals = new Map<number, number>();

  /**
   * Makes a source over `items`.
   *
   * @param items The items and markers, in order.
   * @param options The batch size.
   */
  constructor(items: Iterable<T | TestingMarker>, options: TestingSourceOptions = {}) {
    const batchSize = options.batchSize ?? 1;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(
        `Cannot create TestingSource: batchSize must be a positive integer, got ${batchSize}`,
      );
    }
    this.#items = [...items];
    this.#batchSize = batchSize;
    this.#items.forEach((item, at) => {
      if (item instanceof AbortMarker) this.#abortOrdinals.set(at, this.#abortOrdinals.size);
    });
  }

  /** The one partition, `"testing"`. */
  listParts(): string[] {
    return ["testing"];
  }

  /**
   * Builds the partition, starting at `resumeState` (an item index) or 0.
   *
   * @param _stepId The input step.
   * @param _forPart Always `"testing"`.
   * @param resumeState The index to resume at.
   * @param ctx The run's time, which pauses are measured on; real time if omitted.
   * @returns The partition.
   */
  buildPart(
    _stepId: string,
    _forPart: string,
    resumeState: number | undefined,
    ctx?: SourceContext,
  ): StatefulSourcePartition<T, number> {
    const now = ctx ? () => ctx.now() : realTime.now;
    const generation = ctx?.generation;
    const fires = (at: number) => {
      if (this.#aborted.has(at)) return false;
      if (generation !== undefined && this.#abortOrdinals.get(at)! < generation) return false;
      this.#aborted.add(at);
      return true;
    };
    return new TestingPartition(this.#items, this.#batchSize, fires, resumeState ?? 0, now);
  }
}

/**
 * Steps that await: `mapAsync` awaits a function per item with bounded
 * concurrency, `pipe` runs an item-level async transformer.
 *
 * @module
 */

import { checkCallback } from "../_errors.ts";
import { addStep, stepPath } from "../_stream_core.ts";

/**
 * Options for `Stream.mapAsync`.
 *
 * @example Results as they complete
 * ```ts
 * import { Dataflow, type MapAsyncOptions } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const options: MapAsyncOptions = { concurrency: 2, ordered: false };
 * const flow = new Dataflow("f");
 * const done = flow.input("inp", [100, 1]).mapAsync("wait", async (ms) => {
 *   await new Promise((resolve) => setTimeout(resolve, ms));
 *   return ms;
 * }, options);
 * // Both calls run at once; the short one finishes first.
 * assert.deepEqual(await Array.fromAsync(done), [1, 100]);
 * ```
 */
export interface MapAsyncOptions {
  /** The most calls in flight at once. Defaults to 16. */
  concurrency?: number;
  /** Emit results in input order (the default) or as they complete. */
  ordered?: boolean;
}

/** `stream.mapAsync(id, mapper, options)`. */
export function mapAsync<R>(
  up: object,
  id: string,
  mapper: unknown,
  options: MapAsyncOptions = {},
): R {
  checkCallback(stepPath(up, id), "mapper", mapper);
  const concurrency = options.concurrency ?? 16;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(
      `Cannot add step "${
        stepPath(up, id)
      }": concurrency must be a positive integer, got ${concurrency}`,
    );
  }
  return addStep(up, id, (path, port) => ({
    kind: "mapAsync",
    path,
    up: port,
    mapper: mapper as (item: unknown, signal: AbortSignal) => Promise<unknown>,
    concurrency,
    ordered: options.ordered ?? true,
  }));
}

/** `stream.pipe(id, transformer)`. */
export function pipe<R>(up: object, id: string, transformer: unknown): R {
  checkCallback(stepPath(up, id), "transformer", transformer);
  return addStep(up, id, (path, port) => ({
    kind: "pipe",
    path,
    up: port,
    transformer: transformer as (source: AsyncIterable<unknown>) => AsyncIterable<unknown>,
  }));
}

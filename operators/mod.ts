/**
 * Layer 1 of runnel: item-level stream operators.
 *
 * A stream is an `AsyncIterable`; an operator is a function from one stream
 * to another, written as a plain async generator over its source. Nothing
 * runs until the stream is iterated, items are pulled one at a time by the
 * consumer (so a slow consumer slows the source), and breaking out of a loop
 * closes every stage back to the source.
 *
 * - Sources: {@linkcode fromIterable}, {@linkcode interval},
 *   {@linkcode merge}, {@linkcode zip}.
 * - Operators, chained with {@linkcode pipe}: {@linkcode map},
 *   {@linkcode filter}, {@linkcode flatMap}, {@linkcode filterMap},
 *   {@linkcode take}, {@linkcode drop}, {@linkcode takeWhile},
 *   {@linkcode scan}, {@linkcode reduce}, {@linkcode tap},
 *   {@linkcode batch}, {@linkcode abortable}.
 * - Terminal: {@linkcode toArray}, the only function here that returns a
 *   promise instead of a stream.
 *
 * Callbacks receive `(item, index)` and may be async. Abort is handled in one
 * place: put {@linkcode abortable} right after the source in a pipe, and the
 * abort unwinds every later stage; sources that wait on time or on several
 * inputs (`interval`, `merge`, `zip`, `batch`) also take `{ signal }`. An
 * aborted stream rejects with `signal.reason`. Streams are single-pass, like
 * the generators they are.
 *
 * Any function from `AsyncIterable` to `AsyncIterable` is an operator, so the
 * operators of the `ix` package work inside {@linkcode pipe} too.
 *
 * @example Word lengths, in batches
 * ```ts
 * import { batch, filter, fromIterable, map, pipe, toArray } from "@runnel/runnel/operators";
 * import assert from "node:assert/strict";
 *
 * const lengths = pipe(
 *   fromIterable(["a", "stream", "is", "a", "generator"]),
 *   filter((word) => word.length > 1),
 *   map((word) => word.length),
 *   batch({ size: 2 }),
 * );
 * assert.deepEqual(await toArray(lengths), [[6, 2], [9]]);
 * ```
 *
 * @module
 */

export * from "./abortable.ts";
export * from "./batch.ts";
export * from "./drop.ts";
export * from "./filter.ts";
export * from "./filter_map.ts";
export * from "./flat_map.ts";
export * from "./from_iterable.ts";
export * from "./interval.ts";
export * from "./map.ts";
export * from "./merge.ts";
export * from "./pipe.ts";
export * from "./reduce.ts";
export * from "./scan.ts";
export * from "./take.ts";
export * from "./take_while.ts";
export * from "./tap.ts";
export * from "./to_array.ts";
export * from "./zip.ts";

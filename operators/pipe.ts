/**
 * Composing operators left to right.
 *
 * @module
 */

import { requireFunction } from "./_args.ts";

/**
 * A transformer from one async iterable to another: what every operator
 * factory in this module returns, and what {@linkcode pipe} chains.
 *
 * Any function of this shape is an operator, including an async generator
 * function and the operators of the `ix` package.
 *
 * @typeParam I The type of the items read.
 * @typeParam O The type of the items yielded.
 *
 * @example An operator of your own
 * ```ts
 * import { fromIterable, type Operator, pipe, toArray } from "@runnel/runnel/operators";
 * import assert from "node:assert/strict";
 *
 * function pairwise<T>(): Operator<T, [T, T]> {
 *   return async function* (source) {
 *     let previous: { item: T } | undefined;
 *     for await (const item of source) {
 *       if (previous) yield [previous.item, item];
 *       previous = { item };
 *     }
 *   };
 * }
 * assert.deepEqual(await toArray(pipe(fromIterable([1, 2, 3]), pairwise())), [[1, 2], [2, 3]]);
 * ```
 */
export type Operator<I, O> = (source: AsyncIterable<I>) => AsyncIterable<O>;

/**
 * Passes `source` through each operator in turn, left to right:
 * `pipe(source, f, g)` is `g(f(source))`.
 *
 * Nothing runs until the result is iterated: `pipe` only wires generators
 * together. Items flow one at a time, pulled by the consumer, so the slowest
 * stage sets the pace and nothing is buffered between stages. Breaking out of
 * the loop closes every stage back to the source.
 *
 * Typed overloads cover up to ten operators; beyond that the result is
 * `AsyncIterable<unknown>`.
 *
 * @typeParam A The type of the source's items.
 * @param source The stream to transform.
 * @param operators Transformers applied left to right.
 * @returns The output of the last operator, or `source` when there is none.
 *
 * @example Chaining operators
 * ```ts
 * import { filter, fromIterable, map, pipe, toArray } from "@runnel/runnel/operators";
 * import assert from "node:assert/strict";
 *
 * const squares = pipe(
 *   fromIterable([1, 2, 3, 4]),
 *   filter((n) => n % 2 === 0),
 *   map((n) => n * n),
 * );
 * assert.deepEqual(await toArray(squares), [4, 16]);
 * ```
 */
export function pipe<A>(source: AsyncIterable<A>): AsyncIterable<A>;
/** Passes `source` through one operator, left to right. */
export function pipe<A, B>(source: AsyncIterable<A>, op1: Operator<A, B>): AsyncIterable<B>;
/** Passes `source` through two operators, left to right. */
export function pipe<A, B, C>(
  source: AsyncIterable<A>,
  op1: Operator<A, B>,
  op2: Operator<B, C>,
): AsyncIterable<C>;
/** Passes `source` through three operators, left to right. */
export function pipe<A, B, C, D>(
  source: AsyncIterable<A>,
  op1: Operator<A, B>,
  op2: Operator<B, C>,
  op3: Operator<C, D>,
): AsyncIterable<D>;
/** Passes `source` through four operators, left to right. */
export function pipe<A, B, C, D, E>(
  source: AsyncIterable<A>,
  op1: Operator<A, B>,
  op2: Operator<B, C>,
  op3: Operator<C, D>,
  op4: Operator<D, E>,
): AsyncIterable<E>;
/** Passes `source` through five operators, left to right. */
export function pipe<A, B, C, D, E, F>(
  source: AsyncIterable<A>,
  op1: Operator<A, B>,
  op2: Operator<B, C>,
  op3: Operator<C, D>,
  op4: Operator<D, E>,
  op5: Operator<E, F>,
): AsyncIterable<F>;
/** Passes `source` through six operators, left to right. */
export function pipe<A, B, C, D, E, F, G>(
  source: AsyncIterable<A>,
  op1: Operator<A, B>,
  op2: Operator<B, C>,
  op3: Operator<C, D>,
  op4: Operator<D, E>,
  op5: Operator<E, F>,
  op6: Operator<F, G>,
): AsyncIterable<G>;
/** Passes `source` through seven operators, left to right. */
export function pipe<A, B, C, D, E, F, G, H>(
  source: AsyncIterable<A>,
  op1: Operator<A, B>,
  op2: Operator<B, C>,
  op3: Operator<C, D>,
  op4: Operator<D, E>,
  op5: Operator<E, F>,
  op6: Operator<F, G>,
  op7: Operator<G, H>,
): AsyncIterable<H>;
/** Passes `source` through eight operators, left to right. */
export function pipe<A, B, C, D, E, F, G, H, I>(
  source: AsyncIterable<A>,
  op1: Operator<A, B>,
  op2: Operator<B, C>,
  op3: Operator<C, D>,
  op4: Operator<D, E>,
  op5: Operator<E, F>,
  op6: Operator<F, G>,
  op7: Operator<G, H>,
  op8: Operator<H, I>,
): AsyncIterable<I>;
/** Passes `source` through nine operators, left to right. */
export function pipe<A, B, C, D, E, F, G, H, I, J>(
  source: AsyncIterable<A>,
  op1: Operator<A, B>,
  op2: Operator<B, C>,
  op3: Operator<C, D>,
  op4: Operator<D, E>,
  op5: Operator<E, F>,
  op6: Operator<F, G>,
  op7: Operator<G, H>,
  op8: Operator<H, I>,
  op9: Operator<I, J>,
): AsyncIterable<J>;
/** Passes `source` through ten operators, left to right. */
export function pipe<A, B, C, D, E, F, G, H, I, J, K>(
  source: AsyncIterable<A>,
  op1: Operator<A, B>,
  op2: Operator<B, C>,
  op3: Operator<C, D>,
  op4: Operator<D, E>,
  op5: Operator<E, F>,
  op6: Operator<F, G>,
  op7: Operator<G, H>,
  op8: Operator<H, I>,
  op9: Operator<I, J>,
  op10: Operator<J, K>,
): AsyncIterable<K>;
/**
 * Passes `source` through more than ten operators, left to right; the result
 * is typed `AsyncIterable<unknown>`.
 */
// Eleven required operators, so that a type mismatch in a shorter pipe cannot
// fall through to this untyped overload and go unreported.
export function pipe(
  source: AsyncIterable<unknown>,
  op1: Operator<never, unknown>,
  op2: Operator<never, unknown>,
  op3: Operator<never, unknown>,
  op4: Operator<never, unknown>,
  op5: Operator<never, unknown>,
  op6: Operator<never, unknown>,
  op7: Operator<never, unknown>,
  op8: Operator<never, unknown>,
  op9: Operator<never, unknown>,
  op10: Operator<never, unknown>,
  op11: Operator<never, unknown>,
  ...operators: Operator<never, unknown>[]
): AsyncIterable<unknown>;
export function pipe(
  source: AsyncIterable<unknown>,
  ...operators: Operator<never, unknown>[]
): AsyncIterable<unknown> {
  operators.forEach((operator, i) => requireFunction("pipe()", `operators[${i}]`, operator));
  return operators.reduce<AsyncIterable<unknown>>(
    (stream, operator) => (operator as Operator<unknown, unknown>)(stream),
    source,
  );
}

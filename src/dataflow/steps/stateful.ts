/**
 * Per-key state, one item at a time: the `stateful` step, lowered to the
 * stateful-batch core step, and the `statefulMap`/`statefulFlatMap`
 * shorthands, which need no timers and fold into the keyed-fold core step.
 *
 * @module
 */

import { checkCallback, Failure, isIterable, shapeError } from "../_errors.ts";
import { addStep, keyedFold, stepPath } from "../_stream_core.ts";
import { describeValue } from "../errors.ts";
import type {
  LogicResult,
  StatefulBatchBuilder,
  StatefulBatchLogic,
  StepContext,
} from "../graph.ts";
import { itemFold } from "./_fold.ts";

/**
 * The per-key logic of {@linkcode Stream.stateful}: Bytewax's
 * `StatefulLogic`. Every method returns `[emits, discard]`: the values to
 * emit (each goes out as `[key, value]`) and whether to drop this key's
 * state, after which the key starts fresh on its next item.
 *
 * @example Debouncing: each key's last value once it goes quiet
 * ```ts
 * import { Dataflow, type StatefulLogic } from "@runnel/runnel";
 * import { TestingSource } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * function debounce(now: () => number, quietMs: number): StatefulLogic<number, number, number> {
 *   let last = NaN;
 *   let due: number | undefined;
 *   return {
 *     onItem(value) {
 *       last = value;
 *       due = now() + quietMs;
 *       return [[], false];
 *     },
 *     onNotify: () => [[last], true],
 *     onEof: () => [[last], true],
 *     notifyAt: () => due,
 *     snapshot: () => last,
 *   };
 * }
 * const flow = new Dataflow("f");
 * const source = new TestingSource<[string, number]>(
 *   [["a", 1], ["a", 2], TestingSource.PAUSE(200), ["a", 3]],
 *   { batchSize: 2 },
 * );
 * const settled = flow.input("inp", source)
 *   .stateful("debounce", (_resume, ctx) => debounce(() => ctx.now(), 10));
 * // 2 is emitted by the timer during the pause, 3 at end of input.
 * assert.deepEqual(await Array.fromAsync(settled), [["a", 2], ["a", 3]]);
 * ```
 */
export interface StatefulLogic<V, W, S> {
  /** Called with each value of the key, in arrival order. */
  onItem(value: V): LogicResult<W>;
  /** Called once the time from `notifyAt()` has passed; by default emits nothing. */
  onNotify?(): LogicResult<W>;
  /** Called at end of input; by default emits nothing. */
  onEof?(): LogicResult<W>;
  /** The next system time (epoch ms) to call `onNotify`, or `undefined`. Read after every call. */
  notifyAt?(): number | undefined;
  /** An immutable, serializable copy of the state; a resumed run passes it to the builder. */
  snapshot(): S;
}

/**
 * What a stateful builder learns about its key and the run.
 *
 * @example A threshold per key
 * ```ts
 * import { Dataflow, type StatefulContext } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const limits: Record<string, number> = { cpu: 90, disk: 80 };
 * const flow = new Dataflow("f");
 * const alerts = flow.input("inp", [["cpu", 95], ["disk", 85], ["disk", 70]] as [string, number][])
 *   .stateful<string, number>("alerts", (resumeState, ctx: StatefulContext) => {
 *     const limit = limits[ctx.key]!;
 *     let count = resumeState ?? 0;
 *     return {
 *       onItem: (value) => [value > limit ? [`over ${limit}: alert ${++count}`] : [], false],
 *       snapshot: () => count,
 *     };
 *   });
 * assert.deepEqual(await Array.fromAsync(alerts), [
 *   ["cpu", "over 90: alert 1"],
 *   ["disk", "over 80: alert 1"],
 * ]);
 * ```
 */
export interface StatefulContext extends StepContext {
  /** The key this logic is for. */
  readonly key: string;
}

/**
 * Builds a key's {@linkcode StatefulLogic}, from its snapshot when resuming.
 *
 * @example The first value of each key, reusable on any stream
 * ```ts
 * import { Dataflow, type StatefulBuilder } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const firstOnly: StatefulBuilder<number, number, boolean> = (resumeState) => {
 *   let seen = resumeState ?? false;
 *   return {
 *     onItem(value) {
 *       if (seen) return [[], false];
 *       seen = true;
 *       return [[value], false];
 *     },
 *     snapshot: () => seen,
 *   };
 * };
 * const flow = new Dataflow("f");
 * const firsts = flow.input("inp", [["a", 1], ["b", 2], ["a", 3]] as [string, number][])
 *   .stateful("first", firstOnly);
 * assert.deepEqual(await Array.fromAsync(firsts), [["a", 1], ["b", 2]]);
 * ```
 */
export type StatefulBuilder<V, W, S> = (
  resumeState: S | undefined,
  ctx: StatefulContext,
) => StatefulLogic<V, W, S>;

const RETAIN: LogicResult<never> = [[], false];

/**
 * Adapts an item-level builder to the batch-level core: values go to the
 * logic one by one; a discard in the middle of a batch builds a fresh logic
 * for the key's next value.
 */
export function batchBuilder<V, W, S>(
  builder: StatefulBuilder<V, W, S>,
): StatefulBatchBuilder<V, W, S> {
  return (resumeState, key, ctx) => {
    const context: StatefulContext = {
      key,
      workerIndex: ctx.workerIndex,
      workerCount: ctx.workerCount,
      now: () => ctx.now(),
    };
    let logic: StatefulLogic<V, W, S> | undefined = builder(resumeState, context);
    const adapter: StatefulBatchLogic<V, W, S> = {
      onBatch(values) {
        let emits: W[] | undefined;
        for (let i = 0; i < values.length; i++) {
          logic ??= builder(undefined, context);
          let result: LogicResult<W>;
          try {
            result = logic.onItem(values[i]!);
            checkLogicResult("onItem()", result);
          } catch (error) {
            throw new Failure(error, { item: values[i] });
          }
          const [out, discard] = result;
          if (emits === undefined && Array.isArray(out) && out.length === 0) {
            // Nothing to emit: skip the copy.
          } else {
            emits ??= [];
            for (const w of out) emits.push(w);
          }
          if (discard) logic = undefined;
        }
        return [emits ?? [], logic === undefined];
      },
      onNotify: () => logic?.onNotify?.() ?? RETAIN,
      onEof: () => logic?.onEof?.() ?? RETAIN,
      notifyAt: () => logic?.notifyAt?.(),
      snapshot: () => logic!.snapshot(),
    };
    return adapter;
  };
}

/** `stream.statefulBatch(id, builder)`. */
export function statefulBatch<R>(up: object, id: string, builder: unknown): R {
  checkCallback(stepPath(up, id), "builder", builder);
  return addStep(up, id, (path, port) => ({
    kind: "statefulBatch",
    path,
    up: port,
    builder: builder as StatefulBatchBuilder<unknown, unknown, unknown>,
  }));
}

/** `stream.stateful(id, builder)`. */
export function stateful<R>(
  up: object,
  id: string,
  // deno-lint-ignore no-explicit-any
  builder: StatefulBuilder<any, any, any>,
): R {
  return statefulBatch(up, id, batchBuilder(builder));
}

/** `stream.statefulMap(id, mapper)`. */
export function statefulMap<R, V, S, W>(
  up: object,
  id: string,
  mapper: (state: S | undefined, value: V) => readonly [S | undefined, W],
): R {
  checkCallback(stepPath(up, id), "mapper", mapper);
  return keyedFold(up, id, (path) =>
    itemFold<S, V>("mapper", (state, value, key, out) => {
      const result = mapper(state, value);
      if (!Array.isArray(result) || result.length !== 2) throw notPair(path, result);
      out.push([key, result[1]]);
      return result[0];
    }));
}

/** `stream.statefulFlatMap(id, mapper)`. */
export function statefulFlatMap<R, V, S, W>(
  up: object,
  id: string,
  mapper: (state: S | undefined, value: V) => readonly [S | undefined, Iterable<W>],
): R {
  checkCallback(stepPath(up, id), "mapper", mapper);
  return keyedFold(up, id, (path) =>
    itemFold<S, V>("mapper", (state, value, key, out) => {
      const result = mapper(state, value);
      if (!Array.isArray(result) || result.length !== 2) throw notPair(path, result);
      const emits = result[1];
      if (Array.isArray(emits)) {
        for (let i = 0; i < emits.length; i++) out.push([key, emits[i]]);
      } else if (isIterable(emits)) {
        for (const emit of emits) out.push([key, emit]);
      } else {
        throw shapeError(path, "the mapper to return an iterable of values second", emits);
      }
      return result[0];
    }));
}

function notPair(path: string, result: unknown): TypeError {
  return shapeError(path, "the mapper to return [state, value]", result);
}

/** Throws unless a logic method returned `[emits, discard]`. */
function checkLogicResult(what: string, result: unknown): void {
  if (
    !Array.isArray(result) || result.length !== 2 || typeof result[1] !== "boolean" ||
    result[0] === null || typeof result[0] !== "object" || !(Symbol.iterator in result[0])
  ) {
    throw new TypeError(
      `Cannot use ${what} result: expected [emits, discard], got ${describeValue(result)}`,
    );
  }
}

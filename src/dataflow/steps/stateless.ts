/**
 * The stateless steps: per-item ones, recorded as stage data that the
 * runtime compiles (`map`, `filter`, `keyOn`, `mapValue`, ...), a user
 * batch function (`flatMapBatch`), and the debugging inspectors.
 *
 * Each builder adds its step to `up` and returns the new stream, typed by
 * the `Stream` method that calls it.
 *
 * @module
 */

import { callbackError, checkCallback, isIterable, shapeError } from "../_errors.ts";
import { formatValue } from "../_format.ts";
import { addStage, addStep, batchStep, stepPath } from "../_stream_core.ts";
import type { BatchFn } from "../graph.ts";

/** `stream.map(id, mapper)`. */
export function map<R>(up: object, id: string, mapper: unknown): R {
  return addStage(up, id, "map", mapper);
}

/** `stream.filter(id, predicate)`. */
export function filter<R>(up: object, id: string, predicate: unknown): R {
  return addStage(up, id, "filter", predicate, "predicate");
}

/** `stream.filterMap(id, mapper)`. */
export function filterMap<R>(up: object, id: string, mapper: unknown): R {
  return addStage(up, id, "filterMap", mapper);
}

/** `stream.flatMap(id, mapper)`. */
export function flatMap<R>(up: object, id: string, mapper: unknown): R {
  return addStage(up, id, "flatMap", mapper);
}

/** `stream.flatten(id)`. */
export function flatten<R>(up: object, id: string): R {
  return addStage(up, id, "flatten");
}

/** `stream.keyOn(id, keyFn)`. */
export function keyOn<R>(up: object, id: string, keyFn: unknown): R {
  return addStage(up, id, "keyOn", keyFn, "key function");
}

/** `stream.keyRm(id)`. */
export function keyRm<R>(up: object, id: string): R {
  return addStage(up, id, "keyRm");
}

/** `stream.mapValue(id, mapper)`. */
export function mapValue<R>(up: object, id: string, mapper: unknown): R {
  return addStage(up, id, "mapValue", mapper);
}

/** `stream.filterValue(id, predicate)`. */
export function filterValue<R>(up: object, id: string, predicate: unknown): R {
  return addStage(up, id, "filterValue", predicate, "predicate");
}

/** `stream.filterMapValue(id, mapper)`. */
export function filterMapValue<R>(up: object, id: string, mapper: unknown): R {
  return addStage(up, id, "filterMapValue", mapper);
}

/** `stream.flatMapValue(id, mapper)`. */
export function flatMapValue<R>(up: object, id: string, mapper: unknown): R {
  return addStage(up, id, "flatMapValue", mapper);
}

/** `stream.inspect(id, inspector)`: the inspector is told the step path. */
export function inspect<R>(
  up: object,
  id: string,
  inspector: (stepId: string, item: never) => void = printItem,
): R {
  checkCallback(stepPath(up, id), "inspector", inspector);
  const path = stepPath(up, id);
  return addStage(up, id, "inspect", (item: never) => inspector(path, item), "inspector");
}

/** `stream.inspectDebug(id, inspector)`. */
export function inspectDebug<R>(
  up: object,
  id: string,
  inspector: (stepId: string, item: never, epoch: number, worker: number) => void = printDebugItem,
): R {
  checkCallback(stepPath(up, id), "inspector", inspector);
  return addStep(up, id, (path, port) => ({
    kind: "inspectDebug",
    path,
    up: port,
    inspector: inspector as (stepId: string, item: unknown, epoch: number, w: number) => void,
  }));
}

/** `stream.flatMapBatch(id, mapper)`. */
export function flatMapBatch<R>(
  up: object,
  id: string,
  mapper: (batch: readonly never[]) => unknown,
): R {
  checkCallback(stepPath(up, id), "batch mapper", mapper);
  return batchStep(up, id, (path) => {
    const fn = userBatch(path, mapper as (batch: readonly unknown[]) => unknown);
    return () => fn;
  });
}

/** Calls a user batch function and checks it returned an iterable. */
function userBatch(path: string, mapper: (batch: readonly unknown[]) => unknown): BatchFn {
  return (batch) => {
    let result: unknown;
    try {
      result = mapper(batch);
    } catch (error) {
      throw callbackError(path, "batch mapper", batch, error);
    }
    if (Array.isArray(result)) return result;
    if (isIterable(result)) return Array.from(result);
    throw shapeError(path, "the batch mapper to return an iterable", result);
  };
}

function printItem(stepId: string, item: unknown): void {
  console.log(`${stepId}: ${formatValue(item)}`);
}

function printDebugItem(stepId: string, item: unknown, epoch: number, worker: number): void {
  console.log(`${stepId} W${worker} @${epoch}: ${formatValue(item)}`);
}

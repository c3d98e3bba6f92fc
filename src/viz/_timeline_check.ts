/**
 * Input checking for `windowTimeline`: the options, the items and
 * the window step's `meta` and `down` outputs, each refused with an error
 * that names the argument and the value.
 *
 * @module
 */

import { describeValue } from "../dataflow/errors.ts";
import type { WindowMetadata } from "../dataflow/time/windowers.ts";
import { MAX_TIME } from "./_timeline_axis.ts";

export interface Band {
  readonly id: number;
  readonly meta: WindowMetadata;
  /** Every value emitted into the window, including under the ids of sessions merged into it. */
  readonly values: unknown[];
  /** Those of `values` emitted under a merged session's id, with that id. */
  readonly fromMerged: [number, unknown][];
}

export function fail(message: string): string {
  return `Cannot draw windowTimeline: ${message}`;
}

export function iterableOf(what: string, value: unknown): Iterable<unknown> {
  if (
    value === null || typeof value !== "object" ||
    typeof (value as Iterable<unknown>)[Symbol.iterator] !== "function"
  ) {
    throw new TypeError(fail(`${what} must be an iterable, got ${describeValue(value)}`));
  }
  return value as Iterable<unknown>;
}

export function isPair(value: unknown): value is readonly [unknown, unknown] {
  return Array.isArray(value) && value.length === 2;
}

// One output item `[key, [windowId, payload]]`, checked.
export function windowItem(what: string, index: number, item: unknown): [string, number, unknown] {
  if (!isPair(item) || typeof item[0] !== "string" || !isPair(item[1])) {
    throw new TypeError(
      fail(`${what}[${index}] must be [key, [windowId, value]], got ${describeValue(item)}`),
    );
  }
  const id = item[1][0];
  if (typeof id !== "number" || !Number.isInteger(id)) {
    throw new TypeError(
      fail(`${what}[${index}] must have an integer window id, got ${describeValue(id)}`),
    );
  }
  return [item[0], id, item[1][1]];
}

export function checkTime(what: string, ms: number): number {
  if (!(Math.abs(ms) <= MAX_TIME)) {
    throw new RangeError(fail(`${what} must be a time within ±8.64e15 ms, got ${ms}`));
  }
  return ms;
}

// The items, checked, as `[key, value]` pairs in arrival order.
export function readItems(items: Iterable<unknown>): (readonly [string, unknown])[] {
  const pairs: (readonly [string, unknown])[] = [];
  for (const item of items) {
    if (!isPair(item) || typeof item[0] !== "string") {
      throw new TypeError(
        fail(
          `items[${pairs.length}] must be a [key, value] pair with a string key, got ${
            describeValue(item)
          }`,
        ),
      );
    }
    pairs.push(item as readonly [string, unknown]);
  }
  return pairs;
}

// The length of each batch the items reached the step in.
export function batchLengths(batchSize: number | readonly number[], count: number): number[] {
  if (typeof batchSize === "number") {
    const lengths: number[] = [];
    for (let left = count; left > 0; left -= batchSize) lengths.push(Math.min(left, batchSize));
    return lengths;
  }
  const total = batchSize.reduce((sum, length) => sum + length, 0);
  if (total !== count) {
    throw new RangeError(
      fail(`options.batchSize has batches of ${total} items in all, but there are ${count} items`),
    );
  }
  return [...batchSize];
}

// The windows of `meta`, each with the values `down` emitted into it, by key.
export function collectBands(meta: unknown, down: unknown): Map<string, Band[]> {
  const byKey = new Map<string, Map<number, Band>>();
  let index = 0;
  for (const entry of iterableOf("outputs.meta", meta)) {
    const [key, id, meta] = windowItem("outputs.meta", index, entry);
    const m = meta as WindowMetadata;
    if (
      m === null || typeof m !== "object" || typeof m.openTime !== "number" ||
      typeof m.closeTime !== "number" || !Array.isArray(m.mergedIds)
    ) {
      throw new TypeError(
        fail(
          `outputs.meta[${index}] must carry { openTime, closeTime, mergedIds }, got ${
            describeValue(meta)
          }`,
        ),
      );
    }
    for (const merged of m.mergedIds) {
      if (typeof merged !== "number" || !Number.isInteger(merged)) {
        throw new TypeError(
          fail(
            `outputs.meta[${index}].mergedIds must hold integer window ids, got ${
              describeValue(m.mergedIds)
            }`,
          ),
        );
      }
    }
    checkTime(`outputs.meta[${index}].openTime`, m.openTime);
    checkTime(`outputs.meta[${index}].closeTime`, m.closeTime);
    if (m.closeTime < m.openTime) {
      throw new RangeError(
        fail(`outputs.meta[${index}] closes before it opens: ${describeValue(meta)}`),
      );
    }
    let bands = byKey.get(key);
    if (bands === undefined) byKey.set(key, bands = new Map());
    if (bands.has(id)) {
      throw new RangeError(
        fail(
          `outputs.meta has window ${id} of key ${
            JSON.stringify(key)
          } twice; pass the output of one run`,
        ),
      );
    }
    bands.set(id, { id, meta: m, values: [], fromMerged: [] });
    index++;
  }
  // A window logic may emit into a session before it is merged away: those
  // values belong on the band of the session that survived, which lists it.
  const mergedByKey = new Map<string, Map<number, Band>>();
  for (const [key, bands] of byKey) {
    const merged = new Map<number, Band>();
    for (const band of bands.values()) {
      for (const from of band.meta.mergedIds) {
        const other = bands.get(from) ?? merged.get(from);
        if (other !== undefined) {
          throw new RangeError(
            fail(
              `outputs.meta says window ${from} of key ${
                JSON.stringify(key)
              } merged into window ${band.id}, but it ${
                other.id === from ? "closed on its own" : `also merged into window ${other.id}`
              }; pass the output of one run`,
            ),
          );
        }
        merged.set(from, band);
      }
    }
    mergedByKey.set(key, merged);
  }
  index = 0;
  for (const entry of iterableOf("outputs.down", down)) {
    const [key, id, value] = windowItem("outputs.down", index++, entry);
    let band = byKey.get(key)?.get(id);
    if (band === undefined) {
      band = mergedByKey.get(key)?.get(id);
      if (band === undefined) {
        throw new RangeError(
          fail(
            `outputs.down has a value for window ${id} of key ${
              JSON.stringify(key)
            }, but outputs.meta has no such window, nor one that merged it; pass every meta item of the run`,
          ),
        );
      }
      band.fromMerged.push([id, value]);
    }
    band.values.push(value);
  }
  const out = new Map<string, Band[]>();
  for (const [key, bands] of byKey) out.set(key, [...bands.values()]);
  return out;
}

// The options as an untyped caller may pass them: each field is checked here.
interface UncheckedOptions {
  readonly clock?: { readonly build?: unknown };
  readonly watermarkScope?: unknown;
  readonly batchSize?: unknown;
  readonly arrival?: unknown;
  readonly format?: unknown;
  readonly itemLabel?: unknown;
  readonly join?: unknown;
  readonly title?: unknown;
  readonly keys?: unknown;
}

export function checkOptions(options: UncheckedOptions): void {
  if (options === null || typeof options !== "object") {
    throw new TypeError(fail(`options must be an object, got ${describeValue(options)}`));
  }
  if (typeof options.clock?.build !== "function") {
    throw new TypeError(fail(`options.clock must be a Clock, got ${describeValue(options.clock)}`));
  }
  const scope = options.watermarkScope ?? "key";
  if (scope !== "key" && scope !== "partition") {
    throw new RangeError(
      fail(`options.watermarkScope must be "key" or "partition", got ${describeValue(scope)}`),
    );
  }
  const size = options.batchSize;
  if (typeof size === "number") {
    if (!(Number.isInteger(size) && size > 0) && size !== Infinity) {
      throw new RangeError(
        fail(`options.batchSize must be a positive integer or Infinity, got ${size}`),
      );
    }
  } else if (size !== undefined) {
    if (!Array.isArray(size)) {
      throw new TypeError(
        fail(
          `options.batchSize must be a number or an array of batch lengths, got ${
            describeValue(size)
          }`,
        ),
      );
    }
    if (!size.every((length) => Number.isInteger(length) && length > 0)) {
      throw new RangeError(
        fail(`options.batchSize must list positive integer lengths, got ${describeValue(size)}`),
      );
    }
  }
  for (const name of ["arrival", "format", "itemLabel"] as const) {
    if (options[name] !== undefined && typeof options[name] !== "function") {
      throw new TypeError(
        fail(`options.${name} must be a function, got ${describeValue(options[name])}`),
      );
    }
  }
  if (options.join !== undefined && typeof options.join !== "boolean") {
    throw new TypeError(
      fail(`options.join must be a boolean, got ${describeValue(options.join)}`),
    );
  }
  if (options.title !== undefined && typeof options.title !== "string") {
    throw new TypeError(
      fail(`options.title must be a string, got ${describeValue(options.title)}`),
    );
  }
  if (
    options.keys !== undefined &&
    (!Array.isArray(options.keys) || options.keys.some((k) => typeof k !== "string"))
  ) {
    throw new TypeError(
      fail(`options.keys must be an array of strings, got ${describeValue(options.keys)}`),
    );
  }
  if ((options.keys as readonly string[] | undefined)?.length === 0) {
    throw new RangeError(
      fail(`options.keys is empty; name at least one key, or leave it out to draw every key`),
    );
  }
}

/**
 * The clock replay of `windowTimeline`: the clock run over the
 * items as the window step runs it, giving each item's timestamp and the
 * watermark after it, and the cross-check of the run's `late` output.
 *
 * @module
 */

import { groupByKey, type KeySlot } from "../dataflow/_batch_by_key.ts";
import { describeValue } from "../dataflow/errors.ts";
import { type Clock, type ClockLogic, type Timestamp, toEpochMs } from "../dataflow/time/clock.ts";
import { iso } from "./_timeline_axis.ts";
import { checkTime, fail, isPair, windowItem } from "./_timeline_check.ts";

export interface Item {
  readonly index: number;
  readonly key: string;
  readonly value: unknown;
  readonly ts: number;
  readonly watermark: number;
  readonly late: boolean;
}

function rethrow(error: unknown, index: number): never {
  const message = fail(
    `the clock failed on items[${index}]: ${error instanceof Error ? error.message : error}`,
  );
  if (error instanceof RangeError) throw new RangeError(message, { cause: error });
  if (error instanceof TypeError) throw new TypeError(message, { cause: error });
  throw new Error(message, { cause: error });
}

/** How to replay: the step's clock, its watermark scope, and when items arrived. */
export interface ReplayOptions<V> {
  readonly clock: Clock<V>;
  /** One watermark for all keys (`watermarkScope: "partition"`). */
  readonly shared: boolean;
  readonly arrival: ((item: readonly [string, V], index: number) => Timestamp) | undefined;
}

/**
 * Replays the clock over the items in their batches. Without arrival times,
 * replays twice, at two system times, to refuse a clock that stamps items
 * with system time.
 */
export function replayItems<V>(
  pairs: readonly (readonly [string, V])[],
  lengths: readonly number[],
  options: ReplayOptions<V>,
): Item[] {
  const all = replay(pairs, lengths, options, 0);
  if (options.arrival === undefined) {
    // Without arrival times every batch arrives at 1970-01-01. An event
    // clock only reads how system time moves on, but a clock that stamps
    // items with it (SystemClock) would put them decades from their windows.
    const later = replay(pairs, lengths, options, PROBE_TIME);
    const moved = later.findIndex((it, i) => it.ts !== all[i]!.ts);
    if (moved !== -1) {
      throw new TypeError(
        fail(
          `options.clock stamps items with the system time, as SystemClock does (items[${moved}] at ${
            iso(all[moved]!.ts)
          } when replayed at ${iso(0)}, at ${iso(later[moved]!.ts)} when replayed at ${
            iso(PROBE_TIME)
          }); pass options.arrival, the system time each item reached the step`,
        ),
      );
    }
  }
  return all;
}

// Runs the clock over the items as the window step does. Per batch, grouped
// as the stateful step groups it (the same function): keys in order of first
// arrival, each key's values together after one `beforeBatch()`; one clock
// per key, or one for all built by the first key; system time read once per
// batch; late means before the watermark.
// `start` is the system time every batch arrives at, without `arrival`.
function replay<V>(
  pairs: readonly (readonly [string, V])[],
  lengths: readonly number[],
  options: ReplayOptions<V>,
  start: number,
): Item[] {
  const { clock, shared, arrival } = options;
  let now = start;
  const ctx = { stepId: "windowTimeline", now: () => now };
  // Each key's clock, and the indices of its items in the current batch.
  interface Slot extends KeySlot {
    readonly logic: ClockLogic<V>;
  }
  const slots = new Map<string, Slot>();
  let partitionClock: ClockLogic<V> | undefined;
  const open = (_key: string, [, index]: readonly [string, unknown]): Slot => {
    let logic: ClockLogic<V>;
    try {
      logic = shared ? partitionClock ??= clock.build(undefined, ctx) : clock.build(undefined, ctx);
    } catch (error) {
      rethrow(error, index as number);
    }
    return { logic, values: [], batch: 0 };
  };
  const out: Item[] = new Array(pairs.length);
  let first = 0;
  for (const [batchNumber, length] of lengths.entries()) {
    const end = first + length;
    if (arrival !== undefined) {
      // A batch reaches the step at once, when its last item has.
      let latest = -Infinity;
      for (let index = first; index < end; index++) {
        latest = Math.max(latest, arrivalOf(arrival, pairs[index]!, index));
      }
      now = latest;
    }
    const batch: [string, number][] = [];
    for (let index = first; index < end; index++) batch.push([pairs[index]![0], index]);
    for (const { logic, values } of groupByKey(batch, batchNumber + 1, slots, open)) {
      const indices = values as number[];
      try {
        logic.beforeBatch();
      } catch (error) {
        rethrow(error, indices[0]!);
      }
      for (const index of indices) {
        const [key, value] = pairs[index]!;
        let ts: number, watermark: number;
        try {
          [ts, watermark] = logic.onItem(value);
        } catch (error) {
          rethrow(error, index);
        }
        checkTime(`the timestamp of items[${index}]`, ts);
        out[index] = { index, key, value, ts, watermark, late: ts < watermark };
      }
    }
    first = end;
  }
  return out;
}

function arrivalOf<V>(
  arrival: (item: readonly [string, V], index: number) => Timestamp,
  item: readonly [string, V],
  index: number,
): number {
  const raw = arrival(item, index);
  const at = toEpochMs(raw);
  if (at === undefined || !Number.isFinite(at)) {
    throw new TypeError(
      fail(
        `options.arrival must return a valid Date or epoch ms, got ${
          typeof raw === "number" ? raw : describeValue(raw)
        } for items[${index}]`,
      ),
    );
  }
  return at;
}

// A second system time to replay at, to tell clocks that stamp items with it.
const PROBE_TIME = Date.UTC(2001, 0, 1);

// Values compared as the run would have them: the same object, or equal
// JSON (for items copied on the way, as across workers).
class ValueSet {
  readonly #same = new Set<unknown>();
  readonly #json = new Set<string>();

  add(value: unknown): void {
    this.#same.add(value);
    const json = jsonOf(value);
    if (json !== undefined) this.#json.add(json);
  }

  has(value: unknown): boolean {
    if (this.#same.has(value)) return true;
    const json = jsonOf(value);
    return json !== undefined && this.#json.has(json);
  }
}

function jsonOf(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

function valueSets(entries: Iterable<readonly [string, unknown]>): Map<string, ValueSet> {
  const sets = new Map<string, ValueSet>();
  for (const [key, value] of entries) {
    let set = sets.get(key);
    if (set === undefined) sets.set(key, set = new ValueSet());
    set.add(value);
  }
  return sets;
}

// The run's `late` output and the replay must agree on which items were late.
export function checkLate(
  late: Iterable<unknown>,
  items: readonly Item[],
  shared: boolean,
  join: boolean,
): void {
  // With one watermark for all keys, lateness depends on the batches too.
  const batches = shared ? ", options.batchSize as its input was batched," : "";
  const entries: [string, unknown][] = [];
  let index = 0;
  for (const entry of late) {
    let [key, , value] = windowItem("outputs.late", index, entry);
    if (join) {
      // A window join's late items carry the side they came in on.
      if (!isPair(value) || !isSide(value[0])) {
        throw new TypeError(
          fail(
            `with options.join, outputs.late[${index}] must be [key, [windowId, [side, value]]], got ${
              describeValue(entry)
            }`,
          ),
        );
      }
      value = value[1];
    }
    entries.push([key, value]);
    index++;
  }
  const replayed = valueSets(items.filter((it) => it.late).map((it) => [it.key, it.value]));
  let seen: Map<string, ValueSet> | undefined;
  for (const [key, value] of entries) {
    if (!replayed.get(key)?.has(value)) {
      seen ??= valueSets(items.map((it) => [it.key, it.value]));
      if (!join && isPair(value) && isSide(value[0]) && seen.get(key)?.has(value[1])) {
        throw new RangeError(
          fail(
            `outputs.late has ${describeValue(value)} for key ${
              JSON.stringify(key)
            }, which looks like a joinWindow's [side, value]; pass options.join: true`,
          ),
        );
      }
      throw new RangeError(
        fail(
          `outputs.late has ${describeValue(value)} for key ${
            JSON.stringify(key)
          }, but replaying the clock finds no such late item; pass the items and clock of the same run${batches} and options.arrival if its clock read system time`,
        ),
      );
    }
  }
  const reported = valueSets(entries);
  for (const it of items) {
    if (it.late && !reported.get(it.key)?.has(it.value)) {
      throw new RangeError(
        fail(
          `replaying the clock finds items[${it.index}] ${
            describeValue(it.value)
          } late, but outputs.late does not have it; pass the items and clock of the same run${
            shared ? ", and options.batchSize as its input was batched" : ""
          }`,
        ),
      );
    }
  }
}

function isSide(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) >= 0;
}

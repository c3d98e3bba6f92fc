/**
 * `enrichCached`: join items with values looked up from an external
 * service, through a per-worker cache.
 *
 * @module
 */

import { callbackError, checkCallback } from "../_errors.ts";
import { batchStep, stepPath } from "../_stream_core.ts";

/**
 * A cache that fetches missing or expired values with a getter. Each worker
 * of each run has its own; it is not part of recovery snapshots, and has no
 * size limit.
 *
 * @typeParam K The lookup keys.
 * @typeParam V The values.
 *
 * @example Values fetched again once they are stale
 * ```ts
 * import { TtlCache } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * let now = 0;
 * const fetched: string[] = [];
 * const fetch = (code: string) => (fetched.push(code), code.toUpperCase());
 * const cache = new TtlCache(fetch, () => now, 1_000);
 * assert.equal(cache.get("fr"), "FR"); // a miss: fetched
 * now = 1_000;
 * assert.equal(cache.get("fr"), "FR"); // fresh for 1,000 ms: cached
 * now = 1_001;
 * assert.equal(cache.get("fr"), "FR"); // stale: fetched again
 * cache.remove("fr");
 * assert.equal(cache.get("fr"), "FR"); // removed: fetched again
 * assert.deepEqual(fetched, ["fr", "fr", "fr"]);
 * ```
 */
export class TtlCache<K, V> {
  readonly #getter: (key: K) => V;
  readonly #now: () => number;
  readonly #ttl: number;
  readonly #entries = new Map<K, { at: number; value: V }>();

  /**
   * Makes an empty cache.
   *
   * @param getter Fetches the value for a key on a miss.
   * @param now The current time in epoch ms.
   * @param ttl How long a value stays fresh, in ms.
   */
  constructor(getter: (key: K) => V, now: () => number, ttl: number) {
    this.#getter = getter;
    this.#now = now;
    this.#ttl = ttl;
  }

  /**
   * The cached value for `key`, fetched again when missing or older than the TTL.
   *
   * @param key The lookup key.
   * @returns The value.
   */
  get(key: K): V {
    const now = this.#now();
    const entry = this.#entries.get(key);
    if (entry !== undefined && now - entry.at <= this.#ttl) return entry.value;
    const value = this.#getter(key);
    this.#entries.set(key, { at: now, value });
    return value;
  }

  /**
   * Forgets the value for `key`, so the next `get` fetches it.
   *
   * @param key The lookup key.
   */
  remove(key: K): void {
    this.#entries.delete(key);
  }
}

/**
 * Options for {@linkcode Stream.enrichCached}.
 *
 * @example Looking a rate up again after it expires
 * ```ts
 * import { Dataflow, type EnrichCachedOptions, iterate } from "@runnel/runnel";
 * import { TestingSource, TestingTime } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * const time = new TestingTime();
 * const lookups: number[] = [];
 * const options: EnrichCachedOptions = { ttl: 1_500 };
 * const flow = new Dataflow("f");
 * const priced = flow.input("inp", new TestingSource([10, 20, 30]))
 *   .inspect("a_second_passes", () => time.advance(1_000))
 *   .enrichCached(
 *     "eur",
 *     (_currency: string) => (lookups.push(time.now()), 0.9),
 *     (rates, usd) => usd * rates.get("usd"),
 *     options,
 *   );
 * assert.deepEqual(await Array.fromAsync(iterate(priced, { time })), [9, 18, 27]);
 * // Fetched at 1 s, cached at 2 s, stale (older than 1.5 s) at 3 s.
 * assert.deepEqual(lookups, [1_000, 3_000]);
 * ```
 */
export interface EnrichCachedOptions {
  /** Milliseconds a cached value stays fresh. Defaults to forever. */
  ttl?: number;
}

/** `stream.enrichCached(id, getter, mapper, options)`. */
export function enrichCached<R, T, K, V, U>(
  up: object,
  id: string,
  getter: (key: K) => V,
  mapper: (cache: TtlCache<K, V>, item: T) => U,
  options: EnrichCachedOptions = {},
): R {
  const ttl = options.ttl ?? Infinity;
  const full = stepPath(up, id);
  if (typeof ttl !== "number" || !(ttl >= 0)) {
    throw new RangeError(
      `Cannot add step "${full}": ttl must be a non-negative number, got ${ttl}`,
    );
  }
  checkCallback(full, "getter", getter);
  checkCallback(full, "mapper", mapper);
  return batchStep(up, id, (path) => (ctx) => {
    // Time is read once per batch, so every item of a batch sees one cache state.
    let now = ctx.now();
    const cache = new TtlCache(getter, () => now, ttl);
    return (batch) => {
      now = ctx.now();
      const out = new Array(batch.length);
      let i = 0;
      try {
        for (; i < batch.length; i++) out[i] = mapper(cache, batch[i] as T);
      } catch (error) {
        throw callbackError(path, "mapper", batch[i], error);
      }
      return out;
    };
  });
}

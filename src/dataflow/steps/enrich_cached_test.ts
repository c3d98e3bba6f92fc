import assert from "node:assert/strict";
import { Dataflow, StepError } from "../../../mod.ts";
import { TestingSource, TestingTime } from "../../../connectors/testing.ts";
import { outputOf } from "../../../tests/_helpers.ts";

const NAMES: Record<string, string> = { fr: "France", jp: "Japan" };

Deno.test("enrichCached() fetches each key once without a ttl", async () => {
  for (const batchSize of [1, 4]) {
    const lookups: string[] = [];
    const out = await outputOf(
      ["fr", "jp", "fr", "jp", "fr"],
      (up) =>
        up.enrichCached(
          "country",
          (code: string) => (lookups.push(code), NAMES[code]),
          (cache, code) => `${code}=${cache.get(code)}`,
        ),
      batchSize,
    );
    assert.deepEqual(out, ["fr=France", "jp=Japan", "fr=France", "jp=Japan", "fr=France"]);
    assert.deepEqual(lookups, ["fr", "jp"], `batchSize ${batchSize}`);
  }
});

Deno.test("enrichCached() refetches a value older than ttl on the run clock", async () => {
  const time = new TestingTime(0);
  const lookups: [string, number][] = [];
  // Each item says how far to move the clock before it is enriched.
  const items: [string, number][] = [["fr", 0], ["fr", 100], ["fr", 1], ["fr", 50], ["jp", 0]];
  const out = await outputOf(
    items,
    (up) =>
      up.map("tick", ([code, ms]) => (time.advance(ms), code))
        .enrichCached(
          "country",
          (code: string) => (lookups.push([code, time.now()]), `${NAMES[code]}@${time.now()}`),
          (cache, code) => cache.get(code),
          { ttl: 100 },
        ),
    1,
    { time },
  );
  // Fresh through exactly ttl ms; refetched once older.
  assert.deepEqual(lookups, [["fr", 0], ["fr", 101], ["jp", 151]]);
  assert.deepEqual(out, ["France@0", "France@0", "France@101", "France@101", "Japan@151"]);
});

Deno.test("enrichCached() reads the time once per batch", async () => {
  for (const [batchSize, expected] of [[1, 5], [4, 3]] as const) {
    const time = new TestingTime(0);
    let fetches = 0;
    // Every fetch moves the clock far past the ttl.
    await outputOf(
      ["a", "a", "b", "a", "a"],
      (up) =>
        up.enrichCached(
          "e",
          (key: string) => (fetches++, time.advance(1_000), key.toUpperCase()),
          (cache, key) => cache.get(key),
          { ttl: 10 },
        ),
      batchSize,
      { time },
    );
    // batchSize 1: a, a (1000 ms later), b, a, a -> a is refetched every batch.
    // batchSize 4: [a a b a] sees one time (fetches a, b), then [a] a later one.
    assert.equal(fetches, expected, `batchSize ${batchSize}`);
  }
});

Deno.test("enrichCached() forgets a key after cache.remove()", async () => {
  const lookups: string[] = [];
  const out = await outputOf(
    ["a", "!a", "a"],
    (up) =>
      up.enrichCached(
        "e",
        (key: string) => (lookups.push(key), lookups.length),
        (cache, item) => {
          if (item.startsWith("!")) {
            cache.remove(item.slice(1));
            return 0;
          }
          return cache.get(item);
        },
      ),
    3,
  );
  assert.deepEqual(out, [1, 0, 2]);
  assert.deepEqual(lookups, ["a", "a"]);
});

Deno.test("enrichCached() wraps a throwing mapper or getter in a StepError with the item", async () => {
  const boom = new Error("lookup down");
  for (const batchSize of [1, 4]) {
    await assert.rejects(
      outputOf(["fr", "xx", "jp"], (up) =>
        up.enrichCached(
          "country",
          (code: string) => {
            if (!(code in NAMES)) throw boom;
            return NAMES[code];
          },
          (cache, code) => cache.get(code),
        ), batchSize),
      (error: unknown) => {
        assert.ok(error instanceof StepError, `got ${error}`);
        assert.equal(error.stepId, "f.country");
        assert.equal(error.item, "xx");
        assert.equal(error.cause, boom);
        assert.match(error.message, /^Cannot run step "f\.country"/);
        return true;
      },
    );
  }
});

Deno.test("enrichCached() emits nothing for empty input", async () => {
  let calls = 0;
  const out = await outputOf<string, string>(
    [],
    (up) => up.enrichCached("e", (k: string) => (calls++, k), (cache, item) => cache.get(item)),
  );
  assert.deepEqual(out, []);
  assert.equal(calls, 0);
});

Deno.test("enrichCached() rejects a bad ttl or callback when added", () => {
  const up = new Dataflow("f").input("inp", new TestingSource<string>([]));
  const ok = (k: string) => k;
  assert.throws(() => up.enrichCached("e", ok, (c, i) => c.get(i), { ttl: -1 }), RangeError);
  assert.throws(() => up.enrichCached("e", ok, (c, i) => c.get(i), { ttl: NaN }), RangeError);
  assert.throws(() => up.enrichCached("e", 1 as never, (_c, i) => i), TypeError);
  assert.throws(() => up.enrichCached("e", ok, null as never), TypeError);
});

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeBatch,
  decodeValue,
  encodeBatch,
  encodeValue,
  UnencodableItemError,
} from "./codec.ts";

const roundTrip = (batch: readonly unknown[]) => decodeBatch(encodeBatch("f.count", batch, true));

Deno.test("encodeBatch() and decodeBatch() carry every kind that crosses workers", () => {
  const batch = [
    ["a", { text: "hé €", n: 1.5, big: 2n ** 70n, small: -5n, yes: true, no: false }],
    ["b", [Infinity, -Infinity, NaN, 0, -1, 2 ** 53]],
    ["c", { none: null, missing: undefined, nested: [[{ deep: "x" }]] }],
    ["d", new Date(Date.UTC(2024, 0, 1, 12))],
    ["e", new Map<unknown, unknown>([["k", 1], [2, new Set(["s"])]])],
    ["f", new Set([1, "two", new Uint8Array([3])])],
    ["g", new Uint8Array([0, 255, 7])],
    ["h", Object.assign(Object.create(null), { bare: 1 })],
    "not keyed",
    42,
  ];
  const back = roundTrip(batch);
  assert.deepEqual(back.slice(0, 7), batch.slice(0, 7));
  assert.deepEqual(back.slice(8), batch.slice(8));
  // A null-prototype object arrives as a plain object with the same fields.
  assert.deepEqual({ ...(back[7] as [string, object])[1] }, { bare: 1 });
  // Kinds are kept, not just shapes.
  assert.ok((back[3] as [string, unknown])[1] instanceof Date);
  assert.ok((back[4] as [string, unknown])[1] instanceof Map);
  assert.ok((back[5] as [string, unknown])[1] instanceof Set);
  assert.equal(((back[6] as [string, unknown])[1] as object).constructor, Uint8Array);
  assert.equal(typeof (back[0] as [string, { big: unknown }])[1].big, "bigint");
  assert.ok(Object.is((back[1] as [string, number[]])[1][2], NaN));
});

Deno.test("decodeBatch() gives a keyed batch's keys as the same text as in a value", () => {
  const keys = [
    "",
    "k",
    "hé €",
    "x\u{1F600}y",
    "lone \uD800 high",
    "\uDC00",
    "a".repeat(40),
    "b".repeat(200),
    "é".repeat(70),
    "ü".repeat(300),
    "c".repeat(70) + "\uD800",
  ];
  const back = roundTrip(keys.map((key) => [key, key])) as [string, string][];
  assert.equal(back.length, keys.length);
  for (const [i, [key, value]] of back.entries()) {
    // Text crosses as UTF-8: a lone surrogate arrives as U+FFFD, in a key as in a value.
    assert.equal(key, value, `key ${i}`);
    if (keys[i]!.isWellFormed()) assert.equal(key, keys[i], `key ${i}`);
  }
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.string({ unit: "binary", maxLength: 80 }), fc.integer())),
      (pairs) => {
        const decoded = roundTrip(pairs.map(([key, n]) => [key, [key, n]])) as [
          string,
          [string, number],
        ][];
        assert.deepEqual(
          decoded.map(([key, [text, n]]) => [key, text, n]),
          pairs.map(([key, n]) => {
            const text = decodeValue(encodeValue(key));
            return [text, text, n];
          }),
        );
      },
    ),
  );
});

Deno.test("decodeBatch() gives back every key of batches over more keys than it keeps", () => {
  // More distinct keys than the codec's key cache holds, each seen in two batches.
  const keys = Array.from({ length: 300_000 }, (_, i) => `k${(i * 7_919) % 300_000}`);
  for (let round = 0; round < 2; round++) {
    for (let start = 0; start < keys.length; start += 1_024) {
      const batch = keys.slice(start, start + 1_024).map((key, i) => [key, start + i]);
      assert.deepEqual(roundTrip(batch), batch);
    }
  }
});

Deno.test("encodeBatch() refuses a value that cannot cross, naming step, key and path", () => {
  class Point {
    constructor(readonly x: number) {}
    norm(): number {
      return Math.abs(this.x);
    }
  }
  const cases: [unknown, string | undefined, string, RegExp][] = [
    [["k1", { a: [1, () => 2] }], "k1", "[1].a[1]", /is a function/],
    [["k2", { s: Symbol("s") }], "k2", "[1].s", /is a Symbol/],
    [["k3", { at: new Point(1) }], "k3", "[1].at", /is an instance of class Point/],
    [["k4", new Map([["m", { f() {} }]])], "k4", '[1].get("m").f', /is a function/],
    [["k5", new Set([Symbol.iterator])], "k5", "[1].<entry 0>", /is a Symbol/],
    [["k6", { [Symbol("tag")]: 1 }], "k6", "[1][Symbol(tag)]", /Symbol-keyed property/],
    [{ plain: { fn: Math.max } }, undefined, ".plain.fn", /is a function/],
  ];
  for (const [item, key, path, what] of cases) {
    assert.throws(() => encodeBatch("f.count", [["ok", 1], item], true), (error: unknown) => {
      assert.ok(error instanceof UnencodableItemError, String(error));
      assert.equal(error.stepId, "f.count");
      assert.equal(error.key, key);
      assert.equal(error.path, path);
      assert.match(error.message, /^Cannot send an item of step "f\.count" to another worker: /);
      assert.match(error.message, what);
      assert.ok(error.message.includes(`item${path} is`), error.message);
      if (key !== undefined) assert.ok(error.message.includes(`key "${key}"`), error.message);
      return true;
    });
  }
});

Deno.test("encodeValue() and decodeValue() round-trip one value, byte arrays as byte arrays", () => {
  const value = [["k1", "k2"], [Uint8Array.of(1, 2, 3), null], { epoch: 7, at: 1.5 }];
  const back = decodeValue(encodeValue(value)) as [string[], (Uint8Array | null)[], unknown];
  assert.deepEqual(back[0], ["k1", "k2"]);
  assert.ok(back[1][0] instanceof Uint8Array);
  assert.deepEqual([...back[1][0]!], [1, 2, 3]);
  assert.equal(back[1][1], null);
  assert.deepEqual(back[2], { epoch: 7, at: 1.5 });
  assert.equal(decodeValue(encodeValue("x")), "x");
});
